"""The school year's work list and schedule (QD-S1 细化年度重点工作清单和进度安排): months × steps.

A month already opened shows each step's status and dates from the database; a month not yet opened
shows the dates the pack plans for it (working-day rules on the statutory calendar). Vacation months,
the pack's school vacations and its month-bound work (theme months QD-T7/QD-T11, yearly screening QD-3)
are marked. Dates and counts only: the same for staff and for the district's officers.
"""

import re
from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models import Cycle, School, SchoolClass, Step, Task
from xinyu.chase.calendar import chase_calendar
from xinyu.cycle.packbook import PackBook
from xinyu.cycle.schedule import step_dates, task_due
from xinyu.cycle.states import TaskStatus
from xinyu.month_board import Cell, cell
from xinyu.months import month_of, month_range
from xinyu.packs import Pack

SCHOOL_YEAR = re.compile(r"([0-9]{4})-([0-9]{4})")
FIRST_MONTH = 9  # a school year runs September → July (August too, if a cycle was opened for it)


class YearColumn(BaseModel):
    key: str
    label: str
    clause: str


class PlannedCell(BaseModel):
    status: Literal["planned"] = "planned"
    text: str
    earliest: date
    due: date


class MonthWork(BaseModel):
    title: str
    clause: str
    due: date


class YearMonth(BaseModel):
    month: str
    label: str  # 9月
    variant: Literal["regular", "vacation"]
    vacations: list[str]  # school vacations (pack calendar) touching the month
    opened: bool
    missed: bool  # a month already begun (or past) that was never opened for this school
    cycle_status: Literal["open", "closed"] | None
    cells: dict[str, Cell | PlannedCell]
    month_work: list[MonthWork]  # the pack's extra work of that month for this school's stages
    open_tasks: int
    overdue_tasks: int
    done_tasks: int


class YearView(BaseModel):
    school_id: int
    school: str
    year: str  # 2026-2027
    years: list[str]
    columns: list[YearColumn]
    months: list[YearMonth]


def school_year_of(day: date) -> str:
    start = day.year if day.month >= FIRST_MONTH else day.year - 1
    return f"{start}-{start + 1}"


def parse_school_year(text: str) -> int:
    """The first calendar year of "2026-2027"; ValueError unless the second follows the first."""
    match = SCHOOL_YEAR.fullmatch(text)
    if not match or int(match[2]) != int(match[1]) + 1 or not 2000 <= int(match[1]) <= 2098:
        raise ValueError(f"学年应为 YYYY-YYYY（如 2026-2027），实为 {text!r}")
    return int(match[1])


def year_view(session: Session, school: School, *, year: str | None, today: date, book: PackBook) -> YearView:
    assert school.id is not None
    year = year or school_year_of(today)
    start = parse_school_year(year)
    months = [f"{start + (m < FIRST_MONTH):04d}-{m:02d}" for m in (*range(FIRST_MONTH, 13), *range(1, FIRST_MONTH))]
    cycles = {c.month: c for c in session.exec(select(Cycle).where(Cycle.school_id == school.id,
                                                                   col(Cycle.month).in_(months)))}
    months = [m for m in months if m[5:] != "08" or m in cycles]
    steps: dict[int, list[Step]] = defaultdict(list)
    for step in session.exec(select(Step).where(col(Step.cycle_id).in_([c.id for c in cycles.values()]))
                             .order_by(col(Step.order))):
        steps[step.cycle_id].append(step)
    counts = _task_counts(session, list(cycles.values()), book, today)
    stages = set(session.exec(select(SchoolClass.stage).where(SchoolClass.school_id == school.id).distinct()))
    all_months = session.exec(select(Cycle.month).where(Cycle.school_id == school.id)).all()
    years = sorted({school_year_of(date.fromisoformat(f"{m}-01")) for m in all_months} | {year,
                                                                                           school_year_of(today)})
    columns: list[YearColumn] = []
    rows = []
    for month in months:
        cycle = cycles.get(month)
        # An opened month shows the version it runs on; a month not opened yet, the newest.
        version = cycle.pack_version if cycle else None
        pack = book.pack(cycle.pack if cycle else school.pack, version)
        number = int(month[5:])
        _merge_columns(columns, pack, number)
        work = book.calendar(pack.id, version)
        cells: dict[str, Cell | PlannedCell] = {}
        if cycle is not None and cycle.id is not None:
            for step in steps[cycle.id]:
                cells[step.key] = cell(step, work, today)
        else:
            for rule in pack.steps_for(number):
                earliest, due = step_dates(rule, month, work)
                cells[rule.key] = PlannedCell(text=f"· {due:%m-%d}", earliest=earliest, due=due)
        c = counts.get(cycle.id or 0, Counter()) if cycle else Counter()
        rows.append(YearMonth(
            month=month, label=f"{number}月", variant=pack.variant_for_month(number),
            vacations=_vacations(book, pack, version, month), opened=cycle is not None,
            missed=cycle is None and month <= month_of(today),
            cycle_status=None if cycle is None else "closed" if cycle.status == "closed" else "open",
            cells=cells, month_work=_month_work(pack, month, stages, work_due={k: v.due for k, v in cells.items()}),
            open_tasks=c["open"] + c["overdue"], overdue_tasks=c["overdue"], done_tasks=c["done"]))
    return YearView(school_id=school.id, school=school.name, year=year, years=years, columns=columns, months=rows)


def _merge_columns(columns: list[YearColumn], pack: Pack, number: int) -> None:
    """Steps of every month in loop order: a step only some months have goes after its predecessor."""
    keys = [c.key for c in columns]
    position = 0
    for rule in pack.steps_for(number):
        if rule.key in keys:
            position = keys.index(rule.key) + 1
            continue
        columns.insert(position, YearColumn(key=rule.key, label=rule.label, clause=rule.clause))
        keys.insert(position, rule.key)
        position += 1


def _task_counts(session: Session, cycles: list[Cycle], book: PackBook, today: date) -> dict[int, Counter[str]]:
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    packs = {c.id: (c.pack, c.pack_version) for c in cycles}
    for cycle_id, status, due, n in session.execute(
            sa_select(col(Task.cycle_id), col(Task.status), col(Task.due), func.count())
            .where(col(Task.cycle_id).in_(list(packs)), col(Task.status) != TaskStatus.carried)
            .group_by(col(Task.cycle_id), col(Task.status), col(Task.due))):
        late = status == TaskStatus.open and due < book.calendar(*packs[cycle_id]).overdue_cutoff(today)
        counts[cycle_id]["overdue" if late else status] += n
    return counts


def _vacations(book: PackBook, pack: Pack, version: str | None, month: str) -> list[str]:
    chase = chase_calendar(book, pack.id, version)
    first, last = month_range(month)
    names: list[str] = []
    day = first
    while day <= last:
        name = chase.in_vacation(day)
        if name and name not in names:
            names.append(name)
        day += timedelta(days=1)
    return names


def _month_work(pack: Pack, month: str, stages: set[str], work_due: dict[str, date]) -> list[MonthWork]:
    number = int(month[5:])
    found = []
    for extra in pack.extra_tasks:
        if number not in extra.months or (extra.stages and not stages & set(extra.stages)):
            continue
        step_due = work_due.get(extra.step)
        if step_due is None:
            continue
        found.append(MonthWork(title=extra.title, clause=extra.clause, due=task_due(extra, step_due, month)))
    return found
