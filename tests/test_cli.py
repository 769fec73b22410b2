"""The command-line contract other tools rely on (issue: CLI contract), run in-process on the test database."""

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from models import Person, RoleAssignment, School, SchoolClass, Task
from xinyu import sample
from xinyu.cli import main

REQUIRED_KEYS = {"id", "school", "step", "role", "assignee", "class", "due", "status", "carried_over", "fields"}
FIELD_KEYS = {"name", "label", "type", "required", "choices"}



def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def district_files(folder: Path) -> list[Path]:
    staff = sample.sample_roster_rows(district="青岛市市南区", schools=2, classes_per_school=2, seed=3)
    students = sample.sample_student_rows(staff, seed=3)
    files = [folder / "staff.csv", folder / "students.csv", folder / "screening.xlsx"]
    sample.write_csv(files[0], staff, encoding="gbk")
    sample.write_csv(files[1], students)
    sample.write_xlsx(files[2], sample.sample_screening_rows(students, seed=3))
    return files


def tasks_json(capsys: pytest.CaptureFixture[str], *filters: str) -> list[dict[str, Any]]:
    code, out, err = run(capsys, "tasks", "--json", *filters)
    assert code == 0, err
    return list(json.loads(out))


def test_import_open_advance_list_and_complete(
    cli_db: str, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "init")[0] == 0
    for path in district_files(tmp_path):
        code, out, err = run(capsys, "import", str(path))
        assert code == 0, err
        assert path.name in out
    code, out, _ = run(capsys, "open", "2026-10", "--at", "2026-10-01T00:10", "--direct")
    assert code == 0 and "新开启 2 所学校" in out
    code, out, _ = run(capsys, "advance", "--at", "2026-10-08T09:00", "--direct")
    assert code == 0 and "开启步骤 2 个" in out

    tasks = tasks_json(capsys, "--role", "班主任", "--at", "2026-10-08T09:00")
    assert len(tasks) == 4  # one per class (two schools × two classes)
    for task in tasks:
        assert REQUIRED_KEYS <= task.keys()
        assert (task["step"], task["status"], task["due"], task["carried_over"]) == ("screening", "open",
                                                                                    "2026-10-13", False)
        assert task["class"] and task["assignee"]
        assert all(FIELD_KEYS <= f.keys() for f in task["fields"])
        assert {f["type"] for f in task["fields"]} <= {"text", "int", "bool", "date", "datetime", "choice", "students"}
    first = tasks[0]
    assert [t["id"] for t in tasks_json(capsys, "--status", "overdue", "--at", "2026-10-14T09:00")
            if t["role"] == "班主任"] == [t["id"] for t in tasks]  # overdue from the first workday after 13th

    code, _, err = run(capsys, "complete", str(first["id"]), "--at", "2026-10-09T10:00")
    assert code == 1 and "缺少必填项" in err
    assert tasks_json(capsys, "--status", "done") == []  # refused: nothing written

    code, out, err = run(capsys, "complete", str(first["id"]), "--set", "note=本月无异常",
                         "--set", "committee_consulted=是", "--at", "2026-10-09T10:00")
    assert code == 0, err
    (done,) = tasks_json(capsys, "--status", "done")
    assert (done["id"], done["assignee"]) == (first["id"], first["assignee"])
    code, _, err = run(capsys, "complete", str(first["id"]), "--set", "note=本月无异常",
                       "--set", "committee_consulted=是")
    assert code == 1 and "已于此前完成" in err


def test_a_bad_roster_row_names_file_row_and_column_and_imports_nothing(
    cli_db: str, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    staff = sample.sample_roster_rows(district="青岛市市南区", schools=1, classes_per_school=2, seed=3)
    staff[5] = {**staff[5], "角色": "班主人"}
    path = sample.write_csv(tmp_path / "名册.csv", staff)
    code, _, err = run(capsys, "import", str(path))
    assert code == 1
    assert "名册.csv 第7行 “角色”列：“班主人”不是已知角色" in err  # row 7: header is row 1, staff[5] is row 7
    with Session(engine) as session:
        counts = [session.exec(select(func.count()).select_from(t)).one()
                  for t in (School, SchoolClass, Person, RoleAssignment, Task)]
    assert counts == [0, 0, 0, 0, 0]


def test_open_and_advance_go_through_prefect_by_default(
    prefect_api: None, cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "import", str(district_files(tmp_path)[0]))
    code, out, err = run(capsys, "open", "2026-10", "--at", "2026-10-01T00:10")
    assert code == 0 and "新开启 2 所学校" in out, err
    code, out, err = run(capsys, "advance", "--at", "2026-10-08T09:00")
    assert code == 0 and "开启步骤 2 个" in out, err
    code, out, _ = run(capsys, "advance", "--at", "2026-10-08T09:00")
    assert code == 0 and "开启步骤 0 个" in out and "新任务 0 项" in out
