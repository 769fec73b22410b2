"""The district's on-time rate (QD-S1 加强工作调度，及时掌握进展): per school and month, in three queries.

Definition (shown on the page, too):
- A piece of work is a task of the monthly loop's steps, a leadership-meeting decision, a "1+1"
  rectification or a district notice (督办). Crisis tasks (their own fast ladder, reported in the inbox)
  and "补做" tasks for steps a month never reached are not counted.
- Work carried into the next month counts once, for the month its first task was due in (carrying keeps
  the due date; an approved extension moves it, and the moved date is the one to meet).
- Work counts in a month once it is done or its due date has passed (today's and future work that is
  still open is not judged yet).
- On time: done on or before its due date (the day it was completed, in Asia/Shanghai).
- Rate = work done on time ÷ work counted. The district's rate pools every school's work (it is not an
  average of the schools' rates).
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Date, and_, case, or_, union_all
from sqlalchemy import select as sa_select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, col, func, select

from models import Escalation, School, Task
from xinyu.cycle.states import TaskStatus

COUNTED_KINDS = ("step", "decision", "rectification", "notice")
OK_AT = 0.9  # at least 90 %: green
SHORT_BELOW = 0.7  # under 70 %: red; between: amber


class local_day(FunctionElement[date]):  # noqa: N801  (an SQL function, named like one)
    """The Asia/Shanghai calendar day of a stored UTC timestamp (China keeps +8 all year)."""

    type = Date()
    inherit_cache = True


@compiles(local_day, "sqlite")
def _local_day_sqlite(element: local_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


@compiles(local_day, "postgresql")
def _local_day_postgresql(element: local_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'Asia/Shanghai' AS DATE)"


@dataclass(frozen=True)
class Rate:
    on_time: int = 0
    due: int = 0

    def __add__(self, other: "Rate") -> "Rate":
        return Rate(self.on_time + other.on_time, self.due + other.due)

    @property
    def value(self) -> float | None:
        return self.on_time / self.due if self.due else None

    @property
    def percent(self) -> int | None:
        return None if self.value is None else round(self.value * 100)

    @property
    def grade(self) -> str:
        """ok | warn | short | none: the colour of the cell."""
        if self.value is None:
            return "none"
        return "ok" if self.value >= OK_AT else "short" if self.value < SHORT_BELOW else "warn"


@dataclass
class SchoolRates:
    school_id: int
    name: str
    months: dict[str, Rate] = field(default_factory=dict)  # "YYYY-MM" → rate; months without work are absent
    open_escalations: int = 0

    @property
    def year(self) -> Rate:
        return sum(self.months.values(), Rate())


@dataclass
class OnTimeTable:
    year: int
    through: date  # work due up to (not including) this day, or done
    months: list[str]  # the months with any counted work, in order
    schools: list[SchoolRates]

    def district(self, month: str) -> Rate:
        return sum((s.months.get(month, Rate()) for s in self.schools), Rate())

    @property
    def district_year(self) -> Rate:
        return sum((s.year for s in self.schools), Rate())


def on_time_table(session: Session, *, district_ids: frozenset[int], year: int, today: date) -> OnTimeTable:
    schools = {
        school_id: SchoolRates(school_id=school_id, name=name)
        for school_id, name in session.exec(
            select(School.id, School.name).where(col(School.district_id).in_(sorted(district_ids)))
            .order_by(col(School.name), col(School.id)))
        if school_id is not None
    }
    months: set[str] = set()
    for school_id, month, due, on_time in session.execute(_rates_query(district_ids, year, today)):
        key = f"{year}-{month:02d}"
        schools[school_id].months[key] = Rate(on_time=int(on_time or 0), due=int(due))
        months.add(key)
    for school_id, count in session.execute(
        sa_select(col(Escalation.school_id), func.count())
        .where(col(Escalation.district_id).in_(sorted(district_ids)), col(Escalation.status) != "resolved")
        .group_by(col(Escalation.school_id))
    ):
        if school_id in schools:
            schools[school_id].open_escalations = count
    return OnTimeTable(year=year, through=today, months=sorted(months), schools=list(schools.values()))


def _rates_query(district_ids: frozenset[int], year: int, today: date) -> Any:
    """(school, month number, work counted, done on time), grouped in the database.

    Work never carried names its month by its own due date; carried work by its chain's first task (the
    second half of the union, which touches only carried chains)."""
    first = aliased(Task)
    on_time = case((and_(col(Task.status) == TaskStatus.done, local_day(col(Task.completed_at)) <= col(Task.due)), 1),
                   else_=0)
    counted = (
        col(School.district_id).in_(sorted(district_ids)),
        col(Task.status) != TaskStatus.carried,  # each chain once: its newest task
        col(Task.kind).in_(COUNTED_KINDS),
        or_(col(Task.status) == TaskStatus.done, col(Task.due) < today),
    )

    def part(first_due: Any) -> Any:
        month_no = case(*[(first_due < date(year, m + 1, 1), m) for m in range(1, 12)], else_=12)
        return (sa_select(col(Task.school_id).label("school_id"), month_no.label("month_no"), on_time.label("on_time"))
                .join(School, col(School.id) == col(Task.school_id))
                .where(*counted, first_due >= date(year, 1, 1), first_due < date(year + 1, 1, 1)))

    single = part(col(Task.due)).where(col(Task.lineage_id).is_(None))
    carried = part(col(first.due)).join(first, col(first.id) == col(Task.lineage_id)).where(
        col(Task.lineage_id).is_not(None))
    work = union_all(single, carried).subquery()
    return (sa_select(work.c.school_id, work.c.month_no, func.count(), func.sum(work.c.on_time))
            .group_by(work.c.school_id, work.c.month_no))
