"""Who is told: role holders of the schools in a run and of their districts, with their contacts."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models import District, Person, RoleAssignment, School, SchoolClass
from xinyu.db import among
from xinyu.grades import grade_label
from xinyu.roles import Role


@dataclass(frozen=True)
class Contact:
    id: int
    name: str
    email: str | None
    phone: str | None


@dataclass
class Directory:
    people: dict[int, Contact] = field(default_factory=dict)
    schools: dict[int, School] = field(default_factory=dict)
    districts: dict[int, District] = field(default_factory=dict)
    class_grades: dict[int, int] = field(default_factory=dict)
    class_labels: dict[int, str] = field(default_factory=dict)
    # (scope, id, role) → people in roster order; scope is "school", "district", "class" or "grade"
    holders: dict[tuple[str, object, str], list[int]] = field(default_factory=dict)

    def of_role(self, role: str, *, school_id: int, class_id: int | None = None) -> list[int]:
        """Holders of `role` for a piece of a school's work: class roles by class, grade roles by the
        class's grade, district roles by the school's district, the rest by school."""
        scope = Role(role).scope
        if scope == "district":
            return self.holders.get(("district", self.schools[school_id].district_id, role), [])
        if scope == "class" and class_id is not None:
            return self.holders.get(("class", class_id, role), [])
        school_wide = self.holders.get(("school", school_id, role), [])
        if scope == "grade" and class_id is not None:  # a grade head recorded without a grade serves them all
            grade = self.class_grades.get(class_id)
            return self.holders.get(("grade", (school_id, grade), role), []) or school_wide
        return school_wide

    def district_of(self, school_id: int) -> int:
        return self.schools[school_id].district_id


def load_directory(
    session: Session, school_ids: Iterable[int], *, roles: Iterable[str] | None = None,
    class_ids: Iterable[int] | None = None, people: Iterable[int] = (),
) -> Directory:
    """The schools and their districts; the holders of `roles` (default all) with their contacts; the classes
    `class_ids` (default all the schools'); the contacts of `people` too. The chase asks for the few it
    tells: a school has ~75 role assignments and a day's reminders need a handful of them."""
    ids = list(school_ids)
    directory = Directory()
    directory.schools = {s.id: s for s in session.exec(select(School).where(among(session, School.id, ids))) if s.id}
    district_ids = {s.district_id for s in directory.schools.values()}
    directory.districts = {d.id: d for d in session.exec(select(District).where(col(District.id).in_(district_ids)))
                           if d.id}
    classes = sa_select(col(SchoolClass.id), col(SchoolClass.grade), col(SchoolClass.name))
    wanted = sorted(set(class_ids)) if class_ids is not None else None
    parts = [classes.where(col(SchoolClass.school_id).in_(ids))] if wanted is None else [
        classes.where(col(SchoolClass.id).in_(wanted[n:n + 5000])) for n in range(0, len(wanted), 5000)]
    for class_query in parts:
        for class_id, grade, name in session.execute(class_query):
            directory.class_grades[class_id] = grade
            directory.class_labels[class_id] = f"{grade_label(grade)}{name}"
    holders: dict[tuple[str, object, str], list[int]] = defaultdict(list)
    # Plain column rows, not entities: a batch of 100 schools holds thousands of assignments.
    query = (
        sa_select(col(RoleAssignment.person_id), col(RoleAssignment.role), col(RoleAssignment.district_id),
                  col(RoleAssignment.school_id), col(RoleAssignment.grade), col(RoleAssignment.class_id))
        .where(col(RoleAssignment.school_id).in_(ids)
               | (col(RoleAssignment.school_id).is_(None) & col(RoleAssignment.district_id).in_(district_ids)))
        .order_by(col(RoleAssignment.id))
    )
    if roles is not None:
        query = query.where(col(RoleAssignment.role).in_(sorted(set(roles))))
    rows = session.execute(query)
    for person_id, role, district_id, school_id, grade, class_id in rows:
        if class_id is not None:
            holders[("class", class_id, role)].append(person_id)
        elif grade is not None and school_id is not None:
            holders[("grade", (school_id, grade), role)].append(person_id)
        elif school_id is not None:
            holders[("school", school_id, role)].append(person_id)
        else:
            holders[("district", district_id, role)].append(person_id)
    directory.holders = dict(holders)
    person_ids = list({p for holders_of in holders.values() for p in holders_of} | set(people))
    for part in range(0, len(person_ids), 5000):  # keep IN lists within every database's limits
        chunk = person_ids[part:part + 5000]
        for row in session.execute(sa_select(col(Person.id), col(Person.name), col(Person.email), col(Person.phone))
                                   .where(among(session, Person.id, chunk))):
            directory.people[row[0]] = Contact(*row)
    return directory
