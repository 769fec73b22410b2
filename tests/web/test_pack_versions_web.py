"""Versioned policy through the web: a pack installed while the web runs applies at once to what is not opened yet;
the web, the CLI and the flows read the same stored version (one process: install, advance, then the pages)."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.web.app_fixtures import sign_in
from tests.web.world import World
from web.app import create_app
from xinyu.cli import main
from xinyu.clock import parse_at
from xinyu.cycle import PackBook
from xinyu.policy.install import install_pack

QINGDAO = Path(__file__).resolve().parents[2] / "packs" / "qingdao.yaml"
NOVEMBER = parse_at("2026-11-02T10:00")
NEW_LABEL = "领导小组月度专题会议（第二版）"


def version_two(folder: Path) -> Path:
    """Ledgers due on the 10th working day (was the 8th); the meeting step's label changed."""
    text = QINGDAO.read_text(encoding="utf-8")
    for old, new in [("    earliest: 3\n    due: 8\n", "    earliest: 3\n    due: 10\n"),
                     ("    label: 领导小组专题会议\n", f"    label: {NEW_LABEL}\n")]:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = folder / "qingdao-v2.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def year_cells(client: TestClient, school_id: int) -> dict[str, dict[str, object]]:
    response = client.get(f"/api/schools/{school_id}/year")
    assert response.status_code == 200, response.text
    return {m["month"]: m["cells"] for m in response.json()["months"]}


def step_labels(client: TestClient, school_id: int, month: str) -> list[str]:
    response = client.get(f"/api/schools/{school_id}/board", params={"month": month})
    assert response.status_code == 200, response.text
    return [s["label"] for s in response.json()["steps"]]


def test_an_install_applies_in_the_running_web_as_in_the_cli(
        world_engine: Engine, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(engine=world_engine, book=PackBook(world_engine), clock=lambda: NOVEMBER,
                     base_url="https://testserver")
    with TestClient(app, base_url="https://testserver") as client:
        sign_in(client, world.accounts["leader"].login)
        before = year_cells(client, world.school_id)
        assert before["2026-12"]["ledgers"]["due"] == "2026-12-10"  # version 1: the 8th working day
        install_pack(world_engine, version_two(tmp_path), "区教体局")
        monkeypatch.setenv("XINYU_DATABASE_URL", world_engine.url.render_as_string(hide_password=False))
        monkeypatch.setenv("XINYU_OUTBOX_DIR", str(tmp_path / "outbox"))
        assert main(["advance", "--direct", "--at", "2026-11-02T09:00"]) == 0  # the CLI opens November
        after = year_cells(client, world.school_id)  # the same web app, not restarted
        assert after["2026-12"]["ledgers"]["due"] == "2026-12-14"  # not opened yet: the newest, version 2
        assert after["2026-11"]["ledgers"]["due"] == "2026-11-13"  # opened by the CLI on version 2
        # October keeps version 1's dates (closed now, its open work carried into November)
        assert {k: c["due"] for k, c in after["2026-10"].items()} == {k: c["due"] for k, c in before["2026-10"].items()}
        assert NEW_LABEL in step_labels(client, world.school_id, "2026-11")
        assert "领导小组专题会议" in step_labels(client, world.school_id, "2026-10")
