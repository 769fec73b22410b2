"""Ledger B 重点关爱学生台账, 一生一案 (QD-2): a key student's growth plan, kept by the psychology teacher and the
leadership group.

- QD-2 names the five fields of a plan (本人及家庭现状、困难问题、学业规划、成长建议和升学路径): a plan is
  `active` once all five are filled, a `draft` until then, `closed` with a date and a reason.
- GZ-5.1 “一名教师挂点帮扶1至2名”: the pack's `key_students.max_key_students_per_mentor` caps a mentor's open plans.
- JL-12: the categories of disadvantage (留守、贫困…) come from the pack; GZ-A2.2.4: parents informed (a date).
- One student has at most one open (draft or active) plan.
Every change writes a version (xinyu.history, kind "ledger_b") in the caller's transaction; the caller commits.
"""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlmodel import Session, col, func, select

from models import KeyStudentPlan, Person, RoleAssignment, Student
from xinyu.clock import as_local, local_date
from xinyu.history import record_change, snapshot
from xinyu.packs import KeyStudentRule
from xinyu.roles import STUDENT_ROLES, Role
from xinyu.text_input import check_text

PLAN_FIELDS: dict[str, str] = {  # QD-2, in the clause's order
    "family_situation": "本人及家庭现状",
    "difficulties": "困难问题",
    "study_plan": "学业规划",
    "growth_advice": "成长建议",
    "progression_path": "升学路径",
}
REASONS = ("测评预警", "班级摸排", "危机个案", "教师推荐")
DEFAULT_REASON = "教师推荐"
STATUS_LABELS = {"draft": "草稿", "active": "在案", "closed": "已结案"}
OPEN_STATUSES = ("draft", "active")
KEEPERS = frozenset({Role.psych_teacher, Role.leader, Role.deputy, Role.health_vice_principal, Role.department_head})
FIELD_LABELS: dict[str, str] = {
    **PLAN_FIELDS, "mentor_id": "成长导师", "mentor": "成长导师", "reason": "列入原因", "categories": "处境不利类别",
    "parents_informed_on": "告知家长日期", "status": "状态", "closed_on": "结案日期", "close_reason": "结案原因",
    "student_id": "学生", "opened_on": "建档日期",
}
KEPT = ("student_id", "mentor_id", "status", *PLAN_FIELDS, "reason", "categories", "parents_informed_on",
        "opened_on", "closed_on", "close_reason")
TEXT_MAX = 2000


class KeyStudentError(ValueError):
    """A plan change that is refused; nothing of it was written. The message names the field."""


class PlanInput(BaseModel):
    """What a keeper enters: the five QD-2 fields, the mentor, why the student is on the ledger, categories."""

    family_situation: str = Field(default="", max_length=TEXT_MAX)
    difficulties: str = Field(default="", max_length=TEXT_MAX)
    study_plan: str = Field(default="", max_length=TEXT_MAX)
    growth_advice: str = Field(default="", max_length=TEXT_MAX)
    progression_path: str = Field(default="", max_length=TEXT_MAX)
    mentor_id: int | None = None
    reason: str = DEFAULT_REASON
    categories: list[str] = Field(default_factory=list, max_length=20)
    parents_informed_on: date | None = None


def missing_fields(values: PlanInput | KeyStudentPlan) -> list[str]:
    """The QD-2 fields still empty, in the clause's order."""
    return [name for name in PLAN_FIELDS if not str(getattr(values, name) or "").strip()]


def describe_missing(names: list[str]) -> str:
    return "、".join(f"缺少“{PLAN_FIELDS[n]}”({n})" for n in names)


def keeps_ledger_b(session: Session, person_id: int, school_id: int) -> bool:
    """The psychology teacher and the leadership group keep ledger B (homeroom teachers propose)."""
    found = session.exec(select(RoleAssignment.id).where(
        RoleAssignment.person_id == person_id, RoleAssignment.school_id == school_id,
        col(RoleAssignment.role).in_([r.value for r in KEEPERS]), col(RoleAssignment.class_id).is_(None))).first()
    return found is not None


def require_keeper(session: Session, person_id: int, school_id: int) -> None:
    if not keeps_ledger_b(session, person_id, school_id):
        person = session.get(Person, person_id)
        raise KeyStudentError(f"{person.name if person else person_id} 不能维护重点关爱学生台账"
                              "（仅限专职心理教师和领导小组成员；班主任可从本班推荐）")


def school_staff(session: Session, school_id: int) -> list[tuple[int, str]]:
    """Who may be a mentor: the school's staff (no student role holders), by name."""
    rows = session.exec(
        select(Person.id, Person.name).join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
        .where(RoleAssignment.school_id == school_id,
               col(RoleAssignment.role).not_in([r.value for r in STUDENT_ROLES]))
        .distinct().order_by(col(Person.name), col(Person.id)))
    return [(pid, name) for pid, name in rows if pid is not None]


def mentor_loads(session: Session, person_ids: list[int]) -> dict[int, int]:
    """Open plans (draft or active) per mentor."""
    if not person_ids:
        return {}
    rows = session.exec(select(KeyStudentPlan.mentor_id, func.count()).where(
        col(KeyStudentPlan.mentor_id).in_(person_ids), col(KeyStudentPlan.status).in_(OPEN_STATUSES))
        .group_by(col(KeyStudentPlan.mentor_id)))
    return {pid: int(n) for pid, n in rows if pid is not None}


def check_mentor(session: Session, *, school_id: int, mentor_id: int | None, rule: KeyStudentRule,
                 plan_id: int | None = None) -> None:
    """The mentor is staff of the school and, under GZ-5.1, not over the pack's limit of open plans."""
    if mentor_id is None:
        return
    if mentor_id not in {pid for pid, _ in school_staff(session, school_id)}:
        raise KeyStudentError(f"成长导师(mentor)应为本校教职工，实为 #{mentor_id}")
    limit = rule.max_key_students_per_mentor
    if limit is None:
        return
    query = select(func.count()).select_from(KeyStudentPlan).where(
        KeyStudentPlan.mentor_id == mentor_id, col(KeyStudentPlan.status).in_(OPEN_STATUSES))
    if plan_id is not None:
        query = query.where(KeyStudentPlan.id != plan_id)
    current = int(session.exec(query).one())
    if current >= limit:
        mentor = session.get(Person, mentor_id)
        raise KeyStudentError(
            f"成长导师(mentor){mentor.name if mentor else mentor_id} 已挂点帮扶 {current} 名重点关爱学生，"
            f"每名教师至多 {limit} 名（{rule.mentor_clause or '政策包'}：一名教师挂点帮扶1至2名需重点关注学生）")


def open_plan_of(session: Session, student_id: int) -> KeyStudentPlan | None:
    return session.exec(select(KeyStudentPlan).where(KeyStudentPlan.student_id == student_id,
                                                     col(KeyStudentPlan.status).in_(OPEN_STATUSES))).first()


def _clean(values: PlanInput, rule: KeyStudentRule) -> PlanInput:
    """Texts stripped and checked, the reason and categories from their lists."""
    texts = {}
    for name, label in PLAN_FIELDS.items():
        texts[name] = check_text(getattr(values, name).strip(), f"“{label}”({name})", multiline=True,
                                 error=KeyStudentError)
    if values.reason not in REASONS:
        raise KeyStudentError(f"列入原因(reason)应为 {' / '.join(REASONS)} 之一，实为 {values.reason!r}")
    unknown = [c for c in values.categories if c not in rule.categories]
    if unknown:
        raise KeyStudentError(f"处境不利类别(categories)应为 {'、'.join(rule.categories)} 中的，"
                              f"实为 {'、'.join(unknown)}")
    categories = [c for c in rule.categories if c in values.categories]  # the pack's order, once each
    return values.model_copy(update={**texts, "categories": categories})


def _status(values: PlanInput | KeyStudentPlan) -> str:
    return "draft" if missing_fields(values) else "active"


def plan_snapshot(plan: KeyStudentPlan) -> dict[str, Any]:
    return snapshot(plan, KEPT)


def create_plan(session: Session, *, school_id: int, student_id: int, values: PlanInput, by: int | None,
                now: datetime, rule: KeyStudentRule, require_complete: bool = False) -> KeyStudentPlan:
    """A new plan: active when the five QD-2 fields are filled, else a draft (refused when `require_complete`)."""
    student = session.get(Student, student_id)
    if student is None or student.school_id != school_id:
        raise KeyStudentError(f"本校没有学生 #{student_id}")
    values = _clean(values, rule)
    missing = missing_fields(values)
    if require_complete and missing:
        raise KeyStudentError(f"一生一案五项须填写完整（QD-2）：{describe_missing(missing)}")
    existing = open_plan_of(session, student_id)
    if existing is not None:
        raise KeyStudentError(f"学号 {student.student_no} 的学生已有{STATUS_LABELS[existing.status]}的一生一案"
                              f"（B-{existing.id}），一名学生同时只有一份方案：请编辑它或先结案")
    check_mentor(session, school_id=school_id, mentor_id=values.mentor_id, rule=rule)
    plan = KeyStudentPlan(school_id=school_id, student_id=student_id, status=_status(values),
                          opened_on=local_date(now), created_by_id=by, created_at=now, updated_at=now,
                          **values.model_dump())
    session.add(plan)
    session.flush()
    assert plan.id is not None
    record_change(session, kind="ledger_b", record_id=plan.id, school_id=school_id, by=by, now=now,
                  action="created", before=None, after=plan_snapshot(plan))
    return plan


def is_correction(plan: KeyStudentPlan, by: int | None, now: datetime) -> bool:
    """The author changing the plan within the (Asia/Shanghai) month it was created in: a correction."""
    if by is None or plan.created_by_id != by or plan.created_at is None:
        return False
    made, today = as_local(plan.created_at), as_local(now)
    return (made.year, made.month) == (today.year, today.month)


def update_plan(session: Session, *, plan: KeyStudentPlan, values: PlanInput, by: int | None, now: datetime,
                rule: KeyStudentRule) -> KeyStudentPlan:
    """The keeper edits an open plan; its status follows its five fields. The old values stay in the history."""
    if plan.status == "closed":
        raise KeyStudentError(f"一生一案 B-{plan.id} 已结案，不能再修改")
    values = _clean(values, rule)
    if values.mentor_id != plan.mentor_id:
        check_mentor(session, school_id=plan.school_id, mentor_id=values.mentor_id, rule=rule, plan_id=plan.id)
    before = plan_snapshot(plan)
    for name, value in values.model_dump().items():
        setattr(plan, name, value)
    plan.status = _status(values)
    after = plan_snapshot(plan)
    if after == before:
        return plan
    plan.updated_at = now
    assert plan.id is not None
    record_change(session, kind="ledger_b", record_id=plan.id, school_id=plan.school_id, by=by, now=now,
                  action="corrected" if is_correction(plan, by, now) else "updated", before=before, after=after)
    return plan


def close_plan(session: Session, *, plan: KeyStudentPlan, reason: str, by: int | None, now: datetime,
               closed_on: date | None = None) -> KeyStudentPlan:
    """结案: a date and a reason; the plan leaves the open ledger, its history stays."""
    if plan.status == "closed":
        raise KeyStudentError(f"一生一案 B-{plan.id} 已于 {plan.closed_on} 结案")
    reason = check_text(reason.strip(), "结案原因(close_reason)", multiline=True, error=KeyStudentError)
    if not reason:
        raise KeyStudentError("结案须写明结案原因(close_reason)")
    if len(reason) > 500:
        raise KeyStudentError("结案原因(close_reason)至多 500 字")
    closed_on = closed_on or local_date(now)
    if closed_on < plan.opened_on:
        raise KeyStudentError(f"结案日期 {closed_on} 早于建档日期 {plan.opened_on}")
    before = plan_snapshot(plan)
    plan.status, plan.closed_on, plan.close_reason, plan.updated_at = "closed", closed_on, reason, now
    assert plan.id is not None
    record_change(session, kind="ledger_b", record_id=plan.id, school_id=plan.school_id, by=by, now=now,
                  action="closed", before=before, after=plan_snapshot(plan))
    return plan


def plan_as_dict(session: Session, plan: KeyStudentPlan) -> dict[str, Any]:
    """The plan for the CLI's --json and the API: ids, student number, the fields and the status."""
    student = session.get(Student, plan.student_id)
    mentor = session.get(Person, plan.mentor_id) if plan.mentor_id else None
    return {
        "id": plan.id, "ledger": "B", "school_id": plan.school_id, "student_id": plan.student_id,
        "student_no": student.student_no if student else None, "status": plan.status,
        "status_label": STATUS_LABELS.get(plan.status, plan.status),
        **{name: getattr(plan, name) for name in PLAN_FIELDS},
        "mentor_id": plan.mentor_id, "mentor": mentor.name if mentor else None, "reason": plan.reason,
        "categories": list(plan.categories or []),
        "parents_informed_on": plan.parents_informed_on.isoformat() if plan.parents_informed_on else None,
        "opened_on": plan.opened_on.isoformat(), "closed_on": plan.closed_on.isoformat() if plan.closed_on else None,
        "close_reason": plan.close_reason, "missing": missing_fields(plan),
        "created_at": as_local(plan.created_at).isoformat() if plan.created_at else None,
        "updated_at": as_local(plan.updated_at).isoformat() if plan.updated_at else None,
    }
