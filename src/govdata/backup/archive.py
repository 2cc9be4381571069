"""`govdata backup` and `govdata restore`: a zip holding a manifest and one JSON Lines file per table.

The manifest names the format version, the Alembic revision of the schema, when and from which dialect the
backup was made, and for every table its columns, row count and the SM3 digest of its (uncompressed) lines.
Tables include the dynamic pool, emergency and theme tables (`pool.tables.is_pool_table`) and the audit log.

Streaming both ways, so memory stays bounded whatever a pool holds: rows are read in key order through a
server-side cursor (PostgreSQL) and written as they come; a restore reads each file line by line and inserts in
batches. A restore goes only into an empty database: it checks the whole file against the manifest before
writing anything, migrates to the backup's revision, loads the tables in foreign-key order, recreates the
dynamic tables from their bookkeeping rows (pool columns, theme fields), resets PostgreSQL sequences, then
re-reads every table and compares counts and digests, and verifies the audit hash chain.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, Integer, String, Table, func, inspect, select, text
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from govdata import __version__
from govdata.audit.service import VerifyResult, verify
from govdata.authz import system_actor
from govdata.backup.codec import Digest, decoder_for, encode_row
from govdata.backup.crypto import KEY_ENV, EncryptingWriter, decrypt_to, is_encrypted
from govdata.clock import Clock
from govdata.context import Ctx
from govdata.errors import Conflict, InvalidInput
from govdata.migrate import alembic_config
from govdata.models import metadata
from govdata.pool.models import Pool
from govdata.pool.models import ThemeDatabase as Theme
from govdata.pool.tables import is_pool_table, pool_table
from govdata.pool.themes import _table as theme_table

FORMAT = "govdata-backup"
VERSION = 1
MANIFEST = "manifest.json"
BATCH = 2000
Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    return None


# ---------------------------------------------------------------- which tables, read how


def _head_revision() -> str:
    return str(ScriptDirectory.from_config(alembic_config()).get_current_head())


def _current_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()


def _dynamic_table(session: Session, name: str) -> tuple[str, Table] | None:
    """The Table of a run-time table as the application defines it, from its bookkeeping row."""
    pool = session.execute(select(Pool).where(Pool.table_name == name)).scalar_one_or_none()
    if pool is not None:
        return "pool", pool_table(pool)
    theme = session.execute(select(Theme).where(Theme.table_name == name)).scalar_one_or_none()
    if theme is not None:
        return "theme", theme_table(theme)
    return None


def _ordered(conn: Connection, table: Table, columns: list[str]) -> Any:
    """Rows in primary-key order; text keys in byte order on both databases (PostgreSQL: COLLATE "C")."""
    keys = []
    for col in table.primary_key.columns:
        keys.append(
            col.collate("C") if conn.dialect.name == "postgresql" and isinstance(col.type, String) else col
        )
    return select(*[table.c[c] for c in columns]).order_by(*keys)


def _rows(conn: Connection, table: Table, columns: list[str]) -> Iterator[bytes]:
    result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(
        _ordered(conn, table, columns)
    )
    for partition in result.partitions():
        for row in partition:
            yield encode_row(row)


# ---------------------------------------------------------------- backup


@dataclass
class TableEntry:
    name: str
    kind: str  # static / pool / theme
    columns: list[str]
    rows: int = 0
    sm3: str = ""

    @property
    def file(self) -> str:
        return f"tables/{self.name}.jsonl"


def backup(
    engine: Engine, path: Path, clock: Clock, progress: Progress = _quiet, *, key: bytes | None = None
) -> dict[str, Any]:
    """Write the whole database to `path` (a partial file is renamed only once complete); returns the manifest.
    With `key`, the file is SM4-encrypted as it is written (see backup.crypto)."""
    partial = path.with_name(path.name + ".partial")
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")  # one snapshot for every table
            conn.begin()
        else:
            conn.exec_driver_sql("BEGIN")  # SQLite: a read transaction is a snapshot under WAL
        revision = _current_revision(conn)
        if revision is None:
            raise InvalidInput("数据库尚未初始化，没有可备份的内容")
        if revision != _head_revision():
            raise InvalidInput(
                f"数据库结构版本为 {revision}，不是本程序的最新版本：请先运行 `govdata migrate`"
            )
        entries, skipped = _plan(conn)
        try:
            with partial.open("wb") as raw:
                sink: Any = EncryptingWriter(raw, key) if key is not None else raw
                manifest = _write(conn, sink, revision, entries, skipped, clock, progress)
                if isinstance(sink, EncryptingWriter):
                    sink.finish()
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    return manifest


def _write(
    conn: Connection,
    sink: Any,
    revision: str,
    entries: list[tuple[TableEntry, Table]],
    skipped: list[str],
    clock: Clock,
    progress: Progress,
) -> dict[str, Any]:
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for entry, table in entries:
            digest = Digest()
            with zf.open(entry.file, "w", force_zip64=True) as fh:
                chunk: list[bytes] = []
                for line in _rows(conn, table, entry.columns):
                    digest.add(line)
                    chunk.append(line)
                    if len(chunk) >= BATCH:
                        fh.write(b"".join(chunk))
                        chunk.clear()
                fh.write(b"".join(chunk))
            entry.rows, entry.sm3 = digest.rows, digest.hexdigest()
            progress(f"{entry.name}：{entry.rows} 行")
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "revision": revision,
            "created_at": clock.now().isoformat(),
            "dialect": conn.dialect.name,
            "software": f"govdata {__version__}",
            "digest": "SM3 of each table file's JSON Lines, uncompressed",
            "tables": [
                {
                    "name": e.name,
                    "kind": e.kind,
                    "file": e.file,
                    "columns": e.columns,
                    "rows": e.rows,
                    "sm3": e.sm3,
                }
                for e, _t in entries
            ],
            "skipped": skipped,
        }
        zf.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
    return manifest


def _plan(conn: Connection) -> tuple[list[tuple[TableEntry, Table]], list[str]]:
    """Every table of the schema that exists here, in foreign-key order, then the run-time tables."""
    inspector = inspect(conn)
    present = set(inspector.get_table_names())
    entries: list[tuple[TableEntry, Table]] = []
    for table in metadata.sorted_tables:
        if table.name in present:
            held = {c["name"] for c in inspector.get_columns(table.name)}
            columns = [c.name for c in table.columns if c.name in held]
            entries.append((TableEntry(table.name, "static", columns), table))
    known = {t.name for t in metadata.sorted_tables} | {"alembic_version"}
    skipped: list[str] = []
    session = Session(bind=conn)
    for name in sorted(present - known):
        found = _dynamic_table(session, name) if is_pool_table(name) else None
        if found is None:
            # not the platform's (or an orphan left by a failed load): said in the manifest
            skipped.append(name)
            continue
        kind, table = found
        held = {c["name"] for c in inspector.get_columns(name)}
        entries.append((TableEntry(name, kind, [c.name for c in table.columns if c.name in held]), table))
    session.close()
    return entries, skipped


# ---------------------------------------------------------------- restore


@dataclass
class TableCheck:
    name: str
    expected_rows: int
    rows: int
    digest_ok: bool

    @property
    def ok(self) -> bool:
        return self.digest_ok and self.rows == self.expected_rows


@dataclass
class RestoreReport:
    revision: str
    source_dialect: str
    created_at: str
    tables: list[TableCheck] = field(default_factory=list)
    audit: VerifyResult | None = None

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables) and self.audit is not None and self.audit.ok

    @property
    def total_rows(self) -> int:
        return sum(t.rows for t in self.tables)


def _corrupt(reason: str) -> InvalidInput:
    return InvalidInput(f"备份文件已损坏或不完整，拒绝恢复：{reason}")


def read_manifest(zf: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest = json.loads(zf.read(MANIFEST))
    except KeyError:
        raise _corrupt("缺少清单 manifest.json") from None
    except (ValueError, zipfile.BadZipFile, zlib.error) as exc:
        raise _corrupt(f"清单无法读取（{exc}）") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _corrupt("不是 govdata 备份文件")
    if manifest.get("version") != VERSION:
        raise InvalidInput(f"备份格式版本 {manifest.get('version')} 不受支持（本程序支持 {VERSION}）")
    return manifest


def _lines(zf: zipfile.ZipFile, member: str) -> Iterator[bytes]:
    try:
        with zf.open(member) as raw:
            yield from io.BufferedReader(raw, 1 << 20)  # type: ignore[arg-type]
    except KeyError:
        raise _corrupt(f"缺少数据文件 {member}") from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise _corrupt(f"{member} 无法解压（{exc}）") from None


def check_archive(zf: zipfile.ZipFile, manifest: dict[str, Any], progress: Progress = _quiet) -> None:
    """Every table file against the manifest's row count and SM3 digest, before anything is written."""
    for entry in manifest["tables"]:
        digest = Digest()
        for line in _lines(zf, entry["file"]):
            digest.add(line)
        if digest.rows != entry["rows"] or digest.hexdigest() != entry["sm3"]:
            raise _corrupt(f"表 {entry['name']} 的内容与清单记录的行数或 SM3 摘要不符")
        progress(f"已校验 {entry['name']}")


def _check_target(engine: Engine, revision: str) -> None:
    """Only an empty database (no tables, or a schema without rows at or before the backup's revision)."""
    script = ScriptDirectory.from_config(alembic_config())
    try:
        script.get_revision(revision)
    except Exception:  # alembic raises several kinds for an unknown id
        raise InvalidInput(
            f"备份的数据库结构版本 {revision} 不为本程序所知：请用更新版本的 govdata 恢复"
        ) from None
    with engine.connect() as conn:
        current = _current_revision(conn)
        if current is not None and current != revision:
            older = {r.revision for r in script.iterate_revisions(revision, "base")}
            if current not in older:
                raise Conflict(f"目标数据库结构版本 {current} 比备份（{revision}）新，不能恢复到其中")
        filled = []
        for name in inspect(conn).get_table_names():
            if name == "alembic_version":
                continue
            quoted = conn.dialect.identifier_preparer.quote(name)
            if conn.execute(text(f"SELECT 1 FROM {quoted} LIMIT 1")).first() is not None:
                filled.append(name)
        if filled:
            shown = "、".join(sorted(filled)[:5]) + ("等" if len(filled) > 5 else "")
            raise Conflict(f"目标数据库不是空库（{shown} 中已有数据），拒绝恢复：请指向一个新建的空数据库")


def _migrate(engine: Engine, revision: str) -> None:
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def _load(conn: Connection, zf: zipfile.ZipFile, table: Table, entry: dict[str, Any]) -> None:
    """Insert a table's rows in batches; a row the target refuses names the table (the transaction rolls back)."""
    try:
        _insert(conn, zf, table, entry)
    except (IntegrityError, DataError) as exc:
        raise InvalidInput(
            f"表 {table.name} 的数据无法写入目标数据库：{exc.orig}；已全部回滚，目标库中只有空表结构"
        ) from None


def _insert(conn: Connection, zf: zipfile.ZipFile, table: Table, entry: dict[str, Any]) -> None:
    """Rows in batches; self-references to later rows are set once every row is in."""
    columns = entry["columns"]
    missing = [c for c in columns if c not in table.c]
    if missing:
        raise InvalidInput(f"表 {table.name} 缺少备份中的列 {'、'.join(missing)}：数据库结构与备份不符")
    decoders = [decoder_for(table.c[c]) for c in columns]
    self_refs = [
        fk.parent.name for fk in table.foreign_keys if fk.column.table is table and fk.parent.name in columns
    ]
    pk = [c.name for c in table.primary_key.columns]
    later: list[tuple[dict[str, Any], str, Any]] = []
    batch: list[dict[str, Any]] = []
    for line in _lines(zf, entry["file"]):
        row = {c: d(v) for c, d, v in zip(columns, decoders, json.loads(line), strict=True)}
        for ref in self_refs:
            if row[ref] is not None:
                later.append(({k: row[k] for k in pk}, ref, row[ref]))
                row[ref] = None
        batch.append(row)
        if len(batch) >= BATCH:
            conn.execute(table.insert(), batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)
    for key, ref, value in later:
        where = [table.c[k] == v for k, v in key.items()]
        conn.execute(table.update().where(*where).values({ref: value}))


def _reset_sequences(conn: Connection, tables: list[Table]) -> None:
    """PostgreSQL identity/serial counters continue after the restored ids."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        for col in table.primary_key.columns:
            if isinstance(col.type, Integer) and col.autoincrement in (True, "auto"):
                seq = conn.execute(
                    text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": col.name}
                ).scalar()
                if seq:
                    high = conn.execute(select(func.max(col))).scalar()
                    conn.execute(text("SELECT setval(:s, :v, :called)"),
                                 {"s": seq, "v": high or 1, "called": high is not None})  # fmt: skip


def restore(
    engine: Engine, path: Path, clock: Clock, progress: Progress = _quiet, *, key: bytes | None = None
) -> RestoreReport:
    """Restore `path` into the empty database behind `engine`; the report says whether every check passed.
    An encrypted backup is authenticated and decrypted with `key` into a temporary file first."""
    if not path.is_file():
        raise InvalidInput(f"备份文件不存在：{path}")
    if is_encrypted(path):
        if key is None:
            raise InvalidInput(f"备份文件已用 SM4 加密：请在环境变量 {KEY_ENV} 中提供密钥")
        with tempfile.TemporaryDirectory(prefix="govdata-restore-") as tmp:
            plain = Path(tmp) / "backup.zip"
            decrypt_to(path, key, plain)
            return _restore(engine, plain, clock, progress)
    return _restore(engine, path, clock, progress)


def _restore(engine: Engine, path: Path, clock: Clock, progress: Progress) -> RestoreReport:
    try:
        zf = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise InvalidInput(f"备份文件不存在：{path}") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise _corrupt(f"不是有效的 zip 文件（{exc}）") from None
    with zf:
        manifest = read_manifest(zf)
        revision = str(manifest["revision"])
        check_archive(zf, manifest, progress)
        _check_target(engine, revision)
        _migrate(engine, revision)
        loaded: list[Table] = []
        with engine.begin() as conn:
            _load_all(conn, zf, manifest, loaded, progress)
    return _verify(engine, manifest, loaded, clock)


def _load_all(
    conn: Connection, zf: zipfile.ZipFile, manifest: dict[str, Any], loaded: list[Table], progress: Progress
) -> None:
    """The fixed tables in foreign-key order, then the run-time tables rebuilt from their bookkeeping rows."""
    by_name = {e["name"]: e for e in manifest["tables"]}
    for table in metadata.sorted_tables:
        if table.name in by_name:
            _load(conn, zf, table, by_name[table.name])
            loaded.append(table)
            progress(f"已恢复 {table.name}：{by_name[table.name]['rows']} 行")
    session = Session(bind=conn)
    for entry in manifest["tables"]:
        if entry["kind"] == "static":
            continue
        found = _dynamic_table(session, entry["name"])
        if found is None:
            raise _corrupt(f"动态表 {entry['name']} 在备份中没有对应的资源池或主题库记录")
        table = found[1]
        table.create(conn)
        _load(conn, zf, table, entry)
        loaded.append(table)
        progress(f"已恢复 {entry['name']}：{entry['rows']} 行")
    session.close()
    _reset_sequences(conn, loaded)


def _verify(engine: Engine, manifest: dict[str, Any], tables: list[Table], clock: Clock) -> RestoreReport:
    report = RestoreReport(
        revision=str(manifest["revision"]), source_dialect=str(manifest.get("dialect")),
        created_at=str(manifest.get("created_at")),
    )  # fmt: skip
    by_name = {e["name"]: e for e in manifest["tables"]}
    with engine.connect() as conn:
        for table in tables:
            entry = by_name[table.name]
            digest = Digest()
            for line in _rows(conn, table, entry["columns"]):
                digest.add(line)
            report.tables.append(
                TableCheck(table.name, entry["rows"], digest.rows, digest.hexdigest() == entry["sm3"])
            )
    with Session(engine) as session:
        report.audit = verify(Ctx(session=session, clock=clock), system_actor("govdata restore"))
    return report


def describe(report: RestoreReport) -> list[str]:
    """The summary the command prints: totals, each mismatch, the audit chain."""
    bad = [t for t in report.tables if not t.ok]
    lines = [
        f"备份来源：{report.source_dialect}，创建于 {report.created_at}，结构版本 {report.revision}",
        f"已恢复 {len(report.tables)} 张表，共 {report.total_rows} 行",
    ]
    for t in bad:
        lines.append(f"不一致：{t.name} 应有 {t.expected_rows} 行，实有 {t.rows} 行"
                     + ("" if t.digest_ok else "，SM3 摘要不符"))  # fmt: skip
    if not bad:
        lines.append("每张表的行数和 SM3 摘要均与备份清单一致")
    if report.audit is not None:
        lines.append(report.audit.message())
    return lines
