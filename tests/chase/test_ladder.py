"""The ladder as a pure function, and the chase calendar's counting (QD-S1, REQUIREMENTS §7)."""

from datetime import date
from pathlib import Path

import pytest

from tests.conftest import memory_book
from xinyu.chase.calendar import chase_calendar
from xinyu.chase.ladder import rungs_to_fire

PACKS = Path(__file__).resolve().parents[2] / "packs"
BOOK = memory_book()
LADDER = BOOK.pack("qingdao").chase.ladder("step")  # type: ignore[union-attr]
DUE = date(2026, 10, 13)


@pytest.mark.parametrize(("today", "offset"), [
    (date(2026, 9, 30), -5),   # 10-08, 10-09, 10-10 (make-up Saturday), 10-12, 10-13: the holiday does not count
    (date(2026, 10, 9), -3),
    (date(2026, 10, 10), -2),  # the make-up Saturday is a working day
    (date(2026, 10, 12), -1),
    (date(2026, 10, 13), 0),
    (date(2026, 10, 14), 1),   # due on the 13th: the 14th is one working day overdue
    (date(2026, 10, 16), 3),
    (date(2026, 10, 19), 4),   # the weekend did not count
    (date(2026, 10, 20), 5),
])
def test_offsets_count_working_days_from_the_due_date(today: date, offset: int) -> None:
    assert chase_calendar(BOOK, "qingdao").offset(DUE, today) == offset


def test_holidays_weekends_and_vacations_are_not_chase_days() -> None:
    calendar = chase_calendar(BOOK, "qingdao")
    assert not calendar.is_chase_day(date(2026, 10, 5))   # National Day
    assert calendar.is_chase_day(date(2026, 10, 10))      # make-up workday
    assert not calendar.is_chase_day(date(2026, 10, 17))  # Saturday
    assert calendar.in_vacation(date(2026, 7, 20)) == "暑假"
    assert not calendar.is_chase_day(date(2026, 7, 20))   # a Monday in the summer vacation
    assert calendar.offset(date(2026, 7, 10), date(2026, 9, 1)) == 1  # the vacation paused the count


def keys(offset: int, fired: set[tuple[str, str]] = frozenset(), today: date = DUE,  # type: ignore[assignment]
         acknowledged: bool = False) -> list[tuple[str, str]]:
    return [(f.rung.key, f.occasion) for f in rungs_to_fire(LADDER, offset=offset, due=DUE, today=today,
                                                             fired=set(fired), acknowledged=acknowledged)]


def test_each_rung_fires_on_its_day_and_only_once() -> None:
    assert keys(-3) == []
    assert keys(-2) == [("before_due", "2026-10-13")]
    assert keys(-1, {("before_due", "2026-10-13")}) == []
    assert keys(0, {("before_due", "2026-10-13")}) == [("due_day", "2026-10-13")]
    assert keys(1, today=date(2026, 10, 14)) == [("overdue", "2026-10-14")]
    assert keys(2, {("overdue", "2026-10-14")}, today=date(2026, 10, 15)) == [
        ("overdue", "2026-10-15"), ("school", "2026-10-13")]


def test_a_late_task_gets_one_current_reminder_not_a_backlog() -> None:
    # Created on its due date: no "two days before" reminder after the fact.
    assert keys(0) == [("due_day", "2026-10-13")]


def test_escalations_catch_up_when_runs_were_missed() -> None:
    assert keys(6, today=date(2026, 10, 21)) == [
        ("overdue", "2026-10-21"), ("school", "2026-10-13"), ("district", "2026-10-13")]


def test_acknowledged_tasks_are_not_reminded_but_still_escalate() -> None:
    assert keys(2, today=date(2026, 10, 15), acknowledged=True) == [("school", "2026-10-13")]
