"""Backup and restore (SEC-6): a real database backed up to a real file and restored into a new, empty database —
SQLite always; PostgreSQL too when the tests run on it (GOVDATA_TEST_DATABASE_URL), in both directions.

On PostgreSQL the restore targets are extra databases created on the same server next to the test database
(`<test db>_restore_<n>`) and dropped afterwards; on SQLite they are files in the test's temporary directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from govdata.audit.models import AuditEvent
from govdata.authz import system_actor
from govdata.backup.archive import backup, describe, restore
from govdata.clock import FixedClock
from govdata.context import Ctx
from govdata.db import make_engine, make_session_factory
from govdata.errors import Conflict, InvalidInput
from govdata.org.models import Role, User
from govdata.org.service import NewUser, create_user
from tests.http import helpers as h
from tests.world import PASSWORD, World

Target = Callable[[str], Engine]


@pytest.fixture
def filled(ctx: Ctx, world: World) -> World:
    """The small jurisdiction with a loaded pool (and its reject report), a theme table and an emergency pool."""
    h.loaded_pool(ctx, world)
    h.theme(ctx, world)
    h.emergency_collection(ctx, world, loaded=True)
    ctx.session.commit()
    return world


@pytest.fixture
def target(engine: Engine, tmp_path: Path) -> Iterator[Target]:
    """Makes an empty database of the asked dialect ("sqlite" or "postgresql"); PostgreSQL only beside a
    PostgreSQL test database (the same server), otherwise the test is skipped."""
    made: list[tuple[Engine, str | None]] = []

    def make(kind: str) -> Engine:
        if kind == "sqlite":
            eng = make_engine(f"sqlite:///{tmp_path}/restored{len(made)}.db")
            made.append((eng, None))
            return eng
        if engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL 目标只在测试数据库为 PostgreSQL 时运行")
        url = make_url(str(engine.url.render_as_string(hide_password=False)))
        name = f"{url.database}_restore_{len(made)}"
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        eng = make_engine(url.set(database=name).render_as_string(hide_password=False))
        made.append((eng, name))
        return eng

    yield make
    for eng, name in made:
        eng.dispose()
        if name is not None:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))


def _counts(eng: Engine) -> dict[str, int]:
    with eng.connect() as conn:
        names = [n for n in inspect(conn).get_table_names() if n != "alembic_version"]
        quote = conn.dialect.identifier_preparer.quote
        return {n: conn.execute(text(f"SELECT COUNT(*) FROM {quote(n)}")).scalar_one() for n in names}


def _restored(engine: Engine, tmp_path: Path, into: Engine, clock: FixedClock, name: str = "b.zip") -> None:
    path = tmp_path / name
    manifest = backup(engine, path, clock)
    report = restore(into, path, clock)
    assert report.ok, describe(report)
    assert report.audit is not None and report.audit.checked > 0
    source = _counts(engine)
    assert _counts(into) == source
    assert {t["name"] for t in manifest["tables"]} == set(source)
    assert any(t["kind"] == "pool" for t in manifest["tables"])
    assert any(t["kind"] == "theme" for t in manifest["tables"])


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_restore_into_an_empty_database_verifies_rows_and_audit_chain(
    engine: Engine, filled: World, tmp_path: Path, target: Target, clock: FixedClock, kind: str
) -> None:
    into = target(kind)
    _restored(engine, tmp_path, into, clock)
    # The restored platform works on: new rows get fresh ids (PostgreSQL sequences were reset).
    session = make_session_factory(into)()
    ctx = Ctx(session=session, clock=clock)
    user = create_user(ctx, system_actor("test"), NewUser("after_restore", "恢复后", Role.DEPT_USER, PASSWORD,
                                                          org_id=filled.orgs["gongan"].id))  # fmt: skip
    session.commit()
    assert user.id > max(u.id for u in filled.users.values())
    events = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    assert events > 0
    session.close()


def test_postgresql_and_sqlite_move_both_ways(
    engine: Engine, filled: World, tmp_path: Path, target: Target, clock: FixedClock
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("两个方向的迁移只在测试数据库为 PostgreSQL 时运行")
    lite = target("sqlite")
    _restored(engine, tmp_path, lite, clock, "pg.zip")  # PostgreSQL → SQLite
    pg = target("postgresql")
    _restored(lite, tmp_path, pg, clock, "lite.zip")  # SQLite → PostgreSQL


def test_a_corrupted_backup_is_refused_before_anything_is_written(
    engine: Engine, filled: World, tmp_path: Path, target: Target, clock: FixedClock
) -> None:
    good = tmp_path / "good.zip"
    manifest = backup(engine, good, clock)
    # 1. A row changed inside the archive (the zip itself is well-formed): the SM3 digest catches it.
    tampered = tmp_path / "tampered.zip"
    member = next(t["file"] for t in manifest["tables"] if t["name"] == "app_user")
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(tampered, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == member:
                data = data.replace(b"vendor_staff", b"vendor_stafX", 1)
            dst.writestr(info.filename, data)
    into = target("sqlite")
    with pytest.raises(InvalidInput, match="SM3"):
        restore(into, tampered, clock)
    assert inspect(into).get_table_names() == []
    # 2. Bytes damaged on disk.
    broken = tmp_path / "broken.zip"
    raw = bytearray(good.read_bytes())
    middle = len(raw) // 2
    raw[middle : middle + 64] = bytes(64)
    broken.write_bytes(bytes(raw))
    with pytest.raises(InvalidInput, match="损坏"):
        restore(into, broken, clock)
    # 3. Cut short, and not a backup at all.
    short = tmp_path / "short.zip"
    short.write_bytes(good.read_bytes()[:1000])
    with pytest.raises(InvalidInput, match="损坏"):
        restore(into, short, clock)
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("manifest.json", json.dumps({"format": "something-else"}))
    with pytest.raises(InvalidInput, match="不是 govdata 备份文件"):
        restore(into, other, clock)
    assert inspect(into).get_table_names() == []


def test_a_database_with_data_is_refused(
    engine: Engine, filled: World, tmp_path: Path, clock: FixedClock
) -> None:
    path = tmp_path / "b.zip"
    backup(engine, path, clock)
    before = _counts(engine)
    with pytest.raises(Conflict, match="不是空库"):
        restore(engine, path, clock)
    assert _counts(engine) == before


def test_the_commands_back_up_and_restore_a_sqlite_deployment(tmp_path: Path) -> None:
    def run(args: list[str], db: Path, key: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "GOVDATA_DATABASE_URL": f"sqlite:///{db}", "GOVDATA_ARGON2_TIME_COST": "1",
               "GOVDATA_ARGON2_MEMORY_KIB": "64", "COLUMNS": "200"}  # fmt: skip
        env.pop("GOVDATA_BACKUP_KEY", None)
        if key is not None:
            env["GOVDATA_BACKUP_KEY"] = key
        return subprocess.run([sys.executable, "-m", "govdata", *args], env=env, capture_output=True, text=True,
                              timeout=300)  # fmt: skip

    first, second, file = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "a.zip"
    assert run(["init", "--profile", "aba"], first).returncode == 0
    done = run(["backup", str(file)], first)
    assert done.returncode == 0, done.stderr
    assert "已备份" in done.stdout
    done = run(["restore", str(file)], second)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "审计日志哈希链完整" in done.stdout and "SM3 摘要均与备份清单一致" in done.stdout
    again = run(["restore", str(file)], second)
    assert again.returncode != 0 and "不是空库" in again.stderr
    missing = run(["restore", str(tmp_path / "nope.zip")], tmp_path / "c.db")
    assert missing.returncode != 0 and "不存在" in missing.stderr
    refused = run(["backup", "--encrypt", str(tmp_path / "e.zip")], first)
    assert refused.returncode != 0 and "GOVDATA_BACKUP_KEY" in refused.stderr
    key = "00112233445566778899aabbccddeeff"
    assert run(["backup", "--encrypt", str(tmp_path / "e.zip")], first, key).returncode == 0
    locked = run(["restore", str(tmp_path / "e.zip")], tmp_path / "d.db")
    assert locked.returncode != 0 and "GOVDATA_BACKUP_KEY" in locked.stderr
    done = run(["restore", str(tmp_path / "e.zip")], tmp_path / "d.db", key)
    assert done.returncode == 0, done.stderr + done.stdout


def test_user_ids_survive(
    engine: Engine, filled: World, tmp_path: Path, target: Target, clock: FixedClock
) -> None:
    into = target("sqlite")
    path = tmp_path / "b.zip"
    backup(engine, path, clock)
    restore(into, path, clock)
    with make_session_factory(into)() as session:
        names = dict(session.execute(select(User.username, User.id)).all())
    assert names == {u.username: u.id for u in filled.users.values()}


def test_an_sm4_encrypted_backup_restores_only_with_its_key(
    engine: Engine, filled: World, tmp_path: Path, target: Target, clock: FixedClock
) -> None:
    from govdata.backup.crypto import MAGIC

    key, wrong = bytes.fromhex("0123456789abcdeffedcba9876543210"), bytes(16)
    path = tmp_path / "secret.zip"
    backup(engine, path, clock, key=key)
    data = path.read_bytes()
    assert data.startswith(MAGIC) and b"vendor_staff" not in data and b"manifest.json" not in data
    into = target("sqlite")
    with pytest.raises(InvalidInput, match="GOVDATA_BACKUP_KEY"):
        restore(into, path, clock)
    with pytest.raises(InvalidInput, match="密钥不正确"):
        restore(into, path, clock, key=wrong)
    flipped = tmp_path / "flipped.zip"
    changed = bytearray(data)
    changed[len(changed) // 2] ^= 0x01
    flipped.write_bytes(bytes(changed))
    with pytest.raises(InvalidInput, match="篡改"):
        restore(into, flipped, clock, key=key)
    assert inspect(into).get_table_names() == []
    report = restore(into, path, clock, key=key)
    assert report.ok, describe(report)
    assert _counts(into) == _counts(engine)
