"""The leadership meeting's agenda (QD-S1b), generated from the ledgers and the course records.

Four topics as the clause names them: 学生心理健康问题, 心理健康档案管理, 心理危机协同干预,
心理健康课程和专题活动“1+1”, then the overdue and carried work and the decisions to take. Within the school,
cases are named by number, never by student name.

The agenda is a list of sections (SECTIONS), each a heading and a template under
xinyu/templates/agenda/; the template sees the common facts as `f` and, when the section has a loader,
what the loader gave for the cycle as `s`. A loader takes (session, cycles, book, now) and answers
{cycle id: value} for the whole batch with a few queries. To add a section: write its template (and
loader), append an AgendaSection; the headings are numbered in order.
"""

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import (
    CrisisCase,
    Cycle,
    KeyStudentPlan,
    LedgerReview,
    School,
    SchoolClass,
    ScreeningRecord,
    Student,
    Task,
)
from xinyu.clock import as_local, local_date
from xinyu.courses.status import ClassCourseStatus, class_statuses_by_school
from xinyu.crisis.next_step import agenda_line
from xinyu.cycle.packbook import PackBook
from xinyu.cycle.states import TaskStatus
from xinyu.cycle.student_picks import count_picks
from xinyu.db import among
from xinyu.grades import grade_label
from xinyu.ledgers.coverage import agenda_lines
from xinyu.packs import tier_label
from xinyu.render import render


@dataclass(frozen=True)
class WorkItem:
    """One open task of the month, once, with the classes it is open for ("本班月度心理状况摸排：四年级1班、…")."""

    title: str
    classes: list[str]
    overdue: bool
    carried: bool
    due: date

    def text(self) -> str:
        marks = [*(["逾期"] if self.overdue else []), *(["上月结转"] if self.carried else [])]
        where = f"：{'、'.join(self.classes)}" if self.classes else ""
        when = f"截止 {self.due.isoformat()}"
        return f"{self.title}{where}（{'、'.join(marks) + '，' if marks else ''}{when}）"


Loader = Callable[[Session, list[Cycle], PackBook, datetime], dict[int, Any]]


@dataclass(frozen=True)
class AgendaSection:
    key: str
    heading: str
    template: str  # under xinyu/templates/agenda/
    load: Loader | None = None


@dataclass
class AgendaFacts:
    school: str
    month: str
    attention_students: int
    class_reports: int
    level_counts: dict[str, int]
    students: int
    screened_students: int
    key_students_open: int
    reviews: list[LedgerReview]
    open_cases: list[CrisisCase]
    open_case_lines: list[str]  # JN-4: every case not closed, by number, level, days open, next action (no names)
    classes: list[ClassCourseStatus]
    late_tasks: list[Task]
    carried_tasks: list[Task]
    generated_on: str
    work_items: list[WorkItem] = field(default_factory=list)
    sections: dict[str, Any] = field(default_factory=dict)  # section key → its loader's value for the cycle
    qd2_line: str = ""  # QD-2 一生一谈一案一反馈 coverage this semester (xinyu.ledgers.coverage)
    tiers: dict[str, str] = field(default_factory=dict)  # JN-3: ledger → "一级 发展 · A台账" (packs with tiers)


def agenda_facts(session: Session, *, cycle: Cycle, book: PackBook, now: datetime) -> AgendaFacts:
    return agenda_facts_for(session, cycles=[cycle], book=book, now=now)[0]


def agenda_facts_for(session: Session, *, cycles: list[Cycle], book: PackBook, now: datetime) -> list[AgendaFacts]:
    """The facts of each cycle's agenda; one query per kind of fact for all the cycles (a batch of schools)."""
    cycle_ids, school_ids = [c.id for c in cycles], [c.school_id for c in cycles]
    schools = {s.id: s for s in session.exec(select(School).where(col(School.id).in_(school_ids)))}
    attention, class_reports = Counter[int](), Counter[int]()
    for cycle_id, evidence in session.exec(
        select(Task.cycle_id, Task.evidence)  # type: ignore[call-overload]
        .where(col(Task.cycle_id).in_(cycle_ids), Task.template == "class_report", Task.status == TaskStatus.done)
    ):
        attention[cycle_id] += count_picks(evidence.get("attention_students"))  # picks; an old count as is
        class_reports[cycle_id] += 1
    open_tasks = _grouped(session.exec(select(Task).where(col(Task.cycle_id).in_(cycle_ids),
                                                          Task.status == TaskStatus.open).order_by(col(Task.id))),
                          "cycle_id")
    latest_level: dict[int, dict[int, str]] = defaultdict(dict)
    for school_id, student_id, level in session.exec(
        select(ScreeningRecord.school_id, ScreeningRecord.student_id, ScreeningRecord.level)  # type: ignore[call-overload]
        .where(col(ScreeningRecord.school_id).in_(school_ids))
        .order_by(col(ScreeningRecord.screened_on), col(ScreeningRecord.id))
    ):
        latest_level[school_id][student_id] = level
    students = _count_by_school(session, Student, school_ids)
    key_students_open = _count_by_school(session, KeyStudentPlan, school_ids, col(KeyStudentPlan.closed_on).is_(None))
    reviews = _grouped(session.exec(select(LedgerReview).where(col(LedgerReview.cycle_id).in_(cycle_ids))
                                    .order_by(col(LedgerReview.ledger))), "cycle_id")
    open_cases = _grouped(session.exec(select(CrisisCase).where(col(CrisisCase.school_id).in_(school_ids),
                                                                col(CrisisCase.closed_at).is_(None))
                                       .order_by(col(CrisisCase.id))), "school_id")
    classes: dict[tuple[str, str, str], dict[int, list[ClassCourseStatus]]] = {}
    for pack_id, version, month in {(c.pack, c.pack_version, c.month) for c in cycles}:  # each cycle's course rule
        classes[(pack_id, version, month)] = class_statuses_by_school(
            session, school_ids={c.school_id for c in cycles if (c.pack, c.pack_version, c.month) == (
                pack_id, version, month)},
            month=month, pack=book.pack(pack_id, version), work=book.calendar(pack_id, version))
    today = local_date(now)
    labels = _class_labels(session, {t.class_id for ts in open_tasks.values() for t in ts})
    loaded = {section.key: section.load(session, cycles, book, now) for section in SECTIONS if section.load}
    qd2 = agenda_lines(session, {c.school_id: book.pack(c.pack, c.pack_version) for c in cycles}, today)
    facts = []
    for cycle in cycles:
        assert cycle.id is not None
        work = book.calendar(cycle.pack, cycle.pack_version)
        tasks = open_tasks.get(cycle.id, [])
        levels = latest_level.get(cycle.school_id, {})
        late = [t for t in tasks if work.is_overdue(t.due, today)]
        facts.append(AgendaFacts(
            school=schools[cycle.school_id].name,
            month=cycle.month,
            attention_students=attention[cycle.id],
            class_reports=class_reports[cycle.id],
            level_counts=dict(Counter(levels.values())),
            students=students.get(cycle.school_id, 0),
            screened_students=len(levels),
            key_students_open=key_students_open.get(cycle.school_id, 0),
            reviews=reviews.get(cycle.id, []),
            open_cases=open_cases.get(cycle.school_id, []),
            open_case_lines=[agenda_line(c, book.pack(cycle.pack, cycle.pack_version).crisis, today)
                             for c in open_cases.get(cycle.school_id, [])],
            classes=classes[(cycle.pack, cycle.pack_version, cycle.month)].get(cycle.school_id, []),
            late_tasks=late,
            carried_tasks=[t for t in tasks if t.carried_over],
            generated_on=today.isoformat(),
            work_items=work_items([t for t in tasks if t in late or t.carried_over], {id(t) for t in late}, labels),
            sections={key: values.get(cycle.id) for key, values in loaded.items()},
            qd2_line=qd2.get(cycle.school_id, ""),
            tiers={ledger: label for ledger in "ABCD"
                   if (label := tier_label(book.pack(cycle.pack, cycle.pack_version), ledger))},
        ))
    return facts


def work_items(tasks: list[Task], late: set[int], labels: dict[int, str]) -> list[WorkItem]:
    """Overdue and carried tasks grouped by title, each once, naming the classes (in class order)."""
    groups: dict[str, list[Task]] = defaultdict(list)
    for task in tasks:
        groups[task.title].append(task)
    order = {class_id: n for n, class_id in enumerate(labels)}
    items = []
    for title, group in groups.items():
        class_ids = sorted({t.class_id for t in group if t.class_id is not None}, key=lambda c: order.get(c, 0))
        items.append(WorkItem(title=title, classes=[labels[c] for c in class_ids if c in labels],
                              overdue=any(id(t) in late for t in group), carried=any(t.carried_over for t in group),
                              due=min(t.due for t in group)))
    return sorted(items, key=lambda i: (i.due, i.title))


def _class_labels(session: Session, ids: set[int | None]) -> dict[int, str]:
    """Class id → 四年级1班, in grade and name order."""
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    classes = sorted(session.exec(select(SchoolClass).where(col(SchoolClass.id).in_(wanted))),
                     key=lambda c: (c.grade, len(c.name), c.name))
    return {c.id or 0: f"{grade_label(c.grade)}{c.name}" for c in classes}


def _grouped(rows: Iterable[Any], key: str) -> dict[int, list[Any]]:
    groups: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        groups[getattr(row, key)].append(row)
    return groups


def _count_by_school(session: Session, table: Any, school_ids: list[int], *where: Any) -> dict[int, int]:
    return dict(session.exec(select(table.school_id, func.count())
                             .where(among(session, table.school_id, school_ids), *where)
                             .group_by(table.school_id)).all())


SECTIONS: list[AgendaSection] = [
    AgendaSection("students", "学生心理健康问题", "agenda/students.md.j2"),
    AgendaSection("records", "心理健康档案管理", "agenda/records.md.j2"),
    AgendaSection("crisis", "心理危机协同干预", "agenda/crisis.md.j2"),
    AgendaSection("courses", "心理健康课程和专题活动“1+1”", "agenda/courses.md.j2"),
    AgendaSection("work", "逾期与结转事项", "agenda/work.md.j2"),
    AgendaSection("decisions", "研究决定事项", "agenda/decisions.md.j2"),
]
NUMERALS = "一二三四五六七八九十"


def render_agenda(facts: AgendaFacts) -> str:
    """The header, then each section's heading (numbered) and its template's text."""
    bodies = [(f"{NUMERALS[n]}、{section.heading}",
               render(section.template, f=facts, s=facts.sections.get(section.key), local=_local_day).strip("\n"))
              for n, section in enumerate(SECTIONS)]
    return render("meeting_agenda.md.j2", f=facts, sections=bodies)


def _local_day(moment: Any) -> str:
    return as_local(moment).date().isoformat() if moment else "—"
