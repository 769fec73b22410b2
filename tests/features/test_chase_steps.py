"""Steps the chase's features share: the production run, runs day by day, the ladder as it fired, phones,
students, a crisis case, the district inbox, and mail and SMS servers on loopback with the real dispatcher.

conftest.py is shared by every feature and not extended here: the features of 催办与督办 import these
steps with `from tests.features.test_chase_steps import *` (pytest-bdd finds steps as fixtures of the
test module). This module binds no scenario itself.
"""

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd import given, then, when
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from models import ChaseEvent, District, OutboxMessage, Person, RoleAssignment, School, Student, Task
from notifications.dispatcher import DispatchResult, dispatch
from tests.features.support import Db, SchoolRef, class_id, describe_holder, find_task, holder, step_text
from tests.notifications.servers import HttpServer, SmtpServer
from xinyu.chase import queue_district_digests, run_chase
from xinyu.chase.explain import explain_due
from xinyu.chase.extensions import acknowledge_task, decide_extension, request_extension
from xinyu.chase.inbox import list_escalations
from xinyu.chase.run import ChaseResult, FiredLine
from xinyu.clock import SHANGHAI, as_local
from xinyu.crisis.opening import CrisisOpened, case_code, open_crisis_case
from xinyu.cycle import PackBook, advance
from xinyu.grades import parse_grade
from xinyu.roles import Role

INBOX = "区县督办箱"
INBOX_STATUS = {"new": "待处理", "acknowledged": "已签收", "resolved": "已办结"}


# --- the production run -------------------------------------------------------------------------


@dataclass(frozen=True)
class Fired:
    """One rung the chase reported firing, and the day of the run."""

    on: date
    line: FiredLine


@dataclass
class ChaseRun:
    """What one production run did: the chase's counts and the outbox rows it queued."""

    result: ChaseResult
    queued: int


@pytest.fixture
def chase_log() -> list[Fired]:
    """Every rung fired in the scenario's runs, in order."""
    return []


def outbox_size(session: Session) -> int:
    return session.exec(select(func.count()).select_from(OutboxMessage)).one()


def production_run(db: Db, book: PackBook, at: datetime, log: list[Fired]) -> ChaseRun:
    """What `xinyu advance` and the advance-cycles flow do, in one transaction: the loop, the chase,
    then the district's digest. Every school of the database: a scenario's database holds only its own."""
    with db() as session:
        before = outbox_size(session)
        advance(session, now=at, book=book)
        result = run_chase(session, now=at, book=book)
        queue_district_digests(session, now=at, book=book)
        session.flush()
        queued = outbox_size(session) - before
    log.extend(Fired(at.date(), line) for line in result.fired)
    return ChaseRun(result=result, queued=queued)


@given(step_text("系统已在 {at:At} 推进月度闭环并催办"), target_fixture="chase_run")
@when(step_text("系统在 {at:At} 推进月度闭环并催办"), target_fixture="chase_run")
@when(step_text("系统在 {at:At} 再次推进月度闭环并催办"), target_fixture="chase_run")
def _(db: Db, book: PackBook, chase_log: list[Fired], at: datetime) -> ChaseRun:
    return production_run(db, book, at, chase_log)


@given(step_text("系统已在 {start:Day} 至 {end:Day} 每天 {clock} 推进月度闭环并催办"), target_fixture="chase_run")
@when(step_text("系统在 {start:Day} 至 {end:Day} 每天 {clock} 推进月度闭环并催办"), target_fixture="chase_run")
def _(db: Db, book: PackBook, chase_log: list[Fired], start: date, end: date, clock: str) -> ChaseRun:
    """The scheduler runs every calendar day, holidays and weekends included: the ladder knows to rest."""
    day, last = start, None
    while day <= end:
        last = production_run(db, book, datetime.combine(day, time.fromisoformat(clock), tzinfo=SHANGHAI),
                              chase_log)
        day += timedelta(days=1)
    assert last is not None, f"{start} 晚于 {end}"
    return last


@then("本次没有触发任何催办，也没有新的待发消息")
def _(chase_run: ChaseRun) -> None:
    assert chase_run.result.fired == [], [(f.title, f.rung) for f in chase_run.result.fired]
    assert chase_run.queued == 0


# --- the ladder as it fired ---------------------------------------------------------------------


def progress(offset: int) -> str:
    if offset < 0:
        return f"截止前{-offset}个工作日"
    return "截止当天" if offset == 0 else f"逾期{offset}个工作日"


def lineage(session: Session, task: Task) -> set[int]:
    """The task and every task of its carried chain."""
    root = task.lineage_id or task.id
    return set(session.exec(select(Task.id).where((col(Task.id) == root) | (col(Task.lineage_id) == root))))


def told(session: Session, names: list[str]) -> str:
    """The people a rung told, as the scenario names them (“组长”, “四年级1班班主任”, 区县督办箱)."""
    described = []
    for name in names:
        if name == INBOX:
            described.append(name)
            continue
        people = list(session.exec(select(Person.id).where(Person.name == name)))
        assert len(people) == 1, f"应有且只有一人名为 {name}"
        described.append(describe_holder(session, people[0]))
    return "、".join(described)


def fired_for(db: Db, school: SchoolRef, who: str, title: str, log: list[Fired]) -> list[dict[str, str]]:
    """What the runs reported for the task, checked against the ladder's log in the database."""
    with db() as session:
        task = find_task(session, school, title, who=holder(session, school, who))
        ids = lineage(session, task)
        reported = [f for f in log if f.line.task_id in ids]
        logged = [(as_local(e.fired_at).date(), e.offset) for e in session.exec(
            select(ChaseEvent).where(col(ChaseEvent.task_id).in_(ids), ~col(ChaseEvent.rung).startswith("relay_"))
            .order_by(col(ChaseEvent.fired_at), col(ChaseEvent.id))) if e.fired_at]
        assert sorted(logged) == sorted((f.on, f.line.offset) for f in reported), logged
        return [{"日期": f.on.isoformat(), "催办": f.line.rung, "进度": progress(f.line.offset),
                 "通知": told(session, f.line.told)} for f in reported]


def table_rows(datatable: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    header, *rows = datatable
    return header, rows


@then(step_text("{who}的“{title}”任务依次触发以下催办："))
def _(db: Db, school: SchoolRef, chase_log: list[Fired], who: str, title: str,
      datatable: list[list[str]]) -> None:
    header, rows = table_rows(datatable)
    actual = [[f[h] for h in header] for f in fired_for(db, school, who, title, chase_log)]
    assert actual == rows, "\n".join(" | ".join(r) for r in actual)


@then(step_text("{who}的“{title}”任务自 {day:Day} 起依次触发以下催办："))
def _(db: Db, school: SchoolRef, chase_log: list[Fired], who: str, title: str, day: date,
      datatable: list[list[str]]) -> None:
    header, rows = table_rows(datatable)
    actual = [[f[h] for h in header] for f in fired_for(db, school, who, title, chase_log)
              if f["日期"] >= day.isoformat()]
    assert actual == rows, "\n".join(" | ".join(r) for r in actual)


@then(step_text("{who}的“{title}”任务自 {day:Day} 起没有再触发催办"))
def _(db: Db, school: SchoolRef, chase_log: list[Fired], who: str, title: str, day: date) -> None:
    fired = [f for f in fired_for(db, school, who, title, chase_log) if f["日期"] >= day.isoformat()]
    assert not fired, fired


@then(step_text("{first:Day} 至 {last:Day} 没有触发任何催办"))
def _(chase_log: list[Fired], first: date, last: date) -> None:
    inside = [(f.on, f.line.title, f.line.rung) for f in chase_log if first <= f.on <= last]
    assert not inside, inside


LEVELS = {"none": "无", "school": "学校", "district": "区县"}


@then(step_text("{who}的“{title}”任务升级级别为“{level}”"))
def _(db: Db, school: SchoolRef, who: str, title: str, level: str) -> None:
    with db() as session:
        task = find_task(session, school, title, who=holder(session, school, who))
        assert LEVELS[task.escalation_level] == level, LEVELS[task.escalation_level]


@then(step_text("{who}的“{title}”任务截止日期为 {day:Day}，升级级别为“{level}”"))
def _(db: Db, school: SchoolRef, who: str, title: str, day: date, level: str) -> None:
    with db() as session:
        task = find_task(session, school, title, who=holder(session, school, who))
        assert (task.due, LEVELS[task.escalation_level]) == (day, level), (task.due, task.escalation_level)


@then(step_text("{who}的“{title}”任务自 {day:Day} 起收到{n:d}次“{rung}”"))
def _(db: Db, school: SchoolRef, chase_log: list[Fired], who: str, title: str, day: date, n: int,
      rung: str) -> None:
    fired = [f for f in fired_for(db, school, who, title, chase_log)
             if f["催办"] == rung and f["日期"] >= day.isoformat()]
    assert len(fired) == n, fired


# --- people -------------------------------------------------------------------------------------


def district_officers(session: Session, school: SchoolRef) -> list[Person]:
    school_row = session.get(School, school.id)
    assert school_row is not None
    return list(session.exec(
        select(Person).join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
        .where(RoleAssignment.role == Role.district_officer, RoleAssignment.district_id == school_row.district_id,
               col(RoleAssignment.school_id).is_(None)).order_by(col(Person.id))))


def person(session: Session, school: SchoolRef, who: str) -> Person:
    """“组长”, “四年级1班班主任”, “年级主任”, “区县负责人” (the district's first officer) → the person."""
    if who == Role.district_officer.label:
        found = district_officers(session, school)[0]
    else:
        found = session.get(Person, holder(session, school, who).person_id)
    assert found is not None
    return found


@given("学校的老师和区县负责人都登记了手机号")
def _(db: Db) -> None:
    with db() as session:
        for row in session.exec(select(Person).where(col(Person.phone).is_(None))):
            assert row.id is not None
            row.phone = f"139{row.id:08d}"
            session.add(row)


@given(step_text("{klass}有学生“{name}”"))
def _(db: Db, school: SchoolRef, klass: str, name: str) -> None:
    with db() as session:
        number = session.exec(select(func.count()).select_from(Student)).one() + 1
        session.add(Student(school_id=school.id, class_id=class_id(session, school, klass),
                            student_no=f"2026{number:04d}", name=name, gender="男"))


# --- a crisis case ------------------------------------------------------------------------------


def open_case(db: Db, book: PackBook, school: SchoolRef, who: str, at: datetime, klass: str, name: str,
              level: str) -> CrisisOpened:
    with db() as session:
        handler = holder(session, school, who)
        student = session.exec(select(Student).where(
            Student.school_id == school.id, Student.class_id == class_id(session, school, klass),
            Student.name == name)).one()
        assert student.id is not None
        return open_crisis_case(session, school_id=school.id, student_id=student.id, level=level,
                                handler_id=handler.person_id, by=handler.person_id, now=at, book=book)


@given(step_text("{who}于 {at:At} 登记{klass}学生{name}的{level}心理危机个案"), target_fixture="crisis")
@when(step_text("{who}于 {at:At} 登记{klass}学生{name}的{level}心理危机个案"), target_fixture="crisis")
def _(db: Db, book: PackBook, school: SchoolRef, who: str, at: datetime, klass: str, name: str,
      level: str) -> CrisisOpened:
    return open_case(db, book, school, who, at, klass, name, level)


# --- the district inbox -------------------------------------------------------------------------


def inbox(db: Db, book: PackBook, today: date, district: str) -> list[dict[str, Any]]:
    with db() as session:
        return list_escalations(session, today=today, book=book, district=district)


def inbox_row(item: dict[str, Any]) -> dict[str, str]:
    status = INBOX_STATUS[item["status"]]
    if item["resolution"]:
        status += {"task_done": "（任务已完成）", "extended": "（已延期）"}.get(item["resolution"], item["resolution"])
    elif item["notice_task_id"]:
        status += "，已下发督办通知"
    return {"学校": item["school"], "步骤": item["step_label"], "事项": item["summary"], "截止日期": item["due"],
            "逾期": f"{item['days_overdue']}个工作日", "状态": status}


@then(step_text("在 {day:Day}，{district}督办箱列出以下事项："))
def _(db: Db, book: PackBook, day: date, district: str, datatable: list[list[str]]) -> None:
    header, rows = table_rows(datatable)
    actual = [[inbox_row(item)[h] for h in header] for item in inbox(db, book, day, district)]
    assert actual == rows, actual


@then(step_text("在 {day:Day}，{district}督办箱中{school_name}的“{title}”为“{status}”，报送时逾期{n:d}个工作日"))
def _(db: Db, book: PackBook, day: date, district: str, school_name: str, title: str, status: str, n: int) -> None:
    rows = [inbox_row(item) for item in inbox(db, book, day, district)
            if item["school"] == school_name and title in item["summary"]]
    assert [(r["状态"], r["逾期"]) for r in rows] == [(status, f"{n}个工作日")], rows


@then(step_text("在 {day:Day}，{district}督办箱没有任何事项"))
def _(db: Db, book: PackBook, day: date, district: str) -> None:
    assert inbox(db, book, day, district) == []


# --- the outbox and the servers -----------------------------------------------------------------


def queued_to(session: Session, person_id: int, channel: str) -> list[OutboxMessage]:
    return list(session.exec(select(OutboxMessage).where(
        OutboxMessage.recipient_id == person_id, OutboxMessage.channel == channel,
        OutboxMessage.status == "queued").order_by(col(OutboxMessage.id))))


@then(step_text("{who}有一封待发邮件，标题为“{subject}”"))
def _(db: Db, school: SchoolRef, who: str, subject: str) -> None:
    with db() as session:
        subjects = [m.subject for m in queued_to(session, person(session, school, who).id or 0, "email")]
    assert subjects.count(subject) == 1, subjects


@dataclass
class Gateways:
    """The school's mail server and SMS gateway (and the group robots' webhooks), real, on loopback."""

    smtp: SmtpServer
    http: HttpServer

    @property
    def sms_url(self) -> str:
        return f"{self.http.base}/sms/send"

    def robot_url(self, name: str) -> str:
        return f"{self.http.base}/cgi-bin/webhook/send?key={name}"


@given("邮件服务器和短信网关已接通", target_fixture="gateways")
def _(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Gateways:
    smtp, http = SmtpServer(), HttpServer()
    smtp.__enter__()
    request.addfinalizer(smtp.__exit__)
    http.__enter__()
    request.addfinalizer(http.__exit__)
    gateways = Gateways(smtp, http)
    monkeypatch.setenv("XINYU_SMTP_URL", smtp.url)
    monkeypatch.setenv("XINYU_SMS_URL", gateways.sms_url)
    monkeypatch.setenv("XINYU_ROBOT_WEBHOOKS", "true")
    monkeypatch.setenv("XINYU_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.setenv("XINYU_BASE_URL", "https://xinyu.example.cn")
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(proxy, raising=False)
    return gateways


@given("学校和区县的工作群都接入了群机器人")
def _(db: Db, school: SchoolRef, gateways: Gateways) -> None:
    with db() as session:
        school_row = session.get(School, school.id)
        assert school_row is not None
        district = session.get(District, school_row.district_id)
        assert district is not None
        school_row.robot_url = gateways.robot_url(f"school{school.id}")
        district.robot_url = gateways.robot_url(f"district{district.id}")
        session.add(school_row)
        session.add(district)


@dataclass
class Delivery:
    """What one dispatch put on the wire: mails the SMTP server took, SMS and robot posts the HTTP server took."""

    result: DispatchResult
    emails: list[EmailMessage] = field(default_factory=list)
    sms: list[dict[str, Any]] = field(default_factory=list)
    robots: list[dict[str, Any]] = field(default_factory=list)

    def emails_to(self, address: str | None) -> list[EmailMessage]:
        return [m for m in self.emails if m["To"] == address]

    def sms_to(self, phone: str | None) -> list[dict[str, Any]]:
        return [s for s in self.sms if s["phone"] == phone]


@given(step_text("系统已在 {at:At} 发送待发消息"), target_fixture="delivery")
@when(step_text("系统在 {at:At} 发送待发消息"), target_fixture="delivery")
def _(engine: Engine, gateways: Gateways, at: datetime) -> Delivery:
    """The real dispatcher, configured by the XINYU_* settings: it opens its own connections."""
    mails, requests = len(gateways.smtp.recorder.messages), len(gateways.http.requests)
    result = dispatch(engine, now=at)
    assert result.failed == 0 and result.retried == 0, (result.as_dict(), result.failures)
    posted = gateways.http.requests[requests:]
    return Delivery(result=result, emails=gateways.smtp.recorder.messages[mails:],
                    sms=[r.json() for r in posted if r.path == "/sms/send"],
                    robots=[r.json() for r in posted if r.path.endswith("/webhook/send")])


def text_parts(mail: EmailMessage) -> dict[str, str]:
    parts = {}
    for part in mail.walk():
        if part.get_content_maintype() == "text":
            assert isinstance(part, EmailMessage)
            parts[part.get_content_subtype()] = str(part.get_content())
    return parts


@then(step_text("{who}收到{n:d}封邮件，标题为“{subject}”"))
def _(db: Db, school: SchoolRef, delivery: Delivery, who: str, n: int, subject: str) -> None:
    with db() as session:
        address = person(session, school, who).email
    subjects = [str(m["Subject"]) for m in delivery.emails_to(address)]
    assert subjects == [subject] * n, subjects


@then(step_text("{who}收到{n:d}封邮件"))
def _(db: Db, school: SchoolRef, delivery: Delivery, who: str, n: int) -> None:
    with db() as session:
        address = person(session, school, who).email
    assert len(delivery.emails_to(address)) == n, [str(m["Subject"]) for m in delivery.emails_to(address)]


@then(step_text("{who}收到{n:d}条短信"))
def _(db: Db, school: SchoolRef, delivery: Delivery, who: str, n: int) -> None:
    with db() as session:
        phone = person(session, school, who).phone
    assert len(delivery.sms_to(phone)) == n, delivery.sms_to(phone)


@then(step_text("{who}收到{n:d}条短信：“{text}”"))
def _(db: Db, school: SchoolRef, delivery: Delivery, who: str, n: int, text: str) -> None:
    with db() as session:
        phone = person(session, school, who).phone
    assert [s["text"] for s in delivery.sms_to(phone)] == [text] * n, delivery.sms_to(phone)


@then("本次没有人收到邮件或短信")
def _(delivery: Delivery) -> None:
    assert (delivery.emails, delivery.sms) == ([], []), (
        [str(m["Subject"]) for m in delivery.emails], [json.dumps(s, ensure_ascii=False) for s in delivery.sms])


# --- acknowledging, extensions ------------------------------------------------------------------


@given(step_text("{who}于 {at:At} 确认收到“{title}”的提醒"))
def _(db: Db, school: SchoolRef, who: str, at: datetime, title: str) -> None:
    with db() as session:
        found = holder(session, school, who)
        task = find_task(session, school, title, who=found)
        assert task.id is not None
        acknowledge_task(session, task_id=task.id, by=found.person_id, now=at)


@given(step_text("{who}于 {at:At} 申请“{title}”延期{n:d}个工作日，理由为“{reason}”"), target_fixture="extension_id")
def _(db: Db, book: PackBook, school: SchoolRef, who: str, at: datetime, title: str, n: int, reason: str) -> int:
    with db() as session:
        found = holder(session, school, who)
        task = find_task(session, school, title, who=found)
        assert task.id is not None
        extension = request_extension(session, task_id=task.id, by=found.person_id, workdays=n, reason=reason,
                                      now=at, book=book)
        assert extension.id is not None
        return extension.id


@given(step_text("组长于 {at:At} 批准该延期申请"))
@when(step_text("组长于 {at:At} 批准该延期申请"))
def _(db: Db, book: PackBook, school: SchoolRef, extension_id: int, at: datetime) -> None:
    with db() as session:
        decide_extension(session, extension_id=extension_id, by=holder(session, school, "组长").person_id,
                         approve=True, now=at, book=book)


# --- why the due date is what it is -------------------------------------------------------------


def explanation(db: Db, book: PackBook, school: SchoolRef, who: str, title: str) -> list[str]:
    with db() as session:
        task = find_task(session, school, title, who=holder(session, school, who))
        assert task.id is not None
        lines = explain_due(session, task_id=task.id, book=book)
    assert lines[0] == f"任务 #{task.id}「{task.title}」", lines[0]
    return lines


@then(step_text("{who}的“{title}”任务的截止说明为："))
def _(db: Db, book: PackBook, school: SchoolRef, who: str, title: str, docstring: str) -> None:
    lines = explanation(db, book, school, who, title)
    assert lines[1:] == docstring.splitlines(), "\n".join(lines)


@then(step_text("{who}的“{title}”任务的截止说明包括："))
def _(db: Db, book: PackBook, school: SchoolRef, who: str, title: str, docstring: str) -> None:
    lines = explanation(db, book, school, who, title)
    missing = [line for line in docstring.splitlines() if line not in lines]
    assert not missing, "\n".join(lines)


@then(step_text("{first:Day} 至 {last:Day} 没有产生任何待发消息"))
def _(db: Db, first: date, last: date) -> None:
    with db() as session:
        made = [(m.channel, m.subject) for m in session.exec(select(OutboxMessage))
                if m.created_at and first <= as_local(m.created_at).date() <= last]
    assert not made, made


# The four-level warning network 学校—年级—班级—家庭 (JL-5; features/危机干预/吉林四级预警网络.feature).
@given(step_text("{grade}设有年级主任"))
def _(db: Db, school: SchoolRef, grade: str) -> None:
    number = parse_grade(grade)
    assert number is not None, grade
    with db() as session:
        school_row = session.get(School, school.id)
        assert school_row is not None
        district = session.exec(select(District).where(District.id == school_row.district_id)).one()
        assert district.id is not None
        head = Person(identity=f"{district.name}/{school.name}/{grade}年级主任", name=f"{school.name}{grade}年级主任",
                      email=f"grade{number}.head@school.example.cn")
        session.add(head)
        session.flush()
        assert head.id is not None
        session.add(RoleAssignment(person_id=head.id, role=Role.grade_head, district_id=district.id,
                                   school_id=school.id, grade=number, scope_key=f"s{school.id}/g{number}"))


@then(step_text("系统按“{chain}”逐级通知了个案 {code}"))
def _(crisis: CrisisOpened, chain: str, code: str) -> None:
    assert case_code(crisis.case) == code
    assert [told.split(" ")[0] for told in crisis.relay] == chain.split(" → "), crisis.relay
