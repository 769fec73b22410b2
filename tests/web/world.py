"""The web tests' world: a sample district run through October 2026 by the real core, plus a school
of another district, with passwords for one person of each role. Built once per test session."""

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import District, Person, RoleAssignment, School, SchoolClass, Student
from tests.factories import make_school
from xinyu.accounts import set_password
from xinyu.clock import parse_at
from xinyu.crisis.opening import open_crisis_case
from xinyu.cycle import PackBook
from xinyu.demo import load_demo_district
from xinyu.month_run import run_days
from xinyu.roles import Role

PASSWORD = "xinyu-test-2026"
TODAY = date(2026, 10, 20)  # 5 working days after the first due dates: the district inbox has items
NOW = parse_at("2026-10-20T18:00")


@dataclass(frozen=True)
class Account:
    person_id: int
    name: str
    login: str  # email
    school_id: int | None = None
    class_id: int | None = None


@dataclass
class World:
    district_id: int
    school_id: int  # the school the accounts below work at
    other_school_id: int  # same district, other staff
    foreign_school_id: int  # another district
    accounts: dict[str, Account] = field(default_factory=dict)  # leader, psych, homeroom, officer, ...
    student_names: list[str] = field(default_factory=list)  # every student name in the world
    crisis_case_id: int | None = None


def build_world(engine: Engine, book: PackBook, workdir: Path) -> World:
    load_demo_district(engine, workdir=workdir, schools=2, classes=4, seed=7)
    with Session(engine) as session:
        foreign_id = make_school(session, name="崂山区第一中学", district_name="青岛市崂山区", grades=(7,)).id
        session.commit()
    # The web tests were written against the people of this world, whose plans were drawn by task id (one
    # process builds it, so ids are stable); xinyu.simulation now draws them by what the task is.
    run_days(engine, first=date(2026, 10, 1), last=TODAY, book=book, ledger_day=date(2026, 10, 9),
             identity=lambda task, _origin: str(task.id))
    with Session(engine, expire_on_commit=False) as session:
        schools = list(session.exec(select(School).order_by(col(School.id))))
        demo = [s for s in schools if s.id != foreign_id]
        school, other, foreign = demo[0], demo[1], next(s for s in schools if s.id == foreign_id)
        assert school.id is not None and other.id is not None and foreign.id is not None
        world = World(district_id=school.district_id, school_id=school.id, other_school_id=other.id,
                      foreign_school_id=foreign.id)
        wanted = {
            "leader": (Role.leader, school.id), "psych": (Role.psych_teacher, school.id),
            "homeroom": (Role.homeroom, school.id), "other_leader": (Role.leader, other.id),
            "other_homeroom": (Role.homeroom, other.id), "foreign_leader": (Role.leader, foreign.id),
        }
        for key, (role, school_id) in wanted.items():
            world.accounts[key] = _account(session, role, school_id=school_id)
        district = session.get(District, school.district_id)
        assert district is not None
        world.accounts["officer"] = _account(session, Role.district_officer, district_id=district.id)
        world.accounts["foreign_officer"] = _account(session, Role.district_officer,
                                                     district_id=foreign.district_id)
        world.accounts["admin"] = _district_admin(session, district.id or 0)
        for account in world.accounts.values():
            set_password(session, person_id=account.person_id, password=PASSWORD, now=NOW)
        world.student_names = list(session.exec(select(Student.name)))
        homeroom = world.accounts["homeroom"]
        student = session.exec(select(Student).where(Student.class_id == homeroom.class_id)).first()
        assert student is not None and student.id is not None
        opened = open_crisis_case(session, school_id=school.id, student_id=student.id, level="严重",
                                  handler_id=world.accounts["psych"].person_id,
                                  by=world.accounts["psych"].person_id, now=NOW, book=book)
        world.crisis_case_id = opened.case.id
        session.commit()
    return world


def _district_admin(session: Session, district_id: int) -> Account:
    """The district's 区县管理员 (made by `xinyu account create-admin` in a real district)."""
    person = Person(identity="admin@district.example.cn", name="区县管理员甲", email="admin@district.example.cn")
    session.add(person)
    session.flush()
    session.add(RoleAssignment(person_id=person.id or 0, role=Role.district_admin.value, district_id=district_id,
                               scope_key=f"d{district_id}"))
    session.flush()
    return _account(session, Role.district_admin, district_id=district_id)


def _account(session: Session, role: Role, *, school_id: int | None = None, district_id: int | None = None) -> Account:
    query = (select(Person, RoleAssignment).join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
             .where(RoleAssignment.role == role).order_by(col(RoleAssignment.id)))
    if school_id is not None:
        query = query.where(RoleAssignment.school_id == school_id)
    if district_id is not None:
        query = query.where(RoleAssignment.district_id == district_id, col(RoleAssignment.school_id).is_(None))
    found = session.exec(query).first()
    assert found is not None, (role, school_id, district_id)
    person, assignment = found
    assert person.id is not None
    if not person.email:
        person.email = f"p{person.id}@school.example.cn"
    class_id = assignment.class_id
    if class_id is not None:
        assert session.get(SchoolClass, class_id) is not None
    return Account(person.id, person.name, person.email, assignment.school_id, class_id)
