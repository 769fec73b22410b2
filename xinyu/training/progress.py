"""Each member of staff's training hours this year against the minimum of their role (QD-T9), and the school's.

A person counts in the highest category of their roles at the school: a psychology teacher by the roster's
专职/兼职 (兼职 where it is not given), then 班主任, then every other member of staff (教职工: 分管领导、中层干部、
全体教师). Student role holders and district officers have no minimum. Names and hours only: no student data.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import extract, func
from sqlmodel import Session, col, select

from models import Person, RoleAssignment, School, TrainingRecord
from xinyu.packs import TrainingRule
from xinyu.roles import Role

ORDER = ("专职心理教师", "兼职心理教师", "班主任", "教职工")
NO_MINIMUM = {r.value for r in Role if r.is_student} | {Role.district_officer.value}


def training_category(roles: list[tuple[str, str | None]]) -> str | None:
    """(role, tenure) pairs of one person at one school → the category whose minimum applies, None: no staff role."""
    found = set()
    for role, tenure in roles:
        if role in NO_MINIMUM:
            continue
        if role == Role.psych_teacher.value:
            found.add("专职心理教师" if tenure == "专职" else "兼职心理教师")
        elif role == Role.homeroom.value:
            found.add("班主任")
        else:
            found.add("教职工")
    return next((c for c in ORDER if c in found), None)


@dataclass(frozen=True)
class PersonProgress:
    person_id: int
    name: str
    category: str
    minimum: int
    hours: float

    @property
    def reached(self) -> bool:
        return self.hours >= self.minimum

    def as_json(self) -> dict[str, object]:
        return {"person": self.name, "category": self.category, "minimum": self.minimum, "hours": self.hours,
                "short": max(self.minimum - self.hours, 0), "reached": self.reached}


@dataclass(frozen=True)
class SchoolProgress:
    school: str
    year: int
    clause: str
    people: list[PersonProgress]

    @property
    def reached(self) -> int:
        return sum(1 for p in self.people if p.reached)

    def as_json(self) -> dict[str, object]:
        return {"school": self.school, "year": self.year, "clause": self.clause, "staff": len(self.people),
                "reached": self.reached, "hours": sum(p.hours for p in self.people),
                "people": [p.as_json() for p in self.people]}


def school_progress(session: Session, school: School, rule: TrainingRule, *, year: int) -> SchoolProgress:
    """Every member of staff of the school with a minimum, ordered by category then name."""
    assert school.id is not None
    roles: dict[int, list[tuple[str, str | None]]] = defaultdict(list)
    names: dict[int, str] = {}
    for person_id, name, role, tenure in session.exec(
            select(Person.id, Person.name, RoleAssignment.role, RoleAssignment.tenure)
            .join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
            .where(RoleAssignment.school_id == school.id)):
        assert person_id is not None
        roles[person_id].append((role, tenure))
        names[person_id] = name
    hours = dict(session.exec(
        select(TrainingRecord.person_id, func.sum(TrainingRecord.hours))
        .where(TrainingRecord.school_id == school.id, extract("year", col(TrainingRecord.held_on)) == year)
        .group_by(col(TrainingRecord.person_id))).all())
    people = []
    for person_id, held in roles.items():
        category = training_category(held)
        if category is None or category not in rule.hours:
            continue
        people.append(PersonProgress(person_id, names[person_id], category, rule.hours[category],  # type: ignore[index]
                                     float(hours.get(person_id) or 0)))
    people.sort(key=lambda p: (ORDER.index(p.category), p.name, p.person_id))
    return SchoolProgress(school.name, year, rule.clause, people)


def this_year(today: date) -> int:
    return today.year
