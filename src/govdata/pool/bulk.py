"""The fast path for PostgreSQL when a pool is empty (its first load): COPY straight into the pool table.

The staged path copies every row twice (file → stage → pool) and maintains the pool's indexes row by row. An
empty pool has no readers to keep serving and no rows to merge with, so here the indexes (the primary key too)
are dropped, one binary COPY streams the validated rows in (pgbinary; row hashes computed in the client over the
same text the stage's generated column hashes), and the indexes are rebuilt at the end — all inside the batch's
transaction, so a failure still leaves the pool as it was. A file that repeats a key makes the unique rebuild
fail; the repeats are then resolved exactly as the staged path does (identical ones dropped, differing ones
rejected). Measured in bench/pool_load.py.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterator
from datetime import datetime
from queue import Queue
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from govdata.catalog.models import DataType
from govdata.pool import pgbinary, validate
from govdata.pool.identifiers import byte_offsets
from govdata.pool.models import Pool, RejectPolicy
from govdata.pool.readers import Reader
from govdata.pool.spec import ROW_NUMBER, SUBJECT_ID, ColumnSpec, Reject
from govdata.pool.tables import BATCH, LOADED_AT, ROW_HASH, ROW_ID, SUBJECT

SLICE_ROWS = 8_192  # rows hashed and turned into CSV text at a time
COPY_QUEUE = 256  # chunks psycopg may hold while the server catches up (≈ one batch)
INDEX_MEMORY = "256MB"


class BoundedWriter(QueuedLibpqWriter):
    """psycopg's writer thread (the client formats while the server parses), with a short queue."""

    def __init__(self, cursor: Any) -> None:
        super().__init__(cursor)
        self._queue = Queue(maxsize=COPY_QUEUE)


def accepted_batches(
    reader: Reader,
    header_map: validate.HeaderMap,
    specs: list[ColumnSpec],
    today: Any,
    subject_field: str | None,
    policy: RejectPolicy,
    tally: Any,
    progress: Callable[[int], None] | None,
) -> Iterator[pa.Table]:
    """The source's rows that passed validation, batch by batch, with the counts and the report kept in `tally`.

    Under the abort policy nothing is handed on after the first reject, but reading goes on: the report should
    list every problem at once."""
    next_row = 1
    for raw in reader.batches():
        checked = validate.validate_batch(raw, header_map, specs, next_row, today, subject_field)
        next_row += raw.num_rows
        tally.read += checked.read
        tally.reject(checked.rejects, checked.read - checked.rows.num_rows)
        tally.warn(checked.warnings)
        if checked.rows.num_rows and not (policy == RejectPolicy.ABORT and tally.rejected):
            yield checked.rows
        if progress:
            progress(tally.read)


def applies(conn: Connection, pool: Pool, specs: list[ColumnSpec]) -> bool:
    if conn.dialect.name != "postgresql" or any(s.data_type == DataType.BINARY for s in specs):
        return False
    table = conn.dialect.identifier_preparer.quote(pool.table_name)
    return bool(conn.execute(text(f"SELECT NOT EXISTS (SELECT 1 FROM {table})")).scalar_one())


def row_hashes(rows: pa.Table, fields: list[str]) -> pa.Array:
    """MD5 of the canonical values joined by U+001F (None as U+001E) — `db.row_hash`, vectorised per slice."""
    joined = pc.binary_join_element_wise(*[pc.fill_null(rows.column(f), "\x1e") for f in fields], "\x1f")
    if isinstance(joined, pa.ChunkedArray):
        joined = joined.combine_chunks()
    offsets = byte_offsets(joined)
    data = memoryview(joined.buffers()[2])
    md5 = hashlib.md5
    return pa.array(
        [md5(data[a:b], usedforsecurity=False).hexdigest() for a, b in itertools.pairwise(offsets.tolist())],
        pa.string(),
    )


def _indexes(conn: Connection, table: str) -> list[tuple[str, str, bool, bool]]:
    """Name, the statement that makes it again, unique, and whether it is a constraint (the primary key)."""
    rows = conn.execute(
        text(
            "SELECT c.relname, CASE WHEN k.conname IS NULL THEN pg_get_indexdef(c.oid) ELSE "
            "'ALTER TABLE ' || CAST(x.indrelid AS regclass) || ' ADD CONSTRAINT ' || quote_ident(k.conname) || ' ' "
            "|| pg_get_constraintdef(k.oid) END, x.indisunique, k.conname IS NOT NULL FROM pg_index x "
            "JOIN pg_class c ON c.oid = x.indexrelid "
            "LEFT JOIN pg_constraint k ON k.conindid = x.indexrelid AND k.conrelid = x.indrelid "
            "WHERE x.indrelid = CAST(:t AS regclass)"
        ),
        {"t": table},
    ).all()
    return [(r[0], r[1], bool(r[2]), bool(r[3])) for r in rows]


def copy_into_empty_pool(
    conn: Connection,
    pool: Pool,
    specs: list[ColumnSpec],
    reader: Reader,
    header_map: validate.HeaderMap,
    *,
    policy: RejectPolicy,
    batch_id: int,
    loaded_at: datetime,
    today: Any,
    tally: Any,
    progress: Callable[[int], None] | None,
) -> bool:
    """Load the whole source; returns False when rejects under the abort policy mean nothing may land."""
    quote = conn.dialect.identifier_preparer.quote
    table = quote(pool.table_name)
    indexes = _indexes(conn, pool.table_name)
    for name, _definition, _unique, constraint in indexes:
        if constraint:
            conn.execute(text(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}"))
        else:
            conn.execute(text(f"DROP INDEX {quote(name)}"))
    sequence = conn.execute(
        text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": pool.table_name, "c": ROW_ID}
    ).scalar_one()
    base = int(conn.execute(text("SELECT nextval(:s)"), {"s": sequence}).scalar_one())
    fields = [s.field_name for s in specs]
    encoders = [pgbinary.ENCODERS[s.data_type] for s in specs]
    names = [*fields, SUBJECT, BATCH, LOADED_AT, ROW_HASH, ROW_ID]
    batch_field = pgbinary.constant_int64(batch_id)
    stamp_field = pgbinary.constant_timestamptz(loaded_at)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    columns = ", ".join(quote(n) for n in names)
    copied = 0
    with cursor.copy(
        f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT binary)", writer=BoundedWriter(cursor)
    ) as copy:
        copy.write(pgbinary.SIGNATURE)
        for rows in accepted_batches(
            reader, header_map, specs, today, pool.subject_field, policy, tally, progress
        ):
            for start in range(0, rows.num_rows, SLICE_ROWS):
                part = rows.slice(start, SLICE_ROWS).combine_chunks()
                row_numbers = part.column(ROW_NUMBER).chunk(0).to_numpy()
                copy.write(
                    pgbinary.rows(
                        [
                            *(
                                encode(part.column(f).chunk(0))
                                for f, encode in zip(fields, encoders, strict=True)
                            ),
                            pgbinary.text(part.column(SUBJECT_ID).chunk(0)),
                            batch_field,
                            stamp_field,
                            pgbinary.text(row_hashes(part, fields)),
                            pgbinary.int64s(row_numbers + base),
                        ]
                    )
                )
            copied += rows.num_rows
        copy.write(pgbinary.TRAILER)
    if policy == RejectPolicy.ABORT and tally.rejected:
        return False
    conn.execute(text("SELECT setval(:s, :v)"), {"s": sequence, "v": base + tally.read + 1})
    conn.execute(text(f"SET LOCAL maintenance_work_mem = '{INDEX_MEMORY}'"))
    removed = 0
    # the primary key first (removing repeated keys deletes by it), then the unique indexes
    for _name, definition, unique, _constraint in sorted(indexes, key=lambda i: (not i[3], not i[2])):
        if unique:
            try:
                with conn.begin_nested():
                    conn.execute(text(definition))
                continue
            except IntegrityError:  # the file repeats a key (or, without keys, a whole row)
                removed += _drop_repeats(conn, pool, specs, base, tally)
        conn.execute(text(definition))
    tally.staged = copied
    tally.loaded = copied - removed
    return True


def _drop_repeats(conn: Connection, pool: Pool, specs: list[ColumnSpec], base: int, tally: Any) -> int:
    """Rows repeating an earlier row's key: identical ones count as unchanged, differing ones are rejected."""
    quote = conn.dialect.identifier_preparer.quote
    table = quote(pool.table_name)
    partition = ", ".join(quote(k) for k in pool.keys) if pool.keys else ROW_HASH
    found = conn.execute(
        text(
            f"SELECT {ROW_ID}, first_row, same FROM (SELECT {ROW_ID}, first_value({ROW_ID}) OVER w AS first_row, "
            f"CASE WHEN {ROW_HASH} = first_value({ROW_HASH}) OVER w THEN 1 ELSE 0 END AS same "
            f"FROM {table} WINDOW w AS (PARTITION BY {partition} ORDER BY {ROW_ID})) d WHERE {ROW_ID} <> first_row"
        )
    ).all()
    labels = "、".join(s.label for s in specs if s.field_name in pool.keys)
    differing = [
        Reject(int(r[0]) - base, labels, f"主键（{labels}）与第 {int(r[1]) - base} 行重复且内容不同")
        for r in found
        if not r[2]
    ]
    tally.reject(differing, len(differing))
    tally.unchanged += len(found) - len(differing)
    ids = [int(r[0]) for r in found]
    for start in range(0, len(ids), 10_000):
        conn.execute(
            text(f"DELETE FROM {table} WHERE {ROW_ID} = ANY(:ids)"), {"ids": ids[start : start + 10_000]}
        )
    return len(ids)
