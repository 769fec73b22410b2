"""Run a sample district through days of a month with the core alone (no Prefect): for the web's
tests and benchmarks, and anyone who needs realistic data quickly. The flows do the same per batch."""

from datetime import date, timedelta

from sqlalchemy import Engine

from xinyu.chase import run_chase
from xinyu.clock import parse_at
from xinyu.cycle import PackBook, advance
from xinyu.db import transaction
from xinyu.simulation import TaskIdentity, record_courses, record_ledger_entries, simulate_work, task_identity


def run_days(engine: Engine, *, first: date, last: date, book: PackBook, seed: int = 7, late_rate: float = 0.3,
             skip_rate: float = 0.15, ledger_day: date | None = None, identity: TaskIdentity = task_identity) -> None:
    """Each day at 17:00: people do their work (some late), lessons are recorded, then advance and chase."""
    day = first
    while day <= last:
        now = parse_at(f"{day.isoformat()}T17:00")
        with transaction(engine) as session:
            record_courses(session, today=day, book=book, seed=seed, skip_rate=skip_rate)
            if day == ledger_day:
                record_ledger_entries(session, now=now)
            simulate_work(session, now=now, book=book, seed=seed, late_rate=late_rate, identity=identity)
            advance(session, now=now, book=book)
            run_chase(session, now=now, book=book)
        day += timedelta(days=1)
