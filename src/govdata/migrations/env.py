"""Alembic environment: the URL comes from the caller (govdata.migrate) or GOVDATA_DATABASE_URL."""

from __future__ import annotations

from alembic import context

from govdata.config import get_settings
from govdata.db import make_engine
from govdata.models import metadata
from govdata.pool.tables import is_pool_table

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
        conn.commit()
    engine.dispose()


def include_object(obj, name, type_, reflected, compare_to) -> bool:  # type: ignore[no-untyped-def]
    """Pool data tables are created at run time per catalog entry; migrations leave them alone."""
    return not (type_ == "table" and is_pool_table(name))


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
