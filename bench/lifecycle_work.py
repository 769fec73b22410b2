"""The people's side of the benchmark: every open task gets completed with plausible evidence.

Evidence comes from xinyu.simulation (auto_evidence, decisions_text), seeded by the task id as the
demo does, and goes through xinyu.cycle.completion.complete_tasks: the same validation, actions,
audit rows and outbox messages as production.
"""

import random
from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select

from models import Cycle, Task
from xinyu.clock import local_date
from xinyu.cycle import PackBook
from xinyu.cycle.completion import Completion
from xinyu.cycle.states import TaskStatus
from xinyu.simulation import auto_evidence, decisions_text


def open_task_completions(
    session: Session, *, now: datetime, book: PackBook, seed: int, school_ids: Iterable[int] | None = None,
    task_ids: Iterable[int] | None = None, class_level: bool | None = None,
) -> list[Completion]:
    """A completion for each open task selected (by school, by id, class-level or school-level)."""
    today = local_date(now)
    # Plain columns, not entities: the people only need to know which form each task asks for.
    query = (select(Task.id, Task.step_key, Task.template, Cycle.pack, Cycle.month)  # type: ignore[call-overload]
             .join(Cycle, col(Cycle.id) == col(Task.origin_cycle_id))
             .where(Task.status == TaskStatus.open).order_by(col(Task.id)))
    if school_ids is not None:
        query = query.where(col(Task.school_id).in_(list(school_ids)))
    if task_ids is not None:
        query = query.where(col(Task.id).in_(list(task_ids)))
    if class_level is True:
        query = query.where(col(Task.class_id).is_not(None))
    elif class_level is False:
        query = query.where(col(Task.class_id).is_(None))
    completions = []
    for task_id, step_key, template_key, pack, month in session.exec(query):
        template = book.template(pack, month, step_key, template_key)
        values = auto_evidence(template.evidence, random.Random(f"{seed}:{task_id}:evidence"), today)
        if template.action == "meeting_minutes":
            values["decisions"] = decisions_text(today, book.calendar(pack))
        completions.append(Completion(task_id=task_id, values=values))
    return completions
