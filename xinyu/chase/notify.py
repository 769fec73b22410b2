"""One-off messages outside the ladder (a notice, an extension, a crisis): email and SMS to people."""

from datetime import datetime

from sqlmodel import Session

from notifications.outbox import message_row, queue_rows
from xinyu.chase.directory import Contact
from xinyu.chase.messages import sms_row
from xinyu.render import render


def queue_notice(
    session: Session, contacts: list[Contact], *, key: str, subject: str, heading: str, lines: list[str], link: str,
    now: datetime, sms: tuple[str, dict[str, str], datetime] | None = None,
) -> int:
    """An email (HTML + text) to each contact and, given `sms` = (template, params, not_before), an SMS."""
    rows = []
    for contact in contacts:
        context = {"name": contact.name, "heading": heading, "lines": lines, "link": link}
        if contact.email:
            rows.append(message_row(
                dedupe_key=f"{key}:p{contact.id}:email", channel="email", recipient_id=contact.id,
                address=contact.email, subject=subject, body_text=render("notice_email.txt.j2", **context),
                body_html=render("notice_email.html.j2", **context), now=now))
        if contact.phone and sms is not None:
            template, params, not_before = sms
            rows.append(sms_row(contact, template, params, key=f"{key}:p{contact.id}:sms", now=now,
                                not_before=not_before))
    return queue_rows(session, rows)
