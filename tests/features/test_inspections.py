"""QD-S2 district inspections: a finding becomes the school leader's rectification task without an escalation
first, climbs the pack's ladder, closes with the task; each school's inspections counted against the minimum."""

from datetime import date, datetime

from pytest_bdd import given, scenarios, then, when
from sqlalchemy import func
from sqlmodel import Session, select

from models import District, Inspection, InspectionFinding, School
from tests.features.support import Attempt, Db, SchoolRef, snapshot, step_text
from tests.features.test_chase_steps import *  # noqa: F403  (the chase's shared steps)
from tests.features.test_chase_steps import district_officers
from xinyu.cycle import PackBook
from xinyu.inspections import FindingInput, InspectionError, open_findings, record_inspection, school_inspections

scenarios("催办与督办/专项巡查.feature")


def _state(session: Session, school: SchoolRef) -> dict[str, object]:
    return {**snapshot(session, school),
            "inspections": session.exec(select(func.count()).select_from(Inspection)).one(),
            "findings": session.exec(select(func.count()).select_from(InspectionFinding)).one()}


def _record(db: Db, book: PackBook, school: SchoolRef, at: datetime, held_on: date, school_name: str, text: str,
            n: int) -> Attempt:
    with db() as session:
        before = _state(session, school)
    error = None
    try:
        with db() as session:
            officer = district_officers(session, school)[0]
            target = session.exec(select(School).where(School.name == school_name)).one()
            assert officer.id is not None and target.id is not None
            record_inspection(session, district_id=target.district_id, held_on=held_on, inspector_id=officer.id,
                              findings=[FindingInput(target.id, text)], workdays=n, now=at, book=book)
    except InspectionError as exc:
        error = str(exc)
    with db() as session:
        after = _state(session, school)
    return Attempt(error=error, before=before, after=after)


RECORD = "区县负责人于 {at:At} 登记 {held_on:Day} 对{school_name}的专项巡查，发现“{text}”，限{n:d}个工作日整改"


@given(step_text(RECORD))
def _(db: Db, book: PackBook, school: SchoolRef, at: datetime, held_on: date, school_name: str, text: str,
      n: int) -> None:
    done = _record(db, book, school, at, held_on, school_name, text, n)
    assert done.error is None, done.error


@when(step_text(RECORD), target_fixture="attempt")
def _(db: Db, book: PackBook, school: SchoolRef, at: datetime, held_on: date, school_name: str, text: str,
      n: int) -> Attempt:
    return _record(db, book, school, at, held_on, school_name, text, n)


def _district_ids(session: Session, name: str) -> set[int]:
    district = session.exec(select(District).where(District.name == name)).one()
    assert district.id is not None
    return {district.id}


@then(step_text("在 {day:Day}，{district}未整改的巡查问题为："))
def _(db: Db, book: PackBook, day: date, district: str, datatable: list[list[str]]) -> None:
    with db() as session:
        found = open_findings(session, today=day, book=book, district_ids=_district_ids(session, district))
    shown = [[f.school, f.held_on.isoformat(), f.text, f.due.isoformat()] for f in found]
    assert [datatable[0], *shown] == datatable, shown


@then(step_text("在 {day:Day}，{district}没有未整改的巡查问题"))
def _(db: Db, book: PackBook, day: date, district: str) -> None:
    with db() as session:
        found = open_findings(session, today=day, book=book, district_ids=_district_ids(session, district))
    assert not found, found


@then(step_text("{year:d}年{district}各校专项巡查情况为："))
def _(db: Db, book: PackBook, year: int, district: str, datatable: list[list[str]]) -> None:
    with db() as session:
        rows = school_inspections(session, year=year, book=book, district_ids=_district_ids(session, district))
    shown = [[r.school, str(r.count), str(r.minimum) if r.minimum is not None else "未设要求",
              ("未达要求" if r.short else "达到要求") if r.minimum is not None else "—", str(r.open_findings)]
             for r in rows]
    assert [datatable[0], *shown] == datatable, shown
