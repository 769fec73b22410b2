"""Inputs (issue 11, item 8 and part of 10): bounds from the pack, lessons of at least one period, no
invisible control character in any text people type or import, workbooks read whole."""

from datetime import date
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import CourseRecord, School, SchoolClass
from tests.roster_files import (
    SCREENING_HEADERS,
    STAFF_ROWS,
    STUDENT_HEADERS,
    STUDENT_ROWS,
    row_counts,
    staff_file,
    with_row,
    write_table,
)
from xinyu.courses.status import class_statuses
from xinyu.cycle import PackBook
from xinyu.cycle.evidence import EvidenceError, parse_evidence
from xinyu.packs import EvidenceField, PackError, load_pack_file
from xinyu.roster import RosterError, import_file
from xinyu.text_input import TextInputError, check_text

UNSAFE = ["\x00", "\u202e", "\u202a", "\u2066", "\u2069", "\x07", "\x1b", "\u200f", "\x85"]


@pytest.mark.parametrize("char", UNSAFE)
def test_the_shared_check_refuses_invisible_controls_and_names_them(char: str) -> None:
    with pytest.raises(TextInputError, match=rf"理由含有不可见的控制字符（U\+{ord(char):04X}.*第 3 个字符"):
        check_text("请假" + char + "三天", "理由", multiline=True)


def test_the_shared_check_keeps_ordinary_text_and_line_breaks_where_allowed() -> None:
    text = "第一行\n第二行\t（含制表符）　全角空格 English ① 😀"
    assert check_text(text, "纪要", multiline=True) == text
    with pytest.raises(TextInputError, match="换行符"):
        check_text("王\n老师", "姓名")


def _int_fields(node: object) -> list[dict[str, object]]:
    if isinstance(node, dict):
        own = [node] if node.get("type") == "int" else []
        return own + [f for value in node.values() for f in _int_fields(value)]
    if isinstance(node, list):
        return [f for value in node for f in _int_fields(value)]
    return []


def test_every_int_field_of_the_shipped_packs_has_bounds(packs_dir: Path) -> None:
    for path in sorted(packs_dir.glob("*.yaml")):
        found = _int_fields(yaml.safe_load(path.read_text(encoding="utf-8")))
        assert found and all(isinstance(f.get("min"), int) and isinstance(f.get("max"), int) for f in found), path.name


def test_a_count_defaults_to_at_least_zero_and_the_pack_sets_the_range() -> None:
    count = EvidenceField(name="n", label="人数", type="int", required=True)
    assert count.bounds[0] == 0
    with pytest.raises(EvidenceError, match=r"“人数”（n）应在 0 到 .* 之间，实为 -3"):
        parse_evidence((count,), {"n": "-3"})
    capped = EvidenceField(name="n", label="人数", type="int", min=1, max=60)
    assert parse_evidence((capped,), {"n": "60"}) == {"n": 60}
    for bad in ("0", "61", "99999999999999999999"):
        with pytest.raises(EvidenceError, match="应在 1 到 60 之间"):
            parse_evidence((capped,), {"n": bad})
    with pytest.raises(EvidenceError, match="应为整数"):
        parse_evidence((capped,), {"n": "１２"})  # full-width digits are not a number typed on purpose


def test_a_pack_with_bad_bounds_is_refused(packs_dir: Path, tmp_path: Path) -> None:
    text = (packs_dir / "qingdao.yaml").read_text(encoding="utf-8")
    for wrong, message in (("type: int, min: 0, max: 200,", "max（-1）小于 min"),
                           ("type: text, min: 0,", "min/max 只用于 type: int")):
        broken = text.replace("type: int, min: 0, max: 200,", wrong.replace("max: 200", "max: -1"), 1)
        (tmp_path / "qingdao.yaml").write_text(broken, encoding="utf-8")
        with pytest.raises(PackError, match=message):
            load_pack_file(tmp_path / "qingdao.yaml")


@pytest.mark.parametrize("char", ["\x00", "\u202e", "\u2067"])
def test_evidence_text_with_controls_is_refused(char: str) -> None:
    note = EvidenceField(name="note", label="说明", type="text")
    with pytest.raises(EvidenceError, match="“说明”（note）含有不可见的控制字符"):
        parse_evidence((note,), {"note": f"已完成{char}"})
    assert parse_evidence((note,), {"note": "已完成\n第二行"}) == {"note": "已完成\n第二行"}


@pytest.mark.parametrize("char", ["\x00", "\u202e", "\u2066"])
def test_a_roster_cell_with_controls_names_row_and_column_and_imports_nothing(
    engine: Engine, tmp_path: Path, packs_dir: Path, char: str
) -> None:
    rows = with_row(STAFF_ROWS, 5, 姓名=f"赵{char}年级")
    path = staff_file(tmp_path, rows, name="带控制字符.csv")
    before = row_counts(engine)
    with pytest.raises(RosterError, match=r"第5行 “姓名”列.*不可见的控制字符（U\+"):
        import_file(engine, path)
    assert row_counts(engine) == before


def _org(engine: Engine, tmp_path: Path, packs_dir: Path) -> None:
    import_file(engine, staff_file(tmp_path))
    import_file(engine, write_table(tmp_path / "students.csv", STUDENT_HEADERS, STUDENT_ROWS))


@pytest.mark.parametrize("score", ["-1", "-0.5", "100001"])
def test_a_screening_score_out_of_range_is_refused(engine: Engine, tmp_path: Path, packs_dir: Path,
                                                   score: str) -> None:
    _org(engine, tmp_path, packs_dir)
    path = write_table(tmp_path / "scores.csv", SCREENING_HEADERS,
                       [["S5801", "2026-10-12", "SCL-90", "150", "正常"],
                        ["S5802", "2026-10-12", "SCL-90", score, "正常"]])
    before = row_counts(engine)
    with pytest.raises(RosterError, match=r"第3行 “总分”列：.*总分应在 0 到"):
        import_file(engine, path, school="青岛第五十八中学")
    assert row_counts(engine) == before


def test_a_workbook_with_data_on_several_sheets_is_refused_naming_them(
    engine: Engine, tmp_path: Path, packs_dir: Path
) -> None:
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    first.title = "高一"
    first.append(STUDENT_HEADERS)
    first.append(STUDENT_ROWS[0])
    second = workbook.create_sheet("高二")
    second.append(STUDENT_HEADERS)
    second.append(STUDENT_ROWS[1])
    workbook.create_sheet("空白")
    path = tmp_path / "多表.xlsx"
    workbook.save(path)
    import_file(engine, staff_file(tmp_path))
    before = row_counts(engine)
    with pytest.raises(RosterError, match="2 个工作表有数据（高一、高二）"):
        import_file(engine, path)
    assert row_counts(engine) == before


def test_a_formula_without_a_saved_result_is_reported_as_a_formula(
    engine: Engine, tmp_path: Path, packs_dir: Path
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(STUDENT_HEADERS)
    sheet.append(STUDENT_ROWS[0])
    sheet.append(["青岛第五十八中学", "高一", "1班", '="S58"&"02"', "林小雨", "女"])  # openpyxl saves no result
    path = tmp_path / "公式.xlsx"
    workbook.save(path)
    import_file(engine, staff_file(tmp_path))
    with pytest.raises(RosterError, match=r"第3行 “学号”列：.*是公式.*没有保存计算结果"):
        import_file(engine, path)


def test_a_one_sheet_workbook_imports_as_before(engine: Engine, tmp_path: Path, packs_dir: Path) -> None:
    path = write_table(tmp_path / "plain.xlsx", SCREENING_HEADERS,
                       [["S5801", date(2026, 10, 12), "SCL-90", 150, "正常"]])
    _org(engine, tmp_path, packs_dir)
    result = import_file(engine, path, school="青岛第五十八中学")
    assert result.counts["screenings"].as_list() == [1, 0, 0]


def test_a_lesson_of_no_period_does_not_count_toward_one_plus_one(engine: Engine, tmp_path: Path, packs_dir: Path,
                                                                   book: PackBook) -> None:
    """A row with 0 periods (written before the check, or by hand) is no lesson: the class still lacks one."""
    _org(engine, tmp_path, packs_dir)
    with Session(engine) as session:
        school = session.exec(select(School).where(School.name == "青岛市实验小学")).one()
        klass = session.exec(select(SchoolClass).where(SchoolClass.school_id == school.id)).first()
        assert school.id is not None and klass is not None and klass.id is not None
        school_id, class_id, pack = school.id, klass.id, school.pack
        for kind, periods in (("lesson", 0), ("activity", 1)):
            session.add(CourseRecord(school_id=school_id, class_id=class_id, held_on=date(2026, 10, 20), kind=kind,
                                     topic="认识情绪", periods=periods))
        session.commit()
        statuses = class_statuses(session, school_id=school_id, month="2026-10", pack=book.pack(pack),
                                  work=book.calendar(pack))
    status = next(s for s in statuses if s.class_id == class_id)
    assert status.counts == {"lesson": 0, "activity": 1} and status.missing == ["心理健康教育课"]
