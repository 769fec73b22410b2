"""The "at scale" mode: a real Prefect server on PostgreSQL, the deployments of prefect.yaml, a process worker
and two batch workers (Prefect task workers, xinyu/devstack/) run days of a month for a sample district; the
same days run embedded (Prefect's in-process API) on a second database. Both must leave the same business
state and return the same counts; every batch of the server's runs must have run on a batch worker, and the
month on both.
"""

import os
import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

import pytest

from tests.conftest import TEST_DB
from tests.faults.databases import fresh_databases
from tests.state_snapshot import describe_difference, snapshot
from xinyu.clock import parse_at
from xinyu.cycle import PackBook
from xinyu.db import make_engine, transaction
from xinyu.demo import load_demo_district
from xinyu.simulation import record_courses, record_ledger_entries, simulate_work

pytestmark = pytest.mark.skipif(
    TEST_DB != "postgresql", reason="a Prefect server with several workers runs on PostgreSQL only (both databases)")

MONTH = "2026-10"
DAYS = (date(2026, 10, 8), date(2026, 10, 9), date(2026, 10, 20))  # first tasks; ledgers, work; the ladder
LEDGER_DAY = date(2026, 10, 9)
SEED, LATE_RATE, SKIP_RATE = 7, 0.4, 0.15
SCHOOLS, BATCH = 5, 2  # three batches: a batch worker holds at most two (one running, one waiting)


class Runs(Protocol):
    def open_month(self, month: str, at: datetime) -> dict[str, int]: ...

    def advance(self, at: datetime) -> dict[str, int]: ...

    def dispatch(self, at: datetime) -> dict[str, int]: ...


class Embedded:
    """The same three flows on Prefect's in-process API, as `xinyu open` / `xinyu advance` run them."""

    def open_month(self, month: str, at: datetime) -> dict[str, int]:
        from flows.monthly_cycle import OpenMonthParams, open_month_flow

        return open_month_flow(OpenMonthParams(month=month, at=at.isoformat(), batch_size=BATCH))

    def advance(self, at: datetime) -> dict[str, int]:
        from flows.monthly_cycle import AdvanceParams, advance_flow

        return advance_flow(AdvanceParams(at=at.isoformat(), batch_size=BATCH))

    def dispatch(self, at: datetime) -> dict[str, int]:
        from flows.dispatch import DispatchParams, dispatch_outbox_flow

        return dispatch_outbox_flow(DispatchParams(at=at.isoformat()))


def run_month(runs: Runs, url: str) -> list[dict[str, int]]:
    """Open the month, then each day: people work (some late), lessons are recorded, the cycles advance;
    the outbox is sent at the end. The counts each flow returned, in order."""
    engine = make_engine(url)
    book = PackBook(engine, pin_newest=True)
    counts = [runs.open_month(MONTH, parse_at(f"{MONTH}-01T00:10"))]
    for day in DAYS:
        now = parse_at(f"{day.isoformat()}T17:00")
        with transaction(engine) as session:
            record_courses(session, today=day, book=book, seed=SEED, skip_rate=SKIP_RATE)
            if day == LEDGER_DAY:
                record_ledger_entries(session, now=now)
            simulate_work(session, now=now, book=book, seed=SEED, late_rate=LATE_RATE)
        counts.append(runs.advance(now))
    counts.append(runs.dispatch(parse_at(f"{DAYS[-1].isoformat()}T17:05")))
    engine.dispose()
    return counts


@pytest.fixture(scope="module")
def two_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """Two migrated databases with the same sample district imported the same way (same roster ids)."""
    folder = tmp_path_factory.mktemp("server-mode")
    with fresh_databases("postgresql", folder / "db") as new_db:
        urls = new_db(), new_db()
        for url in urls:
            engine = make_engine(url)
            load_demo_district(engine, workdir=folder / "roster", schools=SCHOOLS, classes=3, seed=SEED)
            engine.dispose()
        yield urls


@pytest.fixture(scope="module")
def stack(two_databases: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from xinyu.devstack import server_stack

    outbox = tmp_path_factory.mktemp("server-outbox")
    with server_stack(two_databases[0], workers=2, worker_env={"XINYU_OUTBOX_DIR": str(outbox)}) as stack:
        yield stack


def test_days_through_two_workers_equal_the_embedded_run(
        stack: Any, two_databases: tuple[str, str], prefect_api: None, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    server_url, embedded_url = two_databases
    orchestrator = stack.orchestrator(batch_size=BATCH, groups=2)  # handed out, few as the schools are
    via_server = run_month(orchestrator, server_url)

    monkeypatch.setenv("XINYU_DATABASE_URL", embedded_url)
    monkeypatch.setenv("XINYU_OUTBOX_DIR", str(tmp_path / "outbox"))
    embedded = run_month(Embedded(), embedded_url)

    assert via_server == embedded
    advanced = via_server[1:-1]
    assert sum(c["tasks_created"] for c in advanced) > 0 and sum(c["chase.messages"] for c in advanced) > 0
    assert via_server[-1]["sent"] > 0  # the outbox was sent, by a worker

    server_engine, embedded_engine = make_engine(server_url), make_engine(embedded_url)
    try:
        difference = describe_difference(snapshot(server_engine), snapshot(embedded_engine))
    finally:
        server_engine.dispose()
        embedded_engine.dispose()
    assert difference == ""

    # Every open and advance handed its three batches to the batch workers: task runs of the parent named by
    # their schools (flows/report.py), each claimed by a batch worker of the stack; over the month, both.
    parents = orchestrator.flow_runs[:-1]
    assert len(parents) == 1 + len(DAYS)
    every = {r["id"]: r for r in stack.runs()}
    workers = stack.batch_workers()
    took = set()
    for parent in parents:
        assert re.fullmatch(r"(open-month \d{4}-\d{2}|advance \d{4}-\d{2}-\d{2} \d{2}:\d{2})", every[parent]["name"])
        batches = stack.batch_runs(parent)
        assert len(batches) == 3 and {b["state"] for b in batches} == {"COMPLETED"}, batches
        assert all(re.fullmatch(r"schools \d+-\d+", b["name"]) and b["worker"] in workers for b in batches), batches
        took |= {b["worker"] for b in batches}
    assert took == workers and len(workers) == 2
    assert os.listdir(stack.config.worker_env["XINYU_OUTBOX_DIR"])  # the workers' file sink
