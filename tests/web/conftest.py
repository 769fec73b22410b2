"""Browser fixtures: one Playwright and one headless Debian Chromium per module, a fresh context per page.

Per module, not per session: Playwright's sync API keeps an asyncio loop running in the main thread while it
is open, and the tests after a browser module call code that starts its own loop (`asyncio.run`, dispatch).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, ViewportSize, sync_playwright

from tests.web.browser import DESKTOP, launch_chromium


@pytest.fixture(scope="module")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = launch_chromium(playwright_instance)
    yield browser
    browser.close()


PageFactory = Callable[..., Page]


@pytest.fixture
def page_factory(browser: Browser) -> Iterator[PageFactory]:
    """`page_factory(viewport=PHONE, **context_options)`: a page in a new context (zh-CN, Asia/Shanghai).

    Each call is its own context (own cookies), so one test can be two users; all are closed afterwards.
    """
    contexts: list[BrowserContext] = []

    def make(viewport: ViewportSize = DESKTOP, **options: Any) -> Page:
        options = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai", **options}
        context = browser.new_context(viewport=viewport, **options)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


from tests.web.app_fixtures import (  # noqa: E402, F401  (fixtures of the web app)
    client_for,
    packs_dir_session,
    web_app,
    world,
    world_engine,
    world_template,
)
