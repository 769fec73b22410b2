"""The statutory calendar, year by year, from three sources in order of precedence:

1. **imported** — the State Council's schedule for the year, imported with `xinyu calendar import`
   (table `calendar_day`, shared by every pack); its days win over everything below;
2. **chinesecalendar** — the maintained package, for the years it covers;
3. **estimated (推定)** — for a year nobody has published yet: the statutory holidays themselves
   (元旦, 春节, 清明, 劳动节, 端午, 中秋, 国庆, with 补假 for one falling on a weekend), dated by the
   `holidays` package; never bare Monday–Friday. Dates computed from such a year are marked 推定.

Each year is built once per process into a table of days (a dict lookup per day afterwards); the
imported rows are loaded once and reloaded only when the table changed (`sync`), so a big run does
not query per day.
"""

import calendar
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

import chinese_calendar
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from models.calendar import CalendarDay

log = logging.getLogger(__name__)
WARNED: set[int] = set()  # years this process has warned of: once each, not per flow run (a demo runs dozens)

IMPORTED, PACKAGE, ESTIMATED = "imported", "chinesecalendar", "estimated"
SOURCE_LABELS = {IMPORTED: "已导入的国务院安排", PACKAGE: "chinesecalendar 包", ESTIMATED: "推定（按法定节日）"}

# chinesecalendar names holidays in English; `holidays` (zh_CN) marks observed days "（补假）".
CHINESE_NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节", "National Day": "国庆节", "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日", "农历除夕": "春节",
}


def chinese_name(name: str) -> str:
    name = name.replace("（补假）", "").strip()
    return CHINESE_NAMES.get(name, name)


@dataclass(frozen=True)
class Day:
    workday: bool
    name: str | None  # the holiday's Chinese name (on a make-up workday: the holiday it makes up for), else None
    source: str


@dataclass(frozen=True)
class ImportedDay:
    day: date
    kind: str  # holiday | workday
    name: str
    source: str
    imported_at: datetime | None


@lru_cache(maxsize=256)
def package_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def package_years() -> list[int]:
    return [y for y in range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)
            if package_covers(y)]


def estimated_holidays(year: int) -> dict[date, str]:
    """The statutory holidays of a year, by the national regulation's rules (the `holidays` package)."""
    from holidays.countries.china import China  # imported only when a year must be estimated (~0.5 s)

    computed = China(years=year, language="zh_CN")
    return {day: chinese_name(str(name)) for day, name in computed.items()
            if day.year == year and not str(name).startswith("休息日")}


class Statutory:
    """The process-wide statutory calendar: imported years, then chinesecalendar, then the estimate."""

    def __init__(self) -> None:
        self._imported: dict[date, ImportedDay] = {}
        self._imported_years: dict[int, list[ImportedDay]] = {}
        self._years: dict[int, dict[date, Day]] = {}
        self._stamp: tuple[Any, ...] | None = None
        self._checked: tuple[str, float] = ("", 0.0)

    # --- the imported table -----------------------------------------------------------------

    def install(self, rows: Iterable[ImportedDay], stamp: tuple[Any, ...] | None = None) -> None:
        self._imported = {row.day: row for row in rows}
        self._imported_years = {}
        for row in sorted(self._imported.values(), key=lambda r: r.day):
            self._imported_years.setdefault(row.day.year, []).append(row)
        self._years.clear()
        self._stamp = stamp
        if stamp is None:
            self._checked = ("", 0.0)  # installed by hand: the next sync looks at the database again

    def sync(self, engine: Engine, max_age: float = 0.0) -> None:
        """Reload the imported table if it changed since the last load (one small query; skipped when the
        same database was checked less than `max_age` seconds ago: pages of a running web app)."""
        key = str(engine.url)
        if max_age and key == self._checked[0] and time.monotonic() - self._checked[1] < max_age:
            return
        self._checked = (key, time.monotonic())
        try:
            with Session(engine) as session:
                stamp = tuple(session.execute(select(func.count(), func.max(CalendarDay.imported_at),
                                                     func.max(CalendarDay.id))).one())
                if stamp == self._stamp:
                    return
                rows = [ImportedDay(r.day, r.kind, r.name, r.source, r.imported_at)
                        for r in session.execute(select(CalendarDay)).scalars()]
        except SQLAlchemyError:  # a database not migrated yet (no table): nothing imported
            stamp, rows = None, []
        self.install(rows, stamp)

    def imported_years(self) -> dict[int, list[ImportedDay]]:
        return self._imported_years

    # --- lookups ------------------------------------------------------------------------------

    def source(self, year: int) -> str:
        if year in self._imported_years:
            return IMPORTED
        return PACKAGE if package_covers(year) else ESTIMATED

    def day(self, day: date) -> Day:
        table = self._years.get(day.year)
        if table is None:
            table = self._years[day.year] = self._build(day.year)
        return table[day]

    def _build(self, year: int) -> dict[date, Day]:
        source = self.source(year)
        first = date(year, 1, 1)
        days = [first + timedelta(days=n) for n in range(366 if calendar.isleap(year) else 365)]
        table: dict[date, Day] = {}
        if source == ESTIMATED:
            if year not in WARNED:
                WARNED.add(year)
                log.warning("%s 年的国务院节假日安排尚未导入（chinesecalendar 也没有）：按法定节日推定，"
                            "据此算出的日期标为“推定”；请用 xinyu calendar import 导入", year)
            named = estimated_holidays(year)
            for day in days:
                name = named.get(day)
                table[day] = Day(workday=name is None and day.weekday() < 5, name=name, source=source)
            return table
        covered = package_covers(year)
        for day in days:
            if covered:
                is_holiday, name = chinese_calendar.get_holiday_detail(day)
                table[day] = Day(not is_holiday, chinese_name(name) if name else None, source)
            else:
                table[day] = Day(day.weekday() < 5, None, source)
        for day in days:
            imported = self._imported.get(day)
            if imported is not None:
                holiday = imported.kind == "holiday"
                table[day] = Day(not holiday, imported.name or None, IMPORTED)
        return table


STATUTORY = Statutory()


def sync_calendar(bind: Engine | Session, max_age: float = 0.0) -> None:
    """Make this process's statutory calendar current with the database's imported schedules."""
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    assert isinstance(engine, Engine)
    STATUTORY.sync(engine, max_age)


PAGE_MAX_AGE = 10.0  # a page reads the table at most every 10 s
