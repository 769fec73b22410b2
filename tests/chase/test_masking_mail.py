"""Staff mail masks students in typed text however it was typed (issue 11, item 7): a decision, a reason for
more time, a district notice; never 某同学同学."""

from datetime import date

from sqlmodel import Session, select

from models import Escalation, OutboxMessage, Student, Task
from tests.chase.test_chase_run import DAY0, OCTOBER, class_report, run_day, run_days
from tests.core.helpers import at, cycle_of
from tests.factories import make_school
from xinyu.chase.extensions import decide_extension, request_extension
from xinyu.chase.inbox import issue_notice
from xinyu.cycle import PackBook

NUMBER = "2024070301"
LEAKS = ("瑞航", "晨超", NUMBER, "某同学同学")


def test_staff_mail_masks_students_however_typed(session: Session, book: PackBook) -> None:
    school = make_school(session)
    for name, number in (("徐瑞航", "2024070302"), ("黄晨超", NUMBER)):
        session.add(Student(school_id=school.id, class_id=school.classes[0].id or 0, student_no=number, name=name,
                            gender="男"))
    session.commit()
    run_day(session, book, DAY0)
    cycle = cycle_of(session, school.id, OCTOBER)
    session.add(Task(cycle_id=cycle.id or 0, origin_cycle_id=cycle.id or 0, school_id=school.id, step_key="meeting",
                     template="decision", key="decision:x", kind="decision", blocks_step=False,
                     title="会议决定：为徐瑞航同学安排个别辅导，黄\u200b晨超（学号2024070301）家长面谈",
                     role="deputy", assignee_id=school.people["deputy"].id, clause="QD-S1b", due=date(2026, 10, 9)))
    session.commit()
    run_days(session, book, date(2026, 10, 9), date(2026, 10, 20))
    task = class_report(session, school)
    asked = request_extension(session, task_id=task.id or 0, by=task.assignee_id or 0, workdays=2,
                              reason="瑞航请假，黄　晨超同学们返校后补做", now=at("2026-10-20", 9), book=book)
    item = session.exec(select(Escalation).where(Escalation.task_id == task.id)).first()
    assert item is not None
    issue_notice(session, escalation_id=item.id or 0, by=school.people["district_officer"].id or 0, workdays=3,
                 text="请关注黄 晨超同学", now=at("2026-10-20", 15), book=book)
    decide_extension(session, extension_id=asked.id or 0, by=school.people["leader"].id or 0, approve=True,
                     note="已与黄晨超家长沟通", now=at("2026-10-20", 16), book=book)
    session.commit()
    mail = list(session.exec(select(OutboxMessage)))
    texts = [m.subject + m.body_text + (m.body_html or "") + str(m.params) for m in mail]
    assert any("会议决定：为某同学安排个别辅导，某同学（某学号）家长面谈" in m.body_text for m in mail)
    assert any("理由：某同学请假，某同学返校后补做" in m.body_text for m in mail)
    assert any("督办要求：请关注某同学" in m.body_text for m in mail)
    assert any("说明：已与某同学家长沟通" in m.body_text for m in mail)
    assert not [(leak, text) for text in texts for leak in LEAKS if leak in text]
