"""GZ-A2.1.2: no student's name in any SMS (text or template parameters), email subject, district inbox item,
group-robot message or log line, across a month of reminders, escalations and a major crisis case; free text
typed by staff reaches staff with the names replaced. Messages go through the real dispatcher to real servers."""

import json
import logging
from datetime import date, datetime
from typing import Any

import pytest
from pytest_bdd import given, scenarios, then
from sqlmodel import select

from models import Escalation, OutboxMessage
from tests.features.support import Db, SchoolRef, find_task, holder, step_text
from tests.features.test_chase_steps import *  # noqa: F403  (the chase's shared steps)
from tests.features.test_chase_steps import Delivery, Gateways, district_officers, person, text_parts
from xinyu.chase.inbox import list_escalations
from xinyu.cycle import PackBook, complete_task

scenarios("催办与督办/隐私保护.feature")

# Loggers that are not the system's: SQLAlchemy's statement echo (a developer's switch, off in production, and it
# would print the test's own inserts) and the test SMTP server's protocol trace.
NOT_OURS = ("sqlalchemy", "mail.log")


@given("系统记录全部日志")
def _(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in NOT_OURS:
        caplog.set_level(logging.WARNING, logger=name)


@given(step_text("组长于 {at:At} 录入专题会议纪要，会议决定为“{decision}”"))
def _(db: Db, book: PackBook, school: SchoolRef, at: datetime, decision: str) -> None:
    with db() as session:
        leader = holder(session, school, "组长")
        task = find_task(session, school, "召开心理健康工作领导小组月度专题会议并录入纪要", who=leader)
        assert task.id is not None
        values = {"held_on": at.date().isoformat(), "minutes": "会议研究了本月学生心理健康问题和危机干预工作。",
                  "decisions": decision}
        complete_task(session, task_id=task.id, values=values, now=at, book=book, by=leader.person_id)


def names_in(text: str) -> list[str]:
    """“王小明”和“李小红” → the names."""
    return text.split("”和“")


def leaks(names: list[str], texts: list[str]) -> list[str]:
    return [text for text in texts if any(name in text for name in names)]


def dumped(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def outbox(db: Db, channel: str) -> list[OutboxMessage]:
    with db() as session:
        return list(session.exec(select(OutboxMessage).where(OutboxMessage.channel == channel)))


@then("这个月发出了邮件、短信和群机器人消息，区县督办箱中也有事项")
def _(db: Db, gateways: Gateways) -> None:
    requests = gateways.http.requests
    assert gateways.smtp.recorder.messages, "没有发出邮件"
    assert [r for r in requests if r.path == "/sms/send"], "没有发出短信"
    assert [r for r in requests if r.path.endswith("/webhook/send")], "没有发出群机器人消息"
    with db() as session:
        reasons = {e.reason for e in session.exec(select(Escalation))}
    assert reasons == {"overdue", "crisis"}, reasons


@then(step_text("所有短信的文字和模板参数中都没有“{names}”"))
def _(db: Db, gateways: Gateways, names: str) -> None:
    texts = [m.body_text + dumped(m.params) for m in outbox(db, "sms")]
    texts += [dumped(r.json()) for r in gateways.http.requests if r.path == "/sms/send"]
    assert not leaks(names_in(names), texts)


@then(step_text("所有邮件的标题中都没有“{names}”"))
def _(db: Db, gateways: Gateways, names: str) -> None:
    subjects = [m.subject for m in outbox(db, "email")] + [str(m["Subject"]) for m in gateways.smtp.recorder.messages]
    assert not leaks(names_in(names), subjects)


@then(step_text("区县督办箱的事项中都没有“{names}”"))
def _(db: Db, book: PackBook, names: str) -> None:
    with db() as session:
        rows = [dumped(item.model_dump(mode="json")) for item in session.exec(select(Escalation))]
        rows += [dumped(item) for item in list_escalations(session, today=date(2026, 10, 27), book=book)]
    assert not leaks(names_in(names), rows)


@then(step_text("工作群机器人消息中都没有“{names}”"))
def _(db: Db, gateways: Gateways, names: str) -> None:
    texts = [m.subject + m.body_text for m in outbox(db, "robot")]
    texts += [dumped(r.json()) for r in gateways.http.requests if r.path.endswith("/webhook/send")]
    assert not leaks(names_in(names), texts)


@then(step_text("发给区县负责人的邮件正文中也没有“{names}”"))
def _(db: Db, school: SchoolRef, gateways: Gateways, names: str) -> None:
    with db() as session:
        addresses = {officer.email for officer in district_officers(session, school)}
    mails = [m for m in gateways.smtp.recorder.messages if m["To"] in addresses]
    assert mails, "区县负责人没有收到邮件"
    assert not leaks(names_in(names), [text for m in mails for text in text_parts(m).values()])


@then(step_text("系统日志中没有“{names}”"))
def _(caplog: pytest.LogCaptureFixture, names: str) -> None:
    lines = [f"{r.name}: {r.getMessage()}" for r in caplog.records if not r.name.startswith(NOT_OURS)]
    assert not leaks(names_in(names), lines)


def bodies(db: Db, school: SchoolRef, delivery: Delivery, who: str, subject_start: str = "") -> list[str]:
    with db() as session:
        address = person(session, school, who).email
    mails = [m for m in delivery.emails_to(address) if str(m["Subject"]).startswith(subject_start)]
    assert mails, f"{who}没有收到邮件"
    return [text for m in mails for text in text_parts(m).values()]


@then(step_text("{who}收到的邮件正文中，会议决定写作“{text}”，没有“{name}”"))
def _(db: Db, school: SchoolRef, delivery: Delivery, who: str, text: str, name: str) -> None:
    for body in bodies(db, school, delivery, who):
        assert text in body and name not in body, body


@then(step_text("{who}收到的延期申请邮件正文中，理由写作“{text}”，没有“{name}”"))
def _(db: Db, school: SchoolRef, delivery: Delivery, who: str, text: str, name: str) -> None:
    for body in bodies(db, school, delivery, who, "【心育闭环】延期申请待审批"):
        assert f"理由：{text}" in body and name not in body, body
