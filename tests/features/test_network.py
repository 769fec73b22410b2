"""The school network against the roster: 心理委员 per class and dorm informants (QD-T10), Ganzhou's
健康委员 2+2 (GZ-5.1), psychology teachers per school and per 10 classes (QD-T2)."""

import csv
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd import given, parsers, scenarios, then, when
from sqlmodel import select

from models import District, RoleAssignment, School
from tests.features.support import Db, SchoolRef, step_text
from xinyu.clock import SHANGHAI
from xinyu.cycle import PackBook
from xinyu.network import DormSettingError, SchoolNetwork, district_network, school_network, set_dorms
from xinyu.roles import Role
from xinyu.roster import run_import
from xinyu.roster.errors import RosterError

scenarios("心理健康网络")

TODAY = date(2026, 3, 2)
COLUMNS = ("区县", "学校", "学段", "年级", "班级", "姓名", "角色", "邮箱", "手机", "性别", "专兼职")


@pytest.fixture
def outcome() -> dict[str, Any]:
    return {}


def _import(db: Db, packs_dir: Path, tmp_path: Path, school: SchoolRef, table: list[list[str]]) -> None:
    """The rows as a real staff roster file (区县、学校 filled in), imported through xinyu.roster."""
    header, *rows = table
    with db() as session:
        row = session.get(School, school.id)
        assert row is not None
        district = session.get(District, row.district_id)
        assert district is not None
        district_name = district.name
    path = tmp_path / "roster.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for cells in rows:
            given = {"区县": district_name, "学校": school.name, **dict(zip(header, cells, strict=True))}
            writer.writerow([given.get(column, "") for column in COLUMNS])
    with db() as session:
        run_import(session, path, now=datetime(2026, 3, 1, 9, tzinfo=SHANGHAI))


@given(step_text("学校导入以下学生角色名单："))
@given(step_text("学校导入以下教职工名单："))
def _(db: Db, packs_dir: Path, tmp_path: Path, school: SchoolRef, datatable: list[list[str]]) -> None:
    _import(db, packs_dir, tmp_path, school, datatable)


@when(step_text("学校导入以下学生角色名单："))
@when(step_text("学校导入以下教职工名单："))
def _(db: Db, packs_dir: Path, tmp_path: Path, school: SchoolRef, datatable: list[list[str]],
      outcome: dict[str, Any]) -> None:
    try:
        _import(db, packs_dir, tmp_path, school, datatable)
    except RosterError as exc:
        outcome["refused"] = exc


@then(step_text("名单被拒绝，第 {row:d} 行“{column}”列提示“{text}”"))
def _(outcome: dict[str, Any], row: int, column: str, text: str) -> None:
    error: RosterError = outcome["refused"]
    assert any(e.row == row and e.column == column and text in e.expected for e in error.errors), str(error)


@then(step_text("学校没有登记{role}"))
def _(db: Db, school: SchoolRef, role: str) -> None:
    with db() as session:
        held = session.exec(select(RoleAssignment).where(RoleAssignment.school_id == school.id)).all()
        assert not [r for r in held if Role(r.role).label == role]


def _set(db: Db, school: SchoolRef, dorms: int) -> None:
    with db() as session:
        row = session.get(School, school.id)
        assert row is not None
        set_dorms(session, row, boarding=True, dorms=dorms, by=None, now=datetime(2026, 3, 1, 9, tzinfo=SHANGHAI))


@given(step_text("学校设置为寄宿制学校，宿舍 {n:d} 间"))
def _(db: Db, school: SchoolRef, n: int) -> None:
    _set(db, school, n)


@when(step_text("学校设置为寄宿制学校，宿舍 {n:d} 间"))
def _(db: Db, school: SchoolRef, n: int, outcome: dict[str, Any]) -> None:
    try:
        _set(db, school, n)
    except DormSettingError as exc:
        outcome["refused"] = exc


@then(step_text("设置被拒绝，提示“{text}”"))
def _(db: Db, school: SchoolRef, outcome: dict[str, Any], text: str) -> None:
    assert text in str(outcome["refused"])
    with db() as session:
        row = session.get(School, school.id)
        assert row is not None and not row.boarding and row.dorms == 0


@given(step_text("学校的专职心理教师调离"))
def _(db: Db, school: SchoolRef) -> None:
    with db() as session:
        for row in session.exec(select(RoleAssignment).where(RoleAssignment.school_id == school.id,
                                                              RoleAssignment.role == Role.psych_teacher)):
            session.delete(row)


def _check(db: Db, book: PackBook, school: SchoolRef, today: date) -> SchoolNetwork:
    with db() as session:
        row = session.get(School, school.id)
        assert row is not None
        return school_network(session, row, book.pack(row.pack), today=today)


@when(step_text("核对学校的心理健康网络"), target_fixture="network")
def _(db: Db, book: PackBook, school: SchoolRef) -> SchoolNetwork:
    return _check(db, book, school, TODAY)


@when(parsers.parse("于 {day} 核对学校的心理健康网络"), target_fixture="network")
def _(db: Db, book: PackBook, school: SchoolRef, day: str) -> SchoolNetwork:
    return _check(db, book, school, date.fromisoformat(day))


def _class(network: SchoolNetwork, label: str, role: str) -> Any:
    found = [c for c in network.classes if c.label == label and c.role.label == role]
    assert len(found) == 1, [(c.label, c.role.label) for c in network.classes]
    return found[0]


@then(step_text("{label}的{role}未达标：“{problem}”"))
def _(network: SchoolNetwork, label: str, role: str, problem: str) -> None:
    check = _class(network, label, role)
    assert check.short and problem in check.problems, check.problems


@then(step_text("{label}的{role}达标"))
def _(network: SchoolNetwork, label: str, role: str) -> None:
    check = _class(network, label, role)
    assert not check.short, check.problems


@then(step_text("{label}的{role}有男 {men:d} 名、女 {women:d} 名"))
def _(network: SchoolNetwork, label: str, role: str, men: int, women: int) -> None:
    assert _class(network, label, role).by_gender() == {"男": men, "女": women}


@then(step_text("{grade}的班级不核对{role}"))
def _(network: SchoolNetwork, grade: str, role: str) -> None:
    assert network.classes, "没有核对任何班级"
    assert not [c for c in network.classes if c.label.startswith(grade) and c.role.label == role]


@then(step_text("未达标班级为 {n:d} 个"))
def _(network: SchoolNetwork, n: int) -> None:
    assert network.classes_short == n


@then(step_text("宿舍 {dorms:d} 间，心理信息员 {informants:d} 名，缺 {short:d} 名"))
def _(network: SchoolNetwork, dorms: int, informants: int, short: int) -> None:
    assert (network.dorms, network.dorm_informants, network.dorms_short) == (dorms, informants, short)


@then(step_text("专职心理教师 {full:d} 名，兼职 {part:d} 名，专职{state}"))
def _(network: SchoolNetwork, full: int, part: int, state: str) -> None:
    assert (network.full_time, network.part_time) == (full, part)
    assert network.full_time_ok is (state == "达标")


@then(step_text("{classes:d}个班需专兼职心理教师 {n:d} 名，配比{state}"))
def _(network: SchoolNetwork, classes: int, n: int, state: str) -> None:
    assert (network.classes_total, network.teachers_needed) == (classes, n)
    met, _, note = state.partition("，")
    assert network.ratio_ok is (met == "达标")
    assert network.ratio_in_force is (note != "尚未到期")
    assert network.staffing_short is (met == "未达标" and note != "尚未到期")


@when(step_text("区县负责人查看各校心理健康网络"), target_fixture="district_view")
def _(db: Db, book: PackBook, school: SchoolRef) -> list[dict[str, Any]]:
    with db() as session:
        row = session.get(School, school.id)
        assert row is not None
        return district_network(session, {row.district_id}, book=book, today=TODAY)


@then(step_text("区县看到“{name}”未达标班级 {n:d} 个"))
def _(district_view: list[dict[str, Any]], name: str, n: int) -> None:
    (row,) = [r for r in district_view if r["school"] == name]
    assert row["classes_short"] == n


@then(step_text("区县看到的内容中没有“{text}”"))
def _(district_view: list[dict[str, Any]], text: str) -> None:
    assert text not in json.dumps(district_view, ensure_ascii=False)


@then(step_text("学校看到{label}的{role}“{name}”"))
def _(db: Db, book: PackBook, school: SchoolRef, label: str, role: str, name: str) -> None:
    network = _check(db, book, school, TODAY)
    assert name in [h.name for h in _class(network, label, role).holders]
    assert name in json.dumps(network.school_json(), ensure_ascii=False)


