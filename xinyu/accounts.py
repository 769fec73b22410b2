"""Accounts, without the web: argon2 passwords, one-time login links by email, sessions, rate limits.

Tokens (links, sessions) are random and only their SHA-256 is stored. A login name is a person's
email or phone. Student role holders (心理委员 …) never get an account: they are minors. A disabled
account (Account.disabled) signs in by no way: its sessions end, its links are refused.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import exists, func, or_, update
from sqlmodel import Session, col, select

from models import Account, LoginLink, Person, RoleAssignment, WebSession
from notifications.outbox import message_row, queue_rows
from xinyu import links
from xinyu.login_limits import MAX_FAILURES_PER_ADDRESS as MAX_FAILURES_PER_ADDRESS
from xinyu.login_limits import MAX_FAILURES_PER_LOGIN as MAX_FAILURES_PER_LOGIN
from xinyu.login_limits import RATE_WINDOW, attempt_succeeded, limit_key, reserve_attempt
from xinyu.render import render
from xinyu.roles import STUDENT_ROLES

HASHER = PasswordHasher()
MIN_PASSWORD = 8
LINK_LIFETIME = timedelta(hours=24)
SESSION_LIFETIME = timedelta(hours=12)
NO_PASSWORD = "!"  # the hash of an account without a password yet (in by an SMS code, or disabled): matches none


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


def may_sign_in(session: Session, person_id: int) -> bool:
    """Staff or officer, and no disabled account (someone without a password yet may get one by link)."""
    account = session.get(Account, person_id)
    return (account is None or not account.disabled) and may_have_account(session, person_id)


@cache
def _dummy_hash() -> str:
    """What an unknown login's password is checked against, so that every failure costs one argon2 check."""
    return HASHER.hash(secrets.token_urlsafe(24))


def set_password(session: Session, *, person_id: int, password: str, now: datetime) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 位")
    account = session.get(Account, person_id)
    hashed = HASHER.hash(password)
    if account is None:
        session.add(Account(person_id=person_id, password_hash=hashed, password_set_at=now))
    else:
        account.password_hash, account.password_set_at = hashed, now
    # A new password ends every session of the person (a stolen or forgotten browser too); the caller opens one.
    session.execute(update(WebSession).where(col(WebSession.person_id) == person_id,
                                             col(WebSession.ended_at).is_(None)).values(ended_at=now))
    session.flush()


def authenticate(session: Session, *, login: str, password: str, address: str, now: datetime) -> int:
    """The person id for a right password. Every checked attempt is recorded (and committed) before the
    check, so the limit holds under concurrency; an unknown login is checked against a dummy hash, so a
    failure takes the same time whether or not the login exists."""
    person = find_login(session, login)
    person_id = person.id if person is not None else None
    account = session.get(Account, person_id) if person_id is not None else None
    hashed = account.password_hash if account is not None and not account.disabled else None
    attempt_id = reserve_attempt(session, key=limit_key(person_id, login), address=address, now=now)
    if attempt_id is None:
        raise RateLimited("尝试次数过多，请 15 分钟后再试，或用“首次登录/忘记密码”获取登录链接")
    ok = _verify(hashed or _dummy_hash(), password) and hashed is not None
    if not ok or person_id is None:
        raise AccountError("账号或密码不正确")
    attempt_succeeded(session, attempt_id)
    return person_id


def _verify(hashed: str, password: str) -> bool:
    try:
        return HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


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
    if person is None or person.id is None or not person.email or not may_sign_in(session, person.id):
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
    if not may_sign_in(session, link.person_id):
        raise AccountError("该账号已停用，请联系学校管理员")
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
    """The live session of a token; none for an account disabled since, or a person no longer staff."""
    staff = exists().where(col(RoleAssignment.person_id) == col(WebSession.person_id),
                           col(RoleAssignment.role).not_in([r.value for r in STUDENT_ROLES]))
    found = session.exec(
        select(WebSession).join(Account, col(Account.person_id) == col(WebSession.person_id))
        .where(WebSession.token_hash == _digest(token), col(Account.disabled).is_(False), staff)
    ).first()
    if found is None or found.ended_at is not None or found.expires_at is None or found.expires_at < now:
        return None
    return found


def end_session(session: Session, token: str, now: datetime) -> None:
    found = session.exec(select(WebSession).where(WebSession.token_hash == _digest(token))).first()
    if found is not None and found.ended_at is None:
        found.ended_at = now
        session.flush()
