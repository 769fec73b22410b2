"""Ledger B as its keepers and its proposers see it: one plan (with its history), the form's choices, proposals.

- Keepers (the psychology teacher and the leadership group: the school-wide staff) read and edit every plan and
  decide proposals; they read a plan's history (the leader among them).
- A homeroom teacher or grade head reads the plans of their classes (no editing, no history) and proposes
  students of their classes; everyone else gets AccessDenied (404).
"""

from datetime import date, datetime

from pydantic import BaseModel
from sqlmodel import Session, col, func, select

from models import KeyStudentPlan, KeyStudentProposal, Person, School, SchoolClass, Student
from xinyu.access import AccessDenied, Viewer, visible_class_ids
from xinyu.history import Revision, revisions
from xinyu.ledgers.key_students import (
    FIELD_LABELS,
    PLAN_FIELDS,
    REASONS,
    STATUS_LABELS,
    is_correction,
    mentor_loads,
    missing_fields,
    school_staff,
)
from xinyu.ledgers.proposals import STATUS_LABELS as PROPOSAL_LABELS
from xinyu.ledgers.views import class_label
from xinyu.packs import KeyStudentRule


class Choice(BaseModel):
    id: int
    label: str


class MentorChoice(Choice):
    load: int  # open plans they mentor now


class PlanChoices(BaseModel):
    """What the plan form offers: the school's classes and, for the class picked, its students; mentors with
    their load and the pack's limit (GZ-5.1); the reasons; the pack's categories (JL-12)."""

    classes: list[Choice]
    class_id: int | None
    students: list[Choice]
    mentors: list[MentorChoice]
    mentor_limit: int | None
    mentor_clause: str | None
    reasons: list[str]
    categories: list[str]
    fields: dict[str, str]


class PlanDetail(BaseModel):
    id: int
    school_id: int
    student_id: int
    student_no: str
    student_name: str
    class_label: str
    status: str
    status_label: str
    family_situation: str
    difficulties: str
    study_plan: str
    growth_advice: str
    progression_path: str
    missing: list[str]
    mentor_id: int | None
    mentor: str | None
    reason: str
    categories: list[str]
    parents_informed_on: date | None
    opened_on: date
    closed_on: date | None
    close_reason: str
    created_by: str | None
    created_at: datetime | None
    updated_at: datetime | None
    may_edit: bool
    edit_is_correction: bool  # the viewer is the author, within the month: an edit is recorded as a correction
    history: list[Revision] | None  # keepers only


class ProposalRow(BaseModel):
    id: int
    student_id: int
    student_no: str
    student_name: str
    class_label: str
    source: str
    note: str
    status: str
    status_label: str
    proposed_by: str | None
    created_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    decline_reason: str
    plan_id: int | None


class ProposalListing(BaseModel):
    school_id: int
    school_name: str
    may_decide: bool
    pending: list[ProposalRow]
    decided: list[ProposalRow]
    classes: list[Choice]  # where the viewer may propose from
    class_id: int | None
    students: list[Choice]  # of that class


def is_keeper(viewer: Viewer, school_id: int) -> bool:
    return viewer.sees_whole_school(school_id)


def require_keeper_viewer(viewer: Viewer, school_id: int) -> None:
    viewer.require_school(school_id)
    if not is_keeper(viewer, school_id):
        raise AccessDenied(f"ledger B keeper of school {school_id}")


def _classes(session: Session, viewer: Viewer, school_id: int) -> list[Choice]:
    visible = visible_class_ids(session, viewer, school_id)
    query = select(SchoolClass).where(SchoolClass.school_id == school_id)
    if visible is not None:
        query = query.where(col(SchoolClass.id).in_(visible))
    return [Choice(id=c.id or 0, label=class_label(c.grade, c.name))
            for c in session.exec(query.order_by(col(SchoolClass.grade), col(SchoolClass.name)))]


def _students(session: Session, class_id: int | None) -> list[Choice]:
    if class_id is None:
        return []
    return [Choice(id=s.id or 0, label=f"{s.student_no} {s.name}")
            for s in session.exec(select(Student).where(Student.class_id == class_id)
                                  .order_by(col(Student.student_no)))]


def plan_choices(session: Session, viewer: Viewer, school_id: int, rule: KeyStudentRule,
                 class_id: int | None = None) -> PlanChoices:
    require_keeper_viewer(viewer, school_id)
    classes = _classes(session, viewer, school_id)
    if class_id is not None and class_id not in {c.id for c in classes}:
        raise AccessDenied(f"class {class_id}")
    staff = school_staff(session, school_id)
    loads = mentor_loads(session, [pid for pid, _ in staff])
    return PlanChoices(
        classes=classes, class_id=class_id, students=_students(session, class_id),
        mentors=[MentorChoice(id=pid, label=name, load=loads.get(pid, 0)) for pid, name in staff],
        mentor_limit=rule.max_key_students_per_mentor, mentor_clause=rule.mentor_clause, reasons=list(REASONS),
        categories=list(rule.categories), fields=dict(PLAN_FIELDS))


def find_plan(session: Session, viewer: Viewer, school_id: int, plan_id: int) -> tuple[KeyStudentPlan, Student]:
    """The plan if the viewer may read it: keepers, or the staff of the student's class; else AccessDenied."""
    viewer.require_school(school_id)
    plan = session.get(KeyStudentPlan, plan_id)
    if plan is None or plan.school_id != school_id:
        raise AccessDenied(f"plan {plan_id}")
    student = session.get(Student, plan.student_id)
    assert student is not None
    if not is_keeper(viewer, school_id):
        visible = visible_class_ids(session, viewer, school_id)
        if visible is not None and student.class_id not in visible:
            raise AccessDenied(f"plan {plan_id}")
    return plan, student


def plan_detail(session: Session, viewer: Viewer, school_id: int, plan_id: int, *, now: datetime) -> PlanDetail:
    plan, student = find_plan(session, viewer, school_id, plan_id)
    school_class = session.get(SchoolClass, student.class_id)
    assert school_class is not None and plan.id is not None
    keeper = is_keeper(viewer, school_id)
    names = {pid: name for pid, name in session.exec(select(Person.id, Person.name).where(
        col(Person.id).in_([i for i in (plan.mentor_id, plan.created_by_id) if i is not None])))}
    return PlanDetail(
        id=plan.id, school_id=school_id, student_id=student.id or 0, student_no=student.student_no,
        student_name=student.name, class_label=class_label(school_class.grade, school_class.name),
        status=plan.status, status_label=STATUS_LABELS.get(plan.status, plan.status),
        **{name: getattr(plan, name) for name in PLAN_FIELDS}, missing=missing_fields(plan),
        mentor_id=plan.mentor_id, mentor=names.get(plan.mentor_id or 0), reason=plan.reason,
        categories=list(plan.categories or []), parents_informed_on=plan.parents_informed_on,
        opened_on=plan.opened_on, closed_on=plan.closed_on, close_reason=plan.close_reason,
        created_by=names.get(plan.created_by_id or 0), created_at=plan.created_at, updated_at=plan.updated_at,
        may_edit=keeper and plan.status != "closed",
        edit_is_correction=keeper and is_correction(plan, viewer.person_id, now),
        history=readable_history(session, revisions(session, kind="ledger_b", record_id=plan.id)) if keeper else None)


def readable_history(session: Session, history: list[Revision]) -> list[Revision]:
    """The versions as a person reads them: labels for statuses, names for mentors, lists joined, and no line
    for a field that stayed empty (a new plan's blank fields) or for the student (fixed with the plan)."""
    mentor_ids = {v for r in history for name, old, new in r.changed if name == "mentor_id" for v in (old, new)
                  if isinstance(v, int)}
    names = {pid: name for pid, name in session.exec(select(Person.id, Person.name).where(
        col(Person.id).in_(mentor_ids)))} if mentor_ids else {}

    def shown(name: str, value: object) -> object:
        if value in (None, "", []):
            return None
        if name == "status":
            return STATUS_LABELS.get(str(value), value)
        if name == "mentor_id":
            return names.get(value, value)  # type: ignore[call-overload]
        if isinstance(value, list):
            return "、".join(str(v) for v in value)
        return value

    out = []
    for revision in history:
        changed = [(name, shown(name, old), shown(name, new)) for name, old, new in revision.changed
                   if name != "student_id"]
        out.append(Revision(at=revision.at, by=revision.by, action=revision.action,
                            changed=[(n, o, w) for n, o, w in changed if o != w]))
    return out


def proposal_listing(session: Session, viewer: Viewer, school_id: int, class_id: int | None = None
                     ) -> ProposalListing:
    """Keepers: every proposal of the school; a homeroom teacher: those of their classes, and a class to pick from."""
    viewer.require_school(school_id)
    school = session.get(School, school_id)
    if school is None:
        raise AccessDenied(f"school {school_id}")
    classes = _classes(session, viewer, school_id)
    if class_id is not None and class_id not in {c.id for c in classes}:
        raise AccessDenied(f"class {class_id}")
    if class_id is None and len(classes) == 1:
        class_id = classes[0].id
    query = (select(KeyStudentProposal, Student, SchoolClass)
             .join(Student, col(Student.id) == col(KeyStudentProposal.student_id))
             .join(SchoolClass, col(SchoolClass.id) == col(KeyStudentProposal.class_id))
             .where(KeyStudentProposal.school_id == school_id))
    visible = visible_class_ids(session, viewer, school_id)
    if visible is not None:
        query = query.where(col(KeyStudentProposal.class_id).in_(visible))
    found = list(session.exec(query.order_by(col(KeyStudentProposal.created_at).desc(),
                                             col(KeyStudentProposal.id).desc()).limit(500)))
    people = {pid: name for pid, name in session.exec(select(Person.id, Person.name).where(col(Person.id).in_(
        {i for p, _, _ in found for i in (p.proposed_by_id, p.decided_by_id) if i is not None})))}
    rows = [ProposalRow(
        id=p.id or 0, student_id=s.id or 0, student_no=s.student_no, student_name=s.name,
        class_label=class_label(c.grade, c.name), source=p.source, note=p.note, status=p.status,
        status_label=PROPOSAL_LABELS.get(p.status, p.status), proposed_by=people.get(p.proposed_by_id or 0),
        created_at=p.created_at, decided_by=people.get(p.decided_by_id or 0), decided_at=p.decided_at,
        decline_reason=p.decline_reason, plan_id=p.plan_id) for p, s, c in found]
    return ProposalListing(
        school_id=school_id, school_name=school.name, may_decide=is_keeper(viewer, school_id),
        pending=[r for r in rows if r.status == "pending"], decided=[r for r in rows if r.status != "pending"],
        classes=classes, class_id=class_id, students=_students(session, class_id))


def pending_count(session: Session, school_id: int) -> int:
    return int(session.exec(select(func.count()).select_from(KeyStudentProposal).where(
        KeyStudentProposal.school_id == school_id, KeyStudentProposal.status == "pending")).one())


__all__ = ["FIELD_LABELS", "PlanChoices", "PlanDetail", "ProposalListing", "plan_choices", "plan_detail",
           "proposal_listing", "pending_count", "find_plan", "is_keeper"]
