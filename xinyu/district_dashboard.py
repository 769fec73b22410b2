"""The district's on-time rate (QD-S1 加强工作调度，及时掌握进展): per school and month, in three queries.

Definition (shown on the page, too):
- A piece of work is a task of the monthly loop's steps, a leadership-meeting decision, a "1+1"
  rectification, a district notice (督办) or an inspection finding's rectification (专项巡查整改). Crisis
  tasks (their own fast ladder, reported in the inbox) and "补做" tasks for steps a month never reached are
  not counted.
- Work carried into the next month counts once, for the month its first task was due in (carrying keeps
  the due date; an approved extension moves it, and the moved date is the one to meet).
- Work counts in a month once it is done or its due date has passed (today's and future work that is
  still open is not judged yet).
- On time: done on or before its due date (the day it was completed, in Asia/Shanghai). An extension
  approved after the due date it moved (the work was already late) does not make the work on time: such
  work is counted as not on time and also apart, as 逾期后获批延期 (late_extended).
- Rate = work done on time ÷ work counted. The district's rate pools every school's work (it is not an
  average of the schools' rates).
- Too few to judge (thin): a district month with fewer than MIN_MONTH_WORK pieces of work, or with work
  from fewer than half of the district's schools, and a school month with fewer than MIN_SCHOOL_WORK.
  Such a rate is shown, marked 样本不足, never coloured as good or bad and never ranked. The colour bands
  are 20 points wide (70–90 %): under 10 pieces of work one piece moves a rate by more than 10 points,
  half a band, and under 5 by 20 points or more, a whole band. Half the schools, because a district
  figure from a minority of its schools describes those schools, not the district.
"""

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import Date, and_, case, or_, union_all
from sqlalchemy import select as sa_select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, col, func, select

from models import Escalation, Extension, School, Task
from xinyu.cycle.states import TaskStatus

COUNTED_KINDS = ("step", "decision", "rectification", "notice", "inspection")
OK_AT = 0.9  # at least 90 %: green
SHORT_BELOW = 0.7  # under 70 %: red; between: amber
MIN_MONTH_WORK = 10  # a district month with less work is too few to judge (see the module's docstring)
MIN_SCHOOL_SHARE = 0.5  # … or with work from fewer than half of the district's schools
MIN_SCHOOL_WORK = 5  # a school month with less work is too few to judge


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
    late_extended: int = 0  # of `due`, not on time: an extension approved after the due date it moved
    thin: bool = False  # too few to judge (set by the table: it knows whose rate this is)

    def __add__(self, other: "Rate") -> "Rate":
        return Rate(self.on_time + other.on_time, self.due + other.due, self.late_extended + other.late_extended)

    def judged(self, minimum: int, *, enough_schools: bool = True) -> "Rate":
        return replace(self, thin=bool(self.due) and (self.due < minimum or not enough_schools))

    @property
    def value(self) -> float | None:
        return self.on_time / self.due if self.due else None

    @property
    def percent(self) -> int | None:
        return None if self.value is None else round(self.value * 100)

    @property
    def grade(self) -> str:
        """ok | warn | short | thin | none: the colour of the cell."""
        if self.value is None:
            return "none"
        if self.thin:
            return "thin"
        return "ok" if self.value >= OK_AT else "short" if self.value < SHORT_BELOW else "warn"


@dataclass
class SchoolRates:
    school_id: int
    name: str
    months: dict[str, Rate] = field(default_factory=dict)  # "YYYY-MM" → rate; months without work are absent
    open_escalations: int = 0

    @property
    def year(self) -> Rate:
        return sum(self.months.values(), Rate()).judged(MIN_SCHOOL_WORK)

    def month(self, key: str) -> Rate:
        return self.months.get(key, Rate()).judged(MIN_SCHOOL_WORK)


@dataclass
class OnTimeTable:
    year: int
    through: date  # work due up to (not including) this day, or done
    months: list[str]  # the months with any counted work, in order
    schools: list[SchoolRates]

    def district(self, month: str) -> Rate:
        with_work = sum(1 for s in self.schools if s.months.get(month, Rate()).due)
        return sum((s.months.get(month, Rate()) for s in self.schools), Rate()).judged(
            MIN_MONTH_WORK, enough_schools=with_work >= MIN_SCHOOL_SHARE * len(self.schools))

    @property
    def district_year(self) -> Rate:
        with_work = sum(1 for s in self.schools if s.year.due)
        return sum((s.year for s in self.schools), Rate()).judged(
            MIN_MONTH_WORK, enough_schools=with_work >= MIN_SCHOOL_SHARE * len(self.schools))


def on_time_table(session: Session, *, district_ids: frozenset[int], year: int, today: date) -> OnTimeTable:
    schools = {
        school_id: SchoolRates(school_id=school_id, name=name)
        for school_id, name in session.exec(
            select(School.id, School.name).where(col(School.district_id).in_(sorted(district_ids)))
            .order_by(col(School.name), col(School.id)))
        if school_id is not None
    }
    months: set[str] = set()
    for school_id, month, due, on_time, late_extended in session.execute(_rates_query(district_ids, year, today)):
        key = f"{year}-{month:02d}"
        schools[school_id].months[key] = Rate(on_time=int(on_time or 0), due=int(due),
                                              late_extended=int(late_extended or 0))
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
    """(school, month number, work counted, done on time, late-approved extensions), grouped in the database.

    Work never carried names its month by its own due date; carried work by its chain's first task (the
    second half of the union, which touches only carried chains)."""
    first, extended = aliased(Task), aliased(Task)
    # Chains (by their first task) with an extension approved after the due date it moved: a short list.
    late_chains = (sa_select(func.coalesce(col(extended.lineage_id), col(extended.id)))
                   .join(Extension, col(Extension.task_id) == col(extended.id))
                   .where(col(Extension.status) == "approved",
                          local_day(col(Extension.decided_at)) > col(Extension.previous_due)))
    late_extended = func.coalesce(col(Task.lineage_id), col(Task.id)).in_(late_chains)
    on_time = case((and_(col(Task.status) == TaskStatus.done, local_day(col(Task.completed_at)) <= col(Task.due),
                         ~late_extended), 1), else_=0)
    counted = (
        col(School.district_id).in_(sorted(district_ids)),
        col(Task.status) != TaskStatus.carried,  # each chain once: its newest task
        col(Task.kind).in_(COUNTED_KINDS),
        or_(col(Task.status) == TaskStatus.done, col(Task.due) < today),
    )

    def part(first_due: Any) -> Any:
        month_no = case(*[(first_due < date(year, m + 1, 1), m) for m in range(1, 12)], else_=12)
        return (sa_select(col(Task.school_id).label("school_id"), month_no.label("month_no"), on_time.label("on_time"),
                          case((late_extended, 1), else_=0).label("late_extended"))
                .join(School, col(School.id) == col(Task.school_id))
                .where(*counted, first_due >= date(year, 1, 1), first_due < date(year + 1, 1, 1)))

    single = part(col(Task.due)).where(col(Task.lineage_id).is_(None))
    carried = part(col(first.due)).join(first, col(first.id) == col(Task.lineage_id)).where(
        col(Task.lineage_id).is_not(None))
    work = union_all(single, carried).subquery()
    return (sa_select(work.c.school_id, work.c.month_no, func.count(), func.sum(work.c.on_time),
                      func.sum(work.c.late_extended))
            .group_by(work.c.school_id, work.c.month_no))
