"""Loading a batch into a pool: staged, validated, merged by mode, and atomic.

Everything the batch changes happens in one database transaction on its own connection: the rows are staged in
a temporary table (PostgreSQL `COPY`, SQLite bulk inserts), merged into the pool according to the mode, and the
batch record, reject report and audit event are written — then committed together. A crash, a kill or an error
before the commit leaves the pool exactly as it was; the batch, recorded beforehand as running, is then marked
failed (at once, or by the next load of the same pool when the process died).
"""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import Connection, Engine, func, insert, select, text, update
from sqlalchemy.orm import Session

from govdata.audit.service import record
from govdata.authz import Actor
from govdata.catalog.models import DataType
from govdata.clock import CHINA_TZ, Clock
from govdata.context import Ctx
from govdata.errors import DomainError
from govdata.pool import bulk, validate
from govdata.pool.models import Batch, BatchStatus, LoadMode, Pool, RejectPolicy, RejectRow
from govdata.pool.readers import Reader
from govdata.pool.spec import ROW_NUMBER, SUBJECT_ID, ColumnSpec, Reject
from govdata.pool.tables import BATCH, LOADED_AT, ROW_HASH, SUBJECT, pool_table
from govdata.sharing import corrections

STAGE = "gd_stage"
REJECTS_KEPT = 100_000  # rows of the reject report kept for download; all are counted


@dataclass
class LoadOptions:
    mode: LoadMode = LoadMode.UPSERT
    reject_policy: RejectPolicy = RejectPolicy.SKIP
    source: str = ""


@dataclass
class _Tally:
    read: int = 0
    staged: int = 0
    loaded: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    rejected: int = 0
    warnings: int = 0
    rejects: list[Reject] = field(default_factory=list)
    warning_rows: list[Reject] = field(default_factory=list)

    def reject(self, items: list[Reject], rows: int) -> None:
        self.rejected += rows
        room = REJECTS_KEPT - len(self.rejects)
        if room > 0:
            self.rejects.extend(items[:room])

    def warn(self, items: list[Reject]) -> None:
        self.warnings += len(items)
        room = REJECTS_KEPT - len(self.warning_rows)
        if room > 0:
            self.warning_rows.extend(items[:room])


def _q(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _start_batch(
    engine: Engine, clock: Clock, actor: Actor, pool: Pool, reader: Reader, opts: LoadOptions
) -> int:
    with Session(engine) as s:
        # A batch still "running" for this pool belongs to a process that died: nothing of it landed.
        s.execute(
            update(Batch)
            .where(Batch.pool_id == pool.id, Batch.status == BatchStatus.RUNNING)
            .values(
                status=BatchStatus.FAILED,
                message="加载中断（进程终止或连接断开），数据未入库",
                finished_at=clock.now(),
            )
        )
        batch = Batch(
            pool_id=pool.id,
            actor_id=actor.user_id,
            actor_name=actor.display_name,
            source=opts.source[:300],
            source_format=reader.format,
            encoding=reader.encoding,
            mode=opts.mode,
            reject_policy=opts.reject_policy,
            status=BatchStatus.RUNNING,
            started_at=clock.now(),
        )
        s.add(batch)
        s.commit()
        return batch.id


def _stage_columns(specs: list[ColumnSpec]) -> list[str]:
    return [s.field_name for s in specs]


def _create_stage(conn: Connection, specs: list[ColumnSpec]) -> None:
    """The stage holds the validated text. PostgreSQL hashes each row as it arrives (a generated column, in C);
    SQLite gets the hash from the client, computed per slice, instead of calling a Python function per row."""
    cols = ", ".join(f"{_q(conn, c)} TEXT" for c in _stage_columns(specs))
    if conn.dialect.name == "postgresql":
        values = " || chr(31) || ".join(f"coalesce({_q(conn, c)}, chr(30))" for c in _stage_columns(specs))
        hashed = f"md5({values})"  # concat_ws is not immutable; || is, so it may feed a generated column
        conn.execute(text(f"DROP TABLE IF EXISTS {STAGE}"))
        conn.execute(
            text(
                f"CREATE TEMP TABLE {STAGE} ({cols}, {ROW_NUMBER} BIGINT, {SUBJECT_ID} TEXT, "
                f"{ROW_HASH} TEXT GENERATED ALWAYS AS ({hashed}) STORED) ON COMMIT DROP"
            )
        )
    else:
        conn.execute(text(f"DROP TABLE IF EXISTS temp.{STAGE}"))
        conn.execute(
            text(
                f"CREATE TEMP TABLE {STAGE} ({cols}, {ROW_NUMBER} INTEGER, {SUBJECT_ID} TEXT, {ROW_HASH} TEXT)"
            )
        )


def _write_stage(conn: Connection, specs: list[ColumnSpec], batches: Iterator[pa.Table]) -> None:
    """Every accepted batch into the stage. PostgreSQL: one COPY for the whole source, fed through a writer
    thread so the client validates the next slice while the server parses this one. SQLite: executemany per
    slice, so the Python objects of only one slice exist at a time."""
    names = [*_stage_columns(specs), ROW_NUMBER, SUBJECT_ID]
    column_list = ", ".join(_q(conn, n) for n in names)
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        statement = f"COPY {STAGE} ({column_list}) FROM STDIN WITH (FORMAT csv)"
        with cursor.copy(statement, writer=bulk.BoundedWriter(cursor)) as copy:
            for rows in batches:
                for start in range(0, rows.num_rows, bulk.SLICE_ROWS):
                    buffer = io.BytesIO()
                    part = rows.slice(start, bulk.SLICE_ROWS).select(names)
                    pacsv.write_csv(part, buffer, pacsv.WriteOptions(include_header=False))
                    copy.write(buffer.getbuffer())
        return
    fields = _stage_columns(specs)
    raw = conn.connection.driver_connection  # type: ignore[union-attr]
    placeholders = ", ".join("?" for _ in range(len(names) + 1))
    statement = f"INSERT INTO {STAGE} ({column_list}, {ROW_HASH}) VALUES ({placeholders})"
    for rows in batches:
        for start in range(0, rows.num_rows, bulk.SLICE_ROWS):
            part = rows.slice(start, bulk.SLICE_ROWS)
            columns = [part.column(n).to_pylist() for n in names]
            columns.append(bulk.row_hashes(part, fields).to_pylist())
            raw.executemany(statement, zip(*columns, strict=True))


def _cast(conn: Connection, spec: ColumnSpec, source: str) -> str:
    kind = spec.data_type
    pg = conn.dialect.name == "postgresql"
    if kind == DataType.INTEGER:
        return f"CAST({source} AS BIGINT)" if pg else f"CAST({source} AS INTEGER)"
    if kind == DataType.DECIMAL:
        return f"CAST({source} AS NUMERIC)"
    if kind == DataType.DATE:
        return f"CAST({source} AS DATE)" if pg else source
    if kind == DataType.DATETIME:
        return f"CAST({source} AS TIMESTAMP)" if pg else source
    if kind == DataType.BOOLEAN:
        return (
            f"CAST({source} AS BOOLEAN)"
            if pg
            else f"CASE {source} WHEN 'true' THEN 1 WHEN 'false' THEN 0 END"
        )
    if kind == DataType.BINARY:
        return f"decode({source}, 'base64')" if pg else f"gd_unbase64({source})"
    return source


def _key_match(conn: Connection, keys: list[str], left: str, right: str) -> str:
    return " AND ".join(f"{left}.{_q(conn, k)} = {right}.{_q(conn, k)}" for k in keys)


def _drop_duplicate_keys(conn: Connection, pool: Pool, tally: _Tally, specs: list[ColumnSpec]) -> None:
    """Within one file a key may appear once: identical repeats are dropped, differing ones rejected.

    A grouping finds out first whether any key repeats at all (nearly always none); only then does the window
    query, three times its cost, name the rows."""
    keys = ", ".join(_q(conn, k) for k in pool.keys)
    if conn.dialect.name == "postgresql":  # hash the keys in memory instead of sorting them on disk
        conn.execute(text(f"SET LOCAL work_mem = '{bulk.INDEX_MEMORY}'"))
    repeated = conn.execute(
        text(f"SELECT EXISTS (SELECT 1 FROM {STAGE} GROUP BY {keys} HAVING count(*) > 1)")
    ).scalar_one()
    if not repeated:
        return
    rows = conn.execute(
        text(
            f"SELECT {ROW_NUMBER}, first_row, same FROM ("
            f"  SELECT {ROW_NUMBER}, first_value({ROW_NUMBER}) OVER w AS first_row,"
            f"         CASE WHEN {ROW_HASH} = first_value({ROW_HASH}) OVER w THEN 1 ELSE 0 END AS same"
            f"  FROM {STAGE} WINDOW w AS (PARTITION BY {keys} ORDER BY {ROW_NUMBER})"
            f") d WHERE {ROW_NUMBER} <> first_row"
        )
    ).all()
    if not rows:
        return
    labels = "、".join(s.label for s in specs if s.field_name in pool.keys)
    differing = [
        Reject(int(r[0]), labels, f"主键（{labels}）与第 {int(r[1])} 行重复且内容不同")
        for r in rows
        if not r[2]
    ]
    tally.reject(differing, len(differing))
    tally.unchanged += len(rows) - len(differing)
    conn.execute(
        text(
            f"DELETE FROM {STAGE} WHERE {ROW_NUMBER} IN ("
            f"  SELECT {ROW_NUMBER} FROM (SELECT {ROW_NUMBER}, first_value({ROW_NUMBER}) OVER "
            f"  (PARTITION BY {keys} ORDER BY {ROW_NUMBER}) AS first_row FROM {STAGE}) d "
            f"  WHERE {ROW_NUMBER} <> first_row)"
        )
    )


def _fill_empty_sqlite(
    conn: Connection, pool: Pool, target: str, selected: str, params: dict[str, object], tally: _Tally
) -> None:
    """SQLite, into an empty pool (a first load, or a replace after its DELETE): every staged row goes in, in
    every mode. The indexes are dropped and built again after the INSERT instead of being kept row by row —
    twice as fast on a million rows (bench/pool_load.py) — inside the batch's transaction, so no other
    connection ever sees the pool without them, and a failure restores them."""
    table = _q(conn, pool.table_name)
    indexes = conn.execute(
        text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"
        ),
        {"t": pool.table_name},
    ).all()
    for name, _sql in indexes:
        conn.execute(text(f"DROP INDEX {_q(conn, name)}"))
    source = f"{STAGE} s"
    if not pool.keys:  # identical rows once, the first of them, as the hash index's ON CONFLICT would keep
        first = f"SELECT min({ROW_NUMBER}) FROM {STAGE} GROUP BY {ROW_HASH}"
        source = f"(SELECT * FROM {STAGE} WHERE {ROW_NUMBER} IN ({first})) s"
    tally.loaded = conn.execute(
        text(f"INSERT INTO {table} ({target}) SELECT {selected} FROM {source}"), params
    ).rowcount
    for _name, sql in indexes:
        conn.execute(text(sql))
    tally.unchanged += tally.staged - tally.loaded


def _merge(
    conn: Connection,
    pool: Pool,
    specs: list[ColumnSpec],
    opts: LoadOptions,
    batch_id: int,
    now: dt.datetime,
    tally: _Tally,
) -> None:
    table = _q(conn, pool.table_name)
    item_cols = [_q(conn, s.field_name) for s in specs]
    target = ", ".join([*item_cols, SUBJECT, BATCH, LOADED_AT, ROW_HASH])
    selected = ", ".join(
        [
            *(_cast(conn, s, f"s.{_q(conn, s.field_name)}") for s in specs),
            f"s.{SUBJECT_ID}",
            ":batch",
            ":now",
            f"s.{ROW_HASH}",
        ]
    )
    params = {
        "batch": batch_id,
        "now": now
        if conn.dialect.name == "postgresql"
        else now.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" "),
    }
    tally.staged = conn.execute(text(f"SELECT count(*) FROM {STAGE}")).scalar_one()
    keys = pool.keys
    if opts.mode == LoadMode.REPLACE:
        tally.deleted = conn.execute(text(f"DELETE FROM {table}")).rowcount
    if conn.dialect.name == "sqlite" and (
        opts.mode == LoadMode.REPLACE
        or conn.execute(text(f"SELECT NOT EXISTS (SELECT 1 FROM {table})")).scalar()
    ):
        _fill_empty_sqlite(conn, pool, target, selected, params, tally)
        return
    if opts.mode == LoadMode.REPLACE:
        tally.loaded = conn.execute(
            text(
                f"INSERT INTO {table} ({target}) SELECT {selected} FROM {STAGE} s WHERE true ON CONFLICT DO NOTHING"
            ),
            params,
        ).rowcount
        tally.unchanged += tally.staged - tally.loaded
        return
    if opts.mode == LoadMode.APPEND:
        clashes: list[int] = []
        if keys:
            clashes = [
                int(n)
                for n in conn.execute(
                    text(
                        f"SELECT s.{ROW_NUMBER} FROM {STAGE} s JOIN {table} p ON {_key_match(conn, keys, 's', 'p')} "
                        f"WHERE p.{ROW_HASH} <> s.{ROW_HASH} ORDER BY s.{ROW_NUMBER}"
                    )
                ).scalars()
            ]
        if clashes:
            labels = "、".join(s.label for s in specs if s.field_name in keys)
            reason = "该主键的记录已存在且内容不同：追加模式不修改已有记录，请改用“按主键更新”"
            tally.reject([Reject(n, labels, reason) for n in clashes], len(clashes))
            conn.execute(
                text(
                    f"DELETE FROM {STAGE} WHERE EXISTS (SELECT 1 FROM {table} p WHERE "
                    f"{_key_match(conn, keys, STAGE, 'p')} AND p.{ROW_HASH} <> {STAGE}.{ROW_HASH})"
                )
            )
        tally.loaded = conn.execute(
            text(
                f"INSERT INTO {table} ({target}) SELECT {selected} FROM {STAGE} s WHERE true ON CONFLICT DO NOTHING"
            ),
            params,
        ).rowcount
        tally.unchanged += tally.staged - len(clashes) - tally.loaded
        return
    # UPSERT: update rows whose key exists and content changed, insert new keys, leave identical rows alone.
    match = _key_match(conn, keys, "s", "p")
    changed, same = (
        int(n or 0)
        for n in conn.execute(
            text(
                f"SELECT sum(CASE WHEN p.{ROW_HASH} <> s.{ROW_HASH} THEN 1 ELSE 0 END), "
                f"sum(CASE WHEN p.{ROW_HASH} = s.{ROW_HASH} THEN 1 ELSE 0 END) FROM {STAGE} s JOIN {table} p ON {match}"
            )
        ).one()
    )
    tally.updated = changed
    tally.unchanged += same
    watch = corrections.Watch.start(conn, pool) if tally.updated else None
    if watch is not None:
        watch.capture_before(
            conn, f"FROM {STAGE} s JOIN {table} p ON {match} WHERE p.{ROW_HASH} <> s.{ROW_HASH}"
        )
    if tally.updated:
        assignments = ", ".join(
            [
                *(
                    f"{_q(conn, s.field_name)} = {_cast(conn, s, f's.{_q(conn, s.field_name)}')}"
                    for s in specs
                ),
                f"{SUBJECT} = s.{SUBJECT_ID}",
                f"{BATCH} = :batch",
                f"{LOADED_AT} = :now",
                f"{ROW_HASH} = s.{ROW_HASH}",
            ]
        )
        conn.execute(
            text(
                f"UPDATE {table} AS p SET {assignments} FROM {STAGE} s "
                f"WHERE {match} AND p.{ROW_HASH} <> s.{ROW_HASH}"
            ),
            params,
        )
    if watch is not None:
        watch.notify_after(conn, batch_id, tally.updated, now, now.astimezone(CHINA_TZ).date())
    if tally.staged == changed + same:
        return  # every key is already in the pool: nothing to insert
    tally.loaded = conn.execute(
        text(
            f"INSERT INTO {table} ({target}) SELECT {selected} FROM {STAGE} s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} p WHERE {match}) ON CONFLICT DO NOTHING"
        ),
        params,
    ).rowcount


def load(
    ctx: Ctx,
    actor: Actor,
    pool: Pool,
    specs: list[ColumnSpec],
    reader: Reader,
    opts: LoadOptions,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Run one batch; returns its id. The caller's session must hold no uncommitted writes."""
    engine = ctx.session.get_bind()
    assert isinstance(engine, Engine)
    key_set = set(pool.keys)
    specs = [ColumnSpec(**{**s.__dict__, "required": s.required or s.field_name in key_set}) for s in specs]
    batch_id = _start_batch(engine, ctx.clock, actor, pool, reader, opts)
    started = time.perf_counter()
    tally = _Tally()
    today = ctx.clock.today()
    try:
        with engine.connect() as conn, conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT id FROM pool WHERE id = :id FOR UPDATE"), {"id": pool.id})
            _create_stage(conn, specs)
            header_map = validate.map_headers(reader.header, specs)
            tally.warn([Reject(0, h, "表头未对应任何信息项，该列已忽略") for h in header_map.unknown])
            if bulk.applies(conn, pool, specs):
                landed = bulk.copy_into_empty_pool(
                    conn,
                    pool,
                    specs,
                    reader,
                    header_map,
                    policy=opts.reject_policy,
                    batch_id=batch_id,
                    loaded_at=ctx.clock.now(),
                    today=today,
                    tally=tally,
                    progress=progress,
                )
                if not landed:
                    raise _Aborted(
                        f"有 {tally.rejected} 行未通过校验，按“有错即停”的策略整批未入库；请下载问题清单修正后重新加载"
                    )
                _finish(conn, ctx, actor, pool, batch_id, tally, BatchStatus.SUCCEEDED, None, started)
                return batch_id
            _write_stage(
                conn,
                specs,
                bulk.accepted_batches(
                    reader, header_map, specs, today, pool.subject_field, opts.reject_policy, tally, progress
                ),
            )
            if pool.keys:
                _drop_duplicate_keys(conn, pool, tally, specs)
            if opts.reject_policy == RejectPolicy.ABORT and tally.rejected:
                raise _Aborted(
                    f"有 {tally.rejected} 行未通过校验，按“有错即停”的策略整批未入库；请下载问题清单修正后重新加载"
                )
            now = ctx.clock.now()
            _merge(conn, pool, specs, opts, batch_id, now, tally)
            if opts.reject_policy == RejectPolicy.ABORT and tally.rejected:
                raise _Aborted(f"有 {tally.rejected} 行与已有记录冲突，按“有错即停”的策略整批未入库")
            if conn.dialect.name != "postgresql":
                conn.execute(text(f"DROP TABLE temp.{STAGE}"))  # PostgreSQL drops it on commit
            _finish(conn, ctx, actor, pool, batch_id, tally, BatchStatus.SUCCEEDED, None, started)
    except _Aborted as exc:
        _fail(engine, ctx, actor, pool, batch_id, tally, exc.message, started)
    except DomainError as exc:  # a problem found part-way through the source: the batch records it
        _fail(engine, ctx, actor, pool, batch_id, tally, exc.message, started)
    except BaseException as exc:
        _fail(
            engine,
            ctx,
            actor,
            pool,
            batch_id,
            tally,
            f"加载失败（{type(exc).__name__}），数据未入库",
            started,
        )
        raise
    return batch_id


def _fail(
    engine: Engine,
    ctx: Ctx,
    actor: Actor,
    pool: Pool,
    batch_id: int,
    tally: _Tally,
    message: str,
    started: float,
) -> None:
    with engine.connect() as conn, conn.begin():
        _finish(conn, ctx, actor, pool, batch_id, tally, BatchStatus.FAILED, message, started)


class _Aborted(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _write_report(session: Session, batch_id: int, tally: _Tally) -> None:
    """The reject report and the warnings: up to 200,000 rows, too many to build as ORM objects at once."""
    kept = [(False, r) for r in tally.rejects] + [(True, r) for r in tally.warning_rows]
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        columns = "batch_id, row_number, field, reason, value, warning"
        with cursor.copy(f"COPY {RejectRow.__tablename__} ({columns}) FROM STDIN") as copy:
            for warning, r in kept:
                copy.write_row((batch_id, r.row_number, r.field, r.reason, r.value, warning))
        return
    for start in range(0, len(kept), 5_000):
        session.execute(
            insert(RejectRow),
            [
                {
                    "batch_id": batch_id,
                    "row_number": r.row_number,
                    "field": r.field,
                    "reason": r.reason,
                    "value": r.value,
                    "warning": warning,
                }
                for warning, r in kept[start : start + 5_000]
            ],
        )


def _finish(
    conn: Connection,
    ctx: Ctx,
    actor: Actor,
    pool: Pool,
    batch_id: int,
    tally: _Tally,
    status: BatchStatus,
    message: str | None,
    started: float,
) -> None:
    """Close the batch in the given transaction: counts, reject report, pool totals, audit event."""
    session = Session(bind=conn)
    batch = session.get(Batch, batch_id)
    assert batch is not None
    batch.status = status
    batch.message = message
    batch.rows_read = tally.read
    ok = status == BatchStatus.SUCCEEDED
    batch.rows_loaded = tally.loaded if ok else 0
    batch.rows_updated = tally.updated if ok else 0
    batch.rows_unchanged = tally.unchanged if ok else 0
    batch.rows_deleted = tally.deleted if ok else 0
    batch.rows_rejected = tally.rejected
    batch.warnings = tally.warnings
    batch.finished_at = ctx.clock.now()
    batch.duration_ms = int((time.perf_counter() - started) * 1000)
    _write_report(session, batch_id, tally)
    if ok:
        held = pool_table(pool)
        count = session.execute(select(func.count()).select_from(held)).scalar_one()
        session.execute(
            update(Pool).where(Pool.id == pool.id).values(row_count=count, last_loaded_at=ctx.clock.now())
        )
    record(
        Ctx(session=session, clock=ctx.clock, _profile=ctx._profile, _calendar=ctx._calendar),
        actor,
        "pool.load",
        "pool_batch",
        batch_id,
        outcome="success" if ok else "failure",
        detail={
            "pool": pool.table_name,
            "resource_id": pool.resource_id,
            "mode": batch.mode,
            "read": tally.read,
            "loaded": batch.rows_loaded,
            "updated": batch.rows_updated,
            "rejected": tally.rejected,
            "message": message,
        },
    )
    session.flush()
