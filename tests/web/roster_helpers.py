"""A school's roster as its leader would download it from the records: one row per person and role."""

import csv
import io
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import District, Person, RoleAssignment, School, SchoolClass
from tests.roster_files import STAFF_HEADERS
from xinyu.grades import grade_label, stage_of_grade
from xinyu.roles import Role

HEADERS = [*STAFF_HEADERS, "性别"]


def school_roster(engine: Engine, school_id: int) -> list[list[Any]]:
    """The rows that say exactly what the school's role assignments say (importing them changes nothing)."""
    with Session(engine) as session:
        school = session.get(School, school_id)
        assert school is not None
        district = session.get(District, school.district_id)
        assert district is not None
        rows = session.exec(
            select(RoleAssignment, Person, SchoolClass)  # type: ignore[call-overload]
            .join(Person, col(Person.id) == col(RoleAssignment.person_id))
            .outerjoin(SchoolClass, col(SchoolClass.id) == col(RoleAssignment.class_id))
            .where(RoleAssignment.school_id == school_id).order_by(col(RoleAssignment.id)))
        out = []
        for role, person, klass in rows:
            grade = klass.grade if klass is not None else role.grade
            stage = klass.stage if klass is not None else stage_of_grade(grade) if grade else school.stage
            out.append([district.name, school.name, stage, grade_label(grade) if grade else "",
                        klass.name if klass is not None else "", person.name, Role(role.role).label,
                        person.email or "", person.phone or "", role.gender or ""])
        return out


def as_csv(rows: list[list[Any]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)
