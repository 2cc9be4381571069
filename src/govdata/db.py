"""Engine, session scope and the declarative Base shared by every domain's models."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum

from sqlalchemy import BigInteger, DateTime, Engine, Enum, Integer, MetaData, create_engine, event, inspect
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware datetimes stored as UTC on both databases (SQLite has no tz support)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: object) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use clock.now()")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: object) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class IdMixin:
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            register_sqlite_functions(dbapi_conn)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def row_hash(*values: str | None) -> str:
    """MD5 of the canonical values joined by U+001F, None as U+001E — the same text PostgreSQL hashes as
    md5(concat_ws(chr(31), coalesce(v, chr(30)), …)), so a row hashes alike on both databases."""
    joined = "\x1f".join("\x1e" if v is None else v for v in values)
    return hashlib.md5(joined.encode(), usedforsecurity=False).hexdigest()


def _unbase64(value: str | None) -> bytes | None:
    return None if value is None else base64.b64decode(value)


def register_sqlite_functions(dbapi_conn: object) -> None:
    """SQLite lacks md5 and base64; pool loads use these (deterministic, so usable in generated columns)."""
    dbapi_conn.create_function("gd_row_hash", -1, row_hash, deterministic=True)  # type: ignore[attr-defined]
    dbapi_conn.create_function("gd_unbase64", 1, _unbase64, deterministic=True)  # type: ignore[attr-defined]


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error, so no half-written change survives."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def has_schema(engine: Engine) -> bool:
    return inspect(engine).has_table("alembic_version")


def str_enum(cls: type[StrEnum]) -> Enum:
    """Enums are stored by value as plain strings (no native enum types to migrate)."""
    return Enum(cls, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e])
