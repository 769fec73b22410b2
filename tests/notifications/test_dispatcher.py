"""The dispatcher over a real outbox (SQLite or PostgreSQL) and real servers on loopback: every queued
message goes out once, failures are recorded and retried with backoff or marked for good, quiet
hours hold, a dead dispatcher's claims are taken over, two dispatchers never send the same row."""

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, update

from models import OutboxMessage
from notifications.channels.base import Channel, Envelope
from notifications.claims import BACKOFF
from notifications.dispatcher import dispatch
from tests.conftest import TEST_DB
from tests.notifications.helpers import email_row, queue, rows, sms_row
from tests.notifications.servers import HttpServer, SmtpServer
from xinyu.clock import SHANGHAI
from xinyu.db import make_engine
from xinyu.settings import Settings

NOW = datetime(2026, 10, 9, 9, 0, tzinfo=SHANGHAI)


def settings(tmp_path: Path, **fields: Any) -> Settings:
    return Settings(outbox_dir=tmp_path / "outbox", **fields)


def test_every_queued_email_is_sent_once_and_a_second_run_sends_nothing(
    engine: Engine, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    queue(engine, [email_row(n, now=NOW) for n in range(30)])
    config = settings(tmp_path, smtp_url=smtp_server.url, dispatch_batch=7)
    result = dispatch(engine, now=NOW, settings=config)
    assert (result.sent, result.retried, result.failed, result.held) == (30, 0, 0, 0)
    assert all((r.status, r.sent_at, r.attempts, r.claimed_until, r.last_error) == ("sent", NOW, 1, None, None)
               for r in rows(engine))
    again = dispatch(engine, now=NOW + timedelta(hours=1), settings=config)
    assert again.sent == 0
    assert set(smtp_server.recorder.deliveries.values()) == {1} and len(smtp_server.recorder.deliveries) == 30


def test_a_temporary_failure_is_retried_with_backoff_until_it_goes(
    engine: Engine, http_server: HttpServer, tmp_path: Path
) -> None:
    answers = iter([(500, {"error": "busy"}), (503, {"error": "busy"}), (200, {"ok": True})])
    http_server.answer = lambda request: next(answers)
    queue(engine, [sms_row(1, now=NOW)])
    config = settings(tmp_path, sms_url=f"{http_server.base}/sms")

    assert dispatch(engine, now=NOW, settings=config).retried == 1
    [row] = rows(engine)
    assert (row.status, row.attempts, row.not_before) == ("queued", 1, NOW + BACKOFF[0])
    assert row.last_error and "HTTP 500" in row.last_error
    assert dispatch(engine, now=NOW + BACKOFF[0] - timedelta(seconds=1), settings=config).as_dict()["retried"] == 0
    assert len(http_server.requests) == 1  # not before its time

    assert dispatch(engine, now=NOW + BACKOFF[0], settings=config).retried == 1
    [row] = rows(engine)
    assert (row.attempts, row.not_before) == (2, NOW + BACKOFF[0] + BACKOFF[1])

    done = dispatch(engine, now=NOW + BACKOFF[0] + BACKOFF[1], settings=config)
    [row] = rows(engine)
    assert done.sent == 1 and (row.status, row.attempts, row.last_error) == ("sent", 3, None)


def test_a_permanent_failure_is_marked_shown_and_never_tried_again(
    engine: Engine, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    queue(engine, [email_row(1, now=NOW, address="bad@school.example.cn"), email_row(2, now=NOW)])
    config = settings(tmp_path, smtp_url=smtp_server.url)
    result = dispatch(engine, now=NOW, settings=config)
    assert (result.sent, result.failed) == (1, 1)
    [failure] = result.failures
    assert failure.address == "bad@school.example.cn" and "550" in failure.reason
    bad = rows(engine)[0]
    assert bad.status == "failed" and bad.last_error and "550" in bad.last_error
    for days in (1, 10):
        assert dispatch(engine, now=NOW + timedelta(days=days), settings=config).as_dict()["sent"] == 0
    assert rows(engine)[0].attempts == 1


def test_temporary_failures_stop_after_the_last_attempt(
    engine: Engine, http_server: HttpServer, tmp_path: Path
) -> None:
    http_server.answer = lambda request: (503, {})
    queue(engine, [sms_row(1, now=NOW)])
    config = settings(tmp_path, sms_url=f"{http_server.base}/sms", dispatch_max_attempts=3)
    at, outcomes = NOW, []
    for _ in range(5):
        result = dispatch(engine, now=at, settings=config)
        outcomes.append((result.retried, result.failed))
        at += timedelta(days=1)
    assert outcomes == [(1, 0), (1, 0), (0, 1), (0, 0), (0, 0)]
    [row] = rows(engine)
    assert row.status == "failed" and row.last_error and row.last_error.startswith("已尝试3次")
    assert len(http_server.requests) == 3


def test_an_sms_held_for_quiet_hours_goes_at_its_time(engine: Engine, http_server: HttpServer, tmp_path: Path) -> None:
    evening = datetime(2026, 10, 9, 22, 30, tzinfo=SHANGHAI)
    morning = datetime(2026, 10, 10, 7, 0, tzinfo=SHANGHAI)
    queue(engine, [sms_row(1, now=evening, not_before=morning), email_row(2, now=evening)])
    config = settings(tmp_path, sms_url=f"{http_server.base}/sms")
    night = dispatch(engine, now=evening, settings=config)
    assert (night.count("sent", "email"), night.count("held", "sms"), night.count("sent", "sms")) == (1, 1, 0)
    assert http_server.requests == []
    assert dispatch(engine, now=morning - timedelta(minutes=1), settings=config).count("held", "sms") == 1
    dawn = dispatch(engine, now=morning, settings=config)
    assert (dawn.count("sent", "sms"), dawn.held) == (1, 0)
    assert http_server.requests[0].json()["phone"] == "13800000001"


def test_a_dead_dispatchers_claim_is_taken_over_when_its_lease_runs_out(
    engine: Engine, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    queue(engine, [email_row(n, now=NOW) for n in range(3)])
    wall = datetime.now(UTC)
    with engine.begin() as conn:  # two claimed by a dispatcher that died, one by a live one
        table = OutboxMessage.__table__  # type: ignore[attr-defined]
        conn.execute(update(table).where(table.c.id.in_([1, 2])).values(
            status="sending", claimed_by="dead", claimed_until=wall - timedelta(seconds=1), attempts=1))
        conn.execute(update(table).where(table.c.id == 3).values(
            status="sending", claimed_by="alive", claimed_until=wall + timedelta(minutes=5), attempts=1))
    result = dispatch(engine, now=NOW, settings=settings(tmp_path, smtp_url=smtp_server.url))
    assert result.sent == 2
    assert [(r.status, r.attempts) for r in rows(engine)] == [("sent", 2), ("sent", 2), ("sending", 1)]


class Crashing(Channel):
    """Sends, then dies at the `at`-th message (as a process would on SIGKILL or Ctrl-C)."""

    name = "email"

    def __init__(self, at: int) -> None:
        super().__init__()
        self.at, self.sent = at, list[int]()

    async def send(self, message: Envelope) -> None:
        if len(self.sent) + 1 == self.at:
            raise KeyboardInterrupt
        self.sent.append(message.id)


def test_a_run_that_dies_keeps_what_it_sent_and_leaves_the_rest_to_be_taken_over(
    engine: Engine, tmp_path: Path
) -> None:
    queue(engine, [email_row(n, now=NOW) for n in range(10)])
    crashing = Crashing(at=5)
    with pytest.raises(KeyboardInterrupt):
        dispatch(engine, now=NOW, channels={"email": crashing}, settings=settings(tmp_path))
    statuses = [r.status for r in rows(engine)]
    assert statuses == ["sent"] * 4 + ["sending"] * 6  # recorded sends stay sent; the rest await their lease


def test_an_unknown_channel_fails_for_good(engine: Engine, tmp_path: Path) -> None:
    row = email_row(1, now=NOW) | {"channel": "fax"}
    queue(engine, [row])
    result = dispatch(engine, now=NOW, settings=settings(tmp_path))
    assert result.count("failed", "fax") == 1 and "fax" in (rows(engine)[0].last_error or "")


def test_without_servers_everything_goes_to_files(engine: Engine, tmp_path: Path) -> None:
    robot = email_row(3, now=NOW) | {"channel": "robot", "dedupe_key": "test:3:robot",
                                     "address": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET"}
    queue(engine, [email_row(1, now=NOW), sms_row(2, now=NOW), robot])
    result = dispatch(engine, now=NOW, settings=settings(tmp_path))
    assert result.sent == 3
    names = sorted(p.name for p in (tmp_path / "outbox").iterdir())
    assert names == ["00000001.eml", "00000002.sms.json", "00000003.robot.json"]
    assert "SECRET" not in (tmp_path / "outbox" / "00000003.robot.json").read_text()
    assert "您有2项心育工作需处理" in (tmp_path / "outbox" / "00000002.sms.json").read_text()


def test_robots_post_to_the_webhook_in_the_row_when_enabled(
    engine: Engine, http_server: HttpServer, tmp_path: Path
) -> None:
    robot = email_row(1, now=NOW) | {"channel": "robot", "address": f"{http_server.base}/cgi-bin/webhook/send?key=k"}
    queue(engine, [robot])
    assert dispatch(engine, now=NOW, settings=settings(tmp_path, robot_webhooks=True)).sent == 1
    assert http_server.requests[0].json()["msgtype"] == "markdown"


@pytest.mark.skipif(TEST_DB == "sqlite", reason="SQLite has one writer at a time; row locks are PostgreSQL's")
def test_two_dispatchers_at_once_never_send_the_same_message(
    db_url: str, engine: Engine, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    queue(engine, [email_row(n, now=NOW) for n in range(200)])
    smtp_server.recorder.data_delay = 0.005  # both are still claiming while the other sends
    config = settings(tmp_path, smtp_url=smtp_server.url, dispatch_batch=10, smtp_pool_size=4)
    start, results = threading.Barrier(2), {}

    def run(name: str) -> None:
        own = make_engine(db_url)
        start.wait()
        results[name] = dispatch(own, now=NOW, settings=config, worker=name).sent
        own.dispose()

    threads = [threading.Thread(target=run, args=(name,)) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results["one"] + results["two"] == 200 and results["one"] > 0 and results["two"] > 0
    assert len(smtp_server.recorder.deliveries) == 200 and set(smtp_server.recorder.deliveries.values()) == {1}
    assert {r.status for r in rows(engine)} == {"sent"}


def test_past_a_robots_rate_the_rest_wait_a_minute_without_spending_an_attempt(
    engine: Engine, http_server: HttpServer, tmp_path: Path
) -> None:
    url = f"{http_server.base}/cgi-bin/webhook/send?key=k"
    queue(engine, [email_row(n, now=NOW) | {"channel": "robot", "address": url, "dedupe_key": f"test:{n}:robot"}
                   for n in range(22)])
    config = settings(tmp_path, robot_webhooks=True)
    first = dispatch(engine, now=NOW, settings=config)
    assert (first.sent, first.retried) == (20, 2)
    waiting = [r for r in rows(engine) if r.status == "queued"]
    assert [(r.attempts, r.not_before) for r in waiting] == [(0, NOW + timedelta(minutes=1))] * 2
    assert dispatch(engine, now=NOW + timedelta(minutes=1), settings=config).sent == 2
    assert len(http_server.requests) == 22


def test_an_sms_retry_that_falls_in_the_night_waits_for_the_morning(
    engine: Engine, http_server: HttpServer, tmp_path: Path
) -> None:
    http_server.answer = lambda request: (503, {"error": "busy"})
    late = datetime(2026, 10, 9, 20, 59, 30, tzinfo=SHANGHAI)  # queued before the quiet hours; fails
    queue(engine, [sms_row(1, now=late), email_row(2, now=late)])
    config = settings(tmp_path, sms_url=f"{http_server.base}/sms", smtp_url="smtp://127.0.0.1:9?tls=none")
    dispatch(engine, now=late, settings=config)
    sms, email = rows(engine)
    assert sms.not_before == datetime(2026, 10, 10, 8, 0, tzinfo=SHANGHAI)  # not 21:00:30
    # email is never held (its server is not even there: tried again at the next run, 5 minutes on)
    assert email.not_before == late + timedelta(minutes=5)


def test_a_server_that_is_down_costs_no_attempts_and_everything_goes_once_it_is_back(
    engine: Engine, tmp_path: Path
) -> None:
    queue(engine, [email_row(n, now=NOW) for n in range(30)])
    server = SmtpServer()  # its port, nobody listening yet
    config = settings(tmp_path, smtp_url=server.url, dispatch_batch=7)
    for minutes in (0, 5, 10):
        down = dispatch(engine, now=NOW + timedelta(minutes=minutes), settings=config)
        assert (down.sent, down.retried, down.failed) == (0, 30, 0)
    assert {(r.status, r.attempts, r.not_before) for r in rows(engine)} == {("queued", 0, NOW + timedelta(minutes=15))}
    with server:
        back = dispatch(engine, now=NOW + timedelta(minutes=15), settings=config)
    assert (back.sent, back.failed) == (30, 0) and set(server.recorder.deliveries.values()) == {1}
    assert {(r.status, r.attempts) for r in rows(engine)} == {("sent", 1)}
