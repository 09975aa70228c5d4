"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


def chromium_path() -> str | None:
    """Debian's Chromium; we never download a browser."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture
def browser(monkeypatch) -> Iterator[object]:
    """Chromium for one test.

    Playwright's sync API keeps an asyncio loop running in this thread while it is
    open, and Django refuses ORM calls from a thread with a running loop; the test
    builds its data with the ORM, so async safety is off while the browser is open.
    Per test, not per session: once the browser closes, the loop stops, so later
    tests (and this test's database teardown) run with Django's check back on.
    """
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium binary (apt-get install chromium) — browser tests skipped")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
        # While Playwright's loop runs, Django keeps this test's connection in
        # context-local storage; close it here, or the test database cannot be dropped.
        from django.db import connections

        connections.close_all()


@pytest.fixture
def page(browser, live_server, settings) -> Iterator[object]:
    """A fresh browser page (own cookies) whose relative URLs go to the live server."""
    settings.SITE_URL = live_server.url
    context = browser.new_context(
        base_url=live_server.url, locale="es-MX", viewport={"width": 1280, "height": 800}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    # Assertions wait as long as actions do (Playwright's own default is 5 s, short on a
    # 2-core CI machine running the suite).
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    """Save the page to test-artifacts/<name>.png (gitignored) for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name: str, **options: object) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), **options)
        return path

    return take
