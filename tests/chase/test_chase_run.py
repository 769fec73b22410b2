"""The chase over the real core and database: when each rung fires, once only, to whom, and what follows."""

from collections import Counter
from datetime import date, timedelta

from sqlmodel import Session, col, select

from models import ChaseEvent, Escalation, OutboxMessage, Student, Task
from tests.core.helpers import at, cycle_of, snapshot, tasks_of
from tests.factories import SchoolFixture, make_school
from xinyu.chase import queue_district_digests, run_chase
from xinyu.chase.extensions import acknowledge_task, decide_extension, request_extension
from xinyu.chase.inbox import issue_notice, list_escalations
from xinyu.cycle import PackBook, advance, complete_task

OCTOBER = "2026-10"


def run_day(session: Session, book: PackBook, day: date, hour: int = 7) -> None:
    """What the scheduled run does: advance, chase, tell the districts — one transaction."""
    now = at(day, hour)
    advance(session, now=now, book=book)
    run_chase(session, now=now, book=book)
    queue_district_digests(session, now=now, book=book)
    session.commit()


def run_days(session: Session, book: PackBook, first: date, last: date) -> None:
    day = first
    while day <= last:
        run_day(session, book, day)
        day += timedelta(days=1)


def class_report(session: Session, school: SchoolFixture) -> Task:
    cycle = cycle_of(session, school.id, OCTOBER)
    return tasks_of(session, cycle.id, template="class_report")[0]


def fired_on(session: Session, task: Task) -> list[tuple[str, str]]:
    events = session.exec(select(ChaseEvent).where(ChaseEvent.lineage_id == (task.lineage_id or task.id))
                          .order_by(col(ChaseEvent.id)))
    return [(e.rung, f"{e.fired_at.astimezone(at(DAY0).tzinfo):%m-%d}") for e in events if e.fired_at]


DAY0 = date(2026, 10, 8)


def test_a_screening_task_due_the_13th_climbs_the_ladder_on_these_days(session: Session, book: PackBook) -> None:
    school = make_school(session)
    session.commit()
    run_days(session, book, DAY0, date(2026, 10, 21))
    task = class_report(session, school)
    assert task.due == date(2026, 10, 13)
    assert fired_on(session, task) == [
        ("before_due", "10-10"),  # the make-up Saturday is two working days before
        ("due_day", "10-13"),
        ("overdue", "10-14"),
        ("overdue", "10-15"), ("school", "10-15"),
        ("overdue", "10-16"),
        ("overdue", "10-19"),  # not on the weekend
        ("overdue", "10-20"), ("district", "10-20"),
        ("overdue", "10-21"),
    ]
    assert task.escalation_level == "district"
    items = list_escalations(session, today=date(2026, 10, 21), book=book)
    assert {(i["task_id"], i["level"], i["days_overdue"], i["status"]) for i in items if i["task_id"] == task.id} == {
        (task.id, "district", 6, "new")}


def test_a_second_run_at_the_same_time_changes_nothing(session: Session, book: PackBook, engine) -> None:  # type: ignore[no-untyped-def]
    make_school(session)
    session.commit()
    run_days(session, book, DAY0, date(2026, 10, 20))
    before = snapshot(engine)
    run_day(session, book, date(2026, 10, 20))
    assert snapshot(engine) == before


def test_one_email_and_at_most_one_sms_per_person_per_run(session: Session, book: PackBook) -> None:
    school = make_school(session, grades=(4, 5), classes_per_grade=2)
    homeroom = [p for k, p in school.people.items() if k.startswith("homeroom:")]
    for person in homeroom:  # one teacher holds all four classes: four late tasks, one digest
        person.phone = "13800000000"
    one = homeroom[0]
    from models import RoleAssignment

    for assignment in session.exec(select(RoleAssignment).where(RoleAssignment.role == "homeroom")):
        assignment.person_id = one.id or 0
    session.commit()
    run_days(session, book, DAY0, date(2026, 10, 21))
    mail = list(session.exec(select(OutboxMessage)))
    per_run = Counter((m.recipient_id, m.channel, m.created_at) for m in mail if m.channel in ("email", "sms"))
    assert per_run and max(per_run.values()) == 1
    late = [m for m in mail if m.recipient_id == one.id and m.channel == "email" and "逾期" in m.subject]
    assert late, "the teacher's overdue digest"
    assert "您有4项工作待办（其中4项已逾期）" in late[-1].subject
    assert late[-1].body_text.count("本班月度心理状况摸排") == 4 and late[-1].body_html


def test_carried_work_keeps_its_place_on_the_ladder(session: Session, book: PackBook) -> None:
    school = make_school(session)
    session.commit()
    run_days(session, book, DAY0, date(2026, 10, 30))
    run_days(session, book, date(2026, 11, 2), date(2026, 11, 3))
    carried = session.exec(select(Task).where(Task.carried_over, Task.template == "class_report",
                                              Task.school_id == school.id)).first()
    assert carried is not None and carried.lineage_id is not None
    rungs = [r for r, _ in fired_on(session, carried)]
    assert rungs.count("school") == 1 and rungs.count("district") == 1  # not raised again in November
    assert carried.escalation_level == "district"
    assert ("overdue", "11-03") in fired_on(session, carried)


def test_acknowledged_work_is_not_reminded_but_still_escalates(session: Session, book: PackBook) -> None:
    school = make_school(session)
    session.commit()
    run_days(session, book, DAY0, date(2026, 10, 13))
    task = class_report(session, school)
    acknowledge_task(session, task_id=task.id or 0, by=task.assignee_id or 0, now=at("2026-10-13", 10))
    session.commit()
    run_days(session, book, date(2026, 10, 14), date(2026, 10, 15))
    assert fired_on(session, task)[-1] == ("school", "10-15")
    assert ("overdue", "10-14") not in fired_on(session, task)


def test_an_approved_extension_moves_the_due_date_and_restarts_the_ladder(session: Session, book: PackBook) -> None:
    school = make_school(session)
    session.commit()
    run_days(session, book, DAY0, date(2026, 10, 20))
    task = class_report(session, school)
    assert task.escalation_level == "district"
    ext = request_extension(session, task_id=task.id or 0, by=task.assignee_id or 0, workdays=10,
                            reason="本班学生参加区运动会", now=at("2026-10-19", 9), book=book)
    assert ext.new_due == date(2026, 10, 27)  # ten working days from the due date (13th), not from the request day
    decide_extension(session, extension_id=ext.id or 0, by=school.people["leader"].id or 0, approve=True, book=book,
                     now=at("2026-10-20", 10))
    session.commit()
    assert (task.due, task.escalation_level) == (date(2026, 10, 27), "none")  # the same count on approval
    assert {e.resolution for e in session.exec(select(Escalation).where(Escalation.task_id == task.id))} == {
        "extended"}
    run_days(session, book, date(2026, 10, 21), date(2026, 10, 29))
    assert fired_on(session, task)[-5:] == [("before_due", "10-23"), ("due_day", "10-27"), ("overdue", "10-28"),
                                            ("overdue", "10-29"), ("school", "10-29")]


def test_a_later_phase_that_starts_after_the_due_date_gets_its_own_working_days(
    session: Session, book: PackBook,
) -> None:
    school = make_school(session)
    session.commit()
    run_days(session, book, DAY0, date(2026, 10, 20))
    cycle = cycle_of(session, school.id, OCTOBER)
    for report in tasks_of(session, cycle.id, template="class_report"):
        complete_task(session, task_id=report.id or 0, values={"committee_consulted": "是"},
                      now=at("2026-10-21", 15), book=book)
    session.commit()
    run_days(session, book, date(2026, 10, 21), date(2026, 10, 22))
    (consolidate,) = tasks_of(session, cycle.id, template="consolidate")
    assert consolidate.due == date(2026, 10, 23)  # two working days after it was created, not the step's 13th
    assert consolidate.escalation_level == "none"
    assert [r for r, _ in fired_on(session, consolidate)] == ["before_due"]


def test_a_district_notice_becomes_a_task_and_the_escalation_closes_with_its_task(
    session: Session, book: PackBook,
) -> None:
    school = make_school(session)
    session.commit()
    run_days(session, book, DAY0, date(2026, 10, 20))
    task = class_report(session, school)
    item = session.exec(select(Escalation).where(Escalation.task_id == task.id)).one()
    notice = issue_notice(session, escalation_id=item.id or 0, by=school.people["district_officer"].id or 0,
                          workdays=3, text="限期完成本班摸排并报送", now=at("2026-10-20", 15), book=book)
    assert (notice.kind, notice.role, notice.assignee_id, notice.due) == (
        "notice", "leader", school.people["leader"].id, date(2026, 10, 23))
    assert item.status == "acknowledged" and item.notice_task_id == notice.id
    complete_task(session, task_id=task.id or 0, values={"committee_consulted": "是"},
                  now=at("2026-10-21", 9), book=book)
    session.commit()
    assert (item.status, item.resolution) == ("resolved", "task_done")


def test_free_text_titles_never_carry_a_student_name_out(session: Session, book: PackBook) -> None:
    school = make_school(session)
    session.add(Student(school_id=school.id, class_id=school.classes[0].id or 0, student_no="1", name="王小明",
                        gender="男"))
    session.commit()
    run_day(session, book, DAY0)
    cycle = cycle_of(session, school.id, OCTOBER)
    session.add(Task(cycle_id=cycle.id or 0, origin_cycle_id=cycle.id or 0, school_id=school.id, step_key="meeting",
                     template="decision", key="decision:x", kind="decision", blocks_step=False,
                     title="会议决定：跟进王小明的情况", role="deputy", assignee_id=school.people["deputy"].id,
                     clause="QD-S1b", due=date(2026, 10, 9)))
    session.commit()
    run_days(session, book, date(2026, 10, 9), date(2026, 10, 20))
    mail = list(session.exec(select(OutboxMessage)))
    assert any("跟进某同学的情况" in m.body_text for m in mail)
    assert not [m for m in mail if "王小明" in m.subject + m.body_text + (m.body_html or "") + str(m.params)]
    assert not [e for e in session.exec(select(Escalation)) if "王小明" in e.summary]


def test_a_request_for_more_time_still_waiting_at_month_end_is_decided_in_the_new_month(
    session: Session, book: PackBook,
) -> None:
    """Asked on October's last working day, carried into November with its work, approved there."""
    school = make_school(session)
    session.commit()
    run_days(session, book, DAY0, date(2026, 10, 30))
    task = class_report(session, school)
    ext = request_extension(session, task_id=task.id or 0, by=task.assignee_id or 0, workdays=3,
                            reason="本班学生参加区运动会", now=at("2026-10-30", 15), book=book)
    session.commit()
    run_day(session, book, date(2026, 11, 2))  # November opens: the task is carried
    successor = session.exec(select(Task).where(Task.carried_from_id == task.id)).one()
    assert (task.status, ext.task_id) == ("carried", successor.id)
    decide_extension(session, extension_id=ext.id or 0, by=school.people["leader"].id or 0, approve=True, book=book,
                     now=at("2026-11-02", 10))
    session.commit()
    # Three working days from the due date (13 October), not from the approval: a late approval buys no days.
    assert (ext.status, successor.due) == ("approved", date(2026, 10, 16))
