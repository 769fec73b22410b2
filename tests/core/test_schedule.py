"""Step dates from the pack's working-day rules, on the real statutory calendar of autumn 2026."""

from datetime import date
from pathlib import Path

import chinese_calendar
import pytest

from xinyu.cycle.schedule import due_on_opening, month_of, month_parts, next_month, step_dates, task_due
from xinyu.packs import Pack, load_pack
from xinyu.workdays import WorkCalendar


@pytest.fixture
def qingdao(packs_dir: Path) -> Pack:
    return load_pack("qingdao", packs_dir)


@pytest.fixture
def work(qingdao: Pack) -> WorkCalendar:
    return qingdao.work_calendar()


def test_october_2026_calendar_facts_the_other_tests_rely_on() -> None:
    national_day = [date(2026, 10, d) for d in range(1, 8)]
    assert all(chinese_calendar.is_holiday(d) for d in national_day)
    assert chinese_calendar.is_workday(date(2026, 10, 8))
    assert chinese_calendar.is_workday(date(2026, 10, 10))  # a Saturday, a make-up workday (调休)
    assert date(2026, 10, 10).weekday() == 5


@pytest.mark.parametrize(("step", "earliest", "due"), [
    ("screening", date(2026, 10, 8), date(2026, 10, 13)),     # 1st and 5th working day
    ("ledgers", date(2026, 10, 10), date(2026, 10, 16)),      # the 3rd is the make-up Saturday
    ("meeting", date(2026, 10, 14), date(2026, 10, 22)),
    ("course_check", date(2026, 10, 28), date(2026, 10, 29)),  # -3 and -2: from the month's end
    ("feedback", date(2026, 10, 29), date(2026, 10, 30)),
])
def test_step_dates_of_october_2026(qingdao: Pack, work: WorkCalendar, step: str, earliest: date,
                                    due: date) -> None:
    assert step_dates(qingdao.step(10, step), "2026-10", work) == (earliest, due)


def test_a_working_day_beyond_the_month_gives_its_last_working_day(qingdao: Pack, work: WorkCalendar) -> None:
    rule = qingdao.step(10, "meeting").model_copy(update={"earliest": 20, "due": -23})
    # October 2026 has only 18 working days.
    assert step_dates(rule, "2026-10", work) == (date(2026, 10, 30), date(2026, 10, 8))


def test_step_dates_of_a_month_without_working_days_are_refused(qingdao: Pack) -> None:
    whole_october = [date(2026, 10, d) for d in range(1, 32)]
    with pytest.raises(ValueError, match="没有工作日"):
        step_dates(qingdao.step(10, "screening"), "2026-10", WorkCalendar(extra_holidays=whole_october))


def test_a_pack_holiday_moves_the_dates(qingdao: Pack) -> None:
    work = WorkCalendar(extra_holidays=[date(2026, 10, 8)])  # e.g. a school's sports day off
    assert step_dates(qingdao.step(10, "screening"), "2026-10", work) == (date(2026, 10, 9), date(2026, 10, 14))


def test_a_step_opened_on_time_keeps_its_calendar_due(qingdao: Pack, work: WorkCalendar) -> None:
    rule = qingdao.step(10, "screening")  # at least 2 working days after opening
    assert due_on_opening(date(2026, 10, 13), date(2026, 10, 8), rule, work) == date(2026, 10, 13)


def test_a_step_opened_late_gets_its_minimum_working_days(qingdao: Pack, work: WorkCalendar) -> None:
    rule = qingdao.step(10, "screening")
    assert due_on_opening(date(2026, 10, 13), date(2026, 10, 12), rule, work) == date(2026, 10, 14)


def test_the_minimum_counts_working_days_across_the_holiday(qingdao: Pack, work: WorkCalendar) -> None:
    rule = qingdao.step(9, "feedback")  # 1 working day after opening
    assert due_on_opening(date(2026, 9, 30), date(2026, 9, 30), rule, work) == date(2026, 10, 8)


def test_a_task_shares_its_steps_due(qingdao: Pack) -> None:
    template = qingdao.template(10, "screening", "class_report")
    assert task_due(template, date(2026, 10, 13), "2026-10") == date(2026, 10, 13)


def test_a_dated_extra_task_has_its_own_due(qingdao: Pack) -> None:
    template = qingdao.template(10, "screening", "mental_health_day")  # due_day 20
    assert task_due(template, date(2026, 10, 13), "2026-10") == date(2026, 10, 20)


def test_a_due_day_past_the_months_end_is_its_last_day(qingdao: Pack) -> None:
    template = qingdao.template(10, "screening", "annual_screening_secondary")  # due_day 31
    assert task_due(template, date(2026, 11, 6), "2026-11") == date(2026, 11, 30)
    assert task_due(template, date(2027, 2, 5), "2027-02") == date(2027, 2, 28)


@pytest.mark.parametrize(("month", "expected"), [
    ("2026-10", "2026-11"), ("2026-12", "2027-01"), ("2027-01", "2027-02"), ("2026-09", "2026-10"),
])
def test_next_month(month: str, expected: str) -> None:
    assert next_month(month) == expected


def test_month_of_a_day() -> None:
    assert month_of(date(2026, 1, 31)) == "2026-01"


@pytest.mark.parametrize(("month", "expected"), [("2026-10", (2026, 10)), ("2027-01", (2027, 1))])
def test_month_parts(month: str, expected: tuple[int, int]) -> None:
    assert month_parts(month) == expected


@pytest.mark.parametrize("month", [
    "2026-13", "2026-00", "2026-1", "202610", "2026/10", "2026-10-01", "abcd-ef", "", "2026-+1", "2026- 1",
    "+026-10", "２０２６-10",
])
def test_month_parts_refuses_what_is_not_yyyy_mm(month: str) -> None:
    with pytest.raises(ValueError, match="月份应为 YYYY-MM"):
        month_parts(month)


@pytest.mark.parametrize("call", [next_month, lambda m: step_dates(None, m, WorkCalendar())])  # type: ignore[arg-type]
def test_functions_taking_a_month_refuse_a_bad_one(call: object) -> None:
    with pytest.raises(ValueError, match="月份应为 YYYY-MM"):
        call("2026-13")  # type: ignore[operator]
