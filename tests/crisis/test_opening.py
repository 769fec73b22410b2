"""Opening a case outside the monthly rhythm: the default handler, the month's cycle opened if need be."""

from sqlmodel import Session, select

from models import Cycle, RecordRevision, Student, Task
from tests.core.helpers import at
from tests.factories import make_school
from xinyu.crisis.opening import open_crisis_case
from xinyu.cycle import PackBook


def test_a_serious_case_before_the_scheduler_opened_the_month(session: Session, book: PackBook) -> None:
    school = make_school(session)
    student = Student(school_id=school.id, class_id=school.classes[0].id or 0, student_no="2026009", name="赵小雨",
                      gender="女")
    session.add(student)
    session.commit()
    assert session.exec(select(Cycle)).all() == []
    opened = open_crisis_case(session, school_id=school.id, student_id=student.id or 0, level="严重",
                              handler_id=None, by=None, now=at("2026-10-09", 10), book=book)
    session.commit()
    task = session.get(Task, opened.task_id)
    cycle = session.exec(select(Cycle)).one()
    assert task is not None and task.cycle_id == cycle.id and cycle.month == "2026-10"
    assert opened.case.handler_id == school.people["psych_teacher"].id  # the pack's handler_role by default
    assert task.assignee_id == opened.case.handler_id
    history = session.exec(select(RecordRevision).where(RecordRevision.kind == "ledger_c")).one()
    assert history.action == "created" and history.after and history.after["level"] == "严重"
