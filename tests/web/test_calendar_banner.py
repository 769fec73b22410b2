"""Issue 11 item 11: from 1 November, while next year's holiday schedule is missing, district officers
see a banner on the district pages (and nobody sees it before November or once it is imported)."""

from datetime import datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.web.app_fixtures import packs_dir_session, sign_in, world, world_engine, world_template  # noqa: F401
from tests.web.world import World
from web.app import create_app
from xinyu.calendar_import import import_schedule
from xinyu.clock import parse_at
from xinyu.cycle import PackBook
from xinyu.statutory import STATUTORY

FIXTURE = Path(__file__).parents[1] / "fixtures" / "calendar" / "test-2027.csv"
PAGES = ("/district/inbox", "/district/dashboard", "/district/board")



def officer_pages(engine: Engine, packs: Path, world: World, at: datetime) -> dict[str, str]:  # noqa: F811
    app = create_app(engine=engine, book=PackBook(engine), clock=lambda: at, base_url="https://testserver")
    with TestClient(app, base_url="https://testserver") as client:
        sign_in(client, world.accounts["officer"].login)
        pages = {path: client.get(path) for path in PAGES}
    assert all(r.status_code == 200 for r in pages.values()), {p: r.status_code for p, r in pages.items()}
    return {path: r.text for path, r in pages.items()}


def test_banner_from_november_until_next_year_is_imported(
    world_engine: Engine, packs_dir_session: Path, world: World  # noqa: F811
) -> None:
    before = officer_pages(world_engine, packs_dir_session, world, parse_at("2026-10-31T09:00"))
    assert not any('data-testid="calendar-banner"' in html for html in before.values())
    november = officer_pages(world_engine, packs_dir_session, world, parse_at("2026-11-02T09:00"))
    for path, html in november.items():
        assert 'data-testid="calendar-banner"' in html and "2027 年的国务院节假日安排尚未导入" in html, path
    import_schedule(world_engine, FIXTURE, now=parse_at("2026-11-02T10:00"))
    STATUTORY.install([])  # as a web process that has not looked yet: it reloads when the table changed
    after = officer_pages(world_engine, packs_dir_session, world, parse_at("2026-11-02T11:00"))
    assert not any('data-testid="calendar-banner"' in html for html in after.values())
