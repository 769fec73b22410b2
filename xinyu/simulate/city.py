"""The sample city a simulation runs on: xinyu.sample rosters, imported through the real importer.

One roster for the whole city (school names and phones are then unique), its schools dealt out to
districts of about `SCHOOLS_PER_DISTRICT`, so that district digests and inboxes have a realistic size.
Each district gets one officer. Students (and so screening results, ledgers B–D) only when asked: the
monthly loop itself does not need them, and 40 a class is most of the import's time.
"""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from xinyu import sample
from xinyu.roles import Role
from xinyu.roster import import_file

CITY = "青岛市"
# Qingdao's districts and county-level cities; more districts than these are numbered.
DISTRICTS = ("市南区", "市北区", "李沧区", "崂山区", "黄岛区", "城阳区", "即墨区", "胶州市", "平度市", "莱西市")
SCHOOLS_PER_DISTRICT = 150
STUDENTS_PER_CLASS = 40
OFFICER_NAMES = ("周卫东", "吴晓琳", "郑国庆", "孙丽华", "马建军", "朱海燕", "胡志刚", "林秀英", "何振华", "高玉梅")


@dataclass(frozen=True)
class CityPlan:
    schools: int
    classes: int
    seed: int
    students: bool = False

    @property
    def districts(self) -> list[str]:
        count = max(1, round(self.schools / SCHOOLS_PER_DISTRICT))
        return [f"{CITY}{DISTRICTS[i]}" if i < len(DISTRICTS) else f"{CITY}第{i + 1}区" for i in range(count)]


def city_rows(plan: CityPlan) -> tuple[list[sample.Row], list[sample.Row]]:
    """(staff rows, student rows): the city's schools in consecutive runs per district, one officer each."""
    staff = [r for r in sample.sample_roster_rows(district=CITY, schools=plan.schools,
                                                  classes_per_school=plan.classes, seed=plan.seed)
             if r["角色"] != Role.district_officer.label]
    districts = plan.districts
    per_district = -(-plan.schools // len(districts))
    order: dict[str, int] = {}
    for row in staff:
        index = order.setdefault(row["学校"], len(order))
        row["区县"] = districts[index // per_district]
    officers = [
        # 199 is not among the sample's phone prefixes: an officer's number never meets a teacher's.
        dict(zip(sample.STAFF_COLUMNS, (district, "", "", "", "", OFFICER_NAMES[i % len(OFFICER_NAMES)],
                                        Role.district_officer.label, f"officer{i + 1}@edu.example.cn",
                                        f"199{i + 1:08d}"), strict=True))
        for i, district in enumerate(districts)
    ]
    students = sample.sample_student_rows(staff, per_class=STUDENTS_PER_CLASS, seed=plan.seed) if plan.students else []
    return officers + staff, students


def build_city(engine: Engine, plan: CityPlan, *, workdir: Path, now: datetime) -> list[str]:
    """Write the roster (and student list) as schools send them and import them; the importer's summaries."""
    staff, students = city_rows(plan)
    workdir.mkdir(parents=True, exist_ok=True)
    files = [sample.write_csv(workdir / "教职工名册.csv", staff, encoding="gbk")]
    if students:
        files.append(sample.write_csv(workdir / "学生名单.csv", students))
    return [import_file(engine, path, now=now).summary() for path in files]
