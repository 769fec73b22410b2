"""What the step definitions share: step-text types, look-ups by the names a school uses, a snapshot.

Steps keep no ORM objects between them: a scenario carries ids and names (SchoolRef) and every step
opens its own transaction and reads the state again from the database.
"""

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from parse import with_pattern
from pytest_bdd import parsers
from sqlalchemy import func
from sqlmodel import Session, col, select

from models import (
    AuditEntry,
    CourseRecord,
    Cycle,
    LedgerReview,
    Meeting,
    Person,
    RoleAssignment,
    SchoolClass,
    Step,
    Student,
    Task,
)
from xinyu.clock import parse_at
from xinyu.cycle import CompletionError, PackBook
from xinyu.cycle.reconcile import ReconcileResult
from xinyu.grades import grade_label, parse_grade
from xinyu.packs import Pack, StepRule
from xinyu.roles import Role, parse_role


@with_pattern(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")
def _at(text: str) -> datetime:
    return parse_at(text.replace(" ", "T"))


@with_pattern(r"\d{4}-\d{2}-\d{2}")
def _day(text: str) -> date:
    return date.fromisoformat(text)


@with_pattern(r"\d{4}年\d{1,2}月")
def _month(text: str) -> str:
    year, number = text.rstrip("月").split("年")
    return f"{int(year):04d}-{int(number):02d}"


TYPES = {"At": _at, "Day": _day, "Month": _month}

Db = Callable[[], AbstractContextManager[Session]]
"""The `db` fixture: `with db() as session:` is one transaction (xinyu.db.transaction)."""


def step_text(text: str) -> parsers.parse:
    """`parsers.parse` with the scenario types: {at:At} 2026-10-08 09:00, {day:Day}, {month:Month} 2026年10月."""
    return parsers.parse(text, extra_types=TYPES)


@dataclass(frozen=True)
class SchoolRef:
    """The school of a scenario, by id: never an ORM object kept across steps."""

    id: int
    name: str
    pack: str


STATUS_LABELS = {"pending": "待开启", "open": "进行中", "done": "已完成", "carried": "已结转", "closed": "已结束"}
_CLASS_HOLDER = re.compile(r"^(?P<grade>.+?)(?P<name>\d+班)(?P<role>班主任|心理委员)$")


def class_id(session: Session, school: SchoolRef, label: str) -> int:
    """四年级1班 / 高一2班 → the class's id."""
    match = re.fullmatch(r"(?P<grade>.+?)(?P<name>\d+班)", label)
    assert match, f"班级应写作“四年级1班”，实为 {label!r}"
    grade = parse_grade(match["grade"])
    assert grade is not None, f"无法识别年级 {match['grade']!r}"
    found = session.exec(select(SchoolClass.id).where(
        SchoolClass.school_id == school.id, SchoolClass.grade == grade, SchoolClass.name == match["name"])).first()
    assert found is not None, f"{school.name}没有{label}"
    return found


def class_label(session: Session, class_id_: int) -> str:
    school_class = session.get(SchoolClass, class_id_)
    assert school_class is not None
    return f"{grade_label(school_class.grade)}{school_class.name}"


@dataclass(frozen=True)
class Holder:
    person_id: int
    role: Role
    class_id: int | None


def holder(session: Session, school: SchoolRef, who: str) -> Holder:
    """“四年级1班班主任”, “四年级1班心理委员”, “专职心理教师”, “组长” … → the person holding it."""
    match = _CLASS_HOLDER.fullmatch(who)
    if match:
        klass = class_id(session, school, match["grade"] + match["name"])
        role = Role.homeroom if match["role"] == "班主任" else Role.class_psych_member
        person = session.exec(select(RoleAssignment.person_id).where(
            RoleAssignment.class_id == klass, RoleAssignment.role == role)).first()
        assert person is not None, f"{school.name}没有{who}"
        return Holder(person, role, klass)
    staff_role = parse_role(who)
    assert staff_role is not None, f"无法识别的角色 {who!r}"
    person = session.exec(select(RoleAssignment.person_id).where(
        RoleAssignment.school_id == school.id, RoleAssignment.role == staff_role,
        col(RoleAssignment.class_id).is_(None))).first()
    assert person is not None, f"{school.name}没有{who}"
    return Holder(person, staff_role, None)


def describe_holder(session: Session, person_id: int | None) -> str:
    """The reverse of `holder`: the name a scenario uses for the person a task went to."""
    if person_id is None:
        return "（未指派）"
    assignment = session.exec(select(RoleAssignment).where(RoleAssignment.person_id == person_id)).first()
    assert assignment is not None
    role = Role(assignment.role)
    if assignment.class_id is not None:
        return class_label(session, assignment.class_id) + role.label
    return role.label


def cycle_of(session: Session, school: SchoolRef, month: str | None = None) -> Cycle:
    """The school's cycle of a month; without a month, its newest one."""
    query = select(Cycle).where(Cycle.school_id == school.id)
    query = query.where(Cycle.month == month) if month else query.order_by(col(Cycle.month).desc())
    cycle = session.exec(query).first()
    assert cycle is not None, f"{school.name}还没有{month or ''}周期"
    return cycle


def step_rule(book: PackBook, cycle: Cycle, label: str) -> StepRule:
    rules = book.pack(cycle.pack, cycle.pack_version).steps_for(int(cycle.month[5:]))
    found = [r for r in rules if r.label == label]
    assert found, f"{cycle.month}的周期没有“{label}”步骤（有：{'、'.join(r.label for r in rules)}）"
    return found[0]


def step_of(session: Session, book: PackBook, school: SchoolRef, label: str, month: str | None = None) -> Step:
    cycle = cycle_of(session, school, month)
    rule = step_rule(book, cycle, label)
    step = session.exec(select(Step).where(Step.cycle_id == cycle.id, Step.key == rule.key)).one()
    return step


def find_task(
    session: Session, school: SchoolRef, title: str, *, who: Holder | None = None, class_id_: int | None = None,
    carried: bool | None = None, month: str | None = None,
) -> Task:
    """The one task of the school's current cycle whose title contains `title`, narrowed by who / class."""
    cycle = cycle_of(session, school, month)
    tasks = [t for t in session.exec(select(Task).where(Task.cycle_id == cycle.id).order_by(col(Task.id)))
             if title in t.title and t.status != "carried"]
    if class_id_ is not None:
        tasks = [t for t in tasks if t.class_id == class_id_]
    elif who is not None:
        tasks = [t for t in tasks if (t.class_id == who.class_id if who.class_id else t.role == who.role.value)]
    if carried is not None:
        tasks = [t for t in tasks if t.carried_over == carried]
    if len(tasks) > 1:
        tasks = [t for t in tasks if t.status == "open"] or tasks
    assert len(tasks) == 1, f"应有且只有一项任务“{title}”，实有：{[(t.id, t.title, t.status) for t in tasks]}"
    return tasks[0]


def evidence_values(session: Session, book: PackBook, task: Task, table: list[list[str]]) -> dict[str, Any]:
    """The form as the scenario fills it (label | value) → the pack's field names."""
    origin = session.get(Cycle, task.origin_cycle_id)
    assert origin is not None
    template = book.template(origin.pack, origin.month, task.step_key, task.template, version=origin.pack_version)
    by_label = {f.label: f.name for f in template.evidence}
    picks = {f.name for f in template.evidence if f.type == "students"}
    values = {}
    for label, value in table:
        assert label in by_label, f"任务“{task.title}”的表单没有“{label}”（有：{'、'.join(by_label)}）"
        name = by_label[label]
        values[name] = _student_numbers(session, task.school_id, value) if name in picks else value
    return values


def _student_numbers(session: Session, school_id: int, text: str) -> str:
    """A pick from the class list as a scenario writes it (“林小雨”、“周子航”) → the student numbers the form sends."""
    names = re.findall(r"“([^”]+)”", text)
    if not names:
        return text
    numbers = []
    for name in names:
        number = session.exec(select(Student.student_no).where(Student.school_id == school_id,
                                                               Student.name == name)).first()
        assert number is not None, f"没有学生“{name}”"
        numbers.append(number)
    return ",".join(numbers)


def default_evidence(session: Session, book: PackBook, task: Task, on: date) -> dict[str, Any]:
    """A plausible complete form for work the scenario does not look at (earlier steps, "已按时完成")."""
    origin = session.get(Cycle, task.origin_cycle_id)
    assert origin is not None
    template = book.template(origin.pack, origin.month, task.step_key, task.template, version=origin.pack_version)
    values: dict[str, Any] = {}
    for field in template.evidence:
        if not field.required:
            continue
        values[field.name] = {"int": "0", "bool": "是", "date": on.isoformat(), "text": "已按要求完成",
                              "choice": field.choices[0] if field.choices else ""}[field.type]
    return values


def course_kind(pack: Pack, label: str) -> str:
    kinds = {v.label: k for k, v in pack.course_rule.kinds.items()}
    assert label in kinds, f"政策包 {pack.id} 没有课程类型“{label}”（有：{'、'.join(kinds)}）"
    return kinds[label]


def snapshot(session: Session, school: SchoolRef) -> dict[str, Any]:
    """Everything a step could have changed for the school, as plain values to compare."""
    cycles = list(session.exec(select(Cycle).where(Cycle.school_id == school.id).order_by(col(Cycle.id))))
    cycle_ids = [c.id for c in cycles]
    return {
        "cycles": [(c.id, c.month, c.status, c.variant) for c in cycles],
        "steps": [(s.id, s.key, s.status, s.due, s.opened_at, s.done_at) for s in session.exec(
            select(Step).where(col(Step.cycle_id).in_(cycle_ids)).order_by(col(Step.id)))],
        "tasks": [(t.id, t.key, t.status, t.assignee_id, t.due, t.carried_over, dict(t.evidence), t.completed_at)
                  for t in session.exec(select(Task).where(Task.school_id == school.id).order_by(col(Task.id)))],
        "ledger_reviews": [(r.cycle_id, r.ledger, r.changed, r.reviewed_at) for r in session.exec(
            select(LedgerReview).where(col(LedgerReview.cycle_id).in_(cycle_ids)).order_by(col(LedgerReview.id)))],
        "meetings": [(m.cycle_id, m.agenda, m.held_on, m.minutes) for m in session.exec(
            select(Meeting).where(col(Meeting.cycle_id).in_(cycle_ids)).order_by(col(Meeting.id)))],
        "courses": session.exec(select(func.count()).select_from(CourseRecord)
                                .where(CourseRecord.school_id == school.id)).one(),
        "audit": session.exec(select(func.count()).select_from(AuditEntry)).one(),
    }


def person_name(session: Session, person_id: int) -> str:
    person = session.get(Person, person_id)
    assert person is not None
    return person.name


@dataclass
class AdvanceOutcome:
    """What one run of `advance` reported, and the school's state just before and after it."""

    result: ReconcileResult
    before: dict[str, Any]
    after: dict[str, Any]


@dataclass
class Attempt:
    """An action that may be refused: the refusal, and the school's state before and after."""

    error: str | None
    before: dict[str, Any]
    after: dict[str, Any]


def attempt(db: Db, school: SchoolRef, action: Callable[[Session], None]) -> Attempt:
    with db() as session:
        before = snapshot(session, school)
    error = None
    try:
        with db() as session:
            action(session)
    except CompletionError as exc:
        error = str(exc)
    with db() as session:
        after = snapshot(session, school)
    return Attempt(error=error, before=before, after=after)
