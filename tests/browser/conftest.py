"""A live server and Debian's Chromium (driven by Playwright) for the page flows.

The app runs with uvicorn in a background thread against the test database and the fixed test clock; the
jurisdiction is built and committed first. CI installs `chromium`: without it these tests fail, not skip.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import Engine

from govdata.app import create_app
from govdata.clock import FixedClock
from govdata.config import Settings
from tests.world import World

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_server(engine: Engine, clock: FixedClock, settings: Settings, world: World) -> Iterator[str]:
    """The real app over HTTP; `world` is committed before the first request."""
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


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"浏览器测试需要 Debian 的 Chromium（{CHROMIUM}）：请先 `apt-get install chromium fonts-noto-cjk`",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: object, live_server: str) -> Iterator[object]:
    context = chromium.new_context(  # type: ignore[attr-defined]
        base_url=live_server, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()
