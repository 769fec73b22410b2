"""SIGKILL a dispatcher at random points, many times, against a real SMTP server: no message is lost,
and a message is delivered twice only if a kill caught it in flight (claimed, not yet recorded)."""

from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from tests.notifications.faults import run_with_kills
from tests.notifications.helpers import email_row, queue, rows
from tests.notifications.servers import SmtpServer
from xinyu.clock import SHANGHAI

NOW = datetime(2026, 10, 9, 9, 0, tzinfo=SHANGHAI)


def test_killed_dispatchers_lose_nothing_and_resend_only_what_was_in_flight(
    engine: Engine, db_url: str, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    queue(engine, [email_row(n, now=NOW) for n in range(600)])
    smtp_server.recorder.data_delay = 0.002  # so timed kills land mid-run, not after it
    env = {"XINYU_DATABASE_URL": db_url, "XINYU_SMTP_URL": smtp_server.url, "XINYU_SMTP_POOL_SIZE": "4",
           "XINYU_DISPATCH_BATCH": "100", "XINYU_OUTBOX_DIR": str(tmp_path / "outbox")}
    report = run_with_kills(engine=engine, server=smtp_server, env=env, at=NOW.isoformat(), kills=20, seed=20261009,
                            most_per_run=30, longest_delay=0.05)
    print(f"\n{report}")  # noqa: T201  (the numbers behind the assertions, with -s)
    assert report.kills == 20
    assert (report.queued, report.delivered, report.lost) == (600, 600, 0)
    assert report.unexplained == 0 and report.duplicated <= report.delivered_unrecorded <= report.in_flight_at_kills
    assert {r.status for r in rows(engine)} == {"sent"}
