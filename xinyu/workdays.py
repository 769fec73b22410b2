"""Working days of the Chinese statutory calendar, with make-up workdays (调休).

The statutory data comes from the maintained `chinesecalendar` package. For a year it does not
cover yet (the State Council announces each year's holidays in November), we fall back to
Monday–Friday and say so once per year in the log; a pack can pin dates with its overrides.
"""

import calendar
import logging
from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

log = logging.getLogger(__name__)


class WorkCalendar:
    """Statutory working days plus a pack's own overrides (extra holidays / extra workdays)."""

    def __init__(self, extra_holidays: Iterable[date] = (), extra_workdays: Iterable[date] = ()) -> None:
        self.extra_holidays = frozenset(extra_holidays)
        self.extra_workdays = frozenset(extra_workdays)

    def is_workday(self, day: date) -> bool:
        if day in self.extra_holidays:
            return False
        if day in self.extra_workdays:
            return True
        return _statutory_workday(day)

    def holiday_name(self, day: date) -> str | None:
        try:
            is_holiday, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:
            return None
        return str(name) if is_holiday and name else None

    def workdays_of_month(self, year: int, month: int) -> list[date]:
        last = calendar.monthrange(year, month)[1]
        return [d for d in (date(year, month, n) for n in range(1, last + 1)) if self.is_workday(d)]

    def nth_workday(self, year: int, month: int, n: int) -> date:
        """n-th working day of the month (1-based); negative counts from the end (-1 = last).

        A month with fewer working days than asked gives its last (first) working day.
        """
        if n == 0:
            raise ValueError("工作日序号从 1 起算（-1 为最后一个工作日），不能为 0")
        days = self.workdays_of_month(year, month)
        if not days:
            raise ValueError(f"{year}-{month:02d} 没有工作日")
        if n > 0:
            return days[min(n, len(days)) - 1]
        return days[max(n, -len(days))]

    def add_workdays(self, start: date, count: int) -> date:
        """The date `count` working days after `start` (count=0 gives start itself)."""
        day = start
        step = 1 if count >= 0 else -1
        remaining = abs(count)
        while remaining:
            day += timedelta(days=step)
            if self.is_workday(day):
                remaining -= 1
        return day

    def next_workday_after(self, day: date) -> date:
        return self.add_workdays(day, 1)

    def last_workday_on_or_before(self, day: date) -> date:
        while not self.is_workday(day):
            day -= timedelta(days=1)
        return day

    def is_overdue(self, due: date, today: date) -> bool:
        """Overdue from the first working day after the due date."""
        return self.next_workday_after(due) <= today

    def overdue_cutoff(self, today: date) -> date:
        """Tasks due strictly before this date are overdue today (the same rule, for SQL filters)."""
        return self.last_workday_on_or_before(today)

    def workdays_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; 0 when end <= start."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_workday(day)
        return count


@lru_cache(maxsize=8192)
def _statutory(day: date) -> bool | None:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


# Years already warned about, once per process: calendars are built per pack and per batch.
_WARNED_YEARS: set[int] = set()


def _statutory_workday(day: date) -> bool:
    known = _statutory(day)
    if known is not None:
        return known
    if day.year not in _WARNED_YEARS:
        _WARNED_YEARS.add(day.year)
        log.warning("chinesecalendar 尚无 %s 年法定节假日数据，暂按周一至周五计算；"
                    "请升级该包或在政策包中补充", day.year)
    return day.weekday() < 5
