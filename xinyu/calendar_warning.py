"""From 1 November, while next year's holiday schedule is missing: one email a week to each district
officer (queued with the district digests by advance and the chase), a banner on the district pages,
a line in `xinyu check` and a warning in the run log."""

import logging
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from models import Person, RoleAssignment
from notifications.outbox import message_row, queue_rows
from xinyu.calendar_coverage import missing_year_warning, next_year_missing
from xinyu.clock import local_date
from xinyu.roles import Role

log = logging.getLogger(__name__)


def calendar_warning(now: datetime) -> str | None:
    """The warning text while next year is missing (from 1 November), else None."""
    year = next_year_missing(local_date(now))
    return missing_year_warning(year) if year is not None else None


def queue_calendar_warnings(session: Session, *, now: datetime, district_ids: Iterable[int] | None = None) -> int:
    """One email per district officer per ISO week (dedupe key), while next year is missing."""
    today = local_date(now)
    year = next_year_missing(today)
    if year is None:
        return 0
    log.warning(missing_year_warning(year))
    iso = today.isocalendar()
    query = (sa_select(col(Person.id), col(Person.email))
             .join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
             .where(col(RoleAssignment.role) == Role.district_officer, col(RoleAssignment.school_id).is_(None),
                    col(Person.email).is_not(None)))
    if district_ids is not None:
        query = query.where(col(RoleAssignment.district_id).in_(list(district_ids)))
    officers = {person_id: email for person_id, email in session.execute(query)}
    text = (f"{missing_year_warning(year)}。\n\n在国务院办公厅公布 {year} 年部分节假日安排之前，"
            f"系统无法确知 {year} 年的调休安排；请尽快由管理员导入（CSV 或 YAML：date, kind, name）。")
    rows = [message_row(dedupe_key=f"calendar-missing:{year}:{iso.year}-W{iso.week:02d}:p{person_id}",
                        channel="email", recipient_id=person_id, address=email,
                        subject=f"【心育闭环】{year} 年节假日安排尚未导入", body_text=text, now=now)
            for person_id, email in sorted(officers.items()) if email]
    return queue_rows(session, rows)
