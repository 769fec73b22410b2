"""The working-day calendar against the real statutory data (package chinesecalendar).

Facts below were checked against chinesecalendar 1.11.0 (国务院办公厅 2026 年部分节假日安排):
National Day + Mid-Autumn 2026: 9月25–27日 and 10月1–7日 off, 9月20日（周日）and 10月10日（周六）
make-up workdays; Spring Festival 2026: 2月15–23日 off, 2月14日（周六）and 2月28日（周六）make-up.
"""

import logging
from datetime import date, timedelta

import chinese_calendar
import pytest

from xinyu import statutory
from xinyu.statutory import Statutory
from xinyu.workdays import WorkCalendar

D = date


@pytest.fixture
def work() -> WorkCalendar:
    return WorkCalendar()


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


# --- statutory facts --------------------------------------------------------------------------


def test_national_day_2026(work: WorkCalendar) -> None:
    for day in days(D(2026, 10, 1), D(2026, 10, 7)):
        assert not work.is_workday(day), day
        assert work.holiday_name(day) == "国庆节"
    assert work.is_workday(D(2026, 10, 8))       # Thursday, back to work
    assert work.is_workday(D(2026, 10, 9))
    assert work.is_workday(D(2026, 10, 10))      # Saturday: make-up workday (调休)
    assert not work.is_workday(D(2026, 10, 11))  # Sunday: an ordinary weekend day
    assert work.holiday_name(D(2026, 10, 10)) is None  # a make-up workday is no holiday


def test_mid_autumn_and_the_september_make_up_day_2026(work: WorkCalendar) -> None:
    assert not work.is_workday(D(2026, 9, 19))   # Saturday
    assert work.is_workday(D(2026, 9, 20))       # Sunday: make-up workday for National Day
    for day in days(D(2026, 9, 25), D(2026, 9, 27)):
        assert not work.is_workday(day), day
        assert work.holiday_name(day) == "中秋节"
    assert work.is_workday(D(2026, 9, 28))


def test_spring_festival_2026(work: WorkCalendar) -> None:
    for day in days(D(2026, 2, 15), D(2026, 2, 23)):
        assert not work.is_workday(day), day
        assert work.holiday_name(day) == "春节"
    assert work.is_workday(D(2026, 2, 14))       # Saturday: make-up workday
    assert work.is_workday(D(2026, 2, 24))
    assert work.is_workday(D(2026, 2, 28))       # Saturday: make-up workday
    assert len(work.workdays_of_month(2026, 2)) == 16


def test_ordinary_weekdays_and_weekends(work: WorkCalendar) -> None:
    assert work.is_workday(D(2026, 11, 16))      # Monday
    assert not work.is_workday(D(2026, 11, 14))  # Saturday
    assert not work.is_workday(D(2026, 11, 15))  # Sunday
    assert work.holiday_name(D(2026, 11, 14)) is None


# --- n-th working day -------------------------------------------------------------------------


def test_nth_workday_positive(work: WorkCalendar) -> None:
    # October 2026 starts with the holiday: 8, 9, 10 (Saturday, 调休), 12, 13, ...
    assert [work.nth_workday(2026, 10, n) for n in range(1, 6)] == [
        D(2026, 10, 8), D(2026, 10, 9), D(2026, 10, 10), D(2026, 10, 12), D(2026, 10, 13)]
    assert work.nth_workday(2026, 9, 1) == D(2026, 9, 1)
    assert work.nth_workday(2026, 2, 11) == D(2026, 2, 14)   # the Saturday make-up day counts
    assert work.nth_workday(2026, 2, 12) == D(2026, 2, 24)   # then the Spring Festival gap


def test_nth_workday_negative(work: WorkCalendar) -> None:
    assert work.nth_workday(2026, 10, -1) == D(2026, 10, 30)  # Friday; the 31st is a Saturday
    assert work.nth_workday(2026, 10, -2) == D(2026, 10, 29)
    assert work.nth_workday(2026, 9, -1) == D(2026, 9, 30)
    assert work.nth_workday(2026, 9, -3) == D(2026, 9, 28)    # 25–27 are the Mid-Autumn holiday
    assert work.nth_workday(2026, 2, -1) == D(2026, 2, 28)    # a Saturday make-up day


def test_nth_workday_clamps_to_the_month(work: WorkCalendar) -> None:
    assert len(work.workdays_of_month(2026, 10)) == 18
    assert work.nth_workday(2026, 10, 23) == D(2026, 10, 30)
    assert work.nth_workday(2026, 10, -23) == D(2026, 10, 8)


def test_nth_workday_zero_is_refused(work: WorkCalendar) -> None:
    with pytest.raises(ValueError):
        work.nth_workday(2026, 10, 0)


# --- adding working days ----------------------------------------------------------------------


def test_add_workdays_across_national_day(work: WorkCalendar) -> None:
    assert work.add_workdays(D(2026, 9, 30), 0) == D(2026, 9, 30)
    assert work.add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert work.add_workdays(D(2026, 9, 30), 3) == D(2026, 10, 10)   # the Saturday make-up day
    assert work.add_workdays(D(2026, 9, 30), 4) == D(2026, 10, 12)
    assert work.add_workdays(D(2026, 10, 3), 1) == D(2026, 10, 8)    # from inside the holiday
    assert work.add_workdays(D(2026, 10, 8), -1) == D(2026, 9, 30)
    assert work.add_workdays(D(2026, 9, 24), 1) == D(2026, 9, 28)    # across Mid-Autumn


def test_add_workdays_round_trips_between_workdays(work: WorkCalendar) -> None:
    for start in work.workdays_of_month(2026, 9):
        for count in (1, 2, 5, 10):
            assert work.add_workdays(work.add_workdays(start, count), -count) == start


def test_workdays_between(work: WorkCalendar) -> None:
    assert work.workdays_between(D(2026, 9, 30), D(2026, 10, 7)) == 0
    assert work.workdays_between(D(2026, 9, 30), D(2026, 10, 12)) == 4
    assert work.workdays_between(D(2026, 10, 12), D(2026, 9, 30)) == 0


# --- overdue ----------------------------------------------------------------------------------


def test_is_overdue_from_the_first_workday_after_due(work: WorkCalendar) -> None:
    due = D(2026, 9, 30)
    assert not work.is_overdue(due, D(2026, 9, 30))   # on the due date itself
    assert not work.is_overdue(due, D(2026, 10, 1))
    assert not work.is_overdue(due, D(2026, 10, 5))   # the holiday does not count
    assert not work.is_overdue(due, D(2026, 10, 7))
    assert work.is_overdue(due, D(2026, 10, 8))       # first working day after the due date
    # Due on a holiday: overdue once work resumes.
    assert not work.is_overdue(D(2026, 10, 3), D(2026, 10, 7))
    assert work.is_overdue(D(2026, 10, 3), D(2026, 10, 8))
    # Due Friday 9 October: the Saturday make-up day is the next working day.
    assert work.is_overdue(D(2026, 10, 9), D(2026, 10, 10))
    # Due Friday 16 October: the weekend does not count, Monday does.
    assert not work.is_overdue(D(2026, 10, 16), D(2026, 10, 18))
    assert work.is_overdue(D(2026, 10, 16), D(2026, 10, 19))


@pytest.mark.parametrize("overrides", [
    {},
    {"extra_holidays": [D(2026, 10, 8), D(2026, 11, 2)], "extra_workdays": [D(2026, 10, 4), D(2026, 11, 8)]},
], ids=["statutory", "with overrides"])
def test_overdue_cutoff_agrees_with_is_overdue(overrides: dict[str, list[date]]) -> None:
    """For every (due, today) in Sep–Nov 2026: overdue exactly when due < overdue_cutoff(today)."""
    work = WorkCalendar(**overrides)
    autumn = days(D(2026, 9, 1), D(2026, 11, 30))
    for today in autumn:
        cutoff = work.overdue_cutoff(today)
        for due in autumn:
            assert work.is_overdue(due, today) == (due < cutoff), (due, today, cutoff)


def test_overdue_cutoff_values(work: WorkCalendar) -> None:
    assert work.overdue_cutoff(D(2026, 10, 5)) == D(2026, 9, 30)
    assert work.overdue_cutoff(D(2026, 10, 8)) == D(2026, 10, 8)
    assert work.overdue_cutoff(D(2026, 10, 11)) == D(2026, 10, 10)


# --- a pack's overrides -----------------------------------------------------------------------


def test_extra_holidays_and_workdays_override_the_statutory_calendar() -> None:
    work = WorkCalendar(
        extra_holidays=[D(2026, 9, 21), D(2026, 10, 10)],   # a Monday; the Saturday make-up day
        extra_workdays=[D(2026, 10, 11), D(2026, 10, 5)],   # a Sunday; a National Day holiday
    )
    assert not work.is_workday(D(2026, 9, 21))
    assert not work.is_workday(D(2026, 10, 10))
    assert work.is_workday(D(2026, 10, 11))
    assert work.is_workday(D(2026, 10, 5))
    assert work.nth_workday(2026, 10, 1) == D(2026, 10, 5)
    assert work.add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 5)
    assert work.add_workdays(D(2026, 10, 9), 1) == D(2026, 10, 11)
    untouched = WorkCalendar()
    assert untouched.is_workday(D(2026, 9, 21)) and not untouched.is_workday(D(2026, 10, 5))


# --- a year the package does not cover yet ----------------------------------------------------


def _covered(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def test_fallback_for_a_year_without_data_is_the_statutory_holidays_estimated(
    caplog: pytest.LogCaptureFixture
) -> None:
    """2027 with chinesecalendar 1.11; the first uncovered year, so a package upgrade keeps the test real.
    Never bare Monday–Friday: 元旦, 春节, 清明, 劳动节, 端午, 中秋 and 国庆 are off, and say so in the log."""
    year = next(y for y in range(2026, 2100) if not _covered(y))
    statutory.WARNED.discard(year)  # as in a new process: nothing warned yet
    work = WorkCalendar(statutory=Statutory())  # a fresh calendar: nothing imported
    whole_year = days(date(year, 1, 1), date(year, 12, 31))
    with caplog.at_level(logging.WARNING, logger="xinyu.statutory"):
        off_weekdays = [day for day in whole_year if day.weekday() < 5 and not work.is_workday(day)]
        work.nth_workday(year, 3, -1)
        work.add_workdays(date(year, 5, 1), 10)
    assert all(not work.is_workday(day) for day in whole_year if day.weekday() >= 5)
    assert len(off_weekdays) >= 9 and all(work.holiday_name(day) for day in off_weekdays)
    assert {work.holiday_name(day) for day in off_weekdays} >= {"元旦", "春节", "劳动节", "国庆节"}
    warnings = [r for r in caplog.records if r.name == "xinyu.statutory" and r.levelno == logging.WARNING]
    assert len(warnings) == 1 and str(year) in warnings[0].getMessage()
    assert work.is_estimated(date(year, 1, 1))


def test_fallback_can_be_pinned_with_overrides() -> None:
    """A pack pins a holiday the package does not know yet (extra_holidays)."""
    year = next(y for y in range(2026, 2100) if not _covered(y))
    new_year = date(year, 1, 1)
    work = WorkCalendar(extra_holidays=[new_year] if new_year.weekday() < 5 else [])
    assert not work.is_workday(new_year)
