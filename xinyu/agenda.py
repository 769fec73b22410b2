"""The leadership meeting's agenda (QD-S1b), generated from the ledgers and the course records.

Four topics as the clause names them: 学生心理健康问题, 心理健康档案管理, 心理危机协同干预,
心理健康课程和专题活动“1+1”. Within the school, cases are named by number, never by student name.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import CrisisCase, Cycle, KeyStudentPlan, LedgerReview, School, ScreeningRecord, Student, Task
from xinyu.clock import as_local, local_date
from xinyu.courses import ClassCourseStatus, class_statuses
from xinyu.cycle.packbook import PackBook
from xinyu.cycle.states import TaskStatus
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


def agenda_facts(session: Session, *, cycle: Cycle, book: PackBook, now: datetime) -> AgendaFacts:
    school = session.get(School, cycle.school_id)
    assert school is not None and school.id is not None
    work = book.calendar(cycle.pack)
    tasks = list(session.exec(select(Task).where(Task.cycle_id == cycle.id)))
    reports = [t for t in tasks if t.template == "class_report" and t.status == TaskStatus.done]
    latest_level: dict[int, str] = {}
    for student_id, level in session.exec(
        select(ScreeningRecord.student_id, ScreeningRecord.level)
        .where(ScreeningRecord.school_id == school.id).order_by(col(ScreeningRecord.screened_on))
    ):
        latest_level[student_id] = level
    today = local_date(now)
    return AgendaFacts(
        school=school.name,
        month=cycle.month,
        attention_students=sum(int(t.evidence.get("attention_students", 0)) for t in reports),
        class_reports=len(reports),
        level_counts=dict(Counter(latest_level.values())),
        students=int(session.exec(select(func.count()).select_from(Student)
                                  .where(Student.school_id == school.id)).one()),
        screened_students=len(latest_level),
        key_students_open=int(session.exec(
            select(func.count()).select_from(KeyStudentPlan)
            .where(KeyStudentPlan.school_id == school.id, col(KeyStudentPlan.closed_on).is_(None))).one()),
        reviews=list(session.exec(select(LedgerReview).where(LedgerReview.cycle_id == cycle.id)
                                  .order_by(col(LedgerReview.ledger)))),
        open_cases=list(session.exec(select(CrisisCase).where(CrisisCase.school_id == school.id,
                                                              col(CrisisCase.closed_at).is_(None))
                                     .order_by(col(CrisisCase.id)))),
        classes=class_statuses(session, school_id=school.id, month=cycle.month, pack=book.pack(cycle.pack),
                               work=work),
        late_tasks=[t for t in tasks if t.status == TaskStatus.open and work.is_overdue(t.due, today)],
        carried_tasks=[t for t in tasks if t.carried_over and t.status == TaskStatus.open],
        generated_on=today.isoformat(),
    )


def render_agenda(facts: AgendaFacts) -> str:
    return render("meeting_agenda.md.j2", f=facts, local=_local_day)


def _local_day(moment: Any) -> str:
    return as_local(moment).date().isoformat() if moment else "—"
