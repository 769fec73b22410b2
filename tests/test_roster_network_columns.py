"""The staff roster's 性别 (student role holders, GZ-5.1) and 专兼职 (psychology teachers, QD-T2) columns."""

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import RoleAssignment
from tests.roster_files import STAFF_HEADERS, write_table
from xinyu.clock import SHANGHAI
from xinyu.roster import Kind, RosterError, detect_kind, import_file

AT = datetime(2026, 9, 1, 9, tzinfo=SHANGHAI)
HEADERS = [*STAFF_HEADERS, "性别", "专兼职"]
BASE = ["章贡区", "赣州市网络小学", "小学"]


def _rows(*rows: list[str]) -> list[list[str]]:
    return [[*BASE, *row] for row in rows]


def _held(engine: Engine) -> dict[str, tuple[str | None, str | None]]:
    with Session(engine) as session:
        return {f"{r.role}:{r.person_id}": (r.gender, r.tenure) for r in session.exec(select(RoleAssignment))}


def test_a_staff_roster_with_a_gender_column_is_still_a_staff_roster(tmp_path: Path) -> None:
    path = write_table(tmp_path / "staff.csv", HEADERS, _rows(["", "", "钟校长", "组长", "", "", "", ""]))
    assert detect_kind(path) is Kind.staff


def test_gender_and_tenure_are_kept_and_a_later_roster_fills_them_in(engine: Engine, tmp_path: Path,
                                                                     packs_dir: Path) -> None:
    first = _rows(["四年级", "1班", "刘一", "健康委员", "", "", "男", ""],
                  ["四年级", "1班", "刘二", "心理委员", "", "", "", ""],
                  ["", "", "曾老师", "心理教师", "", "13900000101", "", ""],
                  ["", "", "邱老师", "兼职心理教师", "", "13900000102", "", ""])
    result = import_file(engine, write_table(tmp_path / "a.csv", HEADERS, first),
                         pack="ganzhou", now=AT)
    assert result.count("roles").created == 4
    assert sorted(_held(engine).values(), key=str) == sorted(
        [("男", None), (None, None), (None, "专职"), (None, "兼职")], key=str)
    again = _rows(["四年级", "1班", "刘二", "心理委员", "", "", "女", ""],
                  ["", "", "曾老师", "心理教师", "", "13900000101", "", "兼职"])
    result = import_file(engine, write_table(tmp_path / "b.csv", HEADERS, again), now=AT)
    assert (result.count("roles").created, result.count("roles").updated) == (0, 2)
    assert sorted(_held(engine).values(), key=str) == sorted(
        [("男", None), ("女", None), (None, "兼职"), (None, "兼职")], key=str)


@pytest.mark.parametrize(("row", "column", "words"), [
    (["四年级", "1班", "刘一", "健康委员", "", "", "", ""], "性别", "健康委员应填写性别"),
    (["四年级", "1班", "刘一", "心理委员", "", "", "X", ""], "性别", "不是可识别的性别"),
    (["", "", "曾老师", "心理教师", "", "", "", "半职"], "专兼职", "应为：专职、兼职"),
    (["", "", "曾老师", "兼职心理教师", "", "", "", "专职"], "专兼职", "矛盾"),
    (["", "", "钟校长", "组长", "", "", "", "专职"], "专兼职", "只用于心理教师"),
])
def test_bad_cells_are_refused_with_row_and_column(engine: Engine, tmp_path: Path, packs_dir: Path,
                                                   row: list[str], column: str, words: str) -> None:
    path = write_table(tmp_path / "bad.csv", HEADERS, _rows(["", "", "钟校长", "组长", "", "", "", ""], row))
    with pytest.raises(RosterError) as info:
        import_file(engine, path, pack="ganzhou", now=AT)
    assert any(e.row == 3 and e.column == column and words in e.expected for e in info.value.errors), str(info.value)
    assert not _held(engine)
