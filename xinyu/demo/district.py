"""The demo's sample district (青岛市市南区): roster files as schools send them, imported; its accounts.

The people are drawn from the seed: with the defaults (6 schools × 8 classes, seed 7) the four demo accounts
are always the same logins (README, tests).
"""

from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import Person, RoleAssignment, School
from xinyu.accounts import set_password
from xinyu.clock import parse_at
from xinyu.roles import Role

DISTRICT = "青岛市市南区"
DEMO_PASSWORD = "xinyu-demo"  # demo data only: printed so that anyone can look around
IMPORTED_AT = "2026-10-08T17:00"  # default arrival of the files (the web tests' October world counts on it)


def write_demo_files(workdir: Path, *, schools: int = 6, classes: int = 8, seed: int = 7,
                     screening_year: int = 2026) -> list[Path]:
    """The staff roster (GBK CSV, as older Excel saves), the student list (UTF-8 CSV) and the screening
    provider's results for the autumn of `screening_year` (XLSX), in that order."""
    from xinyu import sample

    workdir.mkdir(parents=True, exist_ok=True)
    staff = sample.sample_roster_rows(district=DISTRICT, schools=schools, classes_per_school=classes, seed=seed)
    students = sample.sample_student_rows(staff, seed=seed)
    screening = sample.sample_screening_rows(students, seed=seed, year=screening_year)
    files = [workdir / "教职工名册.csv", workdir / "学生名单.csv", workdir / "心理测评结果.xlsx"]
    sample.write_csv(files[0], staff, encoding="gbk")
    sample.write_csv(files[1], students)
    sample.write_xlsx(files[2], screening)
    return files


def import_demo_files(engine: Engine, files: list[Path], *, now: datetime) -> list[str]:
    """Import the files as the command line does; each one's summary."""
    from xinyu.roster import import_file

    return [import_file(engine, path, now=now).summary() for path in files]


def load_demo_district(engine: Engine, *, workdir: Path, schools: int = 6, classes: int = 8, seed: int = 7,
                       now: datetime | None = None, screening_year: int = 2026) -> str:
    """Write the sample district's three files and import them at `now`; the summaries, one a line."""
    files = write_demo_files(workdir, schools=schools, classes=classes, seed=seed, screening_year=screening_year)
    return "\n".join(f"  {line}" for line in import_demo_files(engine, files, now=now or parse_at(IMPORTED_AT)))


# (what they are, role): the demo's four accounts; the first three in the first school.
ACCOUNT_ROLES = (("组长（校长）", Role.leader), ("专职心理教师", Role.psych_teacher), ("班主任", Role.homeroom),
                 ("区县负责人", Role.district_officer))


def demo_accounts(session: Session, *, now: datetime) -> list[tuple[str, str, str]]:
    """One person of each kind gets the demo password: (what they are, name, login)."""
    first = session.exec(select(School).order_by(col(School.id))).first()
    assert first is not None and first.id is not None
    accounts = []
    for label, role in ACCOUNT_ROLES:
        query = (select(Person).join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
                 .where(RoleAssignment.role == role, col(Person.email).is_not(None)).order_by(col(RoleAssignment.id)))
        if role != Role.district_officer:
            query = query.where(RoleAssignment.school_id == first.id)
        person = session.exec(query).first()
        if person is None or person.id is None or not person.email:
            continue
        set_password(session, person_id=person.id, password=DEMO_PASSWORD, now=now)
        accounts.append((label, person.name, person.email))
    return accounts


__all__ = ["DEMO_PASSWORD", "DISTRICT", "demo_accounts", "import_demo_files", "load_demo_district", "write_demo_files"]
