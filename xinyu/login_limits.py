"""Failed-password limits that hold under concurrency.

An attempt is counted and recorded in one short transaction, serialised per person and per address, before
the password is checked: forty guesses sent at once see 0, 1, 2 … attempts before them, so only the first
five are checked. SQLite serialises by taking the file's write lock first (BEGIN IMMEDIATE); PostgreSQL by
transaction-scoped advisory locks on the person and on the address, taken in a fixed order.

The limit is kept per person: a person's email and phone count together (key `person:<id>`); a login that
belongs to nobody is counted by the name typed.
"""

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import func, text, update
from sqlmodel import Session, col, select

from models import LoginAttempt

# Failed attempts allowed per window before the login is refused for the rest of the window.
RATE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_LOGIN = 5
MAX_FAILURES_PER_ADDRESS = 20


def limit_key(person_id: int | None, login: str) -> str:
    return f"person:{person_id}" if person_id is not None else login.strip().lower()[:254]


def reserve_attempt(session: Session, *, key: str, address: str, now: datetime) -> int | None:
    """Record an attempt as failed unless the limit is reached: its id, or None when refused.

    Commits (or rolls back) `session`, so the reservation is seen by every other attempt before the slow
    password check; the check's outcome is then recorded by `attempt_succeeded`."""
    session.commit()  # whatever the caller read: the reservation is a transaction of its own
    address = address[:64]
    _serialise(session, key, address)
    attempt = LoginAttempt(at=now, login=key, address=address, ok=False)
    session.add(attempt)
    session.flush()
    since = now - RATE_WINDOW
    failed = select(func.count()).select_from(LoginAttempt).where(col(LoginAttempt.at) >= since,
                                                                  col(LoginAttempt.ok).is_(False))
    by_person = session.exec(failed.where(LoginAttempt.login == key)).one()  # this attempt included
    by_address = session.exec(failed.where(LoginAttempt.address == address)).one()
    if by_person > MAX_FAILURES_PER_LOGIN or by_address > MAX_FAILURES_PER_ADDRESS:
        session.rollback()  # a refused attempt is not recorded: it checked nothing
        return None
    attempt_id = attempt.id
    session.commit()
    return attempt_id


def attempt_succeeded(session: Session, attempt_id: int) -> None:
    session.execute(update(LoginAttempt).where(col(LoginAttempt.id) == attempt_id).values(ok=True))
    session.flush()


def _serialise(session: Session, key: str, address: str) -> None:
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        return
    for name in sorted({f"login:{key}", f"address:{address}"}):  # a fixed order: no deadlock between two
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _lock_id(name)})


def _lock_id(name: str) -> int:
    """A signed 64-bit advisory lock id for a name (stable across processes, unlike hash())."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
