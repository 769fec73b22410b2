"""Accounts, without the web: argon2 passwords, one-time login links by email, sessions, rate limits.

Tokens (links, sessions) are random and only their SHA-256 is stored. A login name is a person's
email or phone. Student role holders (心理委员 …) never get an account: they are minors.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from models import Account, LoginAttempt, LoginLink, Person, RoleAssignment, WebSession
from notifications.outbox import message_row, queue_rows
from xinyu import links
from xinyu.render import render
from xinyu.roles import STUDENT_ROLES

HASHER = PasswordHasher()
MIN_PASSWORD = 8
LINK_LIFETIME = timedelta(hours=24)
SESSION_LIFETIME = timedelta(hours=12)
# Failed attempts allowed per window before the login is refused for the rest of the window.
RATE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_LOGIN = 5
MAX_FAILURES_PER_ADDRESS = 20


class AccountError(ValueError):
    """A refused login, link or password; the message is safe to show."""


class RateLimited(AccountError):
    """Too many failed attempts in the window."""


@dataclass(frozen=True)
class OpenedSession:
    token: str  # goes into the cookie, never stored
    csrf_token: str
    person_id: int


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_login(session: Session, login: str) -> Person | None:
    """The staff member or officer a login name (email or phone) belongs to."""
    text = login.strip()
    if not text:
        return None
    person = session.exec(
        select(Person).where(or_(func.lower(col(Person.email)) == text.lower(), col(Person.phone) == text))
        .order_by(col(Person.id))
    ).first()
    if person is None or person.id is None or not may_have_account(session, person.id):
        return None
    return person


def may_have_account(session: Session, person_id: int) -> bool:
    """Staff and officers only: someone holding nothing but student roles is a minor."""
    roles = set(session.exec(select(RoleAssignment.role).where(RoleAssignment.person_id == person_id)))
    return bool(roles - {r.value for r in STUDENT_ROLES})


def set_password(session: Session, *, person_id: int, password: str, now: datetime) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 位")
    account = session.get(Account, person_id)
    hashed = HASHER.hash(password)
    if account is None:
        session.add(Account(person_id=person_id, password_hash=hashed, password_set_at=now))
    else:
        account.password_hash, account.password_set_at = hashed, now
    session.flush()


def authenticate(session: Session, *, login: str, password: str, address: str, now: datetime) -> int:
    """The person id for a right password; every attempt is recorded, and too many failures refuse."""
    key = login.strip().lower()[:254]
    since = now - RATE_WINDOW
    failures = session.exec(
        select(func.count()).select_from(LoginAttempt)
        .where(col(LoginAttempt.at) >= since, LoginAttempt.ok == False, LoginAttempt.login == key)  # noqa: E712
    ).one()
    by_address = session.exec(
        select(func.count()).select_from(LoginAttempt)
        .where(col(LoginAttempt.at) >= since, LoginAttempt.ok == False, LoginAttempt.address == address)  # noqa: E712
    ).one()
    if failures >= MAX_FAILURES_PER_LOGIN or by_address >= MAX_FAILURES_PER_ADDRESS:
        raise RateLimited("尝试次数过多，请 15 分钟后再试，或用“首次登录/忘记密码”获取登录链接")
    person = find_login(session, login)
    account = session.get(Account, person.id) if person else None
    ok = False
    if account is not None and not account.disabled:
        try:
            ok = HASHER.verify(account.password_hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
    session.add(LoginAttempt(at=now, login=key, address=address[:64], ok=ok))
    session.flush()
    if not ok or person is None or person.id is None:
        raise AccountError("账号或密码不正确")
    return person.id


def issue_login_link(session: Session, *, person_id: int, now: datetime, base_url: str) -> str:
    """Queue an email with a one-time link (set a password, sign in); returns the token for the caller."""
    person = session.get(Person, person_id)
    if person is None or not person.email:
        raise AccountError("该账号没有登记电子邮箱，请联系学校管理员")
    token = secrets.token_urlsafe(32)
    link = LoginLink(person_id=person_id, token_hash=_digest(token), created_at=now, expires_at=now + LINK_LIFETIME)
    session.add(link)
    session.flush()
    url = links.link("set_password_form", base_url=base_url, token=token)
    context = {"name": person.name, "link": url, "hours": int(LINK_LIFETIME.total_seconds() // 3600)}
    queue_rows(session, [message_row(
        dedupe_key=f"login-link:{link.id}:p{person_id}:email", channel="email", recipient_id=person_id,
        address=person.email, subject="心育闭环：登录链接", body_text=render("login_link.txt.j2", **context),
        body_html=render("login_link.html.j2", **context), now=now)])
    return token


def request_login_link(session: Session, *, login: str, now: datetime, base_url: str) -> bool:
    """The 首次登录/忘记密码 form: a link goes out if the login is known; the page says the same either way."""
    person = find_login(session, login)
    if person is None or person.id is None or not person.email:
        return False
    recent = session.exec(
        select(func.count()).select_from(LoginLink)
        .where(LoginLink.person_id == person.id, col(LoginLink.created_at) >= now - RATE_WINDOW)
    ).one()
    if recent >= 3:  # a mailbox is not flooded by someone typing another's address
        return False
    issue_login_link(session, person_id=person.id, now=now, base_url=base_url)
    return True


def peek_login_link(session: Session, token: str, now: datetime) -> LoginLink:
    link = session.exec(select(LoginLink).where(LoginLink.token_hash == _digest(token))).first()
    if link is None or link.used_at is not None or link.expires_at is None or link.expires_at < now:
        raise AccountError("登录链接无效或已过期，请重新获取")
    return link


def redeem_login_link(session: Session, *, token: str, password: str, now: datetime) -> int:
    """Set the password through the link, which is then spent; returns the person id."""
    link = peek_login_link(session, token, now)
    set_password(session, person_id=link.person_id, password=password, now=now)
    link.used_at = now
    session.flush()
    return link.person_id


def open_session(session: Session, *, person_id: int, now: datetime) -> OpenedSession:
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    session.add(WebSession(token_hash=_digest(token), person_id=person_id, csrf_token=csrf, created_at=now,
                           expires_at=now + SESSION_LIFETIME))
    session.flush()
    return OpenedSession(token, csrf, person_id)


def find_session(session: Session, token: str, now: datetime) -> WebSession | None:
    found = session.exec(select(WebSession).where(WebSession.token_hash == _digest(token))).first()
    if found is None or found.ended_at is not None or found.expires_at is None or found.expires_at < now:
        return None
    return found


def end_session(session: Session, token: str, now: datetime) -> None:
    found = session.exec(select(WebSession).where(WebSession.token_hash == _digest(token))).first()
    if found is not None and found.ended_at is None:
        found.ended_at = now
        session.flush()
