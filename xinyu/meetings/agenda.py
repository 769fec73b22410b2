"""The leadership meeting's agenda (QD-S1b), generated from the ledgers and the course records.

Four topics as the clause names them: 学生心理健康问题, 心理健康档案管理, 心理危机协同干预,
心理健康课程和专题活动“1+1”. Within the school, cases are named by number, never by student name.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import CrisisCase, Cycle, KeyStudentPlan, LedgerReview, School, ScreeningRecord, Student, Task
from xinyu.clock import as_local, local_date
from xinyu.courses.status import ClassCourseStatus, class_statuses_by_school
from xinyu.cycle.packbook import PackBook
from xinyu.cycle.states import TaskStatus
from xinyu.ledgers.coverage import agenda_lines
from xinyu.render import render


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
    classes: list[ClassCourseStatus]
    late_tasks: list[Task]
    carried_tasks: list[Task]
    generated_on: str
    qd2_line: str = ""  # QD-2 一生一谈一案一反馈 coverage this semester (xinyu.ledgers.coverage)


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
        attention[cycle_id] += int(evidence.get("attention_students", 0))
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
    classes: dict[tuple[str, str], dict[int, list[ClassCourseStatus]]] = {}
    for pack_id, month in {(c.pack, c.month) for c in cycles}:
        classes[(pack_id, month)] = class_statuses_by_school(
            session, school_ids={c.school_id for c in cycles if (c.pack, c.month) == (pack_id, month)},
            month=month, pack=book.pack(pack_id), work=book.calendar(pack_id))
    today = local_date(now)
    qd2 = agenda_lines(session, {c.school_id: book.pack(c.pack) for c in cycles}, today)
    facts = []
    for cycle in cycles:
        assert cycle.id is not None
        work = book.calendar(cycle.pack)
        tasks = open_tasks.get(cycle.id, [])
        levels = latest_level.get(cycle.school_id, {})
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
            classes=classes[(cycle.pack, cycle.month)].get(cycle.school_id, []),
            late_tasks=[t for t in tasks if work.is_overdue(t.due, today)],
            carried_tasks=[t for t in tasks if t.carried_over],
            generated_on=today.isoformat(),
            qd2_line=qd2.get(cycle.school_id, ""),
        ))
    return facts


def _grouped(rows: Iterable[Any], key: str) -> dict[int, list[Any]]:
    groups: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        groups[getattr(row, key)].append(row)
    return groups


def _count_by_school(session: Session, table: Any, school_ids: list[int], *where: Any) -> dict[int, int]:
    return dict(session.exec(select(table.school_id, func.count()).where(col(table.school_id).in_(school_ids), *where)
                             .group_by(table.school_id)).all())


def render_agenda(facts: AgendaFacts) -> str:
    return render("meeting_agenda.md.j2", f=facts, local=_local_day)


def _local_day(moment: Any) -> str:
    return as_local(moment).date().isoformat() if moment else "—"
