"""Meeting step (QD-S1b): minutes are recorded; each decision becomes a task with owner and due date."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select

from models import Cycle, Meeting, Person, RoleAssignment, Task
from xinyu.cycle.evidence import EvidenceError
from xinyu.cycle.org_index import OrgIndex
from xinyu.cycle.system_templates import DECISION
from xinyu.cycle.task_factory import TASKS, task_row
from xinyu.db import insert_rows
from xinyu.roles import Role, parse_role

if TYPE_CHECKING:
    from xinyu.cycle.actions.facts import BatchFacts

_SEPARATORS = re.compile(r"\s*[|｜]\s*")


@dataclass(frozen=True)
class Decision:
    what: str
    role: Role
    due: date
    person_id: int | None = None  # a named person instead of a role's holder


PersonLookup = Callable[[str], "tuple[int, Role] | str | None"]  # name → (person, role), a refusal, or unknown


def parse_decisions(text: str, *, held_on: date, people: PersonLookup | None = None) -> list[Decision]:
    """One decision per line: 事项｜负责角色或人员｜截止日期 (YYYY-MM-DD)."""
    decisions, problems = [], []
    for number, line in enumerate((line.strip() for line in text.splitlines()), start=1):
        if not line:
            continue
        parts = _SEPARATORS.split(line)
        if len(parts) != 3:
            problems.append(f"第{number}行应为“事项｜负责角色｜截止日期”，实为 {line!r}")
            continue
        what, role_text, due_text = parts
        role, person_id = parse_role(role_text), None
        found = people(role_text) if role is None and people is not None else None
        if isinstance(found, str):
            problems.append(f"第{number}行{found}")
            continue
        if found is not None:
            person_id, role = found
        try:
            due = date.fromisoformat(due_text.replace("/", "-"))
        except ValueError:
            problems.append(f"第{number}行截止日期应为 YYYY-MM-DD，实为 {due_text!r}")
            continue
        if role is None or role.is_student:
            problems.append(f"第{number}行负责角色“{role_text}”不是学校教职工角色，也不是本校教职工姓名")
        elif due < held_on:
            problems.append(f"第{number}行截止日期 {due} 早于会议日期 {held_on}")
        elif what:
            decisions.append(Decision(what=what, role=role, due=due, person_id=person_id))
    if problems:
        raise EvidenceError("会议决定无法登记：" + "；".join(problems))
    return decisions


def record_minutes(
    session: Session, *, task: Task, origin: Cycle, current: Cycle, evidence: dict[str, Any], now: datetime,
    org: OrgIndex, facts: "BatchFacts | None" = None, **_: Any,
) -> None:
    held_on = date.fromisoformat(evidence["held_on"])
    people = people_lookup(facts.staff(origin.school_id)) if facts is not None else staff_lookup(
        session, origin.school_id)
    decisions = parse_decisions(str(evidence.get("decisions", "")), held_on=held_on, people=people)
    assert origin.id is not None
    if facts is not None:
        meeting = facts.meeting(origin)
    else:
        meeting = session.exec(select(Meeting).where(Meeting.cycle_id == origin.id)).first()
    if meeting is None:
        meeting = Meeting(cycle_id=origin.id, agenda="")
        if facts is not None:
            facts.met(meeting)
    meeting.held_on, meeting.minutes, meeting.recorded_at = held_on, evidence["minutes"], now
    meeting.recorded_by_id = task.completed_by_id
    session.add(meeting)
    rows = [
        task_row(cycle=current, key=f"decision:{task.id}:{n}{class_suffix}", template=DECISION, org=org,
                 due=d.due, now=now, step_id=None, step_key=task.step_key, kind="decision", role=d.role.value,
                 title=f"会议决定：{d.what}", origin_cycle_id=origin.id, class_id=class_id, assignee_id=d.person_id)
        for n, d in enumerate(decisions, start=1)
        for class_id, class_suffix in ([(None, "")] if d.person_id else _scopes(d.role, org, origin.school_id))
    ]
    if rows and facts is not None:  # with the batch's other new tasks (a report in the batch counts these)
        facts.insert_tasks(current.id or 0, rows)
    elif rows:
        with session.no_autoflush:  # new rows only: the batch's pending changes can wait for its flush
            insert_rows(session, TASKS, rows)


def staff_lookup(session: Session, school_id: int) -> PersonLookup:
    """A decision's owner by name: one of the school's staff, with the first of their roles (by rank)."""
    rows = session.exec(select(Person.id, Person.name, RoleAssignment.role)
                        .join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
                        .where(RoleAssignment.school_id == school_id)).all()
    return people_lookup([(person_id or 0, name, role) for person_id, name, role in rows])


def people_lookup(rows: "list[tuple[int, str, str]]") -> PersonLookup:
    """staff_lookup over the school's (person id, name, role) rows, loaded already (BatchFacts.staff)."""
    order = {r.value: n for n, r in enumerate(Role)}
    people: dict[str, dict[int, list[str]]] = {}
    for person_id, name, role in rows:
        people.setdefault(name, {}).setdefault(person_id or 0, []).append(role)

    def lookup(name: str) -> tuple[int, Role] | str | None:
        found = people.get(name.strip())
        if not found:
            return None
        if len(found) > 1:
            return f"本校有 {len(found)} 位教职工名为“{name}”，请改写负责角色"
        (person_id, roles), = found.items()
        staff = sorted((r for r in roles if not Role(r).is_student), key=lambda r: order.get(r, 99))
        return (person_id, Role(staff[0])) if staff else f"“{name}”不是学校教职工"
    return lookup


def _scopes(role: Role, org: OrgIndex, school_id: int) -> list[tuple[int | None, str]]:
    """A decision for a class role (e.g. 班主任) goes to each class's holder, so every task has an owner."""
    if role.scope != "class":
        return [(None, "")]
    return [(c.id, f":c{c.id}") for c in org.classes.get(school_id, [])]
