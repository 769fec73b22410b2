"""`xinyu import FILE --replace [--preview]` from the command line, in-process on the test database."""

from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.roster_files import STUDENT_HEADERS, STUDENT_ROWS, row_counts, staff_file, write_table
from tests.test_cli import run
from tests.test_roster_replace import BASE, SENIOR_NOW, roles_of


@pytest.fixture
def imported(cli_db: str, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Engine:
    code, _, err = run(capsys, "import", str(staff_file(tmp_path, BASE, name="base.csv")))
    assert code == 0, err
    return engine


def test_preview_then_replace(imported: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = staff_file(tmp_path, SENIOR_NOW, name="58中.xlsx")
    before = row_counts(imported)
    code, out, err = run(capsys, "import", str(path), "--replace", "--preview")
    assert code == 0, err
    assert out.splitlines()[0] == "预览（未做任何修改）：整体替换 58中.xlsx 所列 1 所学校的名册"
    assert "青岛市市南区 青岛第五十八中学：新增 1 人，角色变化 1 人，撤销 1 人（共撤销角色任命 2 项），未变 2 人" in out
    assert "  撤销 钱老师：班主任（高一2班）" in out
    assert row_counts(imported) == before
    assert ("homeroom", "青岛第五十八中学") in roles_of(imported, "13800000004")

    code, out, err = run(capsys, "import", str(path), "--replace")
    assert code == 0, err
    assert out.splitlines()[0] == "已整体替换 58中.xlsx 所列 1 所学校的名册"
    assert "  撤销 钱老师：班主任（高一2班）" in out and "角色任命 新增 2、更新 0、未变 3" in out
    assert roles_of(imported, "13800000004") == {("department_head", "第二十六中学")}


def test_refusals_are_one_line_and_change_nothing(imported: Engine, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    before = row_counts(imported)
    students = write_table(tmp_path / "学生.csv", STUDENT_HEADERS, STUDENT_ROWS)
    code, out, err = run(capsys, "import", str(students), "--replace")
    assert (code, out) == (1, "")
    assert err.startswith("错误：学生.csv 是学生名单文件：只有教职工名单可以作为完整名册整体替换")
    assert err.count("\n") == 1
    code, _, err = run(capsys, "import", str(staff_file(tmp_path, SENIOR_NOW)), "--preview")
    assert (code, err) == (1, "错误：--preview 只能与 --replace 一起使用（预览整体替换名册）\n")
    rows = [list(r) for r in SENIOR_NOW]
    rows[3][4] = ""
    code, _, err = run(capsys, "import", str(staff_file(tmp_path, rows, name="坏.csv")), "--replace")
    assert code == 1
    assert "坏.csv 有 1 处错误，未导入任何数据" in err and "坏.csv 第5行 “班级”列" in err
    assert row_counts(imported) == before
