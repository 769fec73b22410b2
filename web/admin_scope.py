"""Who keeps what: a 区县管理员 their district's schools, people and accounts; a school's 组长 their school's
people, roles and accounts. Anything else answers 404 (AccessDenied), as every page outside a scope does."""

from sqlmodel import Session, select

from models import RoleAssignment, School
from xinyu.access import AccessDenied, Viewer
from xinyu.roles import Role


def managed_school(session: Session, viewer: Viewer, school_id: int) -> School:
    school = session.get(School, school_id)
    if school is None or not (viewer.administers(school.district_id) or viewer.leads(school_id)):
        raise AccessDenied(f"school {school_id}")
    return school


def administered_school(session: Session, viewer: Viewer, school_id: int) -> School:
    school = session.get(School, school_id)
    if school is None or not viewer.administers(school.district_id):
        raise AccessDenied(f"school {school_id}")
    return school


def managed_person(session: Session, viewer: Viewer, school: School, person_id: int) -> int:
    """A person holding a role at the school; a leader may not touch a district officer's or admin's account."""
    roles = set(session.exec(select(RoleAssignment.role).where(RoleAssignment.person_id == person_id)))
    here = session.exec(select(RoleAssignment.id).where(RoleAssignment.person_id == person_id,
                                                        RoleAssignment.school_id == school.id)).first()
    district_roles = roles & {Role.district_officer.value, Role.district_admin.value}
    if here is None or (district_roles and not viewer.administers(school.district_id)):
        raise AccessDenied(f"person {person_id}")
    return person_id

