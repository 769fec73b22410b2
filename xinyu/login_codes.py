"""One-time login codes by SMS, for staff with a phone (and often no email): 6 digits, 10 minutes.

Only a salted SHA-256 of a code is stored. At most 3 codes per person in 15 minutes (like login links);
five wrong tries spend a code; wrong tries also count in the password limits (per person, per address),
so guessing codes is no faster than guessing passwords. The SMS carries the code and its lifetime only.
"""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from models import Account, LoginCode, Person
from notifications.outbox import message_row, queue_rows
from notifications.sms_templates import render_sms
from xinyu.accounts import NO_PASSWORD, AccountError, RateLimited, find_login, may_sign_in
from xinyu.login_limits import RATE_WINDOW, attempt_succeeded, reserve_attempt
from xinyu.roster.fields import parse_phone

CODE_LIFETIME = timedelta(minutes=10)
MAX_CODES_PER_WINDOW = 3
MAX_WRONG_TRIES = 5
TEMPLATE = "login_code"


def _digest(code: LoginCode, text: str) -> str:
    salt = f"{code.person_id}:{int(code.created_at.timestamp()) if code.created_at else ''}"  # zone-free
    return hashlib.sha256(f"{salt}:{text}".encode()).hexdigest()


def _person_by_phone(session: Session, phone: str) -> Person | None:
    number = parse_phone(phone)
    if number is None:
        return None
    person = find_login(session, number)
    if person is None or person.id is None or person.phone != number or not may_sign_in(session, person.id):
        return None
    return person


def request_login_code(session: Session, *, phone: str, now: datetime) -> str | None:
    """Queue an SMS with a fresh code; the code for the caller (tests), or None when nothing was sent (an
    unknown number, a disabled account, the limit reached). The page says the same either way."""
    person = _person_by_phone(session, phone)
    if person is None or person.id is None or person.phone is None:
        return None
    recent = session.exec(select(func.count()).select_from(LoginCode).where(
        LoginCode.person_id == person.id, col(LoginCode.created_at) >= now - RATE_WINDOW)).one()
    if recent >= MAX_CODES_PER_WINDOW:
        return None
    text = f"{secrets.randbelow(10**6):06d}"
    row = LoginCode(person_id=person.id, code_hash="", created_at=now, expires_at=now + CODE_LIFETIME)
    row.code_hash = _digest(row, text)
    session.add(row)
    session.flush()
    params = {"code": text, "minutes": str(int(CODE_LIFETIME.total_seconds() // 60))}
    queue_rows(session, [message_row(
        dedupe_key=f"login-code:{row.id}:p{person.id}:sms", channel="sms", recipient_id=person.id,
        address=person.phone, body_text=render_sms(TEMPLATE, params), template=TEMPLATE, params=params, now=now)])
    return text


def redeem_login_code(session: Session, *, phone: str, code: str, address: str, now: datetime) -> int:
    """The person id for the right live code, which is then spent. Commits: a wrong try must count."""
    person = _person_by_phone(session, phone)
    key = f"code:person:{person.id}" if person is not None else f"code:{phone.strip()[:240]}"
    attempt_id = reserve_attempt(session, key=key, address=address, now=now)
    if attempt_id is None:
        raise RateLimited("尝试次数过多，请 15 分钟后再试")
    live = None
    if person is not None:
        live = session.exec(select(LoginCode).where(
            LoginCode.person_id == person.id, col(LoginCode.used_at).is_(None),
            col(LoginCode.expires_at) >= now, col(LoginCode.failures) < MAX_WRONG_TRIES,
        ).order_by(col(LoginCode.id).desc())).first()
    typed = code.strip()
    if live is None or person is None or person.id is None:
        session.commit()
        raise AccountError("验证码不正确或已过期，请重新获取")
    if not hmac.compare_digest(live.code_hash, _digest(live, typed)):
        live.failures += 1
        if live.failures >= MAX_WRONG_TRIES:
            live.used_at = now  # spent: five wrong tries end the code
        session.commit()
        raise AccountError("验证码不正确或已过期，请重新获取")
    live.used_at = now
    if session.get(Account, person.id) is None:  # a session needs an account: one with no password yet
        session.add(Account(person_id=person.id, password_hash=NO_PASSWORD))
    attempt_succeeded(session, attempt_id)
    session.flush()
    return person.id


def signed_in_by_code(session: Session, *, person_id: int, session_started: datetime | None, now: datetime) -> bool:
    """Whether this browser's session was opened by a code in the last 10 minutes: it may then set a password
    without the current one (someone who forgot it)."""
    if session_started is None or now - session_started > CODE_LIFETIME:
        return False
    used = session.exec(select(LoginCode.used_at).where(
        LoginCode.person_id == person_id, col(LoginCode.used_at).is_not(None),
        col(LoginCode.used_at) <= session_started, col(LoginCode.used_at) >= session_started - timedelta(seconds=5),
        col(LoginCode.failures) < MAX_WRONG_TRIES)).first()
    return used is not None
