"""The rows an open listing lets out, de-identified as the listing records, and the files they are served in.

Every file carries its source and retrieval date (OPEN-7, AB36, SX20): a leading `#` line in CSV (pandas reads
it with `comment="#"`), a 数据说明 sheet in XLSX, and `source` / `retrieved` fields around the records in JSON.
Rows are read by keyset on the row id in chunks, so memory stays flat whatever the pool's size.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import hashlib
import hmac
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, func, literal, select

from govdata.context import Ctx
from govdata.opendata import sqlmask, xlsx_stream
from govdata.opendata.models import OpenListing, Treatment
from govdata.org.models import Organization
from govdata.org.service import get_setting
from govdata.pool.models import Pool
from govdata.pool.tables import ROW_ID, plain_decimal, pool_table
from govdata.sharing.masking import Masker, MaskRule

CHUNK = 20_000
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json; charset=utf-8",
}


@dataclass(frozen=True)
class Citation:
    """What a user must cite (AB36): the body, the dataset, the portal and the retrieval date."""

    org_name: str
    title: str
    portal: str
    url: str
    retrieved: dt.date

    def line(self) -> str:
        return (
            f"数据来源：{self.org_name}《{self.title}》，{self.portal}（{self.url}）；获取日期：{self.retrieved.isoformat()}。"
            "使用时请注明数据来源和获取日期。"
        )


@dataclass(frozen=True)
class Columns:
    """The opened items in order: field names, Chinese labels, and the masker that applies the treatments."""

    fields: list[str]
    labels: list[str]
    masker: Masker
    rules: dict[str, MaskRule]
    types: dict[str, str]  # field → catalog data type
    key_digest: str = ""  # names the pseudonym key without revealing it (files.fingerprint)

    def subset(self, fields: list[str]) -> Columns:
        labels = dict(zip(self.fields, self.labels, strict=True))
        return Columns(
            fields, [labels[f] for f in fields], self.masker, self.rules, self.types, self.key_digest
        )


def columns(ctx: Ctx, listing: OpenListing, *, only: list[str] | None = None) -> Columns:
    opened = [
        i for i in listing.items if i.treatment != Treatment.REMOVE and (only is None or i.field_name in only)
    ]
    rules = {
        i.field_name: MaskRule(i.rule) if i.treatment != Treatment.KEEP else MaskRule.NONE for i in opened
    }
    secret = get_setting(ctx.session, "secret_key") or ""
    key = hmac.new(secret.encode(), f"open:{listing.id}".encode(), hashlib.sha256).digest()
    return Columns(
        fields=[i.field_name for i in opened],
        labels=[i.name for i in opened],
        masker=Masker(rules, key=key, today=ctx.clock.today()),
        rules=rules,
        types={i.field_name: i.data_type for i in opened},
        key_digest=hashlib.sha256(key).hexdigest()[:16],
    )


def citation(ctx: Ctx, listing: OpenListing, base_url: str, org_name: str | None = None) -> Citation:
    """`org_name` when the caller already has it (a search page names many datasets of few bodies)."""
    if org_name is None:
        org = ctx.session.get(Organization, listing.org_id)
        org_name = org.name if org else ""
    return Citation(
        org_name=org_name,
        title=listing.title,
        portal=ctx.profile.bodies.open_portal,
        url=f"{base_url.rstrip('/')}/open/datasets/{listing.id}",
        retrieved=ctx.clock.today(),
    )


def _table(ctx: Ctx, listing: OpenListing) -> Table | None:
    pool = ctx.session.execute(
        select(Pool).where(Pool.resource_id == listing.resource_id)
    ).scalar_one_or_none()
    return pool_table(pool) if pool is not None else None


def row_count(ctx: Ctx, listing: OpenListing) -> int:
    table = _table(ctx, listing)
    if table is None:
        return 0
    return int(ctx.session.execute(select(func.count()).select_from(table)).scalar_one())


def _selected(table: Table, cols: Columns, dialect: str) -> tuple[list[Any], set[str]]:
    """The column list for the opened items: masked by the database where it can, raw otherwise; and the fields
    Python must still mask."""
    out: list[Any] = []
    in_python: set[str] = set()
    for f in cols.fields:
        if f not in table.c:
            out.append(literal(None).label(f))  # an item the pool has no column for yet
            continue
        rule = cols.rules[f]
        expr = sqlmask.expression(table.c[f], cols.types[f], rule, dialect)
        if expr is not None:
            out.append(expr.label(f))
        else:
            out.append(table.c[f])
            if rule is not MaskRule.NONE:
                in_python.add(f)
    return out, in_python


@dataclass(frozen=True)
class _Reader:
    """The keyset statement of a listing's pool, built once per download, the fields Python still masks, and
    the decimal fields it writes plainly."""

    table: Table
    stmt: Any
    in_python: set[str]
    decimals: set[str]


def _decimals(cols: Columns, present: Any) -> set[str]:
    return {
        f
        for f in cols.fields
        if cols.types[f] == "decimal" and cols.rules[f] is MaskRule.NONE and f in present
    }


def _reader(ctx: Ctx, listing: OpenListing, cols: Columns) -> _Reader | None:
    table = _table(ctx, listing)
    if table is None:
        return None
    selected, in_python = _selected(table, cols, ctx.session.get_bind().dialect.name)
    stmt = select(table.c[ROW_ID], *selected).order_by(table.c[ROW_ID])
    return _Reader(table, stmt, in_python, _decimals(cols, table.c))


def _column(
    cols: Columns, field: str, values: list[Any], in_python: set[str], decimals: set[str]
) -> list[Any]:
    if field in in_python:
        return cols.masker.column(field, values)
    if field in decimals:
        return [plain_decimal(v) for v in values]
    return values


def _rows(cols: Columns, raw: Sequence[Any], in_python: set[str], decimals: set[str]) -> list[list[object]]:
    """Rows after the row id, in `cols.fields` order, with the fields in `in_python` masked here."""
    if not in_python and not decimals:
        return [list(r[1:]) for r in raw]
    columns = [
        _column(cols, f, [r[n + 1] for r in raw], in_python, decimals) for n, f in enumerate(cols.fields)
    ]
    return [list(values) for values in zip(*columns, strict=True)] if columns else [[] for _ in raw]


def _read(
    ctx: Ctx, reader: _Reader, cols: Columns, after: int, limit: int
) -> tuple[list[list[object]], int | None]:
    raw = ctx.session.execute(reader.stmt.where(reader.table.c[ROW_ID] > after).limit(limit)).all()
    if not raw:
        return [], None
    return _rows(cols, raw, reader.in_python, reader.decimals), raw[-1][0]


def page(
    ctx: Ctx, listing: OpenListing, cols: Columns, *, after: int = 0, limit: int = CHUNK
) -> tuple[list[list[object]], int | None]:
    """One keyset page of de-identified rows (lists in `cols.fields` order) and the last row id read."""
    reader = _reader(ctx, listing, cols)
    return _read(ctx, reader, cols, after, limit) if reader is not None else ([], None)


def copy_sql(ctx: Ctx, listing: OpenListing, cols: Columns) -> str | None:
    """PostgreSQL only: a COPY of every row, masked and formatted by the server exactly as the Python path writes
    each row, or None when some item needs Python (then the caller streams through `batches`)."""
    dialect = ctx.session.get_bind().dialect
    table = _table(ctx, listing)
    if dialect.name != "postgresql" or table is None or any(f not in table.c for f in cols.fields):
        return None
    parts: list[Any] = []
    for f in cols.fields:
        rule = cols.rules[f]
        expr = (
            sqlmask.text_of(table.c[f], cols.types[f], dialect.name)
            if rule is MaskRule.NONE
            else sqlmask.expression(table.c[f], cols.types[f], rule, dialect.name)
        )
        if expr is None:
            return None
        parts.append(func.nullif(expr, "").label(f))  # empty text and NULL both write an empty field
    # Storage order, not row-id order: sorting a million masked rows costs a third of the throughput, and a
    # download promises its rows, not their order (the paged API keeps row-id order for its cursor).
    stmt = select(*parts)
    query = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    return f"COPY ({query}) TO STDOUT WITH (FORMAT csv)"


def batches(
    ctx: Ctx, listing: OpenListing, cols: Columns, *, limit: int | None = None
) -> Iterator[list[list[object]]]:
    """De-identified rows chunk by chunk: memory stays flat whatever the pool's size."""
    reader = _reader(ctx, listing, cols)
    if reader is None:
        return
    after, left = 0, limit
    while left is None or left > 0:
        rows, last = _read(ctx, reader, cols, after, CHUNK if left is None else min(CHUNK, left))
        if last is None:
            return
        yield rows
        after = last
        if left is not None:
            left -= len(rows)


def offset_page(
    ctx: Ctx,
    listing: OpenListing,
    cols: Columns,
    *,
    offset: int,
    limit: int,
    equals: dict[str, list[object]] | None = None,
) -> tuple[int, list[tuple[int, list[object]]]]:
    """One page by offset (CKAN's datastore_search): the matching total and (row id, de-identified row) pairs.

    `equals` filters on raw values, so the caller must allow it only on items opened as held: a filter on a
    masked item would let anyone probe for a person's ID number.
    """
    table = _table(ctx, listing)
    if table is None:
        return 0, []
    present = [f for f in cols.fields if f in table.c]
    where = [table.c[f].in_(values) for f, values in (equals or {}).items() if f in table.c]
    if any(f not in table.c for f in equals or {}):
        return 0, []
    total = int(ctx.session.execute(select(func.count()).select_from(table).where(*where)).scalar_one())
    stmt = select(table.c[ROW_ID], *[table.c[f] for f in present]).where(*where).order_by(table.c[ROW_ID])
    raw = ctx.session.execute(stmt.offset(offset).limit(limit)).all() if limit > 0 else []
    decimals = _decimals(cols, table.c)
    by_masker = set(cols.fields) - decimals  # every other item goes through the masker, kept ones unchanged
    masked = {
        f: _column(cols, f, [r[n + 1] for r in raw], by_masker, decimals) for n, f in enumerate(present)
    }
    empty = [None] * len(raw)
    columns = [masked.get(f, empty) for f in cols.fields]
    rows = [list(values) for values in zip(*columns, strict=True)] if columns else [[] for _ in raw]
    return total, [(int(r[0]), row) for r, row in zip(raw, rows, strict=True)]


def preview(ctx: Ctx, listing: OpenListing, rows: int = 10) -> tuple[Columns, list[list[object]]]:
    cols = columns(ctx, listing)
    out: list[list[object]] = []
    for chunk in batches(ctx, listing, cols, limit=rows):
        out.extend(chunk)
    return cols, out


def cell(value: object) -> object:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def csv_head(cols: Columns, cite: Citation) -> bytes:
    out = io.StringIO()
    out.write("\ufeff# " + cite.line() + "\n")
    csv.writer(out, lineterminator="\n").writerow(cols.fields)
    return out.getvalue().encode()


@dataclass(frozen=True)
class Payload:
    """A CSV or JSON file in three parts. The head (and JSON's tail) name the source and the retrieval date, so
    they are written per request; the body is the rows alone, the same bytes for every request while the data
    and the listing stay the same (what `files` keeps on disk). The body's items carry the rows they hold."""

    head: bytes
    body: Iterator[tuple[bytes, int]]
    tail: bytes = b""

    def chunks(self) -> Iterator[tuple[bytes, int]]:
        yield self.head, 0
        yield from self.body
        if self.tail:
            yield self.tail, 0


def copy_body(ctx: Ctx, sql: str, block: int = 1 << 18) -> Iterator[tuple[bytes, int]]:
    """Stream a PostgreSQL COPY in blocks of ~256 KB; the last item carries the number of rows sent."""
    raw = ctx.session.connection().connection.driver_connection
    with raw.cursor() as cur:
        with cur.copy(sql) as copy:
            parts: list[bytes] = []
            size = 0
            for data in copy:
                parts.append(bytes(data))
                size += len(data)
                if size >= block:
                    yield b"".join(parts), 0
                    parts, size = [], 0
            if parts:
                yield b"".join(parts), 0
        rows = max(cur.rowcount, 0)  # known once the copy is over, while the cursor is open
    yield b"", rows


def csv_body(chunks: Iterator[list[list[object]]]) -> Iterator[tuple[bytes, int]]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for rows in chunks:
        out.seek(0)
        out.truncate()
        writer.writerows(rows)
        yield out.getvalue().encode(), len(rows)


def csv_payload(cols: Columns, cite: Citation, chunks: Iterator[list[list[object]]]) -> Payload:
    return Payload(csv_head(cols, cite), csv_body(chunks))


JSON_TAIL = b"]}\n"


def json_head(cols: Columns, cite: Citation) -> bytes:
    head = {
        "source": cite.line(),
        "publisher": cite.org_name,
        "dataset": cite.title,
        "url": cite.url,
        "retrieved": cite.retrieved.isoformat(),
        "fields": [{"name": f, "title": t} for f, t in zip(cols.fields, cols.labels, strict=True)],
    }
    return (json.dumps(head, ensure_ascii=False)[:-1] + ', "records": [').encode()


def json_records(cols: Columns, chunks: Iterator[list[list[object]]]) -> Iterator[tuple[bytes, int]]:
    """The records between `[` and `]`, one object per line, comma-separated."""
    first = True
    names = cols.fields
    for rows in chunks:
        parts = [
            json.dumps(dict(zip(names, map(cell, row), strict=True)), ensure_ascii=False) for row in rows
        ]
        text = ",\n".join(parts)
        yield ((text if first else ",\n" + text) if parts else "").encode(), len(rows)
        first = first and not parts


def json_payload(cols: Columns, cite: Citation, chunks: Iterator[list[list[object]]]) -> Payload:
    return Payload(json_head(cols, cite), json_records(cols, chunks), JSON_TAIL)


def xlsx_chunks(
    cols: Columns, cite: Citation, chunks: Iterator[list[list[object]]]
) -> Iterator[tuple[bytes, int]]:
    """The 数据说明 sheet carries the citation (AB36); the data sheets stream (see xlsx_stream)."""
    about: list[list[object]] = [[cite.line()], ["信息项", "名称"]]
    about += [[field, label] for field, label in zip(cols.fields, cols.labels, strict=True)]
    return xlsx_stream.stream(about, cols.labels, chunks)


FORMATS = ("csv", "json", "xlsx")
