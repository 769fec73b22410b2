"""Looking up people for the chase's commands: contacts of role holders, and who may decide what."""

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models import Person, RoleAssignment, School
from xinyu.chase.directory import Contact
from xinyu.roles import Role


def contacts_of(session: Session, role: Role, *, school_id: int) -> list[Contact]:
    """Holders of a school role (or, for a district role, of the school's district)."""
    school = session.get(School, school_id)
    assert school is not None
    scope = (col(RoleAssignment.district_id) == school.district_id) & col(RoleAssignment.school_id).is_(None) \
        if role.scope == "district" else col(RoleAssignment.school_id) == school_id
    rows = session.execute(
        sa_select(col(Person.id), col(Person.name), col(Person.email), col(Person.phone))
        .join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
        .where(col(RoleAssignment.role) == role, scope).order_by(col(RoleAssignment.id))
    )
    seen: dict[int, Contact] = {}
    for row in rows:
        seen.setdefault(row[0], Contact(*row))
    return list(seen.values())


def contact(session: Session, person_id: int | None) -> Contact | None:
    person = session.get(Person, person_id) if person_id else None
    return Contact(person.id, person.name, person.email, person.phone) if person and person.id else None


def holds_role(session: Session, person_id: int, role: Role, *, school_id: int | None = None,
               district_id: int | None = None) -> bool:
    query = select(RoleAssignment.id).where(RoleAssignment.person_id == person_id, RoleAssignment.role == role)
    if school_id is not None:
        query = query.where(RoleAssignment.school_id == school_id)
    if district_id is not None:
        query = query.where(RoleAssignment.district_id == district_id)
    return session.exec(query).first() is not None
