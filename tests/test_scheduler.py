"""`xinyu serve`'s scheduler: real APScheduler on a real job store in the test database.

Behaviour is checked with stand-in jobs defined here (module-level, so the store can keep them by
reference); every wait polls for an event with a deadline, and nothing asserts how long anything took.
"""

import logging
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import yaml
from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    JobEvent,
    JobExecutionEvent,
)
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, create_engine, inspect, text

from xinyu.clock import SHANGHAI
from xinyu.service.scheduler import JOBSTORE_TABLE, MISFIRE_GRACE, build_scheduler, upcoming

ROOT = Path(__file__).resolve().parent.parent
JOB_IDS = {"open_month", "advance", "dispatch"}
DEADLINE = 8.0  # seconds; a stand-in job is due at once, this only stops a broken test from hanging
POLL = 0.05


# --- stand-in jobs --------------------------------------------------------------------------------

def record_run(path: str) -> None:
    with open(path, "a", encoding="utf-8") as out:
        out.write("ran\n")


_overlap_lock = threading.Lock()
_overlap = {"active": 0, "most": 0, "runs": 0}


def slow_run(seconds: float) -> None:
    with _overlap_lock:
        _overlap["active"] += 1
        _overlap["most"] = max(_overlap["most"], _overlap["active"])
    time.sleep(seconds)
    with _overlap_lock:
        _overlap["active"] -= 1
        _overlap["runs"] += 1


# --- helpers --------------------------------------------------------------------------------------

@pytest.fixture
def store_url(db_url: str) -> Iterator[str]:
    """The test database, without a job store left by an earlier test (PostgreSQL keeps one database)."""
    drop_store(db_url)
    yield db_url
    drop_store(db_url)


def drop_store(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {JOBSTORE_TABLE}"))
    engine.dispose()


def stored_rows(url: str) -> dict[str, float]:
    engine = create_engine(url)
    if not inspect(engine).has_table(JOBSTORE_TABLE):
        engine.dispose()
        return {}
    with engine.connect() as conn:
        rows = {row[0]: row[1] for row in conn.execute(text(f"SELECT id, next_run_time FROM {JOBSTORE_TABLE}"))}
    engine.dispose()
    return rows


def paused(url: str) -> BaseScheduler:
    """A background scheduler over the store, started paused: its jobs are in the store, none runs."""
    scheduler = build_scheduler(url, blocking=False)
    scheduler.start(paused=True)
    return scheduler


def while_down(url: str, job_id: str, **changes: Any) -> None:
    """Rewrite a stored job's state with no scheduler running: what the next start finds after downtime.

    (A stopped scheduler only sees its pending jobs, and a running BackgroundScheduler processes due jobs
    once more as it shuts down, after its executor has stopped, moving their next run on.)
    """
    store = SQLAlchemyJobStore(url=url, tablename=JOBSTORE_TABLE)
    job = store.lookup_job(job_id)
    job.__setstate__({**job.__getstate__(), **changes})
    store.update_job(job)
    store.engine.dispose()


def only_stand_ins(scheduler: BaseScheduler) -> None:
    # The real jobs would run flows; with their next runs hours away they never would here, but be sure.
    for job_id in JOB_IDS:
        scheduler.remove_job(job_id)


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(POLL)


def events_of(scheduler: BaseScheduler, mask: int) -> list[JobEvent]:
    seen: list[JobEvent] = []
    scheduler.add_listener(seen.append, mask)
    return seen


# --- persistence ----------------------------------------------------------------------------------

def test_jobs_and_next_runs_survive_a_restart(store_url: str) -> None:
    first = paused(store_url)
    before = {job.id: job.next_run_time for job in first.get_jobs()}
    first.shutdown()
    assert set(before) == JOB_IDS
    assert set(stored_rows(store_url)) == JOB_IDS

    second = paused(store_url)
    after = {job.id: job.next_run_time for job in second.get_jobs()}
    second.shutdown()
    assert after == before  # dispatch's too, though a fresh interval trigger would start from now


def test_a_run_missed_while_down_is_still_due_after_the_restart(store_url: str) -> None:
    now = datetime.now(SHANGHAI).replace(microsecond=0)
    missed = now - timedelta(hours=1)
    # An advance (07:00, 16:00) due since then was missed too, and is the one to catch up: start from it.
    fires = [day.replace(hour=hour, minute=0, second=0) for hour in (7, 16) for day in (now, now - timedelta(days=1))]
    missed = max([f for f in fires if missed < f <= now], default=missed)
    paused(store_url).shutdown()
    while_down(store_url, "advance", next_run_time=missed)

    second = paused(store_url)
    kept = second.get_job("advance").next_run_time
    catch_up = {u.label: u for u in upcoming(second)}["推进月度闭环"]
    second.shutdown()
    assert kept == missed
    assert catch_up.catch_up and catch_up.at == missed


def test_a_changed_schedule_replaces_the_stored_one(store_url: str) -> None:
    paused(store_url).shutdown()
    while_down(store_url, "advance", trigger=CronTrigger(hour=9, timezone=SHANGHAI),
               next_run_time=datetime.now(SHANGHAI) - timedelta(hours=1))

    second = paused(store_url)
    job = second.get_job("advance")
    second.shutdown()
    assert isinstance(job.trigger, OrTrigger)
    assert job.next_run_time > datetime.now(SHANGHAI)


# --- missed runs and overlap (stand-ins, with the job defaults build_scheduler sets) ----------------

def test_missed_runs_after_downtime_are_coalesced_into_one(store_url: str, tmp_path: Path) -> None:
    ran = tmp_path / "runs.txt"
    # Down for ten and a half minutes: eleven runs of a once-a-minute job were missed, all within the grace time.
    first = paused(store_url)
    only_stand_ins(first)
    first.add_job("tests.test_scheduler:record_run", IntervalTrigger(minutes=1, timezone=SHANGHAI),
                  args=[str(ran)], id="stand_in", next_run_time=datetime.now(SHANGHAI) + timedelta(hours=1))
    first.shutdown()
    while_down(store_url, "stand_in", next_run_time=datetime.now(SHANGHAI) - timedelta(minutes=10, seconds=30))

    second = paused(store_url)
    only_stand_ins(second)
    done = events_of(second, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    second.resume()
    wait_for(lambda: bool(done), "the stand-in's backlog to run")
    second.shutdown()

    assert [e.code for e in done] == [EVENT_JOB_EXECUTED]
    assert ran.read_text(encoding="utf-8").splitlines() == ["ran"]  # one run for eleven missed
    # and the next one is the schedule's next, not another of the backlog
    assert stored_rows(store_url)["stand_in"] > time.time()


def test_a_job_longer_than_its_interval_never_overlaps_itself(store_url: str) -> None:
    _overlap.update(active=0, most=0, runs=0)
    scheduler = paused(store_url)
    only_stand_ins(scheduler)
    skipped = events_of(scheduler, EVENT_JOB_MAX_INSTANCES)
    scheduler.add_job("tests.test_scheduler:slow_run", IntervalTrigger(seconds=0.2, timezone=SHANGHAI),
                      args=[0.5], id="stand_in", next_run_time=datetime.now(SHANGHAI))
    scheduler.resume()
    wait_for(lambda: _overlap["runs"] >= 3, "three runs")
    scheduler.remove_job("stand_in")
    scheduler.shutdown()

    assert _overlap["most"] == 1
    assert skipped and {e.job_id for e in skipped} == {"stand_in"}  # it was due while running, and was not started


# --- the schedules are prefect.yaml's -------------------------------------------------------------

def prefect_schedules() -> dict[str, list[dict[str, Any]]]:
    """Scheduled deployments in prefect.yaml, by the serve job that must run the same flow."""
    config = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    by_job: dict[str, list[dict[str, Any]]] = {}
    for deployment in config["deployments"]:
        if not deployment.get("schedules"):
            continue
        path, flow = deployment["entrypoint"].split(":")
        job = "dispatch" if path in ("flows.dispatch", "flows/dispatch.py") else {"open_month_async": "open_month",
                                                                "advance_async": "advance"}.get(flow)
        assert job, f"deployment {deployment['name']} has schedules but serve has no job for it"
        by_job.setdefault(job, []).extend(deployment["schedules"])
    return by_job


def trigger_key(trigger: BaseTrigger) -> tuple[str, ...]:
    if isinstance(trigger, CronTrigger):
        return ("cron", *(f"{f.name}={f}" for f in trigger.fields), str(trigger.timezone))
    assert isinstance(trigger, IntervalTrigger)
    return ("interval", str(trigger.interval), str(trigger.timezone))


def yaml_key(schedule: dict[str, Any]) -> tuple[str, ...]:
    zone = ZoneInfo(schedule.get("timezone", "UTC"))
    if "cron" in schedule:
        return trigger_key(CronTrigger.from_crontab(schedule["cron"], timezone=zone))
    return trigger_key(IntervalTrigger(seconds=schedule["interval"], timezone=zone))


def test_the_jobs_have_the_schedules_of_the_prefect_deployments(store_url: str) -> None:
    scheduler = paused(store_url)
    triggers = {job.id: job.trigger for job in scheduler.get_jobs()}
    scheduler.shutdown()
    expected = prefect_schedules()
    assert {"open_month", "advance"} <= set(expected)
    for job_id, schedules in expected.items():
        parts = triggers[job_id].triggers if isinstance(triggers[job_id], OrTrigger) else [triggers[job_id]]
        assert sorted(trigger_key(t) for t in parts) == sorted(yaml_key(s) for s in schedules), job_id

    assert trigger_key(triggers["dispatch"]) == ("interval", "0:05:00", "Asia/Shanghai")
    at = datetime(2026, 10, 8, 8, 0, tzinfo=SHANGHAI)
    assert triggers["advance"].get_next_fire_time(None, at) == at.replace(hour=16)
    assert triggers["advance"].get_next_fire_time(None, at.replace(hour=16, minute=1)) == at.replace(day=9, hour=7)
    assert triggers["open_month"].get_next_fire_time(None, at) == datetime(2026, 11, 1, 0, 10, tzinfo=SHANGHAI)


def test_job_defaults_coalesce_one_instance_and_a_grace_time(store_url: str) -> None:
    scheduler = paused(store_url)
    jobs = scheduler.get_jobs()
    scheduler.shutdown()
    assert {(j.coalesce, j.max_instances, j.misfire_grace_time) for j in jobs} == {
        (True, 1, int(MISFIRE_GRACE.total_seconds()))}


# --- a real job from the scheduler's thread ------------------------------------------------------

@contextmanager
def job_log() -> Iterator[list[str]]:
    lines: list[str] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("xinyu.service.jobs")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def run_from_scheduler(url: str, job_id: str) -> tuple[JobExecutionEvent, list[str]]:
    """Run one of the real jobs now, from the scheduler's worker thread as `serve` would; its event and log."""
    scheduler = paused(url)
    for other in JOB_IDS - {job_id}:
        scheduler.remove_job(other)
    scheduler.modify_job(job_id, next_run_time=datetime.now(SHANGHAI))
    done = events_of(scheduler, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    with job_log() as lines:  # not caplog: Prefect's logging setup replaces the root logger's handlers
        scheduler.resume()
        wait_for(lambda: bool(done), f"the {job_id} job")
        scheduler.remove_job(job_id)
        scheduler.shutdown()
    event = done[0]
    assert isinstance(event, JobExecutionEvent) and event.code == EVENT_JOB_EXECUTED, event
    return event, lines


def test_advance_job_runs_its_flow_and_logs_counts_only(
        prefect_api: None, store_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.factories import make_school
    from xinyu.db import transaction

    monkeypatch.setenv("XINYU_DATABASE_URL", store_url)
    with transaction(engine) as session:
        make_school(session, name="第一中学", grades=(7,), classes_per_grade=1)

    event, lines = run_from_scheduler(store_url, "advance")
    assert event.retval["opened.opened"] == 1
    assert len(lines) == 1 and lines[0].startswith("advance-cycles: ") and "opened.opened=1" in lines[0]
    assert "第一中学" not in lines[0]
    assert heartbeat(engine, "advance") is True


def test_dispatch_job_runs_its_flow_and_logs_counts_only(
        prefect_api: None, store_url: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.notifications.helpers import email_row, queue, rows

    monkeypatch.setenv("XINYU_DATABASE_URL", store_url)
    monkeypatch.setenv("XINYU_OUTBOX_DIR", str(tmp_path / "outbox"))
    queue(engine, [email_row(1, now=datetime.now(SHANGHAI) - timedelta(minutes=1))])

    event, lines = run_from_scheduler(store_url, "dispatch")
    assert event.retval["sent"] == 1
    assert [r.status for r in rows(engine)] == ["sent"]
    assert len(lines) == 1 and lines[0].startswith("dispatch-outbox: ") and "sent=1" in lines[0]
    assert "school.example.cn" not in lines[0]
    assert heartbeat(engine, "dispatch") is True


def heartbeat(engine: Engine, job_id: str) -> bool | None:
    """The recorded outcome of the job's last run (GET /healthz reads it)."""
    from sqlmodel import Session

    from models import SchedulerHeartbeat

    with Session(engine) as session:
        row = session.get(SchedulerHeartbeat, job_id)
        assert row is not None and row.last_started is not None and row.last_finished is not None
        return row.ok


# --- `xinyu serve` ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def login_page(port: int) -> bool:
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
    except httpx.TransportError:
        return False
    return response.status_code == 200 and "登录" in response.text


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_serve_schedules_the_jobs_and_stops_cleanly_on_a_signal(store_url: str, stop: signal.Signals,
                                                                 tmp_path: Path) -> None:
    env = {**os.environ, "XINYU_DATABASE_URL": store_url, "PYTHONUNBUFFERED": "1"}
    errors = tmp_path / "stderr.txt"
    with errors.open("w") as stderr:
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-m", "xinyu.cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=stderr, text=True, encoding="utf-8")
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in proc.stdout or []:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    try:
        first = lines.get(timeout=60)  # starting Python and importing the app, not a timing assertion
        assert first.startswith("定时任务已启动（北京时间）：")
        for label in ("开启月度周期 下次", "推进月度闭环 下次", "发送消息 下次"):
            assert label in first
        assert lines.get(timeout=10).startswith(f"网页端：http://127.0.0.1:{port}/")
        wait_for(lambda: set(stored_rows(store_url)) == JOB_IDS, "the jobs in the store")
        wait_for(lambda: login_page(port), "the web app's login page")
        proc.send_signal(stop)
        assert proc.wait(timeout=60) == 0, errors.read_text(encoding="utf-8")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert lines.get(timeout=5).strip() == "定时任务已停止"
    assert "Traceback" not in errors.read_text(encoding="utf-8")


def test_serve_refuses_a_database_that_was_never_initialised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from xinyu.cli import main

    monkeypatch.setenv("XINYU_DATABASE_URL", f"sqlite:///{tmp_path / 'nothing.db'}")
    assert main(["serve"]) == 1
    assert "请先运行 xinyu init" in capsys.readouterr().err
    assert not (tmp_path / "nothing.db").exists()
