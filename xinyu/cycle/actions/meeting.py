"""Meeting step (QD-S1b): minutes are recorded; each decision becomes a task with owner and due date."""

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert
from sqlmodel import Session, select

from models import Cycle, Meeting, Task
from xinyu.cycle.evidence import EvidenceError
from xinyu.cycle.org_index import OrgIndex
from xinyu.cycle.system_templates import DECISION
from xinyu.cycle.task_factory import task_row
from xinyu.roles import Role, parse_role

if TYPE_CHECKING:
    from xinyu.cycle.actions.facts import BatchFacts

_SEPARATORS = re.compile(r"\s*[|｜]\s*")


@dataclass(frozen=True)
class Decision:
    what: str
    role: Role
    due: date


def parse_decisions(text: str, *, held_on: date) -> list[Decision]:
    """One decision per line: 事项｜负责角色｜截止日期 (YYYY-MM-DD)."""
    decisions, problems = [], []
    for number, line in enumerate((line.strip() for line in text.splitlines()), start=1):
        if not line:
            continue
        parts = _SEPARATORS.split(line)
        if len(parts) != 3:
            problems.append(f"第{number}行应为“事项｜负责角色｜截止日期”，实为 {line!r}")
            continue
        what, role_text, due_text = parts
        role = parse_role(role_text)
        try:
            due = date.fromisoformat(due_text.replace("/", "-"))
        except ValueError:
            problems.append(f"第{number}行截止日期应为 YYYY-MM-DD，实为 {due_text!r}")
            continue
        if role is None or role.is_student:
            problems.append(f"第{number}行负责角色“{role_text}”不是学校教职工角色")
        elif due < held_on:
            problems.append(f"第{number}行截止日期 {due} 早于会议日期 {held_on}")
        elif what:
            decisions.append(Decision(what=what, role=role, due=due))
    if problems:
        raise EvidenceError("会议决定无法登记：" + "；".join(problems))
    return decisions


def record_minutes(
    session: Session, *, task: Task, origin: Cycle, current: Cycle, evidence: dict[str, Any], now: datetime,
    org: OrgIndex, facts: "BatchFacts | None" = None, **_: Any,
) -> None:
    held_on = date.fromisoformat(evidence["held_on"])
    decisions = parse_decisions(str(evidence.get("decisions", "")), held_on=held_on)
    assert origin.id is not None
    meeting = session.exec(select(Meeting).where(Meeting.cycle_id == origin.id)).first() or Meeting(
        cycle_id=origin.id, agenda="")
    meeting.held_on, meeting.minutes, meeting.recorded_at = held_on, evidence["minutes"], now
    session.add(meeting)
    rows = [
        task_row(cycle=current, key=f"decision:{task.id}:{n}{class_suffix}", template=DECISION, org=org,
                 due=d.due, now=now, step_id=None, step_key=task.step_key, kind="decision", role=d.role.value,
                 title=f"会议决定：{d.what}", origin_cycle_id=origin.id, class_id=class_id)
        for n, d in enumerate(decisions, start=1)
        for class_id, class_suffix in _scopes(d.role, org, origin.school_id)
    ]
    if rows:
        with session.no_autoflush:  # new rows only: the batch's pending changes can wait for its flush
            session.execute(insert(Task), rows)
        if facts is not None:  # a report in the same batch counts these
            facts.tasks_added(current.id or 0)


def _scopes(role: Role, org: OrgIndex, school_id: int) -> list[tuple[int | None, str]]:
    """A decision for a class role (e.g. 班主任) goes to each class's holder, so every task has an owner."""
    if role.scope != "class":
        return [(None, "")]
    return [(c.id, f":c{c.id}") for c in org.classes.get(school_id, [])]
