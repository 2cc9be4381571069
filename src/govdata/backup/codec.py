"""One canonical text for every stored value, the same whichever database produced it.

A backup's table file is JSON Lines, one JSON array per row in the manifest's column order. The SM3 digest in the
manifest is taken over exactly these lines, and the restore re-encodes what the target database holds and compares,
so the encoding must not depend on the dialect: datetimes in UTC ISO form, decimals without trailing zeros, binary
as base64, enums by value. Decoding goes by the target column's type.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from enum import Enum as PyEnum
from typing import Any

from cryptography.hazmat.primitives import hashes
from sqlalchemy import Boolean, Column, Date, DateTime, Enum, Float, Integer, LargeBinary, Numeric
from sqlalchemy.types import TypeDecorator


def encode_value(value: Any) -> Any:
    if value is None or (isinstance(value, bool | int | str) and not isinstance(value, PyEnum)):
        return value
    if isinstance(value, PyEnum):
        return value.value
    if isinstance(value, float):
        return value
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return "0" if text in ("-0", "0") else text
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"无法备份的值类型：{type(value).__name__}")


def encode_row(values: Sequence[Any]) -> bytes:
    """One JSON Lines line (with its newline): the unit the digest and the row count are taken over."""
    line = json.dumps([encode_value(v) for v in values], ensure_ascii=False, separators=(",", ":"))
    return line.encode() + b"\n"


def _identity(value: Any) -> Any:
    return value


def decoder_for(column: Column[Any]) -> Callable[[Any], Any]:
    """The function that turns a decoded JSON value back into what the target column binds."""
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, Enum) and kind.enum_class is not None:
        enum_class = kind.enum_class
        return lambda v: None if v is None else enum_class(v)
    if isinstance(kind, Boolean):
        return lambda v: None if v is None else bool(v)
    if isinstance(kind, Integer):
        return lambda v: None if v is None else int(v)
    if isinstance(kind, Float):
        return lambda v: None if v is None else float(v)
    if isinstance(kind, Numeric):
        return lambda v: None if v is None else Decimal(str(v))
    if isinstance(kind, DateTime):
        return lambda v: None if v is None else dt.datetime.fromisoformat(v)
    if isinstance(kind, Date):
        return lambda v: None if v is None else dt.date.fromisoformat(v)
    if isinstance(kind, LargeBinary):
        return lambda v: None if v is None else base64.b64decode(v)
    return _identity


class Digest:
    """SM3 over a table file's lines, with the row count."""

    def __init__(self) -> None:
        self._hash = hashes.Hash(hashes.SM3())
        self.rows = 0

    def add(self, line: bytes) -> None:
        self._hash.update(line)
        self.rows += 1

    def hexdigest(self) -> str:
        return self._hash.finalize().hex()
