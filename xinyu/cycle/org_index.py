"""Who holds which role where, and which classes a school has: loaded in a few queries per batch."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlmodel import Session, col, select

from models import RoleAssignment, SchoolClass


class ClassInfo(NamedTuple):
    """A class as the cycle needs it: plain columns, not an ORM entity (a batch holds thousands)."""

    id: int
    school_id: int
    grade: int
    name: str
    stage: str


@dataclass
class OrgIndex:
    classes: dict[int, list[ClassInfo]] = field(default_factory=dict)
    school_holders: dict[tuple[int, str], list[int]] = field(default_factory=dict)
    class_holders: dict[tuple[int, str], list[int]] = field(default_factory=dict)

    def holder(self, school_id: int, role: str, class_id: int | None = None) -> int | None:
        """The person a task goes to: the class's holder for class work, else the school's first."""
        if class_id is not None:
            people = self.class_holders.get((class_id, role))
            if people:
                return people[0]
        people = self.school_holders.get((school_id, role))
        return people[0] if people else None

    def holds(self, person_id: int, school_id: int, role: str, class_id: int | None) -> bool:
        if class_id is not None and person_id in self.class_holders.get((class_id, role), []):
            return True
        if class_id is None and any(person_id in self.class_holders.get((c.id, role), [])
                                    for c in self.classes.get(school_id, [])):
            return True  # school-wide work for a class role (e.g. a decision for 班主任): any of them
        return person_id in self.school_holders.get((school_id, role), [])


def load_org_index(session: Session, school_ids: Iterable[int]) -> OrgIndex:
    ids = list(school_ids)
    index = OrgIndex()
    index.classes = load_classes(session, ids)
    school_holders: dict[tuple[int, str], list[int]] = defaultdict(list)
    class_holders: dict[tuple[int, str], list[int]] = defaultdict(list)
    rows = session.exec(
        select(RoleAssignment.school_id, RoleAssignment.class_id, RoleAssignment.role, RoleAssignment.person_id)
        .where(col(RoleAssignment.school_id).in_(ids))
        .order_by(col(RoleAssignment.id))
    )
    for school_id, class_id, role, person_id in rows:
        if class_id is not None:
            class_holders[(class_id, role)].append(person_id)
        elif school_id is not None:
            school_holders[(school_id, role)].append(person_id)
    index.school_holders = dict(school_holders)
    index.class_holders = dict(class_holders)
    return index


def load_classes(session: Session, school_ids: list[int]) -> dict[int, list[ClassInfo]]:
    """Each school's classes ordered by grade and name, as plain rows in one query."""
    classes: dict[int, list[ClassInfo]] = defaultdict(list)
    rows = session.exec(
        select(SchoolClass.id, SchoolClass.school_id, SchoolClass.grade, SchoolClass.name,  # type: ignore[call-overload]
               SchoolClass.stage)
        .where(col(SchoolClass.school_id).in_(school_ids))
        .order_by(col(SchoolClass.grade), col(SchoolClass.name))
    )
    for row in rows:
        info = ClassInfo(*row)
        classes[info.school_id].append(info)
    return dict(classes)
