"""Who may see what (GZ-A2.1.2, QD-ANNEX): a viewer's scopes, from the roles they hold.

- A district officer sees the district's schools as counts, due dates and escalations: no student names.
- The leadership group (组长, 副组长, 心理副校长, 部门负责人) and psychology teachers see their whole school.
- A grade head sees the classes of the grade; a homeroom or subject teacher sees only their classes.
- Crisis records (ledger C) are for their handler and the school leader only; every read is audited.
Plain data and functions: the web app and the API apply the same rules through these.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from models import Person, RoleAssignment, SchoolClass
from xinyu.roles import STUDENT_ROLES, Role

SCHOOL_WIDE = frozenset({Role.leader, Role.deputy, Role.health_vice_principal, Role.department_head,
                         Role.psych_teacher})
LEADERSHIP = frozenset({Role.leader, Role.deputy, Role.health_vice_principal, Role.department_head})


class AccessDenied(PermissionError):
    """Outside the viewer's scope. Pages answer 404 so that a guess learns nothing of what exists."""


@dataclass(frozen=True)
class Viewer:
    person_id: int
    name: str
    roles: frozenset[str] = frozenset()
    district_ids: frozenset[int] = frozenset()  # officer of
    school_roles: dict[int, frozenset[str]] = field(default_factory=dict)  # school id → school-wide roles
    grade_scopes: frozenset[tuple[int, int]] = frozenset()  # (school id, grade) as grade head
    class_ids: frozenset[int] = frozenset()  # classes taught (homeroom, subject teacher)
    class_school_ids: frozenset[int] = frozenset()  # schools of those classes and grades
    admin_district_ids: frozenset[int] = frozenset()  # 区县管理员 of: schools, rosters, people and accounts

    @property
    def is_officer(self) -> bool:
        return bool(self.district_ids)

    @property
    def is_admin(self) -> bool:
        return bool(self.admin_district_ids)

    def administers(self, district_id: int) -> bool:
        """Keeps the district's schools, rosters, roles and accounts (not its students' records)."""
        return district_id in self.admin_district_ids

    @property
    def school_ids(self) -> frozenset[int]:
        """Schools whose staff this viewer belongs to (any scope inside the school)."""
        return frozenset(self.school_roles) | self.class_school_ids

    def sees_whole_school(self, school_id: int) -> bool:
        return bool(self.school_roles.get(school_id))

    def leads(self, school_id: int) -> bool:
        return Role.leader in self.school_roles.get(school_id, frozenset())

    def in_leadership(self, school_id: int) -> bool:
        return bool(self.school_roles.get(school_id, frozenset()) & LEADERSHIP)

    def sees_class(self, school_id: int, class_id: int, grade: int) -> bool:
        return (self.sees_whole_school(school_id) or class_id in self.class_ids
                or (school_id, grade) in self.grade_scopes)

    def sees_school_as_staff(self, school_id: int) -> bool:
        return school_id in self.school_ids

    def require_school(self, school_id: int) -> None:
        if not self.sees_school_as_staff(school_id):
            raise AccessDenied(f"school {school_id}")

    def require_whole_school(self, school_id: int) -> None:
        if not self.sees_whole_school(school_id):
            raise AccessDenied(f"school {school_id}")

    def require_district(self, district_id: int) -> None:
        if district_id not in self.district_ids:
            raise AccessDenied(f"district {district_id}")


def load_viewer(session: Session, person_id: int) -> Viewer | None:
    """The viewer for a signed-in person; None for someone holding only student roles (or nothing)."""
    person = session.get(Person, person_id)
    if person is None:
        return None
    rows = list(session.exec(
        select(RoleAssignment.role, RoleAssignment.district_id, RoleAssignment.school_id,  # type: ignore[call-overload]
               RoleAssignment.grade, RoleAssignment.class_id)
        .where(RoleAssignment.person_id == person_id)
    ))
    staff = [r for r in rows if Role(r[0]) not in STUDENT_ROLES]
    if not staff:
        return None
    districts: set[int] = set()
    admin_districts: set[int] = set()
    school_roles: dict[int, set[str]] = defaultdict(set)
    grades: set[tuple[int, int]] = set()
    classes: set[int] = set()
    class_schools: set[int] = set()
    for role, district_id, school_id, grade, class_id in staff:
        if role == Role.district_officer:
            districts.add(district_id)
        elif role == Role.district_admin:
            admin_districts.add(district_id)
        elif class_id is not None:
            classes.add(class_id)
            class_schools.add(school_id)
        elif role == Role.grade_head and school_id is not None:
            class_schools.add(school_id)
            grades.update(_grades_of(session, school_id, grade))
        elif school_id is not None and Role(role) in SCHOOL_WIDE:
            school_roles[school_id].add(role)
        elif school_id is not None:
            class_schools.add(school_id)  # e.g. a subject teacher recorded for the school only: no class data
    return Viewer(
        person_id=person_id, name=person.name, roles=frozenset(r[0] for r in staff),
        district_ids=frozenset(districts), school_roles={k: frozenset(v) for k, v in school_roles.items()},
        grade_scopes=frozenset(grades), class_ids=frozenset(classes), class_school_ids=frozenset(class_schools),
        admin_district_ids=frozenset(admin_districts),
    )


def _grades_of(session: Session, school_id: int, grade: int | None) -> set[tuple[int, int]]:
    """A grade head recorded without a grade looks after every grade of the school (as the crisis relay does)."""
    if grade is not None:
        return {(school_id, grade)}
    found = session.exec(select(SchoolClass.grade).where(SchoolClass.school_id == school_id).distinct())
    return {(school_id, g) for g in found}


def visible_class_ids(session: Session, viewer: Viewer, school_id: int) -> list[int] | None:
    """The classes of a school this viewer may see; None means all of them."""
    if viewer.sees_whole_school(school_id):
        return None
    grades = [g for s, g in viewer.grade_scopes if s == school_id]
    query = select(SchoolClass.id).where(SchoolClass.school_id == school_id)
    ids = set(session.exec(query.where(col(SchoolClass.grade).in_(grades)))) if grades else set()
    ids |= set(session.exec(query.where(col(SchoolClass.id).in_(viewer.class_ids))))
    return sorted(i for i in ids if i is not None)
