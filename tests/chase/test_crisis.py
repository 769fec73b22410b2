"""The crisis fast path (GZ-5.2) and the level-by-level report (GZ-A2.2.7)."""

from datetime import date

import pytest
from sqlmodel import Session, select

from models import ChaseEvent, CrisisCase, District, Escalation, OutboxMessage, School, Student, Task
from tests.chase.test_chase_run import DAY0, run_day
from tests.core.helpers import at
from tests.factories import SchoolFixture, add_person, make_school
from xinyu.crisis.opening import CrisisError, open_crisis_case
from xinyu.cycle import PackBook, complete_task
from xinyu.roles import Role


def school_with_student(session: Session, book: PackBook) -> tuple[SchoolFixture, Student]:
    school = make_school(session)
    district = session.get(District, school.school.district_id)
    assert district is not None
    grade_head = add_person(session, name="四年级主任", role=Role.grade_head, district=district, school=school.school)
    from models import RoleAssignment

    assignment = session.exec(select(RoleAssignment).where(RoleAssignment.person_id == grade_head.id)).one()
    assignment.grade, assignment.scope_key = 4, f"s{school.id}/g4"
    school.people["grade_head"] = grade_head
    for person in school.people.values():
        person.phone = "13900000000"
    student = Student(school_id=school.id, class_id=school.classes[0].id or 0, student_no="2026001", name="李小红",
                      gender="女")
    session.add(student)
    session.commit()
    run_day(session, book, DAY0)
    return school, student


def test_a_serious_case_tells_the_relay_at_once_even_at_night(session: Session, book: PackBook) -> None:
    school, student = school_with_student(session, book)
    night = at("2026-10-08", 22, 30)
    opened = open_crisis_case(session, school_id=school.id, student_id=student.id or 0, level="严重",
                              handler_id=school.people["psych_teacher"].id, by=None, now=night, book=book)
    session.commit()
    assert [r.split(" ")[0] for r in opened.relay] == ["班主任", "年级主任", "组长"]  # class → grade → school
    task = session.get(Task, opened.task_id)
    assert task is not None
    assert (task.kind, task.due, task.assignee_id, task.crisis_case_id) == (
        "crisis", date(2026, 10, 8), school.people["psych_teacher"].id, opened.case.id)
    sms = [m for m in session.exec(select(OutboxMessage).where(OutboxMessage.channel == "sms"))
           if m.template == "crisis_alert" and ":relay" in m.dedupe_key]
    assert len(sms) == 3 and all(m.not_before == night for m in sms)  # not held by the quiet hours
    handler_sms = [m for m in session.exec(select(OutboxMessage).where(OutboxMessage.channel == "sms"))
                   if m.dedupe_key.startswith(f"crisis:{opened.case.id}:handler")]
    assert [m.recipient_id for m in handler_sms] == [school.people["psych_teacher"].id]  # the case goes to them
    assert all(f"C-{opened.case.id}" in m.body_text and "李小红" not in m.body_text for m in sms)
    relay = session.exec(select(ChaseEvent.rung).where(ChaseEvent.task_id == task.id)).all()
    assert relay == ["relay_1_homeroom", "relay_2_grade_head", "relay_3_leader"]
    assert opened.district_escalation_id is None  # 严重: the district hears only if the school is late


def test_a_major_case_reaches_the_district_inbox_at_once(session: Session, book: PackBook) -> None:
    school, student = school_with_student(session, book)
    opened = open_crisis_case(session, school_id=school.id, student_id=student.id or 0, level="重大",
                              handler_id=None, by=None, now=at("2026-10-09", 10), book=book)
    session.commit()
    item = session.get(Escalation, opened.district_escalation_id)
    assert item is not None and item.reason == "crisis" and item.notified_at is not None
    assert item.summary == f"重大心理危机个案 C-{opened.case.id}（逐级报告）"
    officer_mail = session.exec(select(OutboxMessage).where(
        OutboxMessage.recipient_id == school.people["district_officer"].id)).all()
    assert {m.channel for m in officer_mail} == {"email", "sms"}
    assert all("李小红" not in m.subject + m.body_text for m in officer_mail)


def test_recording_parents_informed_completes_the_fast_path_but_the_inbox_item_waits_for_closing(
    session: Session, book: PackBook,
) -> None:
    school, student = school_with_student(session, book)
    opened = open_crisis_case(session, school_id=school.id, student_id=student.id or 0, level="重大",
                              handler_id=None, by=None, now=at("2026-10-09", 10), book=book)
    complete_task(session, task_id=opened.task_id or 0, now=at("2026-10-09", 11), book=book,
                  values={"informed_at": "2026-10-09 10:40", "method": "电话"})
    session.commit()
    case = session.get(CrisisCase, opened.case.id)
    assert case is not None and case.parents_informed_at == at("2026-10-09", 10, 40)  # the time the handler gave
    item = session.get(Escalation, opened.district_escalation_id)
    assert item is not None and item.status == "new"  # open until the case is closed (xinyu.crisis.closing)


def test_a_late_parents_record_climbs_the_crisis_ladder_a_day_at_a_time(session: Session, book: PackBook) -> None:
    school, student = school_with_student(session, book)
    opened = open_crisis_case(session, school_id=school.id, student_id=student.id or 0, level="严重",
                              handler_id=None, by=None, now=at("2026-10-09", 10), book=book)
    session.commit()
    for day in (date(2026, 10, 10), date(2026, 10, 12)):
        run_day(session, book, day)
    task = session.get(Task, opened.task_id)
    assert task is not None and task.escalation_level == "district"  # 1 working day: school; 2: district


def test_an_ordinary_case_takes_no_fast_path_and_a_stranger_is_refused(session: Session, book: PackBook) -> None:
    school, student = school_with_student(session, book)
    opened = open_crisis_case(session, school_id=school.id, student_id=student.id or 0, level="一般",
                              handler_id=None, by=None, now=at("2026-10-09", 10), book=book)
    assert opened.task_id is None and opened.relay == []
    other = School(district_id=school.school.district_id, name="另一所学校", stage="小学", pack="qingdao")
    session.add(other)
    session.flush()
    with pytest.raises(CrisisError, match="本校没有这名学生"):
        open_crisis_case(session, school_id=other.id or 0, student_id=student.id or 0, level="严重",
                         handler_id=None, by=None, now=at("2026-10-09", 10), book=book)
