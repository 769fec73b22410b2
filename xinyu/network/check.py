"""A school's network against its pack (QD-T10 心理委员 per class, 宿舍心理信息员 per dorm; GZ-5.1 健康委员 2+2;
QD-T2 psychology teachers: 专职 per school, 专兼职 per N classes). Plain data from the roster; no writes."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select as columns
from sqlmodel import Session, col, select

from models import Person, RoleAssignment, School, SchoolClass
from xinyu.grades import grade_label
from xinyu.packs import ClassRoleRule, NetworkRule, Pack
from xinyu.roles import Role

FULL_TIME, PART_TIME = "专职", "兼职"


@dataclass(frozen=True)
class Holder:
    name: str
    gender: str | None


@dataclass
class ClassCheck:
    """One class against one class rule: holders, their genders and what is missing."""

    class_id: int
    grade: int
    label: str
    role: Role
    clause: str
    holders: list[Holder]
    problems: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.holders)

    def by_gender(self) -> dict[str, int]:
        counts = {"男": 0, "女": 0}
        for holder in self.holders:
            if holder.gender in counts:
                counts[holder.gender] += 1
        return counts

    @property
    def short(self) -> bool:
        return bool(self.problems)

    def as_json(self, *, names: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"class_id": self.class_id, "grade": self.grade, "label": self.label,
                               "role": self.role.value, "role_label": self.role.label, "clause": self.clause,
                               "count": self.count, "gender": self.by_gender(), "short": self.short,
                               "problems": self.problems}
        if names:
            out["holders"] = [{"name": h.name, "gender": h.gender} for h in self.holders]
        return out


@dataclass
class SchoolNetwork:
    school_id: int
    school: str
    district_id: int
    pack: str
    rule: NetworkRule | None
    clauses: dict[str, str]
    classes: list[ClassCheck]
    boarding: bool
    dorms: int
    dorm_informants: int
    dorm_names: list[str]
    classes_total: int
    full_time: int
    part_time: int
    teacher_names: list[tuple[str, str]]  # (name, 专职/兼职)
    today: date

    @property
    def checked(self) -> bool:
        return self.rule is not None

    @property
    def classes_short(self) -> int:
        return len({c.class_id for c in self.classes if c.short})

    @property
    def dorms_needed(self) -> int:
        rule = self.rule.dorms if self.rule else None
        return self.dorms * rule.per_dorm if rule and self.boarding else 0

    @property
    def dorms_short(self) -> int:
        return max(0, self.dorms_needed - self.dorm_informants)

    @property
    def psych_teachers(self) -> int:
        return self.full_time + self.part_time

    @property
    def teachers_needed(self) -> int:
        """专兼职 teachers the ratio asks for: one per N classes, rounded up (0 without a ratio)."""
        staffing = self.rule.staffing if self.rule else None
        if staffing is None or staffing.classes_per_teacher is None:
            return 0
        return -(-self.classes_total // staffing.classes_per_teacher)

    @property
    def full_time_ok(self) -> bool | None:
        staffing = self.rule.staffing if self.rule else None
        return None if staffing is None else self.full_time >= staffing.full_time_min

    @property
    def ratio_in_force(self) -> bool:
        staffing = self.rule.staffing if self.rule else None
        return bool(staffing and staffing.classes_per_teacher
                    and (staffing.ratio_due is None or self.today > staffing.ratio_due))

    @property
    def ratio_ok(self) -> bool | None:
        """None where the pack has no ratio; met when the roster has enough 专兼职 teachers for its classes."""
        staffing = self.rule.staffing if self.rule else None
        if staffing is None or staffing.classes_per_teacher is None:
            return None
        return self.psych_teachers >= self.teachers_needed

    @property
    def staffing_short(self) -> bool:
        return self.full_time_ok is False or (self.ratio_ok is False and self.ratio_in_force)

    @property
    def ok(self) -> bool:
        return not (self.classes_short or self.dorms_short or self.staffing_short)

    def clause_text(self, clause: str) -> str:
        return self.clauses.get(clause, "")

    def summary_json(self) -> dict[str, Any]:
        """Counts only: what the district sees and `xinyu network --json` prints."""
        staffing = self.rule.staffing if self.rule else None
        return {
            "school_id": self.school_id, "school": self.school, "pack": self.pack, "checked": self.checked,
            "classes": self.classes_total, "classes_checked": len({c.class_id for c in self.classes}),
            "classes_short": self.classes_short,
            "boarding": self.boarding, "dorms": self.dorms, "dorm_informants": self.dorm_informants,
            "dorms_short": self.dorms_short,
            "psych_teachers": self.psych_teachers, "full_time": self.full_time, "part_time": self.part_time,
            "full_time_ok": self.full_time_ok, "teachers_needed": self.teachers_needed, "ratio_ok": self.ratio_ok,
            "ratio_due": staffing.ratio_due.isoformat() if staffing and staffing.ratio_due else None,
            "ratio_in_force": self.ratio_in_force, "ok": self.ok,
            "clauses": sorted(set(self.rule.clauses())) if self.rule else [],
        }

    def school_json(self) -> dict[str, Any]:
        """Inside the school: the summary plus every class's holders by name."""
        return {**self.summary_json(), "class_checks": [c.as_json(names=True) for c in self.classes],
                "dorm_informant_names": self.dorm_names,
                "teachers": [{"name": n, "tenure": t} for n, t in self.teacher_names],
                "clause_texts": {c: self.clause_text(c) for c in (self.rule.clauses() if self.rule else [])}}


def _class_problems(rule: ClassRoleRule, check: ClassCheck) -> list[str]:
    label = rule.role.label
    problems = []
    if check.count < rule.min:
        problems.append(f"{label}{check.count}人，少于{rule.min}人")
    if rule.max is not None and check.count > rule.max:
        problems.append(f"{label}{check.count}人，多于{rule.max}人")
    genders = check.by_gender()
    for gender, wanted in rule.per_gender.items():
        if genders[gender] < wanted:
            problems.append(f"{gender}{label}{genders[gender]}人，少于{wanted}人")
    unknown = sum(1 for h in check.holders if h.gender not in ("男", "女"))
    if rule.per_gender and unknown:
        problems.append(f"{unknown}名{label}未填性别")
    return problems


def school_network(session: Session, school: School, pack: Pack, *, today: date) -> SchoolNetwork:
    """The school's classes, dorms and psychology teachers against `pack.network` (nothing checked without it)."""
    assert school.id is not None
    rule = pack.network
    classes = list(session.exec(select(SchoolClass).where(SchoolClass.school_id == school.id)
                                .order_by(col(SchoolClass.grade), col(SchoolClass.name))))
    rows = session.execute(
        columns(col(RoleAssignment.role), col(RoleAssignment.class_id), col(RoleAssignment.gender),
               col(RoleAssignment.tenure), col(Person.name))
        .join(Person, col(Person.id) == col(RoleAssignment.person_id))
        .where(col(RoleAssignment.school_id) == school.id,
               col(RoleAssignment.role).in_([Role.class_psych_member, Role.health_committee, Role.dorm_informant,
                                             Role.psych_teacher]))
        .order_by(col(Person.name), col(RoleAssignment.id))
    ).all()
    by_class: dict[tuple[str, int | None], list[Holder]] = defaultdict(list)
    dorm_names: list[str] = []
    teachers: list[tuple[str, str]] = []
    for role, class_id, gender, tenure, name in rows:
        if role == Role.dorm_informant:
            dorm_names.append(name)
        elif role == Role.psych_teacher:
            teachers.append((name, PART_TIME if tenure == PART_TIME else FULL_TIME))  # NULL: 专职心理教师 (the role)
        else:
            by_class[(role, class_id)].append(Holder(name, gender))
    checks: list[ClassCheck] = []
    for class_rule in rule.class_roles if rule else ():
        for school_class in classes:
            assert school_class.id is not None
            if not class_rule.grades[0] <= school_class.grade <= class_rule.grades[1]:
                continue
            check = ClassCheck(school_class.id, school_class.grade,
                               f"{grade_label(school_class.grade)}{school_class.name}", class_rule.role,
                               class_rule.clause, by_class.get((class_rule.role.value, school_class.id), []))
            check.problems = _class_problems(class_rule, check)
            checks.append(check)
    checks.sort(key=lambda c: (c.grade, c.label, c.role.value))
    return SchoolNetwork(
        school_id=school.id, school=school.name, district_id=school.district_id, pack=pack.id, rule=rule,
        clauses=dict(pack.clauses), classes=checks, boarding=school.boarding, dorms=school.dorms,
        dorm_informants=len(dorm_names), dorm_names=dorm_names, classes_total=len(classes),
        full_time=sum(1 for _, t in teachers if t == FULL_TIME),
        part_time=sum(1 for _, t in teachers if t == PART_TIME), teacher_names=teachers, today=today,
    )


def district_network(session: Session, district_ids: frozenset[int] | set[int], *, book: Any,
                     today: date) -> list[dict[str, Any]]:
    """Every school of the districts, by name: `SchoolNetwork.summary_json()` (counts only)."""
    schools = session.exec(select(School).where(col(School.district_id).in_(sorted(district_ids)))
                           .order_by(col(School.name))).all()
    return [school_network(session, school, book.pack(school.pack), today=today).summary_json()
            for school in schools]
