"""Jinan's ledgers: the three tiers (JN-3) on the ledger tasks and the monthly report; the 隐形保护人 (JN-5) of a
key student, set and seen by the leader and the psychology teachers only, through the real core."""

from datetime import datetime

from pytest_bdd import given, scenarios, then, when
from sqlmodel import Session, col, select

from models import KeyStudentPlan, MonthlyReport, OutboxMessage, RecordRevision, Student
from tests.features.support import Attempt, Db, SchoolRef, cycle_of, describe_holder, holder, step_text
from tests.features.test_chase_steps import *  # noqa: F403  (a student of a class: “四年级1班有学生“…””)
from xinyu.cycle import PackBook
from xinyu.ledgers.key_students import KeyStudentError, PlanInput, create_plan
from xinyu.ledgers.protector import assign_protector, protector_view

scenarios("台账/济南隐形保护人.feature", "台账/济南三级体系与台账.feature")


def _plan(session: Session, school: SchoolRef, name: str) -> KeyStudentPlan:
    student = session.exec(select(Student).where(Student.school_id == school.id, Student.name == name)).one()
    return session.exec(select(KeyStudentPlan).where(KeyStudentPlan.student_id == student.id)).one()


@given(step_text("{who}于 {at:At} 为学生{name}建立一生一案"))
def _(db: Db, book: PackBook, school: SchoolRef, who: str, at: datetime, name: str) -> None:
    with db() as session:
        student = session.exec(select(Student).where(Student.school_id == school.id, Student.name == name)).one()
        assert student.id is not None
        create_plan(session, school_id=school.id, student_id=student.id, values=PlanInput(reason="班级摸排"),
                    by=holder(session, school, who).person_id, now=at, rule=book.pack(school.pack).key_students)


def _assign(db: Db, book: PackBook, school: SchoolRef, who: str, at: datetime, protector: str, name: str) -> Attempt:
    """A refusal (KeyStudentError) leaves the plan and its protector history as they were."""
    def kept() -> tuple[object, int]:
        with db() as session:
            revisions = session.exec(select(RecordRevision).where(RecordRevision.kind == "ledger_b_protector")).all()
            return _plan(session, school, name).protector_id, len(revisions)

    before, error = kept(), None
    try:
        with db() as session:
            assign_protector(session, plan=_plan(session, school, name),
                             protector_id=holder(session, school, protector).person_id,
                             by=holder(session, school, who).person_id, now=at,
                             rule=book.pack(school.pack).key_students)
    except KeyStudentError as exc:
        error = str(exc)
        assert kept() == before
    return Attempt(error=error, before={"kept": before}, after={"kept": kept()})


@given(step_text("{who}于 {at:At} 指定{protector}为学生{name}的隐形保护人"), target_fixture="attempt")
@when(step_text("{who}于 {at:At} 指定{protector}为学生{name}的隐形保护人"), target_fixture="attempt")
def _(db: Db, book: PackBook, school: SchoolRef, who: str, at: datetime, protector: str, name: str) -> Attempt:
    return _assign(db, book, school, who, at, protector, name)


@then(step_text("{who}看到学生{name}的隐形保护人为{protector}"))
def _(db: Db, book: PackBook, school: SchoolRef, attempt: Attempt, who: str, name: str, protector: str) -> None:
    assert attempt.error is None, attempt.error
    with db() as session:
        view = protector_view(session, _plan(session, school, name), person_id=holder(session, school, who).person_id,
                              rule=book.pack(school.pack).key_students)
        assert view is not None, f"{who}应看得到隐形保护人"
        assert describe_holder(session, view.protector_id) == protector


@then(step_text("{who}看不到学生{name}的隐形保护人"))
def _(db: Db, book: PackBook, school: SchoolRef, who: str, name: str) -> None:
    with db() as session:
        view = protector_view(session, _plan(session, school, name), person_id=holder(session, school, who).person_id,
                              rule=book.pack(school.pack).key_students)
    assert view is None


@then("没有产生任何待发消息")
def _(db: Db) -> None:
    with db() as session:
        assert not session.exec(select(OutboxMessage)).all()


@then(step_text("学生{name}的隐形保护人变更记录为："))
def _(db: Db, book: PackBook, school: SchoolRef, name: str, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    with db() as session:
        leader = holder(session, school, "组长").person_id
        view = protector_view(session, _plan(session, school, name), person_id=leader,
                              rule=book.pack(school.pack).key_students)
        assert view is not None
        shown = {person_name: describe_holder(session, pid) for pid, person_name in view.staff}
    actual = []
    for revision in view.history:
        ((_, old, new),) = revision.changed
        actual.append([shown.get(str(old), str(old)) if old is not None else "—",
                       shown.get(str(new), str(new)) if new is not None else "—"])
    assert actual == rows, actual


@then(step_text("本月的月度报告列出“{text}”"))
def _(db: Db, school: SchoolRef, text: str) -> None:
    with db() as session:
        cycle = cycle_of(session, school)
        report = session.exec(select(MonthlyReport).where(MonthlyReport.cycle_id == cycle.id)
                              .order_by(col(MonthlyReport.id).desc())).first()
        assert report is not None, f"{cycle.month}还没有月度报告"
    assert text in report.body, report.body
