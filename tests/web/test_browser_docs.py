"""/docs in a real browser: Swagger UI draws the API's operations under our CSP, with no console error."""

from playwright.sync_api import expect

import tests.web.test_browser_scenarios as scenarios
from tests.web.browser import PHONE
from tests.web.conftest import PageFactory
from tests.web.test_browser_scenarios import Console, Site, open_as, shot
from tests.web.world import World

console, site = scenarios.console, scenarios.site  # the scenarios' fixtures


def test_docs_draw_the_operations_under_our_csp(page_factory: PageFactory, console: Console, site: Site,
                                                world: World) -> None:
    page = open_as(page_factory, console, site, world, "leader")
    page.goto(site.url + "/docs")
    expect(page.locator(".opblock").first).to_be_visible(timeout=20000)
    expect(page.locator(".opblock-summary-path", has_text="/api/me").first).to_be_visible()
    page.set_viewport_size(PHONE)
    shot(page, "docs-phone.png")
