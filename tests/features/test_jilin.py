"""The Jilin pack's rules (packs/jilin.yaml): JL-5 yearly screening and the four-level warning network
学校—年级—班级—家庭, JL-3 the publicity month's date window 05-25 to 06-25."""

from datetime import date, datetime, time

from pytest_bdd import given, scenarios, then, when
from sqlmodel import Session, select

from models import MentorAssignment, Student
from tests.features.support import Db, SchoolRef, holder, step_text
from tests.features.test_chase_steps import *  # noqa: F403  (the chase's shared steps: a case, the messages)
from xinyu.clock import SHANGHAI
from xinyu.cycle import PackBook
from xinyu.grades import parse_grade
from xinyu.mentors import assign_mentor, mentor_coverage

scenarios("月度闭环/吉林年度心理测评.feature")
scenarios("月度闭环/吉林心理健康教育宣传月.feature")
scenarios("台账/吉林全员导师制.feature")

METHODS = {"rating": "他评", "online": "线上测评"}


@then(step_text("吉林省政策包规定{grade}的测评方式为“{method}”"))
def _(book: PackBook, grade: str, method: str) -> None:
    number = parse_grade(grade)
    assert number is not None, grade
    assert METHODS[book.pack("jilin").screening.method_for(number)] == method


def student_named(session: Session, school: SchoolRef, name: str) -> Student:
    return session.exec(select(Student).where(Student.school_id == school.id, Student.name == name)).one()


@given(step_text("{who}于 {day:Day} 为学生“{name}”配备导师“{mentor}”"))
@when(step_text("{who}于 {day:Day} 为学生“{name}”配备导师“{mentor}”"))
def _(db: Db, school: SchoolRef, who: str, day: date, name: str, mentor: str) -> None:
    with db() as session:
        by = holder(session, school, who).person_id
        assign_mentor(session, school_id=school.id, student_no=student_named(session, school, name).student_no,
                      mentor_id=holder(session, school, mentor).person_id, on=day, by=by,
                      now=datetime.combine(day, time(9), SHANGHAI))


@then(step_text("全员导师制覆盖情况为："))
def _(db: Db, book: PackBook, school: SchoolRef, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    with db() as session:
        classes = mentor_coverage(session, school_id=school.id, pack=book.pack("jilin"))
    actual = [{"班级": c.label, "学生": str(c.students), "已配备": str(c.with_mentor), "未配备": str(c.short)}
              for c in classes]
    assert [[a[h] for h in header] for a in actual] == rows


@then(step_text("学生“{name}”的导师记录有{n:d}条，其中1条于 {day:Day} 结束"))
def _(db: Db, school: SchoolRef, name: str, n: int, day: date) -> None:
    with db() as session:
        student = student_named(session, school, name)
        rows = list(session.exec(select(MentorAssignment).where(MentorAssignment.student_id == student.id)))
    assert len(rows) == n and [r.ended_on for r in rows if r.ended_on] == [day]
