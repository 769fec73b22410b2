"""A leader's 催办 from the month board: one reminder, now, to the people behind a late task.

It is a rung of the chase's own log: a ChaseEvent `nudge` for today (unique per chain, rung and day), and
its messages carry the chase's digest keys. So the button and the chase never remind of the same task
twice the same day: a press after the chase reminded today, or a second press, sends nothing and says so;
the chase skips its reminder for a chain nudged today (the ladder's escalations go on).
"""

import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import and_, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import AuditEntry, ChaseEvent
from notifications.outbox import queue_rows
from xinyu.chase.calendar import chase_calendar
from xinyu.chase.directory import load_directory
from xinyu.chase.messages import DigestItem
from xinyu.chase.nudge_message import nudge_rows
from xinyu.chase.people import holds_role
from xinyu.chase.run import open_tasks
from xinyu.chase.titles import TitleGuard
from xinyu.clock import SHANGHAI, local_date
from xinyu.cycle.packbook import PackBook
from xinyu.roles import Role, role_label
from xinyu.settings import get_settings

NUDGE = "nudge"  # the rung key and level of a leader's 催办 in the chase's log


class NudgeRefused(ValueError):
    """Not a leader of the task's school, or the task is not open and late: nothing written."""


@dataclass(frozen=True)
class NudgeResult:
    task_id: int
    sent: bool
    already: str | None  # "nudge" (pressed today) or "chase" (the chase reminded today) when not sent
    people: int
    messages: int


def _already(session: Session, lineage: int, now: datetime) -> str | None:
    today = local_date(now)
    start = datetime.combine(today, time(), tzinfo=SHANGHAI)
    found = session.exec(select(ChaseEvent.rung).where(
        ChaseEvent.lineage_id == lineage,
        or_(and_(col(ChaseEvent.rung) == NUDGE, col(ChaseEvent.occasion) == today.isoformat()),
            and_(col(ChaseEvent.level) == "reminder", col(ChaseEvent.fired_at) >= start,
                 col(ChaseEvent.fired_at) < start + timedelta(days=1))))).first()
    return None if found is None else NUDGE if found == NUDGE else "chase"


def nudge_task(session: Session, *, task_id: int, by: int, now: datetime, book: PackBook) -> NudgeResult:
    """Remind the assignee of an open, late task (the school's leaders when it has none), once a day."""
    found = open_tasks(session, task_ids=[task_id])
    if not found:
        raise NudgeRefused(f"任务 #{task_id} 不在进行中，无需催办")
    task = found[0]
    if not holds_role(session, by, Role.leader, school_id=task.school_id):
        raise NudgeRefused("只有本校组长可以催办")
    chase = book.pack(*task.rules).chase
    if chase is None:
        raise NudgeRefused("本校所用方案未启用催办")
    today = local_date(now)
    calendar = chase_calendar(book, *task.rules)
    if not calendar.work.is_overdue(task.due, today):
        raise NudgeRefused(f"任务 #{task_id} 尚未逾期")
    offset = calendar.offset(task.due, today)
    already = _already(session, task.lineage, now)
    if already is not None:
        return NudgeResult(task_id=task_id, sent=False, already=already, people=0, messages=0)
    try:
        with session.begin_nested():  # two presses at once: the second finds the first's row
            session.add(ChaseEvent(task_id=task.id, lineage_id=task.lineage, school_id=task.school_id, rung=NUDGE,
                                   occasion=today.isoformat(), level=NUDGE, offset=offset, fired_at=now))
    except IntegrityError:
        return NudgeResult(task_id=task_id, sent=False, already=NUDGE, people=0, messages=0)
    directory = load_directory(session, {task.school_id}, roles={Role.leader.value},
                               class_ids={task.class_id} if task.class_id else set(),
                               people={task.assignee_id} if task.assignee_id else set())
    people = [task.assignee_id] if task.assignee_id else directory.of_role(Role.leader, school_id=task.school_id)
    assignee = directory.people.get(task.assignee_id or 0)
    item = DigestItem(
        event_key=f"{task.lineage}:{NUDGE}:{today.isoformat()}", section="mine", task_id=task.id,
        school=directory.schools[task.school_id].name,
        title=TitleGuard.public_title(task.kind, task.title),
        class_label=directory.class_labels.get(task.class_id or 0), role_label=role_label(task.role),
        assignee=assignee.name if assignee else None, due=task.due, offset=offset, rung_label="组长催办",
        channels=("email", "sms"))
    rows: list[dict[str, object]] = []
    for person_id in people:
        contact = directory.people.get(person_id)
        if contact is not None:
            rows.extend(nudge_rows(contact, item, now=now, today=today, quiet=chase.quiet_hours,
                                   base_url=get_settings().base_url))
    messages = queue_rows(session, rows)
    session.add(AuditEntry(at=now, actor_id=by, action="board_nudge", target=f"task:{task.id}",
                           detail=json.dumps({"task": task.id, "lineage": task.lineage, "people": len(people),
                                              "messages": messages})))
    return NudgeResult(task_id=task_id, sent=True, already=None, people=len(people), messages=messages)
