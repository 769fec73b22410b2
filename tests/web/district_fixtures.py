"""Escalations for the district's pages. The world's late work is at most a few working days late on its
evening, so its inbox is empty; these helpers fill a test's private copy with the real core.

Browser tests can call `raise_escalations(site.engine, site.book)` before an officer signs in.
"""

from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import District, Escalation, Person, RoleAssignment, School, Student, Task
from tests.web.world import NOW, TODAY, World
from xinyu.chase import run_chase
from xinyu.crisis.opening import open_crisis_case
from xinyu.cycle import PackBook
from xinyu.cycle.states import TaskStatus
from xinyu.db import transaction
from xinyu.roles import Role

WEEK_AGO = date(2026, 10, 13)  # five working days before the world's evening: the ladder's district rung


def raise_escalations(engine: Engine, book: PackBook) -> list[int]:
    """The world's open work due by today becomes due a week ago; the real chase, run at the world's evening,
    puts it in the district inbox (reason overdue): one item at each school of the world's district and one
    at the school of the other district. Returns the new items' ids."""
    with transaction(engine) as session:
        before = set(session.exec(select(Escalation.id)))
        late = list(session.exec(select(Task).where(Task.status == TaskStatus.open, Task.kind == "step",
                                                    col(Task.due) <= TODAY)))
        assert late, "the world has no open work due by today"
        for task in late:
            task.due = WEEK_AGO
        session.flush()
        run_chase(session, now=NOW, book=book)
        raised = sorted(i for i in session.exec(select(Escalation.id)) if i is not None and i not in before)
    assert raised, "the chase raised nothing"
    return raised


def report_major_crises(engine: Engine, book: PackBook, world: World, count: int = 1) -> list[int]:
    """重大 crisis cases at the other school of the district: each reaches the district inbox at once."""
    with transaction(engine) as session:
        students = list(session.exec(select(Student).where(Student.school_id == world.other_school_id)
                                     .order_by(col(Student.id)).limit(count)))
        handler = _psych_of(session, world.other_school_id)
        ids = []
        for student in students:
            assert student.id is not None
            opened = open_crisis_case(session, school_id=world.other_school_id, student_id=student.id, level="重大",
                                      handler_id=handler, by=handler, now=NOW, book=book)
            assert opened.district_escalation_id is not None
            ids.append(opened.district_escalation_id)
    return ids


def _psych_of(session: Session, school_id: int) -> int | None:
    query = select(Person.id).join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
    return session.exec(query.where(RoleAssignment.school_id == school_id,
                                    RoleAssignment.role == Role.psych_teacher)).first()


def crowd_the_inbox(engine: Engine, book: PackBook, world: World, *, extra_schools: int = 5,
                    classes_per_grade: int = 6) -> list[int]:
    """A busy district inbox (~100 items over several schools), by the real core: `extra_schools` more
    schools join the world's district and open their October cycle; then every open task of the district
    falls due a week ago and the chase, run at the world's evening, raises them all. Returns the new ids."""
    from tests.factories import make_school
    from xinyu.cycle import advance

    with transaction(engine) as session:
        district = session.get(District, world.district_id)
        assert district is not None
        for n in range(extra_schools):
            make_school(session, name=f"青岛市第{n + 3}实验小学", district_name=district.name, grades=(3, 4, 5),
                        classes_per_grade=classes_per_grade)
    with transaction(engine) as session:
        advance(session, now=NOW, book=book)
    with transaction(engine) as session:
        before = set(session.exec(select(Escalation.id)))
        late = list(session.exec(select(Task).join(School, col(School.id) == col(Task.school_id))
                                 .where(Task.status == TaskStatus.open, School.district_id == world.district_id)))
        for task in late:
            task.due = WEEK_AGO
        session.flush()
        run_chase(session, now=NOW, book=book)
        return sorted(i for i in session.exec(select(Escalation.id)) if i is not None and i not in before)
