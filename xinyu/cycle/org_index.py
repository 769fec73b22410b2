"""Who holds which role where, and which classes a school has: loaded in a few queries per batch."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import select as sa_select
from sqlmodel import Session

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


# Plain Core selects of the tables' columns: thousands of rows a batch, without the ORM's per-row processing.
_ROLES = RoleAssignment.__table__.c  # type: ignore[attr-defined]
_CLASSES = SchoolClass.__table__.c  # type: ignore[attr-defined]


def load_org_index(session: Session, school_ids: Iterable[int]) -> OrgIndex:
    ids = list(school_ids)
    if session.autoflush:  # as an ORM query would (a Core one does not): the roles just changed count
        session.flush()
    index = OrgIndex()
    index.classes = load_classes(session, ids)
    school_holders: dict[tuple[int, str], list[int]] = defaultdict(list)
    class_holders: dict[tuple[int, str], list[int]] = defaultdict(list)
    rows = session.execute(
        sa_select(_ROLES.school_id, _ROLES.class_id, _ROLES.role, _ROLES.person_id)
        .where(_ROLES.school_id.in_(ids)).order_by(_ROLES.id)
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
    if session.autoflush:
        session.flush()
    rows = session.execute(
        sa_select(_CLASSES.id, _CLASSES.school_id, _CLASSES.grade, _CLASSES.name, _CLASSES.stage)
        .where(_CLASSES.school_id.in_(school_ids)).order_by(_CLASSES.grade, _CLASSES.name)
    )
    for row in rows:
        info = ClassInfo(*row)
        classes[info.school_id].append(info)
    return dict(classes)
