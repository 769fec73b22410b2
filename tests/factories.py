"""Small builders for tests: a district with schools, classes and role holders, written directly."""

from dataclasses import dataclass, field

from sqlmodel import Session, select

from models import District, Person, RoleAssignment, School, SchoolClass
from xinyu.grades import stage_of_grade
from xinyu.roles import Role


@dataclass
class SchoolFixture:
    school: School
    classes: list[SchoolClass] = field(default_factory=list)
    people: dict[str, Person] = field(default_factory=dict)  # role value (or homeroom:<class id>) → person

    @property
    def id(self) -> int:
        assert self.school.id is not None
        return self.school.id


def add_person(session: Session, *, name: str, role: Role, district: District, school: School | None = None,
               school_class: SchoolClass | None = None) -> Person:
    person = Person(identity=f"{district.name}/{school.name if school else ''}/{name}/{role}", name=name,
                    email=f"p{abs(hash(name)) % 10**8}@school.example.cn")
    session.add(person)
    session.flush()
    assert person.id is not None and district.id is not None
    scope = f"c{school_class.id}" if school_class else f"s{school.id}" if school else f"d{district.id}"
    session.add(RoleAssignment(person_id=person.id, role=role, district_id=district.id,
                               school_id=school.id if school else None,
                               class_id=school_class.id if school_class else None, scope_key=scope))
    return person


def make_school(session: Session, *, name: str = "青岛市实验小学", district_name: str = "市南区",
                grades: tuple[int, ...] = (4,), classes_per_grade: int = 2, pack: str = "qingdao",
                homeroom: bool = True) -> SchoolFixture:
    district = session.exec(select(District).where(District.name == district_name)).first() or District(
        name=district_name)
    session.add(district)
    session.flush()
    assert district.id is not None
    school = School(district_id=district.id, name=name, stage=stage_of_grade(max(grades)), pack=pack)
    session.add(school)
    session.flush()
    fixture = SchoolFixture(school=school)
    for grade in grades:
        for number in range(1, classes_per_grade + 1):
            school_class = SchoolClass(school_id=fixture.id, grade=grade, name=f"{number}班",
                                       stage=stage_of_grade(grade))
            session.add(school_class)
            session.flush()
            fixture.classes.append(school_class)
            if homeroom:
                fixture.people[f"homeroom:{school_class.id}"] = add_person(
                    session, name=f"{name}班主任{grade}-{number}", role=Role.homeroom, district=district,
                    school=school, school_class=school_class)
    for role in (Role.leader, Role.deputy, Role.health_vice_principal, Role.psych_teacher):
        fixture.people[role.value] = add_person(session, name=f"{name}{role.label}", role=role, district=district,
                                                school=school)
    if "district_officer" not in {p for p in fixture.people}:
        fixture.people["district_officer"] = add_person(session, name=f"{district_name}负责人{fixture.id}",
                                                        role=Role.district_officer, district=district)
    session.flush()
    return fixture
