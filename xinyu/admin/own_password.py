"""A signed-in person changes their own password: the current one (unless they have none yet, or just came in
by an SMS code), the new one twice; every other session of theirs ends, this one stays."""

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col

from models import Account, WebSession
from xinyu.accounts import HASHER, MIN_PASSWORD, NO_PASSWORD, AccountError, _verify
from xinyu.admin.audit import audit
from xinyu.login_codes import signed_in_by_code


def needs_current_password(session: Session, web_session: WebSession, now: datetime) -> bool:
    account = session.get(Account, web_session.person_id)
    if account is None or account.password_hash == NO_PASSWORD:
        return False
    return not signed_in_by_code(session, person_id=web_session.person_id, session_started=web_session.created_at,
                                 now=now)


def change_own_password(session: Session, *, web_session: WebSession, current: str, new: str, again: str,
                        now: datetime) -> int:
    """Returns how many other sessions ended."""
    person_id = web_session.person_id
    account = session.get(Account, person_id)
    if needs_current_password(session, web_session, now):
        assert account is not None
        if not _verify(account.password_hash, current):
            raise AccountError("当前密码不正确")
    if new != again:
        raise AccountError("两次输入的新密码不一致")
    if len(new) < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 位")
    hashed = HASHER.hash(new)
    if account is None:
        session.add(Account(person_id=person_id, password_hash=hashed, password_set_at=now))
    else:
        account.password_hash, account.password_set_at = hashed, now
    result = session.execute(update(WebSession).where(
        col(WebSession.person_id) == person_id, col(WebSession.ended_at).is_(None),
        col(WebSession.id) != web_session.id).values(ended_at=now))
    ended = int(result.rowcount or 0)  # type: ignore[attr-defined]
    audit(session, actor_id=person_id, action="change_password", target=f"person:{person_id}", now=now,
          person_id=person_id, other_sessions_ended=ended)
    session.flush()
    return ended
