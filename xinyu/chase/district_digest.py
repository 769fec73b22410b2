"""The district's digest: its officers hear of new inbox items once per run, and of the open ones daily.

Runs once per run over the districts (after every batch of schools), so an officer gets at most one
email and one SMS per run however many schools escalated. The first digest of a working day lists
every open item even with nothing new: that is the daily digest.
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models import District, Escalation, OutboxMessage, Person, RoleAssignment, School
from notifications.outbox import message_row, queue_rows
from xinyu.calendar_warning import queue_calendar_warnings
from xinyu.chase.calendar import chase_calendar
from xinyu.chase.directory import Contact
from xinyu.chase.messages import short_date, sms_release, sms_row
from xinyu.clock import as_local, local_date
from xinyu.cycle.packbook import PackBook
from xinyu.links import link
from xinyu.locks import lock_districts
from xinyu.packs import QuietHours
from xinyu.render import render
from xinyu.roles import Role
from xinyu.settings import get_settings

STATUS_LABELS = {"new": "待处理", "acknowledged": "已签收", "resolved": "已办结"}
REASON_LABELS = {"overdue": "逾期", "crisis": "危机个案"}


@dataclass(frozen=True)
class InboxLine:
    id: int
    school: str
    summary: str
    reason: str
    days_overdue: int
    raised_on: str
    status: str
    new: bool
    link: str  # the item's page in the officer's inbox


def queue_district_digests(
    session: Session, *, now: datetime, book: PackBook, district_ids: Iterable[int] | None = None,
    urgent: bool = False,
) -> int:
    """Queue each district's digest where something is new, or the day's first one where items are open."""
    today = local_date(now)
    district_ids = list(district_ids) if district_ids is not None else None
    lock_districts(session, district_ids, now=now)  # a second run waits here, then finds the digests queued
    # Raised together (one run's), the items keep their ids' order: without it PostgreSQL lists ties in whatever
    # order the table's pages hold them, and the same digest would read differently from one run to the next.
    query = (select(Escalation).where(Escalation.status != "resolved")
             .order_by(col(Escalation.raised_at), col(Escalation.id)))
    if district_ids is not None:
        query = query.where(col(Escalation.district_id).in_(district_ids))
    open_items = list(session.exec(query))
    by_district: dict[int, list[Escalation]] = defaultdict(list)
    for item in open_items:
        by_district[item.district_id].append(item)
    schools = {s.id: s for s in session.exec(select(School).where(
        col(School.id).in_({i.school_id for i in open_items})))}
    base_url = get_settings().base_url  # once: a digest lists every open item, each with its link
    rows: list[dict[str, object]] = []
    for district_id, items in by_district.items():
        new = [i for i in items if i.notified_at is None]
        pack = schools[items[0].school_id].pack
        calendar = chase_calendar(book, pack)
        if not new and not calendar.is_chase_day(today):
            continue
        district = session.get(District, district_id)
        assert district is not None
        lines = [_line(i, schools[i.school_id], calendar.offset(date.fromisoformat(i.occasion), today), base_url)
                 for i in items]
        chase = book.pack(pack).chase
        quiet = chase.quiet_hours if chase and not urgent else None  # a crisis report is not held
        for officer in _officers(session, district_id):
            rows.extend(_officer_rows(session, officer, district, lines, new, now, today, quiet, base_url))
        if new and district.robot_url:
            rows.append(message_row(
                dedupe_key=f"district-robot:{today}:d{district_id}:{_digest(new)}", channel="robot",
                address=district.robot_url, subject=f"{district.name}督办箱新增{len(new)}项",
                body_text=f"### {district.name}督办箱新增{len(new)}项\n" + "\n".join(
                    f"- {line.school}｜{line.summary}｜{REASON_LABELS[line.reason]}" for line in lines if line.new)
                + f"\n\n[打开督办箱]({link('inbox_html', base_url=base_url)})",
                now=now))
        for item in new:
            item.notified_at = now
    return queue_rows(session, rows) + queue_calendar_warnings(session, now=now, district_ids=district_ids)


def _line(item: Escalation, school: School, offset: int, base_url: str) -> InboxLine:
    assert item.id is not None and item.raised_at is not None
    return InboxLine(id=item.id, school=school.name, summary=item.summary, reason=item.reason,
                     days_overdue=max(offset, 0), raised_on=short_date(as_local(item.raised_at).date()),
                     status=STATUS_LABELS[item.status], new=item.notified_at is None,
                     link=link("inbox_item_page", base_url=base_url, escalation_id=item.id))


def _officers(session: Session, district_id: int) -> list[Contact]:
    rows = session.execute(
        sa_select(col(Person.id), col(Person.name), col(Person.email), col(Person.phone))
        .join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
        .where(col(RoleAssignment.role) == Role.district_officer, col(RoleAssignment.district_id) == district_id,
               col(RoleAssignment.school_id).is_(None))
        .order_by(col(RoleAssignment.id))
    )
    return [Contact(*row) for row in rows]


def _officer_rows(session: Session, officer: Contact, district: District, lines: list[InboxLine],
                  new: list[Escalation], now: datetime, today: date,
                  quiet: QuietHours | None, base_url: str) -> list[dict[str, object]]:
    daily_key = f"district-digest:{today}:d{district.id}:p{officer.id}:email"
    daily_done = session.exec(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == daily_key)).first()
    if daily_done and not new:
        return []
    key = daily_key if not daily_done else f"district-update:{today}:d{district.id}:p{officer.id}:email:{_digest(new)}"
    rows: list[dict[str, object]] = []
    fresh = sum(1 for line in lines if line.new)
    context = {"name": officer.name, "district": district.name, "today": short_date(today), "lines": lines,
               "fresh": fresh, "by_school": _by_school(lines)}
    if officer.email:
        subject = f"【心育督办】{district.name}：新增{fresh}项，待处理共{len(lines)}项"
        rows.append(message_row(dedupe_key=key, channel="email", recipient_id=officer.id, address=officer.email,
                                subject=subject, body_text=render("district_digest.txt.j2", **context),
                                body_html=render("district_digest.html.j2", **context), now=now))
    if officer.phone and new:
        params = {"count": str(len(new)), "open": str(len(lines)), "link": link("inbox_html", base_url=base_url)}
        not_before = sms_release(now, quiet) if quiet is not None else now
        rows.append(sms_row(officer, "district_inbox", params, now=now, not_before=not_before,
                            key=f"district-sms:{today}:d{district.id}:p{officer.id}:{_digest(new)}"))
    return rows


def _by_school(lines: list[InboxLine]) -> list[tuple[str, int]]:
    counts: dict[str, int] = defaultdict(int)
    for line in lines:
        counts[line.school] += 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _digest(items: list[Escalation]) -> str:
    return hashlib.sha1(",".join(str(i.id) for i in sorted(items, key=lambda i: i.id or 0)).encode()).hexdigest()[:16]
