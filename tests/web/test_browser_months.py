"""In a browser on a phone: in a month without cycles (December), the 会议 menu opens last month's meeting with
a notice and a month picker (it was a 404), and the district board says which month it shows."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import Engine

import tests.web.test_browser_scenarios as scenarios
from tests.web.browser import PHONE, LiveServer
from tests.web.conftest import PageFactory
from tests.web.test_browser_scenarios import Console, Site, follow_menu, open_as, phone_shot
from tests.web.world import World
from web.app import create_app
from xinyu.clock import parse_at
from xinyu.cycle import PackBook

console = scenarios.console  # the scenarios' fixture
DECEMBER = parse_at("2026-12-04T10:00")  # the world has cycles for 2026-10 only


@pytest.fixture
def december_site(world_engine: Engine, packs_dir_session: Path) -> Iterator[Site]:
    book = PackBook(world_engine)
    app = create_app(engine=world_engine, book=book, clock=lambda: DECEMBER, base_url="http://localhost")
    with LiveServer(app, lifespan="off") as live:
        yield Site(live.url, world_engine, book)


def test_meeting_menu_in_a_month_without_cycles_opens_the_latest_meeting_with_a_picker(
        page_factory: PageFactory, console: Console, december_site: Site, world: World) -> None:
    page = open_as(page_factory, console, december_site, world, "leader", viewport=PHONE)
    follow_menu(page, "会议")
    expect(page.locator("h1")).to_contain_text("2026年10月")
    expect(page.get_by_test_id("month-fallback")).to_contain_text("本月（2026-12）尚未开启月度周期")
    picker = page.get_by_test_id("month-picker")
    expect(picker).to_be_visible()
    assert picker.locator("option").all_inner_texts() == ["2026-10"]
    phone_shot(page, "meeting-month-fallback-phone.png")
    picker.select_option("2026-10")
    page.get_by_test_id("meeting-months").locator("button[type=submit]").click()
    page.wait_for_url("**/meeting?month=2026-10")
    expect(page.get_by_test_id("month-fallback")).to_have_count(0)


def test_district_board_in_a_month_without_cycles_says_which_month_it_shows(
        page_factory: PageFactory, console: Console, december_site: Site, world: World) -> None:
    page = open_as(page_factory, console, december_site, world, "officer", viewport=PHONE)
    follow_menu(page, "学校看板")
    expect(page.get_by_test_id("month-fallback")).to_contain_text("2026年10月")
    expect(page.get_by_test_id("board-month")).to_have_value("2026-10")
    phone_shot(page, "district-board-month-fallback-phone.png")
