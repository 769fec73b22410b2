"""What completing a task (or opening a step) does besides marking it done, by the pack's action name."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel import Session

from models import Cycle, Task
from xinyu.cycle.actions.course_check import check_courses
from xinyu.cycle.actions.crisis import record_parents_informed
from xinyu.cycle.actions.facts import BatchFacts
from xinyu.cycle.actions.ledger import record_ledger_review
from xinyu.cycle.actions.meeting import record_minutes
from xinyu.cycle.actions.report import file_monthly_report
from xinyu.cycle.org_index import OrgIndex
from xinyu.cycle.packbook import PackBook

Action = Callable[..., None]

ACTIONS: dict[str, Action] = {
    "ledger_review": record_ledger_review,
    "meeting_minutes": record_minutes,
    "course_check": check_courses,
    "monthly_report": file_monthly_report,
    "crisis_parents_informed": record_parents_informed,
}

# The actions that read the org index (they create tasks, whose assignees it gives); the others never do.
ORG_ACTIONS = frozenset({"meeting_minutes", "course_check"})


def run_action(
    name: str, session: Session, *, task: Task, origin: Cycle, current: Cycle, evidence: dict[str, Any],
    now: datetime, book: PackBook, org: OrgIndex, ledger: str | None, facts: BatchFacts,
) -> None:
    ACTIONS[name](session, task=task, origin=origin, current=current, evidence=evidence, now=now, book=book,
                  org=org, ledger=ledger, facts=facts)
