"""Queueing messages: a row in the outbox, in the caller's transaction, once per dedupe key."""

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from models import OutboxMessage, Person, RoleAssignment, School
from xinyu.db import among, insert_rows
from xinyu.roles import Role

OUTBOX_TABLE = OutboxMessage.__table__  # type: ignore[attr-defined]


def message_row(
    *, dedupe_key: str, channel: str, address: str, body_text: str, now: datetime, recipient_id: int | None = None,
    subject: str = "", body_html: str | None = None, template: str | None = None,
    params: dict[str, Any] | None = None, not_before: datetime | None = None,
) -> dict[str, Any]:
    """A bulk-insertable outbox row. `not_before` holds a message (SMS in quiet hours) until then."""
    return {
        "dedupe_key": dedupe_key, "channel": channel, "recipient_id": recipient_id, "address": address,
        "subject": subject, "body_text": body_text, "body_html": body_html, "template": template,
        "params": params or {}, "status": "queued", "attempts": 0, "last_error": None, "created_at": now,
        "not_before": not_before or now, "claimed_until": None, "claimed_by": None, "sent_at": None,
    }


def queue_email_to_role(
    session: Session, *, role: Role, school_id: int, occasion: str, subject: str, body_text: str, now: datetime,
    body_html: str | None = None,
) -> int:
    """Queue one email to each holder of `role` for the school (district roles: the school's district)."""
    school = session.get(School, school_id)
    assert school is not None
    people = email_recipients(session, role=role, school_id=school_id, district_id=school.district_id)
    return queue_email(session, people=people, occasion=occasion, subject=subject, body_text=body_text, now=now,
                       body_html=body_html)


def email_recipients(session: Session, *, role: Role, school_id: int, district_id: int) -> list[Person]:
    """The holders of `role` with an email address: the school's, or its district's for district roles."""
    scope = (RoleAssignment.district_id == district_id) if role.scope == "district" else (
        RoleAssignment.school_id == school_id)
    return list(session.exec(
        select(Person).join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
        .where(RoleAssignment.role == role, scope, col(Person.email).is_not(None)).order_by(col(Person.id))
    ).unique().all())


def queue_email(
    session: Session, *, people: list[Person], occasion: str, subject: str, body_text: str, now: datetime,
    body_html: str | None = None,
) -> int:
    """Queue one email to each of the people, once per occasion."""
    rows = [
        message_row(dedupe_key=f"{occasion}:p{p.id}:email", channel="email", recipient_id=p.id,
                    address=p.email or "", subject=subject, body_text=body_text, body_html=body_html, now=now)
        for p in people
    ]
    return queue_rows(session, rows)


def queue_rows(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert the rows whose dedupe key is new; a key already queued or sent is left as it is."""
    if not rows:
        return 0
    keys = [r["dedupe_key"] for r in rows]
    # The outbox is written with Core only, so no pending ORM change bears on it: flushing the caller's
    # session before each message (a batch's many small flushes) would only cost time.
    with session.no_autoflush:
        seen = set(session.exec(select(OutboxMessage.dedupe_key).where(among(session, OutboxMessage.dedupe_key, keys))))
        fresh = [r for r in rows if r["dedupe_key"] not in seen]
        if fresh:
            # A Core executemany: the ORM's bulk insert leaves out None values and so splits alternating
            # email/SMS rows (body_html set or not) into one statement per row.
            insert_rows(session, OUTBOX_TABLE, fresh)
    return len(fresh)
