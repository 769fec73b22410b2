"""Benchmark organisation, written in bulk (not timed): districts, schools, classes, role holders.

Ids are assigned here (the database is fresh), so every table is one `insert(Model)` executemany:
no per-row ORM adds and no read-backs. The shape follows tests/factories.py: each school has a
leader, a deputy, a health vice-principal, a psychology teacher and a homeroom teacher per class;
each district has an officer (the monthly report is emailed to them).
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, insert

from models import CourseRecord, District, Person, RoleAssignment, School, SchoolClass
from xinyu.cycle import PackBook
from xinyu.db import transaction
from xinyu.grades import stage_of_grade
from xinyu.roles import Role
from xinyu.simulation import course_plan

SCHOOLS_PER_DISTRICT = 100
SCHOOL_ROLES = (Role.leader, Role.deputy, Role.health_vice_principal, Role.psych_teacher)
# Even schools are primary (grades 1–6), odd ones lower secondary (grades 7–9): both kinds of
# screening task appear, as in a real district.
PRIMARY_GRADES = (1, 2, 3, 4, 5, 6)
SECONDARY_GRADES = (7, 8, 9)


@dataclass
class OrgCounts:
    districts: int = 0
    schools: int = 0
    classes: int = 0
    people: int = 0
    roles: int = 0
    course_records: int = 0


def build_org(engine: Engine, *, schools: int, classes: int, month: str, book: PackBook, seed: int = 7,
              course_skip_rate: float = 0.12, pack: str = "qingdao") -> OrgCounts:
    """Write the organisation and the month's course records (the homeroom teachers' "1+1" log)."""
    work = book.calendar(pack)
    districts = (schools + SCHOOLS_PER_DISTRICT - 1) // SCHOOLS_PER_DISTRICT
    district_rows: list[dict[str, Any]] = [{"id": d, "name": f"基准区{d:03d}"} for d in range(1, districts + 1)]
    school_rows: list[dict[str, Any]] = []
    class_rows: list[dict[str, Any]] = []
    person_rows: list[dict[str, Any]] = []
    role_rows: list[dict[str, Any]] = []
    course_rows: list[dict[str, Any]] = []

    def person(name: str, role: Role, district_id: int, school_id: int | None, class_id: int | None) -> None:
        person_id = len(person_rows) + 1
        person_rows.append({"id": person_id, "identity": f"bench/{person_id}", "name": name,
                            "email": f"p{person_id}@bench.example.cn", "phone": None})
        scope = f"c{class_id}" if class_id else f"s{school_id}" if school_id else f"d{district_id}"
        role_rows.append({"id": len(role_rows) + 1, "person_id": person_id, "role": role.value,
                          "district_id": district_id, "school_id": school_id, "grade": None,
                          "class_id": class_id, "scope_key": scope})

    for district in district_rows:
        person(f"{district['name']}负责人", Role.district_officer, district["id"], None, None)
    for school_id in range(1, schools + 1):
        district_id = (school_id - 1) // SCHOOLS_PER_DISTRICT + 1
        grades = PRIMARY_GRADES if school_id % 2 == 0 else SECONDARY_GRADES
        kind = "小学" if school_id % 2 == 0 else "中学"
        name = f"基准第{school_id}{kind}"
        school_rows.append({"id": school_id, "district_id": district_id, "name": name,
                            "stage": stage_of_grade(max(grades)), "pack": pack})
        for n in range(classes):
            grade = grades[n % len(grades)]
            class_id = len(class_rows) + 1
            class_rows.append({"id": class_id, "school_id": school_id, "grade": grade,
                               "name": f"{n // len(grades) + 1}班", "stage": stage_of_grade(grade)})
            person(f"{name}班主任{class_id}", Role.homeroom, district_id, school_id, class_id)
            for day, course_kind in course_plan(class_id, month, work, seed, course_skip_rate):
                course_rows.append({"school_id": school_id, "class_id": class_id, "held_on": day,
                                    "kind": course_kind, "periods": 1, "recorded_by_id": None,
                                    "topic": "认识情绪，学会调节" if course_kind == "lesson" else "心理拓展活动"})
        for role in SCHOOL_ROLES:
            person(f"{name}{role.label}", role, district_id, school_id, None)

    with transaction(engine) as session:
        for model, rows in ((District, district_rows), (School, school_rows), (SchoolClass, class_rows),
                            (Person, person_rows), (RoleAssignment, role_rows), (CourseRecord, course_rows)):
            if rows:
                session.execute(insert(model), rows)
    return OrgCounts(districts=len(district_rows), schools=len(school_rows), classes=len(class_rows),
                     people=len(person_rows), roles=len(role_rows), course_records=len(course_rows))
