"""QD-T9: training hours per person and year against the minimum of their role (xinyu/training)."""

from datetime import date, datetime

from pytest_bdd import given, parsers, scenarios, then, when
from sqlmodel import Session, select

from models import RecordRevision, RoleAssignment, School, TrainingRecord
from tests.features.support import Db, SchoolRef, holder, step_text
from xinyu.clock import SHANGHAI
from xinyu.cycle import PackBook
from xinyu.roles import Role
from xinyu.training import SchoolProgress, TrainingError, add_training, school_progress

scenarios("培训")

RECORDED_AT = datetime(2026, 6, 30, 18, 0, tzinfo=SHANGHAI)


def _add(session: Session, school: SchoolRef, who: str, on: date, hours: str, topic: str, now: datetime) -> None:
    row = session.get(School, school.id)
    assert row is not None
    from xinyu.training.records import parse_hours
    add_training(session, school=row, person_id=holder(session, school, who).person_id, held_on=on,
                 hours=parse_hours(hours), topic=topic, by=None, now=now)


def _progress(db: Db, book: PackBook, school: SchoolRef, year: int) -> SchoolProgress:
    with db() as session:
        row = session.get(School, school.id)
        assert row is not None
        rule = book.pack(row.pack).training
        assert rule is not None
        return school_progress(session, row, rule, year=year)


@given("以下培训已录入：")
def _(db: Db, school: SchoolRef, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    with db() as session:
        for row in rows:
            r = dict(zip(header, row, strict=True))
            _add(session, school, r["人员"], date.fromisoformat(r["日期"]), r["课时"], r["主题"], RECORDED_AT)
        session.commit()


@given(step_text("{who}在花名册上注明为专职"))
def _(db: Db, school: SchoolRef, who: str) -> None:
    with db() as session:
        person = holder(session, school, who)
        assignment = session.exec(select(RoleAssignment).where(RoleAssignment.person_id == person.person_id,
                                                               RoleAssignment.role == Role.psych_teacher)).one()
        assignment.tenure = "专职"
        session.add(assignment)
        session.commit()


@then(step_text("{year:d}年的培训学时为："))
def _(db: Db, book: PackBook, school: SchoolRef, year: int, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    progress = _progress(db, book, school, year)
    with db() as session:
        names = {holder(session, school, r[0]).person_id: r[0] for r in rows}
    actual = [[names.get(p.person_id, p.name), p.category, f"{p.hours:g}", str(p.minimum), "是" if p.reached else "否"]
              for p in progress.people if p.person_id in names]
    assert sorted(actual) == sorted(rows)


@then(step_text("{year:d}年{who}的培训学时为 {hours}"))
def _(db: Db, book: PackBook, school: SchoolRef, year: int, who: str, hours: str) -> None:
    with db() as session:
        person_id = holder(session, school, who).person_id
    found = [p for p in _progress(db, book, school, year).people if p.person_id == person_id]
    assert [f"{p.hours:g}" for p in found] == [hours]


@then(step_text("{year:d}年{who}按“{category}”计，最低{minimum:d}课时，差{short}课时"))
def _(db: Db, book: PackBook, school: SchoolRef, year: int, who: str, category: str, minimum: int,
      short: str) -> None:
    with db() as session:
        person_id = holder(session, school, who).person_id
    (found,) = [p for p in _progress(db, book, school, year).people if p.person_id == person_id]
    assert (found.category, found.minimum, f"{found.minimum - found.hours:g}", found.reached) == (
        category, minimum, short, False)


@when(parsers.re(r"在 (?P<today>\S+) 录入(?P<who>\S+?) (?P<on>\S+) 的培训“(?P<topic>[^”]*)” (?P<hours>\S+) 课时"),
      target_fixture="refusal")
def _(db: Db, school: SchoolRef, today: str, who: str, on: str, topic: str, hours: str) -> str | None:
    now = datetime.combine(date.fromisoformat(today), datetime.min.time().replace(hour=18), tzinfo=SHANGHAI)
    try:
        with db() as session:
            _add(session, school, who, date.fromisoformat(on), hours, topic, now)
            session.commit()
    except TrainingError as exc:
        return str(exc)
    return None


@then(step_text("培训被拒绝，提示“{text}”"))
def _(refusal: str | None, text: str) -> None:
    assert refusal is not None and text in refusal, refusal


@then("没有任何培训记录")
def _(db: Db) -> None:
    with db() as session:
        assert session.exec(select(TrainingRecord)).first() is None
        assert session.exec(select(RecordRevision).where(RecordRevision.kind == "training")).first() is None
