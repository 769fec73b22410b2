""""1+1" check (QD-T5): each class short of its lessons or activities gets a rectification task."""

from datetime import datetime
from typing import Any

from sqlmodel import Session

from models import Cycle
from xinyu.clock import local_date
from xinyu.cycle.actions.facts import BatchFacts
from xinyu.cycle.org_index import OrgIndex
from xinyu.cycle.packbook import PackBook
from xinyu.cycle.system_templates import RECTIFICATION
from xinyu.cycle.task_factory import task_row


def check_courses(
    session: Session, *, origin: Cycle, current: Cycle, now: datetime, book: PackBook, org: OrgIndex,
    facts: BatchFacts | None = None, **_: Any,
) -> None:
    own = facts is None  # called alone: its rows are written here, not with a batch's
    facts = facts or BatchFacts(session, book, [origin])
    pack, work = book.pack(origin.pack, origin.pack_version), book.calendar(origin.pack, origin.pack_version)
    due = work.add_workdays(local_date(now), pack.course_rule.rectification_workdays)
    month_label = f"{int(origin.month[5:])}月"
    wanted = {
        f"rectify:{origin.id}:c{status.class_id}": task_row(
            cycle=current, key=f"rectify:{origin.id}:c{status.class_id}", template=RECTIFICATION, org=org,
            due=due, now=now, step_id=None, step_key="course_check", kind="rectification",
            class_id=status.class_id, origin_cycle_id=origin.id,
            title=f"{status.label}{pack.course_rule.label}整改：{month_label}缺{'、'.join(status.missing)}",
        )
        for status in facts.class_statuses(origin)
        if not status.ok
    }
    existing = facts.rectification_keys(current.id or 0)  # tasks are only inserted with Core: none pending
    rows = [row for key, row in wanted.items() if key not in existing]
    if rows:
        facts.insert_tasks(current.id or 0, rows)
        existing.update(row["key"] for row in rows)
        if own:
            facts.write_tasks()
