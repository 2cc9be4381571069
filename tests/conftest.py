"""Shared fixtures: a real database (SQLite file or PostgreSQL), a fixed clock, a small jurisdiction."""

from __future__ import annotations

import datetime as dt
import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

# Cheap password hashing for tests, set before govdata reads its settings.
os.environ.setdefault("GOVDATA_ARGON2_TIME_COST", "1")
os.environ.setdefault("GOVDATA_ARGON2_MEMORY_KIB", "64")
# Jobs and commands that read the settings keep open-data files here, not in the working directory.
os.environ.setdefault("GOVDATA_OPEN_FILES_DIR", tempfile.mkdtemp(prefix="govdata-open-files-"))
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
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url="unused://", secret_key="test", open_files_dir=str(tmp_path / "open-files"))


@pytest.fixture
def client(engine: Engine, clock: FixedClock, settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings=settings, clock=clock, engine=engine)
    with TestClient(app) as c:
        yield c


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_server(engine: Engine, clock: FixedClock, settings: Settings, world: World) -> Iterator[str]:
    """The real app over HTTP on a free port (browser tests, the ckanapi client); `world` is committed first."""
    app = create_app(settings=settings, clock=clock, engine=engine)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name="govdata-live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("测试服务器未能启动（uvicorn）")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
