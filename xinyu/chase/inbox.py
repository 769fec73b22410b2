"""The district inbox (QD-S2): escalations listed, acknowledged, answered with a notice (督办), resolved.

An escalation resolves itself when its task (or the task it was carried into) is done.
"""

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, func, select

from models import Cycle, District, Escalation, School, Task
from xinyu.chase.calendar import chase_calendar
from xinyu.chase.messages import short_date, sms_release
from xinyu.chase.notify import queue_notice
from xinyu.chase.people import contacts_of, holds_role
from xinyu.clock import as_local, local_date
from xinyu.cycle.org_index import load_org_index
from xinyu.cycle.packbook import PackBook
from xinyu.cycle.states import CycleStatus, TaskStatus
from xinyu.cycle.system_templates import NOTICE, SYSTEM_STEP_LABELS
from xinyu.cycle.task_factory import task_row
from xinyu.privacy import redact_student_names
from xinyu.roles import Role, role_label
from xinyu.settings import get_settings

INBOX_STATUSES = ("new", "acknowledged", "resolved")


class InboxError(ValueError):
    """A refused inbox action; nothing was written."""


def list_escalations(
    session: Session, *, today: date, book: PackBook, district: str | None = None, status: str | None = None,
) -> list[dict[str, Any]]:
    """Inbox items as plain dicts (the `xinyu inbox --json` contract); no student and no staff names."""
    query = (
        select(Escalation, School, Task, District.name)  # type: ignore[call-overload]
        .join(School, col(School.id) == col(Escalation.school_id))
        .join(Task, col(Task.id) == col(Escalation.task_id))
        .join(District, col(District.id) == col(Escalation.district_id))
        .order_by(col(Escalation.raised_at), col(Escalation.id))
    )
    if district:
        query = query.where(District.name == district)
    if status:
        query = query.where(Escalation.status == status)
    rows = []
    for item, school, task, district_name in session.exec(query):
        calendar = chase_calendar(book, school.pack)
        due = date.fromisoformat(item.occasion)
        live = calendar.offset(due, today) if item.status != "resolved" else item.days_overdue
        rows.append({
            "id": item.id, "district": district_name, "school": school.name, "step": task.step_key,
            "step_label": _step_label(session, book, task), "task_id": _current_task(session, item.lineage_id),
            "role": role_label(task.role), "role_code": task.role, "level": item.level, "reason": item.reason,
            "summary": item.summary, "due": due.isoformat(), "days_overdue": max(live, 0),
            "raised_at": as_local(item.raised_at).isoformat() if item.raised_at else None,
            "status": item.status, "notice_task_id": item.notice_task_id, "resolution": item.resolution,
        })
    return rows


def _step_label(session: Session, book: PackBook, task: Task) -> str:
    if task.step_key in SYSTEM_STEP_LABELS:
        return SYSTEM_STEP_LABELS[task.step_key]
    cycle = session.get(Cycle, task.origin_cycle_id)
    assert cycle is not None
    try:
        return book.pack(cycle.pack).step(int(cycle.month[5:]), task.step_key).label
    except StopIteration:
        return task.step_key


def _current_task(session: Session, lineage_id: int) -> int | None:
    """The newest task of a carried chain: the one a school would now complete."""
    return session.exec(select(func.max(Task.id)).where(
        (col(Task.lineage_id) == lineage_id) | (col(Task.id) == lineage_id))).one()


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
        raise InboxError(f"第 {escalation_id} 项已办结")
    if item.status == "new":
        item.status, item.acknowledged_at, item.acknowledged_by_id = "acknowledged", now, by
    return item


def issue_notice(
    session: Session, *, escalation_id: int, by: int, workdays: int, text: str, now: datetime, book: PackBook,
) -> Task:
    """A notice (督办) to the school: a rectification task for its leader, with its own due date and ladder."""
    item = _officer_item(session, escalation_id, by)
    if item.status == "resolved":
        raise InboxError(f"第 {escalation_id} 项已办结，无需督办")
    if item.notice_task_id is not None:
        raise InboxError(f"第 {escalation_id} 项已下发督办通知（任务 #{item.notice_task_id}）")
    if not 1 <= workdays <= 30:
        raise InboxError("整改期限应为 1–30 个工作日")
    text = text.strip()
    if not text:
        raise InboxError("请填写督办要求")
    school = session.get(School, item.school_id)
    assert school is not None and school.id is not None
    cycle = session.exec(select(Cycle).where(Cycle.school_id == school.id, Cycle.status == CycleStatus.open)
                         .order_by(col(Cycle.month).desc())).first()
    if cycle is None:
        raise InboxError(f"{school.name}没有进行中的月度周期")
    today = local_date(now)
    due = book.calendar(school.pack).add_workdays(today, workdays)
    row = task_row(cycle=cycle, key=f"notice:{item.id}", template=NOTICE, org=load_org_index(session, [school.id]),
                   due=due, now=now, step_id=None, step_key="notice", kind="notice",
                   title=f"落实区县督办：{text}"[:200])  # the school's own record; messages use TitleGuard
    (task_id,) = session.execute(insert(Task).returning(col(Task.id)), [row]).scalars().all()
    item.notice_task_id = task_id
    if item.status == "new":
        item.status, item.acknowledged_at, item.acknowledged_by_id = "acknowledged", now, by
    link = f"{get_settings().base_url}/tasks/{task_id}"
    quiet = book.pack(school.pack).chase
    shown = redact_student_names(session, school.id, {"text": text})["text"]  # a name typed by mistake stays out
    queue_notice(
        session, contacts_of(session, Role.leader, school_id=school.id), key=f"notice:{item.id}",
        subject=f"【心育督办】{school.name}收到区县督办通知，{short_date(due)}前整改", heading="区县督办通知",
        lines=[f"事项：{item.summary}", f"督办要求：{shown}", f"整改期限：{due.isoformat()}（{workdays}个工作日）"],
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
    items = list(session.exec(select(Escalation).where(col(Escalation.lineage_id).in_(lineages),
                                                       Escalation.status != "resolved")))
    for item in items:
        item.status, item.resolved_at, item.resolution = "resolved", now, "task_done"
    return len(items)
