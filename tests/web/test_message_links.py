"""Every link in a month of messages opens, for the person it was sent to.

The web world (a sample district run through 1–20 October 2026) gets what only people do — an officer's
notice (督办), an extension asked for and decided, a major crisis case (which reaches the district) — and
the rest of the month is run with late work, so reminders, escalations to the leader and the district,
district digests, the crisis relay and the notices all fire. Everything is then dispatched to a real
SMTP server (aiosmtpd), a real HTTP SMS gateway and group-robot webhooks on loopback. Every link in
every email (text and HTML parts), SMS and robot post is collected; each recipient signs in through the
real login form of the app served by uvicorn, and a real HTTP client opens each of their links: 200,
the page of the person signed in, and not the login page.
"""

import html
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import District, Escalation, Person, RoleAssignment, School, Student, Task
from notifications.dispatcher import dispatch
from tests.notifications.servers import HttpServer, SmtpServer
from tests.web.app_fixtures import world_copy
from tests.web.browser import LiveServer
from tests.web.world import World
from web.app import create_app
from xinyu.accounts import set_password
from xinyu.chase import run_chase
from xinyu.chase.extensions import decide_extension, request_extension
from xinyu.chase.inbox import issue_notice
from xinyu.chase.nudge import nudge_task
from xinyu.clock import parse_at
from xinyu.crisis.opening import open_crisis_case
from xinyu.cycle import PackBook, advance
from xinyu.db import transaction
from xinyu.roles import Role
from xinyu.settings import Settings, get_settings
from xinyu.simulation import simulate_work

BASE_URL = "https://xinyu.example.cn/xy"  # what XINYU_BASE_URL says for the rest of the month: a path prefix too
ACT_AT = parse_at("2026-10-23T18:00")
NUDGE_AT = parse_at("2026-10-24T08:00")  # the morning after: the chase's reminder of the 23rd is a day old
DISPATCH_AT = parse_at("2026-11-02T09:00")  # after every quiet hour of the month
PASSWORD = "links-test-2026"
LINK = re.compile(r"https?://[A-Za-z0-9._~:/?#@!$&*+,;=%-]+")


@dataclass(frozen=True)
class Sent:
    channel: str  # email | sms | robot
    recipients: tuple[int, ...]  # person ids
    links: tuple[str, ...]
    what: str  # subject or the start of the text, to name the message in a failure


def links_in(text: str) -> list[str]:
    return [m.rstrip(".,;") for m in LINK.findall(html.unescape(text))]


def email_links(message: EmailMessage) -> list[str]:
    found: list[str] = []
    for part in message.walk():
        if part.get_content_type() in ("text/plain", "text/html"):
            found += links_in(part.get_content())
    return found


@pytest.fixture
def month(world_template: tuple[str, World], packs_dir_session: Path, tmp_path: Path,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Engine, list[Sent], set[str]]]:
    url, world = world_template
    bases = {get_settings().base_url}  # what the world's first 20 days were queued with
    with SmtpServer() as smtp, HttpServer() as http, world_copy(url, tmp_path) as engine:
        book = PackBook(engine)
        monkeypatch.setenv("XINYU_BASE_URL", BASE_URL)
        bases.add(BASE_URL)
        robots = _robots(engine, world, http.base)
        _run(engine, book, date(2026, 10, 21), date(2026, 10, 23), working=[world.other_school_id])
        _people_act(engine, world, book)
        _run(engine, book, date(2026, 10, 24), date(2026, 10, 31), working=[world.other_school_id])
        settings = Settings(smtp_url=smtp.url, sms_url=f"{http.base}/sms", robot_webhooks=True,
                            outbox_dir=tmp_path / "outbox")
        result = dispatch(engine, now=DISPATCH_AT, settings=settings)
        assert result.failed == 0, result
        yield engine, _collect(engine, smtp, http, robots), bases


def _run(engine: Engine, book: PackBook, first: date, last: date, *, working: list[int]) -> None:
    """The days of `xinyu.month_run.run_days`, but only the `working` schools do their work: the other
    school's tasks go overdue and climb the whole ladder (reminders, the leader, the district)."""
    day = first
    while day <= last:
        now = parse_at(f"{day.isoformat()}T17:00")
        with transaction(engine) as session:
            simulate_work(session, now=now, book=book, seed=7, late_rate=0.3, school_ids=working)
            advance(session, now=now, book=book)
            run_chase(session, now=now, book=book)
        day += timedelta(days=1)


def _robots(engine: Engine, world: World, robot_base: str) -> dict[str, list[int]]:
    """Group robots for the district and its schools: key → who reads that group."""
    robots: dict[str, list[int]] = {}
    with transaction(engine) as session:
        district = session.get(District, world.district_id)
        assert district is not None and district.id is not None
        district.robot_url = f"{robot_base}/cgi-bin/webhook/send?key=d{district.id}"
        robots[f"d{district.id}"] = _holders(session, Role.district_officer, district_id=district.id)
        for school in session.exec(select(School).where(School.district_id == world.district_id)):
            assert school.id is not None
            school.robot_url = f"{robot_base}/cgi-bin/webhook/send?key=s{school.id}"
            robots[f"s{school.id}"] = _holders(session, Role.leader, school_id=school.id)
    return robots


def _people_act(engine: Engine, world: World, book: PackBook) -> None:
    """What only people do, on the evening of 23 October: a notice, an extension, a major crisis case; and
    on the morning of the 24th the idle school's leader presses 催办 on a late task (its own message)."""
    officer, leader = world.accounts["officer"], world.accounts["leader"]
    psych = world.accounts["psych"]
    with transaction(engine) as session:
        item = session.exec(select(Escalation).where(Escalation.status != "resolved",
                                                     Escalation.district_id == world.district_id)
                            .order_by(col(Escalation.id))).first()
        assert item is not None and item.id is not None, "no escalation reached the district by 23 October"
        issue_notice(session, escalation_id=item.id, by=officer.person_id, workdays=3,
                     text="请于三日内补齐材料", now=ACT_AT, book=book)
    with transaction(engine) as session:
        task = session.exec(select(Task).where(Task.school_id == world.school_id, Task.status == "open",
                                               col(Task.assignee_id).is_not(None), Task.kind != "crisis")
                            .order_by(col(Task.id))).first()
        assert task is not None and task.id is not None and task.assignee_id is not None
        extension = request_extension(session, task_id=task.id, by=task.assignee_id, workdays=2,
                                      reason="班级活动冲突", now=ACT_AT, book=book)
        assert extension.id is not None
        decide_extension(session, extension_id=extension.id, by=leader.person_id, approve=True, now=ACT_AT, book=book)
    with transaction(engine) as session:
        student = session.exec(select(Student).where(Student.school_id == world.other_school_id)
                               .order_by(col(Student.id))).first()
        assert student is not None and student.id is not None
        other_psych = _holders(session, Role.psych_teacher, school_id=world.other_school_id)
        open_crisis_case(session, school_id=world.other_school_id, student_id=student.id, level="重大",
                         handler_id=other_psych[0] if other_psych else psych.person_id, by=None,
                         now=ACT_AT, book=book)
    with transaction(engine) as session:
        late = session.exec(select(Task).where(Task.school_id == world.school_id, Task.status == "open",
                                               col(Task.assignee_id).is_not(None), col(Task.due) < NUDGE_AT.date(),
                                               Task.kind != "crisis").order_by(col(Task.id))).first()
        assert late is not None and late.id is not None, "no late task at the idle school on 24 October"
        nudged = nudge_task(session, task_id=late.id, by=leader.person_id, now=NUDGE_AT, book=book)
        assert nudged.sent, nudged


def _holders(session: Session, role: Role, **where: int) -> list[int]:
    query = select(RoleAssignment.person_id).where(RoleAssignment.role == role)
    for key, value in where.items():
        query = query.where(getattr(RoleAssignment, key) == value)
    if "school_id" not in where:
        query = query.where(col(RoleAssignment.school_id).is_(None))
    return sorted(set(session.exec(query)))


def _collect(engine: Engine, smtp: SmtpServer, http: HttpServer, robots: dict[str, list[int]]) -> list[Sent]:
    with Session(engine) as session:
        people = list(session.exec(select(Person)))
    by_email = {p.email.lower(): p.id for p in people if p.email and p.id}
    by_phone = {p.phone: p.id for p in people if p.phone and p.id}
    sent: list[Sent] = []
    for message in smtp.recorder.messages:
        to = str(message["To"]).split("<")[-1].rstrip(">").strip().lower()
        sent.append(Sent("email", (by_email[to],), tuple(email_links(message)), str(message["Subject"])))
    for request in http.requests:
        if request.path == "/sms":
            body = request.json()
            sent.append(Sent("sms", (by_phone[body["phone"]],), tuple(links_in(body["text"])), body["text"][:40]))
        else:
            key = request.query["key"]
            text = str(request.json()["markdown"]["content"])
            sent.append(Sent("robot", tuple(robots[key]), tuple(links_in(text)), text[:40]))
    return sent


# A page of one thing says which: the link's id must be the page's (not another task, item or case).
SUBJECT_MARKS = {r"/tasks/(\d+)": 'data-task-id="{}"', r"/district/inbox/(\d+)": 'data-escalation-id="{}"',
                 r"/crisis-alerts/(\d+)": 'data-case="{}"', r"/schools/(\d+)/board": "/schools/{}/"}


def _shows_what_was_linked(path: str, page: str) -> bool:
    for pattern, mark in SUBJECT_MARKS.items():
        found = re.fullmatch(pattern, urlsplit(path).path)
        if found:
            return mark.format(found.group(1)) in page
    return True


def _sign_in(client: httpx.Client, login: str) -> None:
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, form.text
    answer = client.post("/login", data={"login": login, "password": PASSWORD, "next": "/",
                                         "csrf_token": token.group(1)})
    assert answer.status_code == 303, (login, answer.status_code, answer.text[:500])


def test_every_link_of_a_month_opens_for_its_recipient(
        month: tuple[Engine, list[Sent], set[str]], packs_dir_session: Path) -> None:
    engine, sent, bases = month
    by_channel: dict[str, int] = defaultdict(int)
    for message in sent:
        by_channel[message.channel] += 1
    assert by_channel["email"] and by_channel["sms"] and by_channel["robot"], dict(by_channel)
    assert [m for m in sent if "组长催办" in m.what and m.links], "the leader's 催办 carries a link (followed below)"
    wanted: dict[int, set[str]] = defaultdict(set)
    for message in sent:
        for link in message.links:
            base = next((b for b in bases if link.startswith(b.rstrip("/") + "/")), None)
            assert base is not None, f"{message.channel} link {link} is not under XINYU_BASE_URL ({bases})"
            for recipient in message.recipients:
                wanted[recipient].add(link[len(base.rstrip("/")):])
    bare = {f"{m.channel}: {m.what}" for m in sent if not m.links and m.channel != "email"}
    assert not bare, f"an SMS or a robot post without a link: {sorted(bare)}"
    app = create_app(engine=engine, book=PackBook(engine), clock=lambda: DISPATCH_AT, base_url=BASE_URL,
                     cookie_secure=False)
    with Session(engine, expire_on_commit=False) as session:
        people = {p.id: p for p in session.exec(select(Person).where(col(Person.id).in_(list(wanted))))}
        for person_id in wanted:
            set_password(session, person_id=person_id, password=PASSWORD, now=DISPATCH_AT)
        session.commit()
    failures: list[str] = []
    opened = 0
    with LiveServer(app) as server:
        for person_id, paths in sorted(wanted.items()):
            person = people[person_id]
            with httpx.Client(base_url=server.url, timeout=30) as client:
                _sign_in(client, person.email or person.phone or "")
                for path in sorted(paths):
                    answer = client.get(path, follow_redirects=True)
                    shown = html.escape(person.name)
                    wrong = not _shows_what_was_linked(path, answer.text)
                    if answer.status_code != 200 or answer.url.path == "/login" or shown not in answer.text or wrong:
                        failures.append(f"{person.name}(#{person_id}) {path} → {answer.status_code} {answer.url.path}")
                    else:
                        opened += 1
    links = sum(len(m.links) for m in sent)
    pairs = sum(map(len, wanted.values()))
    kinds = sorted({re.sub(r"\d+", "N", urlsplit(p).path) for paths in wanted.values() for p in paths})
    print(f"\nmessages {dict(by_channel)}; links collected {links}; (recipient, link) pairs {pairs}; "  # noqa: T201
          f"distinct recipients {len(wanted)}; opened {opened}; pages {kinds}")
    assert not failures, f"{len(failures)} links did not open:\n" + "\n".join(failures[:60])
