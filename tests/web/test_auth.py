"""Accounts in the web app: password login, rate limit, CSRF, logout, and the first login by email link."""

import re
from datetime import timedelta
from typing import Literal

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from models import Account, LoginAttempt, OutboxMessage, Person, RoleAssignment
from notifications.dispatcher import dispatch
from tests.notifications.servers import SmtpServer
from tests.web.app_fixtures import ClientFor, form_token, sign_in
from tests.web.world import NOW, PASSWORD, World
from web.app import create_app
from xinyu import accounts
from xinyu.access import load_viewer
from xinyu.accounts import MAX_FAILURES_PER_LOGIN, AccountError, find_login
from xinyu.roles import Role
from xinyu.settings import Settings


def anonymous(app: FastAPI) -> TestClient:
    return TestClient(app, base_url="https://testserver")


def post_login(client: TestClient, login: str, password: str, next_path: str = "/") -> object:
    token = form_token(client.get("/login").text)
    return client.post("/login", data={"login": login, "password": password, "next": next_path,
                                       "csrf_token": token}, follow_redirects=False)


def test_a_right_password_opens_a_session_in_a_secure_http_only_cookie(web_app: FastAPI, world: World) -> None:
    client = anonymous(web_app)
    response = post_login(client, world.accounts["leader"].login, PASSWORD)
    assert response.status_code == 303  # type: ignore[attr-defined]
    cookie = response.headers["set-cookie"]  # type: ignore[attr-defined]
    assert "xinyu_session=" in cookie and "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie
    me = client.get("/api/me").json()
    assert me["person_id"] == world.accounts["leader"].person_id and me["school_ids"] == [world.school_id]


def test_a_wrong_password_is_refused_and_counted(web_app: FastAPI, world: World, world_engine: Engine) -> None:
    client = anonymous(web_app)
    response = post_login(client, world.accounts["leader"].login, "not-the-password")
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert "账号或密码不正确" in response.text  # type: ignore[attr-defined]
    assert client.get("/api/me").status_code == 401
    with Session(world_engine) as session:
        assert session.exec(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.ok == False)  # noqa: E712
                            ).one() == 1


def test_after_five_failures_even_the_right_password_waits(web_app: FastAPI, world: World) -> None:
    login = world.accounts["leader"].login
    client = anonymous(web_app)
    for _ in range(MAX_FAILURES_PER_LOGIN):
        assert post_login(client, login, "guess").status_code == 401  # type: ignore[attr-defined]
    refused = post_login(client, login, PASSWORD)
    assert refused.status_code == 429 and "15 分钟" in refused.text  # type: ignore[attr-defined]
    # Another person at the same address is not locked out by someone else's guesses.
    assert post_login(anonymous(web_app), world.accounts["psych"].login, PASSWORD).status_code == 303  # type: ignore[attr-defined]


def test_the_limit_lifts_after_the_window(world_engine: Engine, world: World) -> None:
    later = {"now": NOW}
    app = create_app(engine=world_engine, clock=lambda: later["now"], base_url="https://testserver")
    login = world.accounts["leader"].login
    for _ in range(MAX_FAILURES_PER_LOGIN):
        post_login(anonymous(app), login, "guess")
    assert post_login(anonymous(app), login, PASSWORD).status_code == 429  # type: ignore[attr-defined]
    later["now"] = NOW + timedelta(minutes=16)
    assert post_login(anonymous(app), login, PASSWORD).status_code == 303  # type: ignore[attr-defined]


def test_login_without_the_form_token_is_refused(web_app: FastAPI, world: World) -> None:
    client = anonymous(web_app)
    response = client.post("/login", data={"login": world.accounts["leader"].login, "password": PASSWORD},
                           follow_redirects=False)
    assert response.status_code == 403 and client.get("/api/me").status_code == 401


def test_logout_needs_the_token_and_really_ends_the_session(client_for: ClientFor) -> None:
    client = client_for("leader")
    assert client.post("/logout", data={}, headers={"X-CSRF-Token": ""}, follow_redirects=False).status_code == 403
    stolen = dict(client.cookies)
    assert client.get("/api/me").status_code == 200  # the refused logout changed nothing
    token = client.get("/api/me").json()["csrf_token"]
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    replay = TestClient(client.app, base_url="https://testserver", cookies=stolen)
    assert replay.get("/api/me").status_code == 401  # the old cookie opens nothing any more


def test_a_session_ends_after_twelve_hours(world_engine: Engine, world: World) -> None:
    clock = {"now": NOW}
    app = create_app(engine=world_engine, clock=lambda: clock["now"], base_url="https://testserver")
    client = anonymous(app)
    sign_in(client, world.accounts["psych"].login)
    clock["now"] = NOW + timedelta(hours=12, minutes=1)
    assert client.get("/api/me").status_code == 401


def test_pages_send_strangers_to_the_login_and_the_api_answers_401(web_app: FastAPI) -> None:
    client = anonymous(web_app)
    response = client.get("/?status=overdue&class=3", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/%3Fstatus%3Doverdue%26class%3D3"
    assert 'name="next" value="/?status=overdue&amp;class=3"' in client.get(response.headers["location"]).text
    assert client.get("/api/me").status_code == 401


@pytest.mark.parametrize("target", ["//evil.example.com/", "https://evil.example.com/", "javascript:alert(1)"])
def test_login_never_sends_anyone_off_site(web_app: FastAPI, world: World, target: str) -> None:
    response = post_login(anonymous(web_app), world.accounts["leader"].login, PASSWORD, next_path=target)
    assert response.headers["location"] == "/"  # type: ignore[attr-defined]


def test_pages_carry_protective_headers(client_for: ClientFor) -> None:
    response = client_for("leader").get("/api/me")
    assert response.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["server-timing"].startswith("app;dur=")


def test_student_role_holders_have_no_account(world_engine: Engine) -> None:
    """心理委员 are minors: they are recorded for their role, never given a login."""
    with Session(world_engine) as session:
        member = session.exec(select(Person).join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
                              .where(RoleAssignment.role == Role.class_psych_member)).first()
        assert member is not None and member.id is not None
        member.email = "member@school.example.cn"
        session.commit()
        assert find_login(session, "member@school.example.cn") is None
        assert load_viewer(session, member.id) is None


def test_first_login_by_a_one_time_link_sent_by_email(web_app: FastAPI, world: World, world_engine: Engine) -> None:
    """A homeroom teacher without a password asks for a link, receives it from a real SMTP server,
    sets a password through it and is signed in; the link works once."""
    with Session(world_engine) as session:
        teacher = session.exec(
            select(Person).join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
            .where(RoleAssignment.role == Role.homeroom, col(Person.email).is_not(None),
                   col(Person.id).not_in(select(Account.person_id)))).first()
        assert teacher is not None and teacher.email
        email, name = teacher.email, teacher.name
    client = anonymous(web_app)
    token = form_token(client.get("/first-login").text)
    answer = client.post("/first-login", data={"login": email, "csrf_token": token})
    unknown = client.post("/first-login", data={"login": "nobody@school.example.cn", "csrf_token": token})
    assert answer.status_code == unknown.status_code == 200
    assert "登录链接已发往" in answer.text and "登录链接已发往" in unknown.text  # the same answer for both
    with Session(world_engine) as session:
        queued = list(session.exec(select(OutboxMessage).where(OutboxMessage.subject == "心育闭环：登录链接")))
    assert [m.address for m in queued] == [email]

    with SmtpServer() as smtp:
        settings = Settings(smtp_url=smtp.url, database_url="sqlite://")
        assert dispatch(world_engine, now=NOW, settings=settings).count("sent", "email") >= 1
        mails = [m for m in smtp.recorder.messages if m["To"] == email and m["Subject"] == "心育闭环：登录链接"]
    assert len(mails) == 1
    text = mails[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert name in text
    link = re.search(r"https://testserver(/first-login/\S+)", text)
    assert link, text

    form = client.get(link.group(1))
    assert form.status_code == 200
    token = form_token(form.text)
    short = client.post(link.group(1), data={"password": "short", "password2": "short", "csrf_token": token})
    assert short.status_code == 400 and "至少 8 位" in short.text  # the link is not spent by a refusal
    done = client.post(link.group(1), data={"password": "a-good-password", "password2": "a-good-password",
                                            "csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    assert client.get("/api/me").json()["name"] == name
    assert anonymous(web_app).get(link.group(1)).status_code == 410  # spent
    assert post_login(anonymous(web_app), email, "a-good-password").status_code == 303  # type: ignore[attr-defined]


# --- abuse limits and account lifecycle (issue 11, items 5 and 6) ------------------------------------------


def _phone_of(world_engine: Engine, person_id: int, phone: str = "13912345678") -> str:
    with Session(world_engine) as session:
        person = session.get(Person, person_id)
        assert person is not None
        person.phone = person.phone or phone
        session.commit()
        return person.phone


def test_email_and_phone_of_one_person_share_the_limit(web_app: FastAPI, world: World, world_engine: Engine) -> None:
    leader = world.accounts["leader"]
    phone = _phone_of(world_engine, leader.person_id)
    client = anonymous(web_app)
    for index in range(MAX_FAILURES_PER_LOGIN):
        login = leader.login if index % 2 else phone
        assert post_login(client, login, "guess").status_code == 401  # type: ignore[attr-defined]
    assert post_login(client, phone, PASSWORD).status_code == 429  # type: ignore[attr-defined]
    assert post_login(client, leader.login.upper(), PASSWORD).status_code == 429  # type: ignore[attr-defined]


def test_an_unknown_login_verifies_a_password_all_the_same(
    world_engine: Engine, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Equal time for failures: the unknown login pays one argon2 verification, like a known one."""
    verified: list[str] = []

    class CountingHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            verified.append(str(password))
            return super().verify(hash, password)

    monkeypatch.setattr(accounts, "HASHER", CountingHasher())
    with Session(world_engine) as session:
        for login in ("nobody@school.example.cn", "13000000000", world.accounts["leader"].login):
            with pytest.raises(AccountError):
                accounts.authenticate(session, login=login, password="wrong-password", address="10.0.0.9", now=NOW)
    assert verified == ["wrong-password"] * 3


def _disable(world_engine: Engine, person_id: int) -> None:
    with Session(world_engine) as session:
        account = session.get(Account, person_id)
        assert account is not None
        account.disabled = True
        session.commit()


def test_a_disabled_accounts_sessions_end(client_for: ClientFor, world: World, world_engine: Engine) -> None:
    client = client_for("psych")
    assert client.get("/api/me").status_code == 200
    _disable(world_engine, world.accounts["psych"].person_id)
    assert client.get("/api/me").status_code == 401
    assert client.get("/tasks", follow_redirects=False).status_code == 303
    assert client_for("leader").get("/api/me").status_code == 200  # others are untouched


def test_a_disabled_account_gets_no_link_and_its_old_link_is_refused(
    web_app: FastAPI, world: World, world_engine: Engine
) -> None:
    psych = world.accounts["psych"]
    with Session(world_engine) as session:
        token = accounts.issue_login_link(session, person_id=psych.person_id, now=NOW, base_url="https://testserver")
        session.commit()
    _disable(world_engine, psych.person_id)
    client = anonymous(web_app)
    assert client.get(f"/first-login/{token}").status_code == 410
    form = form_token(client.get("/first-login").text)
    done = client.post(f"/first-login/{token}", data={"password": "a-new-password", "password2": "a-new-password",
                                                       "csrf_token": form}, follow_redirects=False)
    assert done.status_code in (400, 410) and client.get("/api/me").status_code == 401
    assert client.post("/first-login", data={"login": psych.login, "csrf_token": form}).status_code == 200
    with Session(world_engine) as session:
        links = session.exec(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.address == psych.login,
                                    OutboxMessage.subject == "心育闭环：登录链接")).one()
    assert links == 1  # only the one sent before the account was disabled
    assert post_login(anonymous(web_app), psych.login, PASSWORD).status_code == 401  # type: ignore[attr-defined]


def test_a_password_reset_ends_every_other_session(
    web_app: FastAPI, client_for: ClientFor, world: World, world_engine: Engine
) -> None:
    leader = world.accounts["leader"]
    elsewhere = client_for("leader")
    assert elsewhere.get("/api/me").status_code == 200
    with Session(world_engine) as session:
        token = accounts.issue_login_link(session, person_id=leader.person_id, now=NOW, base_url="https://testserver")
        session.commit()
    client = anonymous(web_app)
    form = form_token(client.get(f"/first-login/{token}").text)
    done = client.post(f"/first-login/{token}", data={"password": "a-new-password", "password2": "a-new-password",
                                                       "csrf_token": form}, follow_redirects=False)
    assert done.status_code == 303
    assert client.get("/api/me").json()["person_id"] == leader.person_id  # the fresh session
    assert elsewhere.get("/api/me").status_code == 401  # the stolen or forgotten one ended
    assert client_for("psych").get("/api/me").status_code == 200  # another person's is untouched
