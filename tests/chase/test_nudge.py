"""A leader's 催办 from the board: one reminder a day per task, shared with the chase's own reminders."""

import json
from datetime import date

import pytest
from sqlmodel import Session, col, select

from models import AuditEntry, ChaseEvent, OutboxMessage
from tests.chase.test_chase_run import DAY0, class_report, run_day, run_days
from tests.core.helpers import at
from tests.factories import make_school
from xinyu.chase.nudge import NudgeRefused, nudge_task
from xinyu.cycle import PackBook


def events_on(session: Session, lineage: int, day: str) -> list[str]:
    rows = session.exec(select(ChaseEvent).where(ChaseEvent.lineage_id == lineage).order_by(col(ChaseEvent.id)))
    return [e.rung for e in rows if e.fired_at and e.fired_at.astimezone(at(DAY0).tzinfo).date().isoformat() == day]


def test_a_leader_nudges_a_late_task_once_a_day_and_the_chase_does_not_remind_again(
    session: Session, book: PackBook,
) -> None:
    school = make_school(session)
    session.commit()
    run_days(session, book, DAY0, date(2026, 10, 20))
    task = class_report(session, school)
    lineage, leader = task.lineage_id or task.id or 0, school.people["leader"].id or 0
    assert "overdue" in events_on(session, lineage, "2026-10-20")
    # The chase reminded this morning: the button sends nothing and says so.
    same_day = nudge_task(session, task_id=task.id or 0, by=leader, now=at("2026-10-20", 15), book=book)
    assert (same_day.sent, same_day.already) == (False, "chase")

    before = len(list(session.exec(select(OutboxMessage))))
    first = nudge_task(session, task_id=task.id or 0, by=leader, now=at("2026-10-21", 6), book=book)
    session.commit()
    assert first.sent and first.people == 1 and first.messages >= 1
    sent = list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))[before:]
    assert {m.recipient_id for m in sent} == {task.assignee_id}
    assert all(m.dedupe_key.startswith(f"chase:2026-10-21:p{task.assignee_id}:") for m in sent)
    email = next(m for m in sent if m.channel == "email")
    # The leader's own words, not the chase's digest: counts in the subject, no names anywhere.
    assert email.subject == "【心育闭环】组长催办：1项工作待办，已逾期6个工作日"
    assert email.body_text.startswith("组长催办：") and "已逾期6个工作日" in email.body_text
    assert "组长催办：" in (email.body_html or "") and "工作提醒" not in email.body_text
    sms = [m for m in sent if m.channel == "sms"]
    assert all(m.body_text.startswith("组长催办：") and m.template == "leader_nudge" for m in sms)
    again = nudge_task(session, task_id=task.id or 0, by=leader, now=at("2026-10-21", 6), book=book)
    assert (again.sent, again.already) == (False, "nudge")
    run_day(session, book, date(2026, 10, 21))  # the chase at seven: no second reminder today
    assert "overdue" not in events_on(session, lineage, "2026-10-21")
    assert events_on(session, lineage, "2026-10-21").count("nudge") == 1
    assert not [m for m in session.exec(select(OutboxMessage)).all()[before + len(sent):]
                if m.recipient_id == task.assignee_id and m.channel == "email"]
    audit = session.exec(select(AuditEntry).where(AuditEntry.action == "board_nudge")).one()
    assert audit.actor_id == leader and json.loads(audit.detail)["task"] == task.id
    run_day(session, book, date(2026, 10, 22))  # the next day the ladder goes on as before
    assert "overdue" in events_on(session, lineage, "2026-10-22")


def test_only_the_schools_leader_nudges_and_only_late_open_work(session: Session, book: PackBook) -> None:
    school = make_school(session)
    session.commit()
    run_days(session, book, DAY0, date(2026, 10, 20))
    task = class_report(session, school)
    with pytest.raises(NudgeRefused, match="组长"):
        nudge_task(session, task_id=task.id or 0, by=school.people["deputy"].id or 0, now=at("2026-10-21", 6),
                   book=book)
    with pytest.raises(NudgeRefused, match="不在进行中"):
        nudge_task(session, task_id=999999, by=school.people["leader"].id or 0, now=at("2026-10-21", 6), book=book)
    assert not list(session.exec(select(ChaseEvent).where(ChaseEvent.rung == "nudge")))
