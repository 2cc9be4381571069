"""Shared fixtures: a real database (SQLite file or PostgreSQL), a fixed clock, a small jurisdiction."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator

import pytest

# Cheap password hashing for tests, set before govdata reads its settings.
os.environ.setdefault("GOVDATA_ARGON2_TIME_COST", "1")
os.environ.setdefault("GOVDATA_ARGON2_MEMORY_KIB", "64")
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect, text

from govdata.app import create_app
from govdata.clock import CHINA_TZ, FixedClock
from govdata.config import Settings
from govdata.context import Ctx
from govdata.db import Base, make_engine, make_session_factory
from govdata.migrate import upgrade
from govdata.pool.tables import is_pool_table
from tests.world import World, build_world

# Friday 2026-11-20, 10:00 China time: deadlines in the tests are counted from here.
TEST_NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=CHINA_TZ)


def database_url(tmp_root: str) -> str:
    return os.environ.get("GOVDATA_TEST_DATABASE_URL") or f"sqlite:///{tmp_root}/test.db"


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url = database_url(str(tmp_path_factory.mktemp("db")))
    eng = make_engine(url)
    with eng.begin() as conn:
        if eng.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(eng)  # the real migrations, not create_all: they are what a deployment runs
    yield eng
    eng.dispose()


@pytest.fixture(autouse=True)
def _clean(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "engine" not in request.fixturenames:
        return
    eng: Engine = request.getfixturevalue("engine")
    with eng.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        for name in inspect(conn).get_table_names():
            if is_pool_table(name):
                conn.execute(text(f"DROP TABLE {name}"))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(TEST_NOW)


@pytest.fixture
def ctx(engine: Engine, clock: FixedClock) -> Iterator[Ctx]:
    session = make_session_factory(engine)()
    c = Ctx(session=session, clock=clock)
    try:
        yield c
        session.commit()
    finally:
        session.close()


@pytest.fixture
def world(ctx: Ctx) -> World:
    w = build_world(ctx, profile="aba")
    ctx.session.commit()
    return w


@pytest.fixture
def settings() -> Settings:
    return Settings(database_url="unused://", secret_key="test")


@pytest.fixture
def client(engine: Engine, clock: FixedClock, settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings=settings, clock=clock, engine=engine)
    with TestClient(app) as c:
        yield c
