"""JN-5 隐形保护人: a staff member quietly assigned to a key student (ledger B, 二级 预防).

- Only where the pack says so (`key_students.protector`, Jinan).
- Seen and set by the school leader and the psychology teachers only (PROTECTOR_ROLES): not by other ledger B
  readers, never by student role holders (心理委员 and the like), never in a message or the monthly report.
- The protector is a member of the school's staff (no student role); each change is a version of its own history
  kind, so the plan's history that other ledger B readers see never names the protector.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from models import KeyStudentPlan, Person, RoleAssignment
from xinyu.history import Revision, record_change, revisions, snapshot
from xinyu.ledgers.key_students import KeyStudentError, school_staff
from xinyu.packs import KeyStudentRule
from xinyu.roles import Role

PROTECTOR_ROLES = (Role.leader, Role.psych_teacher)
HISTORY_KIND = "ledger_b_protector"


@dataclass(frozen=True)
class ProtectorView:
    plan_id: int
    protector_id: int | None
    protector: str | None
    clause: str
    staff: list[tuple[int, str]]  # whom the protector may be
    history: list[Revision]  # earlier protectors (names), newest last


def sees_protectors(session: Session, person_id: int | None, school_id: int) -> bool:
    """The school's leader or a psychology teacher (school-wide assignment)."""
    if person_id is None:
        return False
    found = session.exec(select(RoleAssignment.id).where(
        RoleAssignment.person_id == person_id, RoleAssignment.school_id == school_id,
        col(RoleAssignment.role).in_([r.value for r in PROTECTOR_ROLES]),
        col(RoleAssignment.class_id).is_(None))).first()
    return found is not None


def protector_view(session: Session, plan: KeyStudentPlan, *, person_id: int | None,
                   rule: KeyStudentRule) -> ProtectorView | None:
    """The protector of a plan for a viewer who may see it; None for anyone else or a pack without protectors."""
    if not rule.protector or not sees_protectors(session, person_id, plan.school_id) or plan.id is None:
        return None
    staff = school_staff(session, plan.school_id)
    names = dict(staff)
    history = revisions(session, kind=HISTORY_KIND, record_id=plan.id)
    ids = {v for r in history for _, old, new in r.changed for v in (old, new) if isinstance(v, int)}
    names |= {pid: name for pid, name in session.exec(select(Person.id, Person.name).where(col(Person.id).in_(ids)))
              if pid is not None}
    shown = [Revision(at=r.at, by=r.by, action=r.action,
                      changed=[("隐形保护人", names.get(o, o) if isinstance(o, int) else o,  # type: ignore[misc]
                                names.get(n, n) if isinstance(n, int) else n) for _, o, n in r.changed])
             for r in history]
    return ProtectorView(plan_id=plan.id, protector_id=plan.protector_id,
                         protector=names.get(plan.protector_id) if plan.protector_id else None,
                         clause=rule.protector_clause or "", staff=staff, history=shown)


def assign_protector(session: Session, *, plan: KeyStudentPlan, protector_id: int | None, by: int | None,
                     now: datetime, rule: KeyStudentRule) -> KeyStudentPlan:
    """Set (or clear, None) the plan's protector; the old one stays in the protector history."""
    if not rule.protector:
        raise KeyStudentError("本校政策包未设“隐形保护人”（key_students.protector）")
    if not sees_protectors(session, by, plan.school_id):
        raise KeyStudentError("隐形保护人仅由学校组长或专职心理教师指定（JN-5）")
    if plan.status == "closed":
        raise KeyStudentError(f"一生一案 B-{plan.id} 已结案，不能再指定隐形保护人")
    if protector_id is not None and protector_id not in {pid for pid, _ in school_staff(session, plan.school_id)}:
        raise KeyStudentError(f"隐形保护人(protector)应为本校教职工，实为 #{protector_id}")
    if protector_id == plan.protector_id:
        return plan
    before = snapshot(plan, ("protector_id",))
    plan.protector_id = protector_id
    assert plan.id is not None
    session.add(plan)
    record_change(session, kind=HISTORY_KIND, record_id=plan.id, school_id=plan.school_id, by=by, now=now,
                  action="updated" if before["protector_id"] is not None else "created", before=before,
                  after=snapshot(plan, ("protector_id",)))
    return plan
