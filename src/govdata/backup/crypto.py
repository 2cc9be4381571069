"""Optional encryption of a backup with SM4 (SEC-4: commercial cryptography, SC38 / AB37).

The zip is encrypted as it is written — no plaintext copy touches the disk — with SM4 in CTR mode, and
authenticated with HMAC-SM3 over the header and the whole ciphertext (encrypt-then-MAC). The key (16 bytes, given as
32 hexadecimal characters) comes from the environment variable GOVDATA_BACKUP_KEY, never from the command line,
so it stays out of shell history and process listings. File layout: MAGIC ‖ nonce (16) ‖ ciphertext ‖ tag (32).
A restore checks the tag over the whole file before decrypting anything.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from govdata.errors import InvalidInput

MAGIC = b"GDBAK-SM4\x01"
KEY_ENV = "GOVDATA_BACKUP_KEY"
NONCE = 16
TAG = 32
CHUNK = 1 << 20


def key_from_env() -> bytes:
    raw = os.environ.get(KEY_ENV, "").strip()
    if not raw:
        raise InvalidInput(f"请在环境变量 {KEY_ENV} 中提供 SM4 密钥（32 位十六进制字符）")
    try:
        key = bytes.fromhex(raw)
    except ValueError:
        raise InvalidInput(f"环境变量 {KEY_ENV} 应为 32 位十六进制字符（128 位 SM4 密钥）") from None
    if len(key) != 16:
        raise InvalidInput(
            f"环境变量 {KEY_ENV} 应为 32 位十六进制字符（128 位 SM4 密钥），实际 {len(raw)} 位"
        )
    return key


def _mac(key: bytes) -> hmac.HMAC:
    """A MAC key separate from the cipher key, derived from it with SM3."""
    digest = hashes.Hash(hashes.SM3())
    digest.update(b"govdata-backup-mac\x00" + key)
    return hmac.HMAC(digest.finalize(), hashes.SM3())


class EncryptingWriter:
    """A write-only stream for zipfile (no tell/seek: zipfile then writes data descriptors)."""

    def __init__(self, raw: BinaryIO, key: bytes) -> None:
        nonce = os.urandom(NONCE)
        self._raw = raw
        self._cipher = Cipher(algorithms.SM4(key), modes.CTR(nonce)).encryptor()
        self._tag = _mac(key)
        header = MAGIC + nonce
        raw.write(header)
        self._tag.update(header)

    def write(self, data: bytes) -> int:
        chunk = self._cipher.update(bytes(data))
        self._raw.write(chunk)
        self._tag.update(chunk)
        return len(data)

    def flush(self) -> None:
        self._raw.flush()

    def finish(self) -> None:
        last = self._cipher.finalize()
        self._raw.write(last)
        self._tag.update(last)
        self._raw.write(self._tag.finalize())
        self._raw.flush()


def is_encrypted(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(len(MAGIC)) == MAGIC


def decrypt_to(path: Path, key: bytes, target: Path) -> None:
    """Check the tag over the whole file, then decrypt into `target`; a wrong key or any change is refused."""
    size = path.stat().st_size
    body = size - len(MAGIC) - NONCE - TAG
    if body < 0:
        raise InvalidInput("备份文件已损坏或不完整，拒绝恢复：加密文件过短")
    with path.open("rb") as fh:
        header = fh.read(len(MAGIC) + NONCE)
        tag = _mac(key)
        tag.update(header)
        left = body
        while left:
            chunk = fh.read(min(CHUNK, left))
            if not chunk:
                break
            tag.update(chunk)
            left -= len(chunk)
        try:
            tag.verify(fh.read(TAG))
        except InvalidSignature:
            raise InvalidInput("无法解密备份：密钥不正确，或备份文件已损坏、被篡改") from None
        fh.seek(len(header))
        cipher = Cipher(algorithms.SM4(key), modes.CTR(header[len(MAGIC) :])).decryptor()
        with target.open("wb") as out:
            left = body
            while left:
                chunk = fh.read(min(CHUNK, left))
                out.write(cipher.update(chunk))
                left -= len(chunk)
            out.write(cipher.finalize())
