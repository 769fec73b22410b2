"""When the calendar month has no cycle yet, the meeting page and the boards show the latest month with cycles,
say so, and offer a picker of the months that have cycles (the meeting page was a 404)."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.web.app_fixtures import sign_in
from tests.web.world import World
from web.app import create_app
from xinyu.clock import parse_at
from xinyu.cycle import PackBook

DECEMBER = parse_at("2026-12-04T10:00")  # the world has cycles for 2026-10 only


@pytest.fixture
def december(world_engine: Engine, packs_dir_session: Path, world: World) -> Iterator[dict[str, TestClient]]:
    app = create_app(engine=world_engine, book=PackBook(world_engine), clock=lambda: DECEMBER,
                     base_url="https://testserver")
    clients = {}
    for role in ("leader", "officer"):
        clients[role] = TestClient(app, base_url="https://testserver")
        sign_in(clients[role], world.accounts[role].login)
    yield clients
    for client in clients.values():
        client.close()


def options(html: str, testid: str) -> list[str]:
    select = re.search(rf'<select[^>]*data-testid="{testid}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no {testid} picker"
    return re.findall(r'<option value="([^"]+)"', select.group(1))


def test_meeting_page_falls_back_to_the_latest_month_with_a_cycle(december: dict[str, TestClient],
                                                                   world: World) -> None:
    answer = december["leader"].get(f"/schools/{world.school_id}/meeting")
    assert answer.status_code == 200, answer.text[:300]
    assert "2026年10月" in answer.text
    notice = re.search(r'data-testid="month-fallback"[^>]*>(.*?)</p>', answer.text, re.S)
    assert notice and "2026-12" in notice.group(1) and "2026年10月" in notice.group(1)
    assert options(answer.text, "month-picker") == ["2026-10"]
    chosen = december["leader"].get(f"/schools/{world.school_id}/meeting?month=2026-10")
    assert chosen.status_code == 200 and 'data-testid="month-fallback"' not in chosen.text


@pytest.mark.parametrize("role, page", [("leader", "/schools/{school}/board"), ("officer", "/district/board")])
def test_boards_say_they_show_the_latest_month_with_cycles(december: dict[str, TestClient], world: World,
                                                           role: str, page: str) -> None:
    answer = december[role].get(page.format(school=world.school_id))
    assert answer.status_code == 200
    notice = re.search(r'data-testid="month-fallback"[^>]*>(.*?)</p>', answer.text, re.S)
    assert notice and "2026-12" in notice.group(1) and "2026年10月" in notice.group(1)
    assert options(answer.text, "board-month") == ["2026-10"]


def test_meeting_print_and_invitation_fall_back_too(december: dict[str, TestClient], world: World) -> None:
    printable = december["leader"].get(f"/schools/{world.school_id}/meeting/print")
    assert printable.status_code == 200 and "2026年10月" in printable.text
    invitation = december["leader"].get(f"/schools/{world.school_id}/meeting.ics")
    assert invitation.status_code == 200 and "10月专题会议" in invitation.text.replace("\r\n ", "")
    assert december["leader"].get(f"/schools/{world.school_id}/meeting.ics?month=2026-12").status_code == 404
