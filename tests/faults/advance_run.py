"""The days the advance-side fault runs are made of: a small sample district, people doing their work,
the advance-cycles flow's work done through the core (batch by batch, then the district digests), and the
dispatch. Used in-process for the clean reference runs and in tests/faults/advance_worker.py's children.
"""

import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select, update
from sqlmodel import Session, col

from models import OutboxMessage, Person, School
from notifications.dispatcher import dispatch
from tests.notifications.faults import Forker
from tests.state_snapshot import Snapshot, describe_difference, snapshot
from xinyu import sample
from xinyu.chase import queue_district_digests, run_chase
from xinyu.clock import parse_at
from xinyu.consistency import check_consistency
from xinyu.cycle import PackBook, advance
from xinyu.db import make_engine, transaction
from xinyu.roster import import_file
from xinyu.settings import Settings
from xinyu.simulation import record_courses, simulate_work

ROOT = Path(__file__).resolve().parents[2]
PACKS = ROOT / "packs"
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
FIRST_DAY = date(2026, 10, 8)  # after the National Day holiday; the runs cross into November (carry-over)
BATCH = 1  # schools per batch: two workers going opposite ways meet on every school
LATE_RATE = 0.5


@dataclass
class World:
    url: str
    engine: Engine
    book: PackBook
    settings: Settings  # the dispatcher's: mail to the test's SMTP server, the rest to files

    def env(self) -> dict[str, str]:
        return {**os.environ, "XINYU_DATABASE_URL": self.url, "XINYU_SMTP_URL": self.settings.smtp_url or "",
                "XINYU_OUTBOX_DIR": str(self.settings.outbox_dir), "XINYU_PACKS_DIR": str(PACKS)}


def build_world(url: str, workdir: Path, *, seed: int, smtp_url: str, schools: int = 4, classes: int = 3) -> World:
    """A sample district imported from its roster file. Nobody has a phone: every message is an email,
    so the SMTP server sees them all (the SMS path has its own faults in io_faults)."""
    workdir.mkdir(parents=True, exist_ok=True)
    roster = workdir / "教职工名册.csv"
    if not roster.exists():
        sample.write_csv(roster, sample.sample_roster_rows(schools=schools, classes_per_school=classes, seed=seed))
    engine = make_engine(url)
    import_file(engine, roster)
    with transaction(engine) as session:
        session.execute(update(Person).values(phone=None))
    settings = Settings(database_url=url, smtp_url=smtp_url, outbox_dir=workdir / "outbox")
    return World(url, engine, PackBook(engine, pin_newest=True), settings)


def at(day: date, hour: int = 17) -> datetime:
    return parse_at(f"{day.isoformat()}T{hour:02d}:00")


def days(count: int, first: date = FIRST_DAY) -> list[date]:
    return [first + timedelta(days=n) for n in range(count)]


def people_work(world: World, day: date, seed: int) -> None:
    """The day's simulated people: lessons recorded, tasks done (some late), seeded per task identity."""
    with transaction(world.engine) as session:
        record_courses(session, today=day, book=world.book, seed=seed, skip_rate=0.15)
        simulate_work(session, now=at(day, 16), book=world.book, seed=seed, late_rate=LATE_RATE)


def advance_all(engine: Engine, book: PackBook, now: datetime, *, descending: bool = False) -> None:
    """What the advance-cycles flow does: each batch moved and chased in its own transaction, then the digests."""
    with Session(engine) as session:
        ids = list(session.execute(select(col(School.id)).order_by(col(School.id))).scalars())
    batches = [ids[n:n + BATCH] for n in range(0, len(ids), BATCH)]
    for batch in reversed(batches) if descending else batches:
        with transaction(engine) as session:
            advance(session, now=now, book=book, school_ids=batch)
            run_chase(session, now=now, book=book, school_ids=batch)
    with transaction(engine) as session:
        queue_district_digests(session, now=now, book=book)


def dispatch_now(world: World, now: datetime) -> None:
    dispatch(world.engine, now=now, settings=world.settings)


def clean_run(world: World, day_list: list[date], seed: int) -> Snapshot:
    """The reference: the same days, one process, nothing injected."""
    for day in day_list:
        people_work(world, day, seed)
        advance_all(world.engine, world.book, at(day))
        dispatch_now(world, at(day, 18))
    return snapshot(world.engine)


class Worker(Forker):
    """tests/faults/advance_worker.py in a subprocess, driven with the dispatcher forker's protocol."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "tests.faults.advance_worker"], cwd=ROOT, env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def start(self, line: str) -> int:
        return int(self.ask(line).split()[1])

    def finish(self) -> int:
        """Wait for the running child; its exit code (negative: the signal that killed it)."""
        assert self.read() == "ended"
        return int(self.ask("reap").split()[1])


def outbox_keys(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(OUTBOX.c.dedupe_key)).scalars())


def problems(world: World, reference: Snapshot) -> list[str]:
    """What check_consistency finds, and how the state differs from the clean run (each a line)."""
    with Session(world.engine) as session:
        found = check_consistency(session, world.book)
    difference = describe_difference(reference, snapshot(world.engine))
    return found + ([difference] if difference else [])


def delivery_counts(keys: list[str], deliveries: Counter[str]) -> tuple[int, int, int]:
    """(delivered, duplicated, lost) of the queued keys."""
    return (sum(1 for k in keys if deliveries[k]), sum(max(0, deliveries[k] - 1) for k in keys),
            sum(1 for k in keys if not deliveries[k]))
