"""Working days of the Chinese statutory calendar, with make-up workdays (调休).

The statutory days come from xinyu/statutory.py: an imported State Council schedule, else the
`chinesecalendar` package, else (a year nobody has published yet) the statutory holidays themselves,
estimated (推定). A pack can pin dates with its overrides (`calendar.extra_holidays` / `extra_workdays`).
"""

import calendar
from collections.abc import Iterable
from datetime import date, timedelta

from xinyu.statutory import ESTIMATED, STATUTORY, Statutory

PINNED_HOLIDAY = "政策包指定休息日"
PINNED_WORKDAY = "政策包指定上班"


class WorkCalendar:
    """Statutory working days plus a pack's own overrides (extra holidays / extra workdays)."""

    def __init__(self, extra_holidays: Iterable[date] = (), extra_workdays: Iterable[date] = (),
                 statutory: Statutory = STATUTORY) -> None:
        self.extra_holidays = frozenset(extra_holidays)
        self.extra_workdays = frozenset(extra_workdays)
        self.statutory = statutory

    def is_workday(self, day: date) -> bool:
        if day in self.extra_holidays:
            return False
        if day in self.extra_workdays:
            return True
        return self.statutory.day(day).workday

    def holiday_name(self, day: date) -> str | None:
        """The Chinese name of the holiday `day` falls in (a pinned day: the pack's), else None."""
        if day in self.extra_holidays:
            return self.statutory.day(day).name or PINNED_HOLIDAY
        if day in self.extra_workdays:
            return None
        known = self.statutory.day(day)
        return None if known.workday else known.name

    def makeup_name(self, day: date) -> str | None:
        """On a working day that is a weekend day or a statutory holiday: why it is worked (调休, pinned)."""
        if day in self.extra_workdays:
            return PINNED_WORKDAY
        known = self.statutory.day(day)
        if known.workday and day.weekday() >= 5:
            return f"{known.name}调休" if known.name else "调休上班"
        return None

    def is_estimated(self, day: date) -> bool:
        """True when `day`'s year has no published schedule: its holidays are estimated (推定)."""
        return self.statutory.source(day.year) == ESTIMATED

    def crosses_estimated(self, start: date, end: date) -> bool:
        """True when counting between the two dates (either order) touches an estimated year."""
        low, high = min(start, end), max(start, end)
        return any(self.statutory.source(year) == ESTIMATED for year in range(low.year, high.year + 1))

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
