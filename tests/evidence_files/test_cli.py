"""`xinyu complete --file`, `xinyu files`, `xinyu correct`: the same checks as the web; a refusal is one 错误 line
naming the file and the problem, and writes nothing."""

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import Person, Task
from tests.core.helpers import cycle_of, drive_to, snapshot, tasks_of
from tests.evidence_files import samples
from tests.factories import make_school
from xinyu.cli import main
from xinyu.cycle import PackBook


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def minutes_task(cli_db: str, engine: Engine, book: PackBook) -> tuple[int, str, str]:
    """(task id, the leader's name, the psychology teacher's name): the meeting of 2026-10, open on 10-15."""
    with Session(engine) as session:
        school = make_school(session)
        drive_to(session, book, school.id, "2026-10", "meeting")
        (task,) = tasks_of(session, cycle_of(session, school.id, "2026-10").id, template="minutes")
        leader = session.get(Person, task.assignee_id)
        psych = session.exec(select(Person).where(Person.name.contains("心理"))).first()  # type: ignore[attr-defined]
        session.commit()
        assert task.id is not None and leader is not None and psych is not None
        return task.id, leader.name, psych.name


def test_complete_with_a_photo_then_list_and_correct(
        minutes_task: tuple[int, str, str], engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    task_id, leader, psych = minutes_task
    photo, text_file = tmp_path / "签到表.jpg", tmp_path / "说明.jpg"
    photo.write_bytes(samples.jpeg())
    text_file.write_text("不是图片")
    form = ["--set", "held_on=2026-10-15", "--set", "minutes=研究本月重点关爱学生", "--at", "2026-10-15T16:00"]
    before = snapshot(engine)
    for files, problem in ([f"sign_in_sheet={text_file}"], "文件“说明.jpg”不是可识别的图片（JPEG、PNG）、PDF"), \
            ([f"sign_in_sheet={tmp_path / 'nope.jpg'}"], f"文件 {tmp_path / 'nope.jpg'}：不存在"), \
            ([f"photos={photo}"], "此任务没有可上传文件的字段 photos"), (["sign_in_sheet"], "--file 应为 字段=路径"):
        code, out, err = run(capsys, "complete", str(task_id), *form, *[a for f in files for a in ("--file", f)])
        assert (code, out) == (1, "") and err.count("\n") == 1 and err.startswith("错误：") and problem in err, err
    assert snapshot(engine) == before

    code, out, err = run(capsys, "complete", str(task_id), *form, "--file", f"sign_in_sheet={photo}")
    assert code == 0 and "附件 1 个" in out, err
    code, out, _ = run(capsys, "files", str(task_id), "--json")
    (listed,) = json.loads(out)
    assert (listed["name"], listed["content_type"], listed["removed_at"]) == ("签到表.jpg", "image/jpeg", None)
    stored = tmp_path / "files" / listed["sha256"][:2] / listed["sha256"][2:4] / listed["sha256"]
    assert stored.read_bytes() == samples.jpeg()  # beside the database (XINYU_FILES_DIR unset)

    clearer = tmp_path / "签到表-清晰.png"
    clearer.write_bytes(samples.png(16, 16))
    code, _, err = run(capsys, "correct", str(task_id), "--by", psych, "--file", f"sign_in_sheet={clearer}",
                       "--at", "2026-10-16T09:00")
    assert code == 1 and "只能由填写人" in err
    code, _, err = run(capsys, "correct", str(task_id), "--by", leader, "--file", f"sign_in_sheet={clearer}",
                       "--remove", str(listed["id"]), "--at", "2026-11-02T09:00")
    assert code == 1 and "已过更正期限" in err
    code, out, err = run(capsys, "correct", str(task_id), "--by", leader, "--file", f"sign_in_sheet={clearer}",
                         "--remove", str(listed["id"]), "--at", "2026-10-16T09:00", "--json")
    assert code == 0, err
    corrected = json.loads(out)
    assert corrected["id"] == task_id and len(corrected["evidence"]["sign_in_sheet"]) == 1
    code, out, _ = run(capsys, "files", str(task_id))
    assert "签到表.jpg image/jpeg" in out and "（已删除）" in out and "签到表-清晰.png" in out and "共 2 个附件" in out
    with Session(engine) as session:
        task = session.get(Task, task_id)
        assert task is not None and task.evidence["minutes"] == "研究本月重点关爱学生"
