"""The chase's calendar: statutory working days (with make-up workdays), minus school vacations."""

from datetime import date, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from xinyu.packs import Vacation
from xinyu.workdays import WorkCalendar

if TYPE_CHECKING:
    from xinyu.cycle.packbook import PackBook


class ChaseCalendar:
    def __init__(self, work: WorkCalendar, vacations: tuple[Vacation, ...] = ()) -> None:
        self.work = work
        self.vacations = vacations
        self.offset = lru_cache(maxsize=4096)(self._offset)  # a run asks for the same (due, today) often

    def in_vacation(self, day: date) -> str | None:
        """The vacation's name if `day` falls in one (a range may cross new year: 12-20 → 01-10)."""
        key = day.strftime("%m-%d")
        for vacation in self.vacations:
            inside = (vacation.start <= key <= vacation.end) if vacation.start <= vacation.end else (
                key >= vacation.start or key <= vacation.end)
            if inside:
                return vacation.name
        return None

    def is_chase_day(self, day: date) -> bool:
        return self.work.is_workday(day) and self.in_vacation(day) is None

    def _offset(self, due: date, today: date) -> int:
        """Chase days from `due` to `today`: 1 on the first working day after the due date, 0 on the
        last working day up to it, negative before. Vacation days are not counted."""
        if today > due:
            return self._count(due, today)
        return -self._count(today, due)

    def _count(self, start: date, end: date) -> int:
        """Chase days in (start, end]."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_chase_day(day)
        return count


def chase_calendar(book: "PackBook", pack_id: str, version: str | None = None) -> ChaseCalendar:
    """`version`: the stored pack version of the task's cycle (Cycle.pack_version); None: the newest."""
    return ChaseCalendar(book.calendar(pack_id, version), book.pack(pack_id, version).calendar.vacations)
