"""Dispatch of queued emails from a SQLite outbox, against the naive way, on the same SMTP servers.

    .venv/bin/python bench/dispatch_email.py [--messages 5000] [--pool 16] [--baseline-sample 1000 200]

OURS      notifications.dispatcher.dispatch with the SMTP channel: claims in batches, a pool of reused
          aiosmtplib connections sending concurrently, outcomes committed in small groups.
BASELINE  one message at a time: the standard library builds it (email.message) and smtplib sends it
          on a new connection, then its row is marked sent. Run on a sample; rates are compared.

Both run twice: against aiosmtpd on loopback in a separate process, and against the same server
waiting 20 ms before every reply, as a relay across a city would. Each run starts from a fresh
outbox; every message is checked delivered (server count) and recorded sent.
"""

import argparse
import smtplib
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"

from sqlalchemy import Engine, select, update  # noqa: E402

from bench.out_db import fresh_sqlite  # noqa: E402
from models import OutboxMessage  # noqa: E402
from notifications.dispatcher import dispatch  # noqa: E402
from notifications.outbox import message_row, queue_rows  # noqa: E402
from xinyu.clock import SHANGHAI  # noqa: E402
from xinyu.db import make_engine, transaction  # noqa: E402
from xinyu.settings import Settings  # noqa: E402

NOW = datetime(2026, 10, 9, 9, 0, tzinfo=SHANGHAI)
SENDER = "心育闭环 <noreply@xinyu.example>"
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]


class Sink:
    """bench/smtp_sink.py in its own process."""

    def __init__(self, delay_ms: float) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process = subprocess.Popen([sys.executable, str(ROOT / "bench" / "smtp_sink.py"), str(self.port),
                                         "--delay-ms", str(delay_ms)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True)
        assert self.process.stdout and self.process.stdout.readline().strip() == "ready"

    def accepted(self) -> int:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write("count\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())

    def stop(self) -> None:
        assert self.process.stdin
        self.process.stdin.close()
        self.process.wait(timeout=30)


def fresh_outbox(name: str, messages: int) -> Engine:
    engine = make_engine(fresh_sqlite(name))
    body = "\n".join(f"{n}. 四年级{n}班：月度心理筛查汇总表待提交（截止10月13日）" for n in range(1, 21))
    html = "".join(f"<li>四年级{n}班：月度心理筛查汇总表待提交（截止<b>10月13日</b>）</li>" for n in range(1, 21))
    rows = [message_row(dedupe_key=f"bench:{n}:email", channel="email", address=f"teacher{n}@school.example.cn",
                        subject=f"【心育闭环】您有3项工作需处理（{n}）", body_text=f"王老师，您好：\n\n{body}\n",
                        body_html=f"<p>王老师，您好：</p><ul>{html}</ul>", now=NOW) for n in range(messages)]
    with transaction(engine) as session:
        queue_rows(session, rows)
    return engine


def ours(engine: Engine, sink: Sink, pool: int) -> float:
    settings = Settings(smtp_url=f"smtp://127.0.0.1:{sink.port}?tls=none", smtp_pool_size=pool, mail_from=SENDER,
                        outbox_dir=OUT / "outbox")
    start = time.perf_counter()
    result = dispatch(engine, now=NOW, settings=settings)
    elapsed = time.perf_counter() - start
    assert result.sent == result.count("sent", "email") and result.retried == result.failed == 0, result
    return elapsed


def baseline(engine: Engine, sink: Sink) -> float:
    """The naive dispatcher: per message, build with the standard library, connect, send, quit, commit."""
    start = time.perf_counter()
    with engine.connect() as conn:
        queued = conn.execute(select(OUTBOX).where(OUTBOX.c.status == "queued").order_by(OUTBOX.c.id)).all()
    for row in queued:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = SENDER, row.address, row.subject
        mail["X-Xinyu-Dedupe-Key"] = row.dedupe_key
        mail.set_content(row.body_text)
        mail.add_alternative(row.body_html, subtype="html")
        with smtplib.SMTP("127.0.0.1", sink.port) as smtp:
            smtp.send_message(mail)
        with engine.begin() as conn:
            conn.execute(update(OUTBOX).where(OUTBOX.c.id == row.id).values(status="sent", sent_at=NOW))
    return time.perf_counter() - start


@dataclass
class Line:
    server: str
    ours_rate: float
    ours_n: int
    baseline_rate: float
    baseline_n: int


def measure(delay_ms: float, *, messages: int, sample: int, pool: int) -> Line:
    sink = Sink(delay_ms)
    try:
        engine = fresh_outbox(f"dispatch-ours-{delay_ms:g}ms.db", messages)
        elapsed = ours(engine, sink, pool)
        assert sink.accepted() == messages, "the server did not get every message"
        naive = fresh_outbox(f"dispatch-baseline-{delay_ms:g}ms.db", sample)
        base = baseline(naive, sink)
        assert sink.accepted() == messages + sample
        for db in (engine, naive):
            with db.connect() as conn:
                assert set(conn.execute(select(OUTBOX.c.status)).scalars()) == {"sent"}
            db.dispose()
    finally:
        sink.stop()
    label = "loopback" if not delay_ms else f"+{delay_ms:g} ms per command"
    return Line(label, messages / elapsed, messages, sample / base, sample)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--pool", type=int, default=16, help="SMTP connections (XINYU_SMTP_POOL_SIZE)")
    parser.add_argument("--baseline-sample", type=int, nargs=2, default=[1000, 200], metavar=("LOOPBACK", "SLOW"),
                        help="messages the baseline sends, on loopback and on the slow server")
    parser.add_argument("--delay-ms", type=float, default=20.0)
    args = parser.parse_args(argv)
    lines = [measure(0, messages=args.messages, sample=args.baseline_sample[0], pool=args.pool),
             measure(args.delay_ms, messages=args.messages, sample=args.baseline_sample[1], pool=args.pool)]
    print(f"\nDispatch of {args.messages:,} queued emails from a SQLite outbox (aiosmtpd in its own process), "
          f"pool of {args.pool} connections")
    print(f"{'server':<24}{'ours msg/s':>12}{'baseline msg/s':>16}{'(sample)':>10}{'ratio':>9}")
    for line in lines:
        print(f"{line.server:<24}{line.ours_rate:>12,.0f}{line.baseline_rate:>16,.1f}{line.baseline_n:>10,}"
              f"{line.ours_rate / line.baseline_rate:>8.1f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
