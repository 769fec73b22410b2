"""Turning what fired into messages: one email and at most one SMS per person per run.

Subjects and SMS carry counts only; bodies name tasks and roles, never a student (titles typed by
people are passed through the school's name filter before they get here).
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from notifications.outbox import message_row
from notifications.quiet_hours import after_quiet_hours
from notifications.sms_templates import render_sms
from xinyu.chase.directory import Contact
from xinyu.links import link
from xinyu.packs import QuietHours
from xinyu.render import render

SECTIONS = {
    "mine": "需要您完成的工作",
    "school": "本校逾期事项（已升级至组长）",
    "district": "区县督办：逾期升级事项",
}


@dataclass(frozen=True)
class DigestItem:
    event_key: str  # lineage:rung:occasion, the part of the dedupe key that makes a digest unique
    section: str  # mine | school | district
    task_id: int
    school: str
    title: str
    class_label: str | None
    role_label: str
    assignee: str | None  # staff name; None in what goes to the district
    due: date
    offset: int
    rung_label: str
    channels: tuple[str, ...]

    @property
    def status_text(self) -> str:
        if self.offset < 0:
            return f"还有{-self.offset}个工作日截止"
        return "今天截止" if self.offset == 0 else f"已逾期{self.offset}个工作日"


def short_date(day: date) -> str:
    return f"{day.month}月{day.day}日"


def sms_release(now: datetime, quiet: QuietHours) -> datetime:
    """When an SMS queued at `now` may go: at once, or when the pack's quiet hours end."""
    return after_quiet_hours(now, quiet.start, quiet.end)


def digest_key(prefix: str, today: date, person_id: int, channel: str, items: Iterable[DigestItem]) -> str:
    digest = hashlib.sha1("|".join(sorted(i.event_key for i in items)).encode()).hexdigest()[:16]
    return f"{prefix}:{today.isoformat()}:p{person_id}:{channel}:{digest}"


def digest_subject(items: list[DigestItem]) -> str:
    mine = [i for i in items if i.section == "mine"]
    parts = []
    if mine:
        late = sum(1 for i in mine if i.offset > 0)
        parts.append(f"您有{len(mine)}项工作待办" + (f"（其中{late}项已逾期）" if late else ""))
    school = sum(1 for i in items if i.section == "school")
    if school:
        parts.append(f"本校{school}项逾期工作升级至组长")
    district = sum(1 for i in items if i.section == "district")
    if district:
        parts.append(f"{district}项逾期工作报区县督办")
    return "【心育闭环】" + "；".join(parts)


def person_digest_rows(
    contact: Contact, items: list[DigestItem], *, now: datetime, today: date, quiet: QuietHours, base_url: str,
    prefix: str = "chase",
) -> list[dict[str, object]]:
    """The person's email (HTML + text) and SMS for this run's items."""
    channels = {c for i in items for c in i.channels}
    rows: list[dict[str, object]] = []
    if contact.email and "email" in channels:
        sections = [(label, [i for i in items if i.section == key]) for key, label in SECTIONS.items()]
        context = {"name": contact.name, "sections": [s for s in sections if s[1]], "today": short_date(today),
                   "task_link": lambda task_id: link("task_page", base_url=base_url, task_id=task_id)}
        rows.append(message_row(
            dedupe_key=digest_key(prefix, today, contact.id, "email", items), channel="email",
            recipient_id=contact.id, address=contact.email, subject=digest_subject(items),
            body_text=render("chase_digest.txt.j2", **context), body_html=render("chase_digest.html.j2", **context),
            now=now))
    if contact.phone and "sms" in channels:
        params = {"count": str(len(items)), "overdue": str(sum(1 for i in items if i.offset > 0)),
                  "earliest": short_date(min(i.due for i in items)), "link": link("tasks_page", base_url=base_url)}
        rows.append(sms_row(contact, "chase_digest", params, key=digest_key(prefix, today, contact.id, "sms", items),
                            now=now, not_before=sms_release(now, quiet)))
    return rows


def sms_row(contact: Contact, template: str, params: dict[str, str], *, key: str, now: datetime,
            not_before: datetime) -> dict[str, object]:
    return message_row(dedupe_key=key, channel="sms", recipient_id=contact.id, address=contact.phone or "",
                       body_text=render_sms(template, params), template=template, params=params, now=now,
                       not_before=not_before)


def robot_row(url: str, *, key: str, title: str, lines: list[str], now: datetime,
              link: str | None = None) -> dict[str, object]:
    """A group-robot post (WeCom/DingTalk markdown): counts, steps and roles, no names; `link` to the page."""
    text = f"### {title}\n" + "\n".join(f"- {line}" for line in lines) + (f"\n\n[查看详情]({link})" if link else "")
    return message_row(dedupe_key=key, channel="robot", address=url, subject=title, body_text=text, now=now)
