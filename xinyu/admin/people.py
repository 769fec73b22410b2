"""People and their roles at a school: add a staff member, assign or withdraw a role, move to another school.

Access follows at once: the web loads a viewer's roles on every request (xinyu.access.load_viewer), so a
withdrawn role or a move closes the old school's pages on the next click.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from models import Person, RoleAssignment, School, SchoolClass
from xinyu.accounts import NO_PASSWORD
from xinyu.admin.audit import audit
from xinyu.admin.errors import AdminError
from xinyu.roles import STUDENT_ROLES, Role
from xinyu.roster.fields import parse_email, parse_phone

# Roles an administrator or a school's leader gives through the web (student roles come with the roster).
STAFF_ROLES = tuple(r for r in Role if r not in STUDENT_ROLES and r.scope != "district")


def _scope(session: Session, school: School, role: Role, grade: int | None, class_id: int | None
           ) -> tuple[int | None, int | None, str]:
    assert school.id is not None
    if role.scope == "class" and class_id is not None:
        klass = session.get(SchoolClass, class_id)
        if klass is None or klass.school_id != school.id:
            raise AdminError("该班级不在本校")
        return klass.grade, class_id, f"c{class_id}"
    if role.scope == "grade" and grade is not None:
        if not 1 <= grade <= 12:
            raise AdminError("年级应为 1 到 12")
        return grade, None, f"s{school.id}/g{grade}"
    return None, None, f"s{school.id}"  # the school only (a class or grade can be given later)


def assign_role(session: Session, *, school: School, person_id: int, role: Role, grade: int | None = None,
                class_id: int | None = None, actor_id: int, now: datetime) -> RoleAssignment:
    if role not in STAFF_ROLES:
        raise AdminError(f"{role.label} 不能在此分配")
    person = session.get(Person, person_id)
    if person is None:
        raise AdminError("没有该人员")
    grade, class_id, key = _scope(session, school, role, grade, class_id)
    held = session.exec(select(RoleAssignment).where(RoleAssignment.person_id == person_id,
                                                     RoleAssignment.role == role.value,
                                                     RoleAssignment.scope_key == key)).first()
    if held is not None:
        raise AdminError(f"{person.name} 已担任该角色")
    assert school.id is not None
    row = RoleAssignment(person_id=person_id, role=role.value, district_id=school.district_id,
                         school_id=school.id, grade=grade, class_id=class_id, scope_key=key)
    session.add(row)
    session.flush()
    audit(session, actor_id=actor_id, action="assign_role", target=f"person:{person_id}", now=now,
          person_id=person_id, role=role.value, school_id=school.id, grade=grade, class_id=class_id,
          assignment_id=row.id)
    return row


def add_staff(session: Session, *, school: School, name: str, email: str, phone: str, role: Role,
              actor_id: int, now: datetime) -> Person:
    """A staff member by name with an email and/or a phone (their login); the same person if already known."""
    name = " ".join(name.split())
    if not name or len(name) > 64:
        raise AdminError("请填写姓名（最多 64 字）")
    address = parse_email(email) if email.strip() else None
    if email.strip() and address is None:
        raise AdminError(f"电子邮箱格式不正确：{email.strip()}")
    number = parse_phone(phone) if phone.strip() else None
    if phone.strip() and number is None:
        raise AdminError(f"手机号格式不正确：{phone.strip()}")
    if address is None and number is None:
        raise AdminError("请填写电子邮箱或手机号（登录名）")
    identity = number or address or ""
    person = session.exec(select(Person).where(Person.identity == identity)).first()
    if person is None:
        person = Person(identity=identity, name=name, email=address, phone=number)
        session.add(person)
        session.flush()
        assert person.id is not None
        audit(session, actor_id=actor_id, action="add_person", target=f"person:{person.id}", now=now,
              person_id=person.id, school_id=school.id)
    assert person.id is not None
    assign_role(session, school=school, person_id=person.id, role=role, actor_id=actor_id, now=now)
    return person


def withdraw_role(session: Session, *, school: School, assignment_id: int, actor_id: int, now: datetime) -> None:
    row = session.get(RoleAssignment, assignment_id)
    if row is None or row.school_id != school.id:
        raise AdminError("没有该角色记录")
    audit(session, actor_id=actor_id, action="withdraw_role", target=f"person:{row.person_id}", now=now,
          person_id=row.person_id, role=row.role, school_id=school.id, grade=row.grade, class_id=row.class_id,
          assignment_id=row.id)
    session.delete(row)
    session.flush()


def move_person(session: Session, *, person_id: int, source: School, target: School, actor_id: int,
                now: datetime) -> int:
    """End the person's roles at `source` and give the same roles at `target`: school-wide ones as they were,
    a grade's at the same grade, a class's at the school (the new classes are assigned later). The count."""
    if source.id == target.id:
        raise AdminError("调入学校与原学校相同")
    rows = list(session.exec(select(RoleAssignment).where(RoleAssignment.person_id == person_id,
                                                          RoleAssignment.school_id == source.id)))
    if not rows:
        raise AdminError("此人在原学校没有角色")
    if any(Role(r.role) in STUDENT_ROLES for r in rows):
        raise AdminError("学生角色随名册调整，不能在此调动")
    wanted: dict[str, tuple[Role, int | None]] = {}
    for row in rows:
        role = Role(row.role)
        grade = row.grade if role.scope == "grade" else None
        wanted.setdefault(f"{role.value}:{grade}", (role, grade))
        session.delete(row)
    session.flush()
    for role, grade in wanted.values():
        _, _, key = _scope(session, target, role, grade, None)
        exists = session.exec(select(RoleAssignment.id).where(RoleAssignment.person_id == person_id,
                                                              RoleAssignment.role == role.value,
                                                              RoleAssignment.scope_key == key)).first()
        if exists is None:
            assert target.id is not None
            session.add(RoleAssignment(person_id=person_id, role=role.value, district_id=target.district_id,
                                       school_id=target.id, grade=grade, scope_key=key))
    session.flush()
    audit(session, actor_id=actor_id, action="move_person", target=f"person:{person_id}", now=now,
          person_id=person_id, from_school_id=source.id, to_school_id=target.id, roles_ended=len(rows),
          roles_given=len(wanted))
    return len(wanted)


@dataclass(frozen=True)
class RoleRow:
    assignment_id: int
    role: str
    grade: int | None
    class_name: str | None


@dataclass(frozen=True)
class StaffRow:
    person_id: int
    name: str
    email: str | None
    phone: str | None
    roles: list[RoleRow]
    has_password: bool
    disabled: bool


def school_staff(session: Session, school_id: int) -> list[StaffRow]:
    """The school's staff (no student role holders), each with their roles here and their account state."""
    from models import Account

    rows = session.exec(
        select(RoleAssignment, Person, SchoolClass).join(Person, col(Person.id) == col(RoleAssignment.person_id))
        .outerjoin(SchoolClass, col(SchoolClass.id) == col(RoleAssignment.class_id))
        .where(RoleAssignment.school_id == school_id,
               col(RoleAssignment.role).not_in([r.value for r in STUDENT_ROLES]))
        .order_by(col(Person.name), col(Person.id), col(RoleAssignment.id))
    )
    people: dict[int, tuple[Person, list[RoleRow]]] = {}
    for assignment, person, klass in rows:
        assert person.id is not None and assignment.id is not None
        people.setdefault(person.id, (person, []))[1].append(
            RoleRow(assignment.id, assignment.role, assignment.grade, klass.name if klass else None))
    accounts = {a.person_id: a for a in session.exec(select(Account).where(col(Account.person_id).in_(list(people))))}

    def has_password(pid: int) -> bool:
        return pid in accounts and accounts[pid].password_hash != NO_PASSWORD

    return [StaffRow(pid, p.name, p.email, p.phone, roles, has_password(pid),
                     pid in accounts and accounts[pid].disabled)
            for pid, (p, roles) in people.items()]
