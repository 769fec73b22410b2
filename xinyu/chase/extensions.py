"""Acknowledging a reminder, and asking for more time (QD-S1): the leader approves or refuses.

An approved extension moves the due date; the ladder counts from the new date (its rungs are keyed
by the due date they count from), the task drops back to no escalation, and the district's inbox
item for the old date is closed as extended.
"""

from datetime import date, datetime

from sqlmodel import Session, col, select

from models import Cycle, Escalation, Extension, Task
from xinyu.chase.messages import short_date
from xinyu.chase.notify import queue_notice
from xinyu.chase.people import contact, contacts_of, holds_role
from xinyu.cycle.packbook import PackBook
from xinyu.cycle.states import TaskStatus
from xinyu.links import link
from xinyu.privacy import redact_student_names
from xinyu.roles import Role
from xinyu.text_input import check_text


class ExtensionError(ValueError):
    """A refused acknowledgement, request or decision; nothing was written."""


def _open_task(session: Session, task_id: int) -> Task:
    task = session.get(Task, task_id, with_for_update=True)
    if task is None:
        raise ExtensionError(f"没有任务 #{task_id}")
    if task.status != TaskStatus.open:
        raise ExtensionError(f"任务 #{task_id} 已{'完成' if task.status == TaskStatus.done else '结转到下月'}")
    return task


def _check_responsible(session: Session, task: Task, by: int) -> None:
    if by != task.assignee_id and not holds_role(session, by, Role(task.role), school_id=task.school_id):
        raise ExtensionError(f"只有任务 #{task.id} 的负责人可以确认或申请延期")


def acknowledge_task(session: Session, *, task_id: int, by: int, now: datetime) -> Task:
    """The assignee saw the reminder: no more reminders for this due date; escalation goes on."""
    task = _open_task(session, task_id)
    _check_responsible(session, task, by)
    task.acknowledged_at = task.acknowledged_at or now
    return task


def request_extension(
    session: Session, *, task_id: int, by: int, workdays: int, reason: str, now: datetime, book: PackBook,
) -> Extension:
    task = _open_task(session, task_id)
    _check_responsible(session, task, by)
    if task.kind == "crisis":
        raise ExtensionError(f"任务 #{task.id} 是危机个案的当日任务（GZ-5.2 第一时间通报家长），不可申请延期")
    if not check_text(reason, "延期理由", multiline=True, error=ExtensionError).strip():
        raise ExtensionError("申请延期须说明理由")
    if not 1 <= workdays <= 30:
        raise ExtensionError("延期应为 1–30 个工作日")
    pending = session.exec(select(Extension.id).where(Extension.task_id == task.id,
                                                      Extension.status == "requested")).first()
    if pending is not None:
        raise ExtensionError(f"任务 #{task.id} 已有待审批的延期申请（#{pending}）")
    cycle = session.get(Cycle, task.cycle_id)
    assert cycle is not None and task.id is not None
    new_due = extended_due(book, cycle, task.due, workdays)
    extension = Extension(task_id=task.id, requested_by_id=by, requested_at=now, reason=reason.strip()[:500],
                          workdays=workdays, previous_due=task.due, new_due=new_due)
    session.add(extension)
    session.flush()
    # The leader reads the reason in the email: a student named in it is replaced first.
    shown = redact_student_names(session, task.school_id, {"reason": extension.reason})["reason"]
    queue_notice(
        session, contacts_of(session, Role.leader, school_id=task.school_id), key=f"extension:{extension.id}:asked",
        subject=f"【心育闭环】延期申请待审批（{short_date(task.due)} → {short_date(new_due)}）", heading="任务延期申请",
        lines=[f"任务：#{task.id}", f"截止：{task.due.isoformat()} → {new_due.isoformat()}（延期{workdays}个工作日）",
               f"理由：{shown}"],
        link=link("task_page", task_id=task.id), now=now)
    return extension


def extended_due(book: PackBook, cycle: Cycle, due: date, workdays: int) -> date:
    """N working days after the current due date, whenever it is asked or approved.

    An extension extends the due date, not today: approving late does not hand out extra days (a task
    whose extended date is already past stays overdue; the dashboard counts late approvals apart)."""
    return book.calendar(cycle.pack, cycle.pack_version).add_workdays(due, workdays)  # the task's cycle's rules


def decide_extension(
    session: Session, *, extension_id: int, by: int, approve: bool, now: datetime, book: PackBook, note: str = "",
) -> Extension:
    extension = session.get(Extension, extension_id, with_for_update=True)
    if extension is None:
        raise ExtensionError(f"没有延期申请 #{extension_id}")
    if extension.status != "requested":
        raise ExtensionError(f"延期申请 #{extension_id} 已{'批准' if extension.status == 'approved' else '拒绝'}")
    task = _open_task(session, extension.task_id)
    if not holds_role(session, by, Role.leader, school_id=task.school_id):
        raise ExtensionError("只有本校领导小组组长可以审批延期")
    check_text(note, "审批说明", multiline=True, error=ExtensionError)
    extension.status = "approved" if approve else "refused"
    extension.decided_by_id, extension.decided_at, extension.decision_note = by, now, note.strip()[:500]
    if approve:
        cycle = session.get(Cycle, task.cycle_id)
        assert cycle is not None
        # Counted again from the task's due date at approval (it may have moved since the request).
        extension.previous_due = task.due
        extension.new_due = extended_due(book, cycle, task.due, extension.workdays)
        task.due, task.escalation_level, task.acknowledged_at = extension.new_due, "none", None
        for item in session.exec(select(Escalation).where(Escalation.lineage_id == (task.lineage_id or task.id),
                                                          col(Escalation.status) != "resolved")):
            item.status, item.resolved_at, item.resolution = "resolved", now, "extended"
    requester = contact(session, extension.requested_by_id)
    verdict = f"已批准，新截止日期 {task.due.isoformat()}" if approve else "未批准，截止日期不变"
    note = redact_student_names(session, task.school_id, {"note": extension.decision_note})["note"]
    note_lines = [f"说明：{note}"] if note else []
    queue_notice(
        session, [requester] if requester else [], key=f"extension:{extension.id}:decided",
        subject=f"【心育闭环】延期申请{'已批准' if approve else '未批准'}", heading="延期申请审批结果",
        lines=[f"任务：#{task.id}", verdict, *note_lines],
        link=link("task_page", task_id=task.id), now=now)
    return extension
