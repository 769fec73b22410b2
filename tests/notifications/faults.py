"""Kill dispatchers with SIGKILL at random points until every queued email is delivered, and account
for every delivery: none lost, and every duplicate explained by a kill that caught it in flight.

Used by tests/notifications/test_dispatch_faults.py and, at larger scale, bench/dispatch_faults.py.
Kills land either when the SMTP server has taken a random number more messages in a run (so mid
transaction, possibly after the server said 250 and before the dispatcher recorded it) or after a
random delay (start-up, claiming, committing). After a kill, the rows still `sending` are the
messages in flight; their leases are then expired, as time would, so the next run takes them over.
"""

import os
import random
import signal
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select, update

from models import OutboxMessage
from tests.notifications.servers import SmtpServer

ROOT = Path(__file__).resolve().parents[2]
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]


@dataclass
class FaultReport:
    queued: int
    runs: int
    kills: int
    delivered: int  # distinct messages the server received
    duplicated: int  # deliveries beyond the first
    lost: int  # queued, never delivered
    in_flight_at_kills: int  # summed over kills: claimed and not yet recorded when the dispatcher died
    most_in_flight: int  # at a single kill
    delivered_unrecorded: int  # summed over kills: of those in flight, the ones the server had already taken
    unexplained: int  # duplicates of a message that was not in flight at as many kills (must be 0)


class Forker:
    """The dispatcher factory subprocess (tests/notifications/dispatch_forker.py)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "tests.notifications.dispatch_forker"], cwd=ROOT,
                                        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(self, line: str) -> str:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return self.read()

    def read(self) -> str:
        assert self.process.stdout
        reply = self.process.stdout.readline().strip()
        assert reply, "the dispatcher factory died"
        return reply

    def close(self) -> None:
        assert self.process.stdin
        self.process.stdin.close()
        self.process.wait(timeout=30)


def run_with_kills(*, engine: Engine, server: SmtpServer, env: dict[str, str], at: str, kills: int, seed: int,
                   most_per_run: int = 40, longest_delay: float = 0.1, max_runs: int = 1000) -> FaultReport:
    rng, recorder = random.Random(seed), server.recorder
    forker = Forker({**os.environ, **env})
    target: dict[str, int | None] = {"pid": None, "at": None}

    def kill() -> None:
        if target["pid"] is not None:
            os.kill(target["pid"], signal.SIGKILL)  # the child is not reaped yet: the pid is still its own

    def on_delivery(total: int) -> None:
        # Only once the run's pid is known: a late delivery from the last (killed) run must not use it up.
        if target["pid"] is not None and target["at"] is not None and total >= target["at"]:
            target["at"] = None
            kill()

    recorder.on_delivery = on_delivery
    caught: Counter[str] = Counter()  # dedupe key → kills that caught it in flight
    done_kills, runs, in_flight, most, unrecorded = 0, 0, 0, 0, 0
    try:
        while True:
            runs += 1
            assert runs <= max_runs, "the outbox never emptied"
            timer = None
            planned = done_kills < kills
            if planned and rng.random() < 0.6:
                target["at"] = sum(recorder.deliveries.values()) + rng.randint(1, most_per_run)
            elif planned:
                timer = threading.Timer(rng.uniform(0, longest_delay), kill)
            target["pid"] = int(forker.ask(f"run {at}").split()[1])
            if timer:
                timer.start()
            assert forker.read() == "ended"
            if timer:
                timer.cancel()
            target["at"] = None
            target["pid"] = None
            code = int(forker.ask("reap").split()[1])
            if code == -signal.SIGKILL:
                done_kills += 1
                keys = _in_flight(engine)
                caught.update(keys)
                in_flight, most = in_flight + len(keys), max(most, len(keys))
                unrecorded += sum(1 for k in keys if recorder.deliveries[k])
                _expire_leases(engine)
            else:
                assert code == 0, f"a dispatcher failed (exit {code})"
                if _unsent(engine) == 0:  # a whole run ended normally and nothing is left: done
                    break
    finally:
        recorder.on_delivery = None
        forker.close()
    with engine.connect() as conn:
        queued = list(conn.execute(select(OUTBOX.c.dedupe_key)).scalars())
    deliveries = recorder.deliveries
    return FaultReport(
        queued=len(queued), runs=runs, kills=done_kills, delivered=sum(1 for k in queued if deliveries[k]),
        duplicated=sum(max(0, deliveries[k] - 1) for k in queued), lost=sum(1 for k in queued if not deliveries[k]),
        in_flight_at_kills=in_flight, most_in_flight=most, delivered_unrecorded=unrecorded,
        unexplained=sum(max(0, deliveries[k] - 1 - caught[k]) for k in queued),
    )


def _in_flight(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(OUTBOX.c.dedupe_key).where(OUTBOX.c.status == "sending")).scalars())


def _expire_leases(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(update(OUTBOX).where(OUTBOX.c.status == "sending")
                     .values(claimed_until=datetime.now(UTC) - timedelta(seconds=1)))


def _unsent(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(OUTBOX.c.status != "sent")).scalar_one())
