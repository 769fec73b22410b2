"""tests/state_snapshot.py, the yardstick of "equals a clean run": insertion order does not matter,
a real difference does."""

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from tests.state_snapshot import describe_difference, snapshot
from xinyu.chase import run_chase
from xinyu.clock import parse_at
from xinyu.cycle import PackBook, advance
from xinyu.db import make_engine, migrate, transaction
from xinyu.demo import load_demo_district
from xinyu.month_run import run_days
from xinyu.simulation import simulate_work


@pytest.fixture(scope="module")
def district_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three schools imported, then 2026-10-08 … 10-20 run day by day (SQLite: the yardstick is engine-neutral)."""
    folder = tmp_path_factory.mktemp("snapshot")
    path = folder / "district.db"
    migrate(f"sqlite:///{path}")
    engine = make_engine(f"sqlite:///{path}")
    load_demo_district(engine, workdir=folder / "files", schools=3, classes=3)
    engine.dispose()
    return path


def copy_of(district_db: Path, tmp_path: Path, name: str) -> Engine:
    target = tmp_path / name
    shutil.copy(district_db, target)
    return make_engine(f"sqlite:///{target}")


def run_school_by_school(engine: Engine, book: PackBook, first: date, last: date, order: list[int]) -> None:
    """The same days as run_days, but each day's advance and chase one school at a time in `order`."""
    day = first
    while day <= last:
        now = parse_at(f"{day.isoformat()}T17:00")
        with transaction(engine) as session:
            simulate_work(session, now=now, book=book, seed=7, late_rate=0.3)
            for school in order:
                advance(session, now=now, book=book, school_ids=[school])
                run_chase(session, now=now, book=book, school_ids=[school])
        day = date.fromordinal(day.toordinal() + 1)


def test_the_same_days_in_another_order_give_the_same_snapshot(
    district_db: Path, tmp_path: Path, book: PackBook
) -> None:
    first, last = date(2026, 10, 8), date(2026, 11, 4)  # into November: carried tasks, missed steps
    forward, backward = copy_of(district_db, tmp_path, "a.db"), copy_of(district_db, tmp_path, "b.db")
    run_school_by_school(forward, book, first, last, [1, 2, 3])
    run_school_by_school(backward, book, first, last, [3, 2, 1])
    with forward.connect() as conn:  # the ids really differ, or the test proves nothing
        ids_forward = conn.execute(text("SELECT school_id FROM cycle ORDER BY id")).scalars().all()
    with backward.connect() as conn:
        ids_backward = conn.execute(text("SELECT school_id FROM cycle ORDER BY id")).scalars().all()
    assert ids_forward != ids_backward

    a, b = snapshot(forward), snapshot(backward)
    assert sum(len(rows) for rows in a.values()) > 150
    assert a["chase_event"] and a["outbox"]
    assert any("carried:" in str(row) for row in a["task"])
    assert describe_difference(a, b) == ""


def test_a_changed_due_date_or_a_missing_message_shows(district_db: Path, tmp_path: Path, book: PackBook) -> None:
    engine = copy_of(district_db, tmp_path, "c.db")
    run_days(engine, first=date(2026, 10, 8), last=date(2026, 10, 16), book=book)
    before = snapshot(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE task SET due = '2026-12-31' WHERE id = (SELECT max(id) FROM task)"))
        conn.execute(text("DELETE FROM outbox WHERE id = (SELECT min(id) FROM outbox)"))
    difference = describe_difference(before, snapshot(engine))
    assert "task: " in difference and "2026-12-31" in difference
    assert "outbox: " in difference and "1 only in the first, 0 only in the second" in difference
