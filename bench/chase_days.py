"""The chase at scale: a screening step left undone by every class of every school.

    .venv/bin/python bench/chase_days.py [--schools 1000] [--classes 30] [--baseline-schools 100]

Setup (not timed): the organisation, October opened, the screening step opened on 10-08 (every class
gets its report task, due 10-13). Then the chase runs on each working day from 10-09 to 10-20 with
nobody finishing: reminders before and on the due date, daily reminders, the school level on 10-15 and
the district inbox on 10-20.

OURS      xinyu.chase.run_chase per batch of 100 schools (as the advance flow does), then the district
          digest once per run: one digest email and one SMS per person per run, bulk SQL.
BASELINE  bench/chase_naive.py: task by task with ORM rows, one email and one SMS per task and rung.
Both run on the same subset in the same process, on their own copy of the same database; OURS also runs
at full size. Ratios are baseline time / ours on the subset.
"""

import argparse
import shutil
import sys
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"

DAYS = [date(2026, 10, d) for d in (9, 10, 12, 13, 14, 15, 16, 19, 20)]  # working days (10-10: make-up)


def prepare(name: str, schools: int, classes: int) -> str:
    from sqlalchemy import update

    from bench.lifecycle_org import build_org
    from bench.out_db import fresh_sqlite
    from models import Person
    from xinyu.clock import SHANGHAI
    from xinyu.cycle import PackBook, advance, open_month
    from xinyu.db import make_engine, transaction

    url = fresh_sqlite(name)
    engine = make_engine(url)
    book = PackBook(engine, pin_newest=True)
    build_org(engine, schools=schools, classes=classes, month="2026-10", book=book)
    ids = list(range(1, schools + 1))
    with transaction(engine) as session:
        session.execute(update(Person).values(phone="13800000000"))
        open_month(session, month="2026-10", now=datetime(2026, 10, 1, 0, 10, tzinfo=SHANGHAI), book=book)
        for part in range(0, len(ids), 100):
            advance(session, now=datetime(2026, 10, 8, 9, tzinfo=SHANGHAI), book=book, school_ids=ids[part:part + 100])
    engine.dispose()
    return url


def copy(url: str, name: str) -> str:
    source = Path(url.removeprefix("sqlite:///"))
    target = OUT / name
    for suffix in ("", "-wal", "-shm"):
        (OUT / f"{name}{suffix}").unlink(missing_ok=True)
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", f"{target}{suffix}")
    return f"sqlite:///{target}"


def run(url: str, schools: int, *, naive: bool) -> tuple[float, list[tuple[date, float, int, int]]]:
    from sqlalchemy import func
    from sqlmodel import Session, select

    from bench.chase_naive import naive_chase
    from models import ChaseEvent, OutboxMessage
    from xinyu.chase import queue_district_digests, run_chase
    from xinyu.clock import SHANGHAI
    from xinyu.cycle import PackBook
    from xinyu.db import make_engine, transaction

    engine = make_engine(url)
    book = PackBook(engine, pin_newest=True)
    ids = list(range(1, schools + 1))
    days, total = [], 0.0
    for day in DAYS:
        now = datetime(day.year, day.month, day.day, 7, tzinfo=SHANGHAI)
        start = time.perf_counter()
        for part in range(0, len(ids), 100):
            with transaction(engine) as session:
                if naive:
                    naive_chase(session, now=now, book=book, school_ids=ids[part:part + 100])
                else:
                    run_chase(session, now=now, book=book, school_ids=ids[part:part + 100])
        if not naive:
            with transaction(engine) as session:
                queue_district_digests(session, now=now, book=book)
        seconds = time.perf_counter() - start
        total += seconds
        with Session(engine) as session:
            events = session.exec(select(func.count()).select_from(ChaseEvent)).one()
            messages = session.exec(select(func.count()).select_from(OutboxMessage)).one()
        days.append((day, seconds, events, messages))
    engine.dispose()
    return total, days


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schools", type=int, default=1000)
    parser.add_argument("--classes", type=int, default=30)
    parser.add_argument("--baseline-schools", type=int, default=100)
    args = parser.parse_args()
    import logging

    logging.getLogger("xinyu.workdays").setLevel(logging.ERROR)
    subset = prepare("chase-subset.db", args.baseline_schools, args.classes)
    ours_small, _ = run(copy(subset, "chase-ours.db"), args.baseline_schools, naive=False)
    naive_small, _ = run(copy(subset, "chase-naive.db"), args.baseline_schools, naive=True)
    full = prepare("chase-full.db", args.schools, args.classes)
    ours_full, days = run(full, args.schools, naive=False)
    print(f"Chase · screening undone by every class · {len(DAYS)} working days 10-09 … 10-20 · SQLite WAL")
    print(f"\n  {args.schools:,} schools × {args.classes} classes, ours, day by day (cumulative rows):")
    print("    day      seconds   ladder events   outbox rows")
    for day, seconds, events, messages in days:
        print(f"    {day:%m-%d}   {seconds:7.2f}   {events:13,}   {messages:11,}")
    print("\n  run                                          schools×classes   seconds")
    subset_size = f"{args.baseline_schools:>7}×{args.classes:<7}"
    print(f"  OURS     bulk, one digest per person per run  {subset_size} {ours_small:9.2f}")
    print(f"  BASELINE task by task, a message per rung    {subset_size} {naive_small:9.2f}")
    print(f"  OURS     at full size                         {args.schools:>7}×{args.classes:<7} {ours_full:9.2f}")
    print(f"\n  ratio on the subset  baseline / ours = {naive_small / ours_small:6.1f}×")
    print(f"  ours per school-day at full size    = {1000 * ours_full / (args.schools * len(DAYS)):6.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
