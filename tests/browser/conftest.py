"""Debian's Chromium (driven by Playwright) for the page flows; the live server is in tests/conftest.py.

The app runs with uvicorn in a background thread against the test database and the fixed test clock; the
jurisdiction is built and committed first. CI installs `chromium`: without it these tests fail, not skip.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

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
