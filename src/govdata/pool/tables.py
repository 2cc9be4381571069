"""The physical pool tables: typed columns from the data items plus system columns, and their migration."""

from __future__ import annotations

import decimal
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.types import TypeEngine

from govdata.catalog.models import DataType
from govdata.db import UtcDateTime
from govdata.pool.models import Pool, PoolColumn
from govdata.pool.spec import ColumnSpec

ROW_ID = "_row_id"
SUBJECT = "_subject_id"
BATCH = "_batch_id"
LOADED_AT = "_loaded_at"
ROW_HASH = "_row_hash"
SYSTEM_COLUMNS = (ROW_ID, SUBJECT, BATCH, LOADED_AT, ROW_HASH)


def plain_decimal(value: object) -> object:
    """A decimal as people write it, 1200 and 1200.5, not with the pool's ten places (1200.0000000000); text,
    so no reader turns it into a float. Other values pass through. PostgreSQL's COPY writes the same
    (`trim_scale`, opendata.sqlmask.text_of)."""
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    return value


def sql_type(data_type: DataType | str, length: int | None) -> TypeEngine[object]:
    kind = DataType(data_type)
    if kind == DataType.STRING:
        return String(length) if length and length <= 10_000 else Text()
    if kind == DataType.INTEGER:
        return BigInteger()
    if kind == DataType.DECIMAL:
        return Numeric(38, 10, asdecimal=True)
    if kind == DataType.DATE:
        return Date()
    if kind == DataType.DATETIME:
        return DateTime()
    if kind == DataType.BOOLEAN:
        return Boolean()
    return LargeBinary()


POOL_TABLE_PREFIX = "pool_r"
EMERGENCY_TABLE_PREFIX = "pool_e"


def table_name_for(resource_id: int) -> str:
    return f"{POOL_TABLE_PREFIX}{resource_id:06d}"


def is_pool_table(name: str | None) -> bool:
    """Tables made at run time (pool data, materialised themes): migrations and schema checks leave them alone."""
    if not name:
        return False
    for prefix in (POOL_TABLE_PREFIX, EMERGENCY_TABLE_PREFIX, "theme_t"):
        if name.startswith(prefix) and name[len(prefix) :].isdigit():
            return True
    return False


ColumnSignature = tuple[str, str, int | None, bool]


def pool_table(pool: Pool, *, include_retired: bool = True) -> Table:
    """The SQLAlchemy Table of a pool as it stands.

    Built once per shape (name, keys, columns) and reused: a pool's Table is rebuilt only when its columns
    change, and reusing it lets SQLAlchemy reuse its compiled statements on hot paths such as the exchange.
    """
    columns = tuple(
        (c.field_name, c.data_type, c.length, c.retired)
        for c in pool.columns
        if include_retired or not c.retired
    )
    return table_for(pool.table_name, tuple(pool.keys), columns)


@lru_cache(maxsize=512)
def table_for(name: str, keys: tuple[str, ...], columns: tuple[ColumnSignature, ...]) -> Table:
    metadata = MetaData()
    cols: list[Column[object]] = [
        Column(ROW_ID, BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
        Column(SUBJECT, String(18), index=True),
        Column(BATCH, BigInteger, nullable=False),
        Column(LOADED_AT, UtcDateTime, nullable=False),
        Column(ROW_HASH, String(32), nullable=False),
    ]
    for field_name, data_type, length, _retired in columns:
        cols.append(Column(field_name, sql_type(data_type, length)))
    table = Table(name, metadata, *cols)
    if keys:
        # Identical rows share their key, so the key's index alone keeps a reload from adding anything; a second
        # unique index on the hash would only be maintained row by row on every load.
        Index(f"ux_{name}_key", *[table.c[k] for k in keys], unique=True)
    else:
        Index(f"ux_{name}_hash", table.c[ROW_HASH], unique=True)
    return table


def create_pool_table(conn: Connection, pool: Pool) -> None:
    pool_table(pool).create(conn)


@dataclass
class SchemaChange:
    """What a new catalog version did to the pool, said for the batch history and the audit log."""

    added: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    retyped: list[str] = field(default_factory=list)
    widened: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.retired or self.retyped or self.widened or self.restored)

    def describe(self) -> str:
        parts = []
        for label, names in (
            ("新增", self.added),
            ("停用（数据保留）", self.retired),
            ("类型变更（原列保留）", self.retyped),
            ("加长", self.widened),
            ("恢复", self.restored),
        ):
            if names:
                parts.append(f"{label}：{'、'.join(names)}")
        return "；".join(parts) or "无变化"


def _quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _add_column(conn: Connection, table: str, name: str, data_type: str, length: int | None) -> None:
    compiled = sql_type(data_type, length).compile(dialect=conn.dialect)
    conn.execute(text(f"ALTER TABLE {_quote(conn, table)} ADD COLUMN {_quote(conn, name)} {compiled}"))


def migrate_pool_table(conn: Connection, pool: Pool, specs: list[ColumnSpec]) -> SchemaChange:
    """Bring the table to a new version's items without losing loaded data.

    Added items become new columns. Dropped items are retired: the column and its data stay. A changed type
    keeps the old column under a new name (retired) and adds the new typed column, filled with the values
    that convert; a longer string length widens the column in place.
    """
    change = SchemaChange()
    current = {c.field_name: c for c in pool.columns}
    wanted = {s.field_name: s for s in specs}
    position = max((c.position for c in pool.columns), default=-1) + 1
    for spec in specs:
        col = current.get(spec.field_name)
        if col is None:
            _add_column(conn, pool.table_name, spec.field_name, spec.data_type, spec.length)
            pool.columns.append(_column(spec, position))
            position += 1
            change.added.append(spec.label)
            continue
        if col.retired:
            col.retired = False
            change.restored.append(spec.label)
        if col.data_type != spec.data_type.value or _narrower(col, spec):
            kept = _retire_name(pool, spec.field_name)
            conn.execute(
                text(
                    f"ALTER TABLE {_quote(conn, pool.table_name)} RENAME COLUMN "
                    f"{_quote(conn, spec.field_name)} TO {_quote(conn, kept)}"
                )
            )
            _add_column(conn, pool.table_name, spec.field_name, spec.data_type, spec.length)
            _copy_converted(conn, pool.table_name, kept, spec)
            pool.columns.append(
                PoolColumn(
                    position=position,
                    field_name=kept,
                    label=f"{col.label}（原{col.data_type}）",
                    data_type=col.data_type,
                    length=col.length,
                    required=False,
                    identifier_kind=col.identifier_kind,
                    retired=True,
                )
            )
            position += 1
            col.data_type = spec.data_type.value
            col.length = spec.length
            change.retyped.append(spec.label)
        elif spec.data_type == DataType.STRING and (spec.length or 0) > (col.length or 0):
            if conn.dialect.name == "postgresql":
                compiled = sql_type(spec.data_type, spec.length).compile(dialect=conn.dialect)
                conn.execute(
                    text(
                        f"ALTER TABLE {_quote(conn, pool.table_name)} ALTER COLUMN "
                        f"{_quote(conn, spec.field_name)} TYPE {compiled}"
                    )
                )
            col.length = spec.length
            change.widened.append(spec.label)
        col.label = spec.label
        col.required = spec.required
        col.identifier_kind = spec.identifier_kind.value
    for name, col in current.items():
        if name not in wanted and not col.retired and not name.startswith("_"):
            col.retired = True
            change.retired.append(col.label)
    return change


def _narrower(col: PoolColumn, spec: ColumnSpec) -> bool:
    return (
        spec.data_type == DataType.STRING
        and col.data_type == DataType.STRING.value
        and spec.length is not None
        and (col.length is None or spec.length < col.length)
    )


def _retire_name(pool: Pool, field_name: str) -> str:
    taken = {c.field_name for c in pool.columns}
    n = 1
    while f"{field_name}__old{n}" in taken:
        n += 1
    return f"{field_name}__old{n}"


def _column(spec: ColumnSpec, position: int) -> PoolColumn:
    return PoolColumn(
        position=position,
        field_name=spec.field_name,
        label=spec.label,
        data_type=spec.data_type.value,
        length=spec.length,
        required=spec.required,
        identifier_kind=spec.identifier_kind.value,
    )


def columns_for(specs: list[ColumnSpec]) -> list[PoolColumn]:
    return [_column(spec, i) for i, spec in enumerate(specs)]


_CONVERTIBLE = {
    DataType.INTEGER: r"^[+-]?[0-9]+$",
    DataType.DECIMAL: r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$",
    DataType.DATE: r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    DataType.BOOLEAN: r"^(true|false|t|f|0|1)$",
}


def _copy_converted(conn: Connection, table: str, old: str, spec: ColumnSpec) -> None:
    """Carry over the values that convert to the new type; the rest stay readable in the retired column."""
    t, o, n = _quote(conn, table), _quote(conn, old), _quote(conn, spec.field_name)
    target = sql_type(spec.data_type, spec.length).compile(dialect=conn.dialect)
    if conn.dialect.name == "postgresql":
        source = f"CAST({o} AS TEXT)"
        pattern = _CONVERTIBLE.get(spec.data_type)
        guard = f"{source} ~ '{pattern}'" if pattern else "TRUE"
        if spec.data_type == DataType.STRING and spec.length:
            guard += f" AND char_length({source}) <= {spec.length}"
        conn.execute(
            text(f"UPDATE {t} SET {n} = CAST({source} AS {target}) WHERE {o} IS NOT NULL AND {guard}")
        )
    else:
        guard = "1"
        if spec.data_type == DataType.STRING and spec.length:
            guard = f"length(CAST({o} AS TEXT)) <= {spec.length}"
        elif spec.data_type in (DataType.INTEGER, DataType.DECIMAL):
            guard = (
                f"CAST({o} AS TEXT) GLOB '*[0-9]*' AND CAST(CAST({o} AS NUMERIC) AS TEXT) = CAST({o} AS TEXT)"
            )
        conn.execute(text(f"UPDATE {t} SET {n} = {o} WHERE {o} IS NOT NULL AND {guard}"))
