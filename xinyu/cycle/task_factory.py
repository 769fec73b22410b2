"""Rows for the tasks of a template: one per school, or one per class where the rule is per class."""

from datetime import date, datetime
from typing import Any

from models import AuditEntry, Cycle, Step, Task
from xinyu.cycle.org_index import OrgIndex
from xinyu.packs import TaskTemplate


def template_task_rows(
    *, cycle: Cycle, step_id: int, step_key: str, template: TaskTemplate, org: OrgIndex, due: date,
    now: datetime,
) -> list[dict[str, Any]]:
    assert cycle.id is not None
    classes = [
        c for c in org.classes.get(cycle.school_id, []) if not template.stages or c.stage in template.stages
    ]
    base: dict[str, Any] = {"step_id": step_id, "step_key": step_key, "kind": "step"}
    if template.per == "class":
        return [
            task_row(cycle=cycle, key=f"{step_key}:{template.key}:c{c.id}", template=template, org=org,
                     due=due, now=now, class_id=c.id, **base)
            for c in classes
        ]
    if template.stages and not classes:
        return []
    return [task_row(cycle=cycle, key=f"{step_key}:{template.key}", template=template, org=org, due=due,
                     now=now, **base)]


def task_row(
    *, cycle: Cycle, key: str, template: TaskTemplate, org: OrgIndex, due: date, now: datetime,
    step_id: int | None, step_key: str, kind: str, class_id: int | None = None, title: str | None = None,
    template_key: str | None = None, role: str | None = None, assignee_id: int | None = None, **extra: Any,
) -> dict[str, Any]:
    """A bulk-insertable Task row; the assignee is whoever holds the role in the task's scope."""
    role = role or template.role.value
    return {
        "cycle_id": cycle.id,
        "origin_cycle_id": cycle.id,
        "school_id": cycle.school_id,
        "step_id": step_id,
        "step_key": step_key,
        "template": template_key or template.key,
        "key": key,
        "kind": kind,
        "blocks_step": template.blocks_step and kind == "step",
        "title": title or template.title,
        "role": role,
        "assignee_id": assignee_id if assignee_id is not None else org.holder(cycle.school_id, role, class_id),
        "class_id": class_id,
        "clause": template.clause,
        "due": due,
        "status": "open",
        "carried_over": False,
        "carried_from_id": None,
        "created_at": now,
        "completed_at": None,
        "completed_by_id": None,
        "evidence": {},
        "lineage_id": None,
        "escalation_level": "none",
        "acknowledged_at": None,
        "crisis_case_id": None,
        **extra,
    }


# The tables themselves, for Core executemany inserts of many rows: the ORM's bulk insert costs Python work per
# row (its insert commands) that plain rows with every column given do not need.
TASKS = Task.__table__  # type: ignore[attr-defined]
STEPS = Step.__table__  # type: ignore[attr-defined]
AUDIT = AuditEntry.__table__  # type: ignore[attr-defined]
