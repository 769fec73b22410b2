"""The words of a leader's 催办: "组长催办：…", counts and dates only, never a student's name.

The chase's digest says "the system reminds you"; this says the school's leader pressed 催办 on one late task.
The subject carries counts only; the body names the step (a pack title, or the generic one for free text),
the class and the role. The dedupe keys are the chase digest's (prefix "chase"), as before.
"""

from datetime import date, datetime

from notifications.outbox import message_row
from xinyu.chase.directory import Contact
from xinyu.chase.messages import DigestItem, digest_key, short_date, sms_release, sms_row
from xinyu.links import link
from xinyu.packs import QuietHours
from xinyu.render import render


def nudge_subject(item: DigestItem) -> str:
    late = f"，已逾期{item.offset}个工作日" if item.offset > 0 else ""
    return f"【心育闭环】组长催办：1项工作待办{late}"


def nudge_rows(contact: Contact, item: DigestItem, *, now: datetime, today: date, quiet: QuietHours,
               base_url: str) -> list[dict[str, object]]:
    """The person's email (text + HTML) and SMS for the leader's 催办 of one task."""
    rows: list[dict[str, object]] = []
    if contact.email and "email" in item.channels:
        context = {"item": item, "today": short_date(today),
                   "task_link": link("task_page", base_url=base_url, task_id=item.task_id)}
        rows.append(message_row(
            dedupe_key=digest_key("chase", today, contact.id, "email", [item]), channel="email",
            recipient_id=contact.id, address=contact.email, subject=nudge_subject(item),
            body_text=render("leader_nudge.txt.j2", **context), body_html=render("leader_nudge.html.j2", **context),
            now=now))
    if contact.phone and "sms" in item.channels:
        params = {"days": str(max(item.offset, 0)), "due": short_date(item.due),
                  "link": link("task_page", base_url=base_url, task_id=item.task_id)}
        rows.append(sms_row(contact, "leader_nudge", params, key=digest_key("chase", today, contact.id, "sms", [item]),
                            now=now, not_before=sms_release(now, quiet)))
    return rows
