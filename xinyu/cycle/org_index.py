"""Who holds which role where, and which classes a school has: loaded in a few queries per batch."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from models import RoleAssignment, SchoolClass


@dataclass
class OrgIndex:
    classes: dict[int, list[SchoolClass]] = field(default_factory=dict)
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
        if class_id is None and any(person_id in self.class_holders.get((c.id or 0, role), [])
                                    for c in self.classes.get(school_id, [])):
            return True  # school-wide work for a class role (e.g. a decision for 班主任): any of them
        return person_id in self.school_holders.get((school_id, role), [])


def load_org_index(session: Session, school_ids: Iterable[int]) -> OrgIndex:
    ids = list(school_ids)
    index = OrgIndex()
    classes: dict[int, list[SchoolClass]] = defaultdict(list)
    for school_class in session.exec(
        select(SchoolClass).where(col(SchoolClass.school_id).in_(ids)).order_by(
            col(SchoolClass.grade), col(SchoolClass.name)
        )
    ):
        classes[school_class.school_id].append(school_class)
    index.classes = dict(classes)
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
