"""Prefect's UI as the operations console, walked in a browser (scripts/prefect-ui-tour; slow, so not a test).

A simulated week of a sample city (`xinyu simulate`'s city, people and days: SimulationOptions.days=7) runs
through the development stack (xinyu/devstack: a Prefect server of its own with its UI, a process worker, two
batch workers, the deployments of prefect.yaml), each day's advance handed to both batch workers, then
dispatch. With the stack still up, Debian's chromium (Playwright, desktop 1280×900) opens Prefect's UI and takes:

    test-output/screenshots/prefect-ui-runs.png          the flow runs list: runs named by what they do
    test-output/screenshots/prefect-ui-task-runs.png     an advance's batch tasks (`schools 1-100`)
    test-output/screenshots/prefect-ui-run-artifacts.png that run's Artifacts tab
    test-output/screenshots/prefect-ui-artifact.png      its table: counts per district, links to the boards
    test-output/screenshots/prefect-ui-tag-filter.png    the runs list filtered by a district's tag

Everything is torn down at the end (the stack, its Prefect database, the app database); the wall time of
each part is printed.

    .venv/bin/python bench/prefect_ui_tour.py [--schools 300] [--classes 4] [--days 7] [--port 4200]
"""

import argparse
import shutil
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from xinyu.devstack import PG_ADMIN_URL, free_port  # noqa: E402
from xinyu.simulate.orchestrators import ServerOrchestrator  # noqa: E402
from xinyu.simulate.session import SimulationOptions, run_simulation, simulation_settings  # noqa: E402

SHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM = "/usr/bin/chromium"


@contextmanager
def app_database() -> Iterator[str]:
    """An empty PostgreSQL database of its own for the week, dropped after."""
    name = f"xinyu_ui_tour_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Week:
    """The simulation's orchestrator without its close(): the stack stays up for the browser."""

    def __init__(self, server: ServerOrchestrator) -> None:
        self.server = server

    def advance(self, at: datetime) -> dict[str, int]:
        return self.server.advance(at)

    def dispatch(self, at: datetime) -> dict[str, int]:
        return self.server.dispatch(at)


def api(api_url: str, path: str, body: dict[str, Any]) -> Any:
    response = httpx.post(f"{api_url}{path}", json=body, timeout=30)
    response.raise_for_status()
    return response.json()


def busiest_advance(api_url: str) -> dict[str, Any]:
    """The advance-cycles run of the week with the most chase events (then new tasks) in its table."""
    runs = api(api_url, "/flow_runs/filter", {"limit": 200, "sort": "EXPECTED_START_TIME_DESC"})
    advances = [r for r in runs if r["name"].startswith("advance 20")]
    best, best_score = advances[0], -1
    for run in advances:
        tables = api(api_url, "/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [run["id"]]},
                                                                  "type": {"any_": ["table"]}}})
        if not tables:
            continue
        rows = tables[0]["data"]
        rows = __import__("json").loads(rows) if isinstance(rows, str) else rows
        total = rows[-1]
        score = (total.get("提醒", 0) + total.get("升级", 0)) * 100_000 + total.get("新建任务", 0)
        if score > best_score:
            best, best_score = {**run, "artifact_id": tables[0]["id"]}, score
    return best


def screenshots(api_url: str, tag: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    ui = api_url.removesuffix("/api")
    run = busiest_advance(api_url)
    SHOTS.mkdir(parents=True, exist_ok=True)
    taken = []

    def shot(page: Any, name: str) -> None:
        page.wait_for_timeout(1500)  # the UI's charts and lists settle after their data arrives
        path = SHOTS / f"prefect-ui-{name}.png"
        page.screenshot(path=str(path))
        taken.append(path)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{ui}/runs")
        page.get_by_text("advance 20").first.wait_for(timeout=60_000)
        page.mouse.wheel(0, 560)  # past the chart, to the list
        shot(page, "runs")

        # A spread run's batches are its own task runs, run on the batch workers (flows/spread.py).
        page.goto(f"{ui}/runs/flow-run/{run['id']}")
        page.get_by_text("Task Runs", exact=True).click()
        page.get_by_text("schools ").first.wait_for(timeout=60_000)
        shot(page, "task-runs")

        page.goto(f"{ui}/runs/flow-run/{run['id']}")
        page.get_by_text("Artifacts", exact=True).click()
        page.wait_for_timeout(2500)  # the tab's cards load after the click
        shot(page, "run-artifacts")

        page.goto(f"{ui}/artifacts/artifact/{run['artifact_id']}")
        page.get_by_text("合计").first.wait_for(timeout=60_000)
        shot(page, "artifact")

        page.goto(f"{ui}/runs?tag={quote(tag)}")  # the Tags filter as the UI keeps it in its address
        page.get_by_text(tag).first.wait_for(timeout=60_000)
        page.get_by_text("dispatch 20").first.wait_for(state="detached", timeout=60_000)  # untagged runs gone
        shot(page, "tag-filter")
        browser.close()
    return taken


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=300, help="schools (about 150 a district: 300 is two)")
    parser.add_argument("--classes", type=int, default=4)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--port", type=int, default=0, help="the Prefect server and UI (default a free port)")
    args = parser.parse_args()
    started = time.perf_counter()
    folder = ROOT / "test-output" / "prefect-ui-tour"
    shutil.rmtree(folder, ignore_errors=True)
    with app_database() as url:
        options = SimulationOptions(schools=args.schools, months=1, late_rate=0.2, classes=args.classes,
                                    start="2025-09", folder=folder, database_url=url, days=args.days)
        server = ServerOrchestrator(simulation_settings(options), workers=2, ui=True, port=args.port or free_port())
        try:
            up = time.perf_counter()
            print(f"stack up (Prefect server with UI, 2 workers, deployments): {up - started:.1f} s; "
                  f"UI {server.api_url.removesuffix('/api')}/runs")
            run_simulation(options, orchestrator=Week(server))
            week = time.perf_counter()
            print(f"a simulated week through the deployments: {week - up:.1f} s")
            district = api(server.api_url, "/flow_runs/filter", {"limit": 1, "flow_runs": {
                "name": {"like_": "advance 20"}}})[0]["tags"]
            tag = sorted(t for t in district if t.startswith("district:"))[-1]
            for path in screenshots(server.api_url, tag):
                print(f"  {path.relative_to(ROOT)}")
            print(f"screenshots (filter {tag}): {time.perf_counter() - week:.1f} s")
        finally:
            server.close()
    print(f"total {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
