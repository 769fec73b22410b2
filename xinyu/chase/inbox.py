"""The district inbox (QD-S2): escalations listed, acknowledged, answered with a notice (督办), resolved.

An escalation resolves itself when its task (or the task it was carried into) is done.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, insert, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from models import Cycle, District, Escalation, School, SchoolClass, Task
from xinyu import links
from xinyu.chase.calendar import ChaseCalendar, chase_calendar
from xinyu.chase.messages import short_date, sms_release
from xinyu.chase.notify import queue_notice
from xinyu.chase.people import contacts_of, holds_role
from xinyu.clock import as_local, local_date
from xinyu.cycle.org_index import load_org_index
from xinyu.cycle.packbook import PackBook
from xinyu.cycle.states import CycleStatus, TaskStatus
from xinyu.cycle.system_templates import NOTICE, SYSTEM_STEP_LABELS
from xinyu.cycle.task_factory import task_row
from xinyu.db import among
from xinyu.grades import grade_label
from xinyu.privacy import redact_student_names
from xinyu.roles import Role, role_label
from xinyu.text_input import check_text
from xinyu.workdays import WorkCalendar

INBOX_STATUSES = ("new", "acknowledged", "resolved")


class InboxError(ValueError):
    """A refused inbox action; nothing was written."""


class InboxConflict(InboxError):
    """Refused because of the item's state (already resolved, a notice already issued), not the request."""


ORDERS = ("raised", "overdue", "newest")
CHUNK = 5000  # ids per IN list: well under SQLite's and PostgreSQL's parameter limits


@dataclass(frozen=True)
class InboxFilter:
    """Which items: by district name (the CLI) or ids (an officer's districts), status, school, level, reason."""

    district: str | None = None
    district_ids: frozenset[int] | None = None
    statuses: tuple[str, ...] = ()  # empty: every status
    school_id: int | None = None
    level: str | None = None
    reason: str | None = None
    ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class NoticeState:
    """The school's notice task (督办), followed along its carried chain."""

    task_id: int
    due: date
    status: str  # open | overdue | done


@dataclass(frozen=True)
class InboxItem:
    id: int
    district: str
    school_id: int
    school: str
    step: str
    step_label: str
    task_id: int | None  # the newest task of the carried chain: the one the school would now complete
    role: str
    role_code: str
    kind: str
    class_label: str | None
    level: str
    reason: str
    summary: str
    due: date
    days_overdue: int
    raised_at: datetime | None  # Asia/Shanghai
    status: str
    notice_task_id: int | None
    notice: NoticeState | None
    resolution: str | None

    def as_cli_dict(self) -> dict[str, Any]:
        """The `xinyu inbox --json` contract (keys and their order)."""
        return {
            "id": self.id, "district": self.district, "school": self.school, "step": self.step,
            "step_label": self.step_label, "task_id": self.task_id, "role": self.role, "role_code": self.role_code,
            "level": self.level, "reason": self.reason, "summary": self.summary, "due": self.due.isoformat(),
            "days_overdue": self.days_overdue, "raised_at": self.raised_at.isoformat() if self.raised_at else None,
            "status": self.status, "notice_task_id": self.notice_task_id, "resolution": self.resolution,
        }


def list_escalations(
    session: Session, *, today: date, book: PackBook, district: str | None = None, status: str | None = None,
) -> list[dict[str, Any]]:
    """Inbox items as plain dicts (the `xinyu inbox --json` contract); no student and no staff names."""
    where = InboxFilter(district=district or None, statuses=(status,) if status else ())
    return [item.as_cli_dict() for item in inbox_items(session, today=today, book=book, where=where)]


def _filtered(query: Any, where: InboxFilter) -> Any:
    if where.district:
        query = query.where(col(District.name) == where.district)
    if where.district_ids is not None:
        query = query.where(col(Escalation.district_id).in_(sorted(where.district_ids)))
    if where.statuses:
        query = query.where(col(Escalation.status).in_(where.statuses))
    if where.school_id is not None:
        query = query.where(col(Escalation.school_id) == where.school_id)
    if where.level:
        query = query.where(col(Escalation.level) == where.level)
    if where.reason:
        query = query.where(col(Escalation.reason) == where.reason)
    if where.ids:
        query = query.where(col(Escalation.id).in_(where.ids))
    return query


def _ordered(query: Any, order: str) -> Any:
    if order == "newest":
        return query.order_by(col(Escalation.raised_at).desc(), col(Escalation.id).desc())
    if order == "overdue":  # open crisis reports first, then the oldest due date (the most days overdue)
        crisis_first = case((and_(col(Escalation.reason) == "crisis", col(Escalation.status) != "resolved"), 0),
                            else_=1)
        return query.order_by(crisis_first, col(Escalation.occasion), col(Escalation.id))
    return query.order_by(col(Escalation.raised_at), col(Escalation.id))


def count_escalations(session: Session, where: InboxFilter) -> dict[str, int]:
    """Items matching `where` (its statuses aside), by status: one grouped query."""
    query = sa_select(col(Escalation.status), func.count()).join(
        District, col(District.id) == col(Escalation.district_id)).group_by(col(Escalation.status))
    counts = dict.fromkeys(INBOX_STATUSES, 0)
    for status, count in session.execute(_filtered(query, replace(where, statuses=()))):
        counts[status] = count
    return counts


def inbox_items(
    session: Session, *, today: date, book: PackBook, where: InboxFilter = InboxFilter(), order: str = "raised",
    limit: int | None = None, offset: int = 0,
) -> list[InboxItem]:
    """A page of inbox items in a fixed number of queries, however many there are (QD-S2)."""
    origin = aliased(Cycle)
    selected: Any = (
        sa_select(col(Escalation.id)).join(District, col(District.id) == col(Escalation.district_id))
    )
    selected = _ordered(_filtered(selected, where), order)
    if limit is not None:  # the page's ids first: the joins then touch only them, not every task
        selected = selected.limit(limit).offset(offset)
    page = selected.subquery()
    query = (
        sa_select(Escalation, col(School.name), col(School.pack), col(District.name), col(Task.step_key),
                  col(Task.role), col(Task.kind), col(origin.pack), col(origin.pack_version), col(origin.month),
                  col(SchoolClass.grade),
                  col(SchoolClass.name))
        .join(School, col(School.id) == col(Escalation.school_id))
        .join(Task, col(Task.id) == col(Escalation.task_id))
        .join(District, col(District.id) == col(Escalation.district_id))
        .join(origin, col(origin.id) == col(Task.origin_cycle_id))
        .outerjoin(SchoolClass, col(SchoolClass.id) == col(Task.class_id))
        .where(col(Escalation.id).in_(sa_select(page.c.id)))
    )
    rows = list(session.execute(_ordered(query, order)))
    chains = _newest_of_chains(session, {r[0].lineage_id for r in rows} | {
        r[0].notice_task_id for r in rows if r[0].notice_task_id is not None})
    calendars: dict[str, ChaseCalendar] = {}
    work_days: dict[str, Any] = {}  # book.calendar asks the database for the pack's newest version: once a pack
    items = []
    for item, school, school_pack, district, step_key, role, kind, pack, version, month, grade, class_name in rows:
        if school_pack not in calendars:
            calendars[school_pack] = chase_calendar(book, school_pack)
            work_days[school_pack] = book.calendar(school_pack)
        due = date.fromisoformat(item.occasion)
        live = calendars[school_pack].offset(due, today) if item.status != "resolved" else item.days_overdue
        newest = chains.get(item.lineage_id)
        items.append(InboxItem(
            id=item.id, district=district, school_id=item.school_id, school=school, step=step_key,
            step_label=_step_label(book, pack, version, month, step_key), task_id=newest[0] if newest else None,
            role=role_label(role), role_code=role, kind=kind,
            # A crisis report names the school, its case number and level only: a class narrows it to a child.
            class_label=f"{grade_label(grade)}{class_name}" if grade is not None and item.reason != "crisis" else None,
            level=item.level,
            reason=item.reason, summary=item.summary, due=due, days_overdue=max(live, 0),
            raised_at=as_local(item.raised_at) if item.raised_at else None, status=item.status,
            notice_task_id=item.notice_task_id,
            notice=_notice_state(chains.get(item.notice_task_id or 0), work_days[school_pack], today),
            resolution=item.resolution,
        ))
    return items


def _step_label(book: PackBook, pack: str, version: str, month: str, step_key: str) -> str:
    if step_key in SYSTEM_STEP_LABELS:
        return SYSTEM_STEP_LABELS[step_key]
    try:
        return book.pack(pack, version).step(int(month[5:]), step_key).label
    except StopIteration:
        return step_key


def _newest_of_chains(session: Session, first_ids: set[int]) -> dict[int, tuple[int, str, date]]:
    """For each first task of a carried chain: (id, status, due) of the chain's newest task."""
    newest: dict[int, tuple[int, str, date]] = {}
    wanted = sorted(first_ids)
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start:start + CHUNK]
        found = session.execute(sa_select(col(Task.id), col(Task.lineage_id), col(Task.status), col(Task.due))
                                .where(or_(col(Task.lineage_id).in_(chunk), col(Task.id).in_(chunk))))
        for task_id, lineage_id, status, due in found:
            for first in {task_id, lineage_id} & first_ids:
                if first not in newest or newest[first][0] < task_id:
                    newest[first] = (task_id, status, due)
    return newest


def _notice_state(newest: tuple[int, str, date] | None, work: WorkCalendar, today: date) -> NoticeState | None:
    if newest is None:
        return None
    task_id, status, due = newest
    late = status == TaskStatus.open and work.is_overdue(due, today)
    return NoticeState(task_id=task_id, due=due, status="overdue" if late else str(status))


def _officer_item(session: Session, escalation_id: int, by: int) -> Escalation:
    item = session.get(Escalation, escalation_id, with_for_update=True)
    if item is None:
        raise InboxError(f"督办箱中没有第 {escalation_id} 项")
    if not holds_role(session, by, Role.district_officer, district_id=item.district_id):
        raise InboxError("只有本区县负责人可以处理督办箱事项")
    return item


def acknowledge(session: Session, *, escalation_id: int, by: int, now: datetime) -> Escalation:
    item = _officer_item(session, escalation_id, by)
    if item.status == "resolved":
        raise InboxConflict(f"第 {escalation_id} 项已办结")
    if item.status == "new":
        item.status, item.acknowledged_at, item.acknowledged_by_id = "acknowledged", now, by
    return item


def issue_notice(
    session: Session, *, escalation_id: int, by: int, workdays: int, text: str, now: datetime, book: PackBook,
) -> Task:
    """A notice (督办) to the school: a rectification task for its leader, with its own due date and ladder."""
    item = _officer_item(session, escalation_id, by)
    if item.status == "resolved":
        raise InboxConflict(f"第 {escalation_id} 项已办结，无需督办")
    if item.notice_task_id is not None:
        raise InboxConflict(f"第 {escalation_id} 项已下发督办通知（任务 #{item.notice_task_id}）")
    text = notice_text(workdays, text)
    return school_notice(session, [item], by=by, workdays=workdays, text=text, now=now, book=book)


def notice_text(workdays: int, text: str) -> str:
    """The checked 督办要求 (and period); refused with InboxError."""
    if not 1 <= workdays <= 30:
        raise InboxError("整改期限应为 1–30 个工作日")
    text = check_text(text, "督办要求", multiline=True, error=InboxError).strip()
    if not text:
        raise InboxError("请填写督办要求")
    return text


def notice_key(items: list[Escalation]) -> str:
    """The notice task's key and its messages' dedupe prefix: the item for one, the school and the set for several."""
    ids = sorted(i.id for i in items if i.id is not None)
    if len(ids) == 1:
        return f"notice:{ids[0]}"
    digest = hashlib.sha1(",".join(map(str, ids)).encode()).hexdigest()[:16]
    return f"notice:s{items[0].school_id}:{digest}"


SHOWN_LINES = 20  # a notice for many items lists this many, then a count


def school_notice(
    session: Session, items: list[Escalation], *, by: int, workdays: int, text: str, now: datetime, book: PackBook,
) -> Task:
    """One notice task for the school's leader covering `items` (one school's), and one message to its leaders."""
    school = session.get(School, items[0].school_id)
    assert school is not None and school.id is not None
    assert all(i.school_id == school.id for i in items)
    cycle = session.exec(select(Cycle).where(Cycle.school_id == school.id, Cycle.status == CycleStatus.open)
                         .order_by(col(Cycle.month).desc())).first()
    if cycle is None:
        raise InboxError(f"{school.name}没有进行中的月度周期")
    today = local_date(now)
    due = book.calendar(cycle.pack, cycle.pack_version).add_workdays(today, workdays)
    key = notice_key(items)
    many = len(items) > 1
    title = f"落实区县督办（{len(items)}项）：{text}" if many else f"落实区县督办：{text}"
    row = task_row(cycle=cycle, key=key, template=NOTICE, org=load_org_index(session, [school.id]),
                   due=due, now=now, step_id=None, step_key="notice", kind="notice",
                   title=title[:200])  # the school's own record; messages use TitleGuard
    (task_id,) = session.execute(insert(Task).returning(col(Task.id)), [row]).scalars().all()
    for item in items:
        item.notice_task_id = task_id
        if item.status == "new":
            item.status, item.acknowledged_at, item.acknowledged_by_id = "acknowledged", now, by
    link = links.link("task_page", task_id=task_id)
    quiet = book.pack(cycle.pack, cycle.pack_version).chase
    shown = redact_student_names(session, school.id, {"text": text})["text"]  # a name typed by mistake stays out
    listed = [f"事项：{i.summary}" for i in items[:SHOWN_LINES]]
    if len(items) > SHOWN_LINES:
        listed.append(f"……另有 {len(items) - SHOWN_LINES} 项，见整改任务")
    queue_notice(
        session, contacts_of(session, Role.leader, school_id=school.id), key=key,
        subject=f"【心育督办】{school.name}收到区县督办通知" + (f"（{len(items)}项）" if many else "")
        + f"，{short_date(due)}前整改", heading="区县督办通知",
        lines=[*listed, f"督办要求：{shown}", f"整改期限：{due.isoformat()}（{workdays}个工作日）"],
        link=link, now=now,
        sms=("district_notice", {"school": school.name, "due": short_date(due), "link": link},
             sms_release(now, quiet.quiet_hours) if quiet else now),
    )
    task = session.get(Task, task_id)
    assert task is not None
    return task


def resolve_for_done(session: Session, tasks: Iterable[Task], now: datetime) -> int:
    """Close the escalations of tasks just done (by their carried chain)."""
    lineages = [t.lineage_id or t.id for t in tasks if t.status == TaskStatus.done]
    if not lineages:
        return 0
    # A crisis report stays open until its case is closed (xinyu.crisis.closing), not when its task is done.
    items = list(session.exec(select(Escalation).where(among(session, Escalation.lineage_id, lineages),
                                                       Escalation.status != "resolved",
                                                       Escalation.reason != "crisis")))
    for item in items:
        item.status, item.resolved_at, item.resolution = "resolved", now, "task_done"
    return len(items)
