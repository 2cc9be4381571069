"""The benchmarks' own PostgreSQL databases: created once on the server, emptied before every run."""

from __future__ import annotations


def fresh_postgresql(admin_url: str, name: str) -> str:
    """`name` on the server of `admin_url`, created if missing, its `public` schema dropped and recreated.

    A database of each bench's own, never the test suite's `test`; returns its URL.
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from govdata.db import make_engine

    admin = make_url(admin_url).set(drivername="postgresql+psycopg")
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    target = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(target)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return target
