"""The SIGKILL fault run at scale: dispatchers killed at random points until the outbox is empty.

    .venv/bin/python bench/dispatch_faults.py [--messages 5000] [--kills 100] [--database-url URL]

Same harness as tests/notifications/test_dispatch_faults.py (tests/notifications/faults.py), with
the project's default batch and pool sizes: a real aiosmtpd server on loopback counts deliveries by
dedupe key; after each kill the rows still `sending` are the messages in flight, and their leases
are expired as time would. Prints queued / delivered / duplicated / lost and what the kills caught.
--database-url takes an empty, migrated database (e.g. PostgreSQL); default a fresh SQLite file.
"""

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"

from bench.out_db import fresh_sqlite  # noqa: E402
from notifications.outbox import message_row, queue_rows  # noqa: E402
from tests.notifications.faults import run_with_kills  # noqa: E402
from tests.notifications.servers import SmtpServer  # noqa: E402
from xinyu.clock import SHANGHAI  # noqa: E402
from xinyu.db import make_engine, transaction  # noqa: E402

NOW = datetime(2026, 10, 9, 9, 0, tzinfo=SHANGHAI)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--most-per-run", type=int, default=60, help="a kill comes within this many deliveries")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url")
    args = parser.parse_args(argv)
    url = args.database_url
    if not url:
        url = fresh_sqlite("faults.db")
    engine = make_engine(url)
    rows = [message_row(dedupe_key=f"faults:{n}:email", channel="email", address=f"teacher{n}@school.example.cn",
                        subject=f"心育工作提醒（{n}）", body_text="您有3项工作需处理。",
                        body_html="<p>您有3项工作需处理。</p>", now=NOW) for n in range(args.messages)]
    with transaction(engine) as session:
        queue_rows(session, rows)
    start = time.perf_counter()
    with SmtpServer() as server:
        server.recorder.data_delay = 0.001
        env = {"XINYU_DATABASE_URL": url, "XINYU_SMTP_URL": server.url, "XINYU_OUTBOX_DIR": str(OUT / "outbox")}
        report = run_with_kills(engine=engine, server=server, env=env, at=NOW.isoformat(), kills=args.kills,
                                seed=args.seed, most_per_run=args.most_per_run, longest_delay=0.1,
                                max_runs=args.kills * 3)
    elapsed = time.perf_counter() - start
    print(f"\nSIGKILL fault run on {engine.dialect.name}: {report.runs} dispatcher runs, {report.kills} killed, "
          f"{elapsed:.0f} s")
    lines = [("queued", report.queued), ("delivered", report.delivered), ("duplicated", report.duplicated),
            ("lost", report.lost), ("in flight at the kills (claimed, unrecorded)", report.in_flight_at_kills),
            ("  most at one kill", report.most_in_flight),
            ("  of which already delivered", report.delivered_unrecorded),
            ("duplicates not caught in flight by a kill", report.unexplained)]
    for label, value in lines:
        print(f"{label:<46}{value:>8,}")
    ok = report.lost == 0 and report.unexplained == 0 and report.delivered == report.queued
    print("OK: nothing lost, every duplicate was in flight at a kill" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
