"""The CLI contract as a new user meets it: the real `xinyu` command in a subprocess, a roster of its own,
the test database (SQLite file or PostgreSQL) through XINYU_DATABASE_URL. The Prefect path runs against
the session's test API (PREFECT_API_URL), as a deployment-less user with a server would."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.roster_files import STAFF_HEADERS, STUDENT_HEADERS, write_table

ROOT = Path(__file__).resolve().parent.parent
DISTRICT = "烟台市芝罘区"
# A district none of the other tests use: one junior school with two classes, one primary with one.
STAFF = [
    [DISTRICT, "", "", "", "", "冯督导", "区县负责人", "feng@yt.example.cn", "13900000011"],
    [DISTRICT, "芝罘第三中学", "初中", "", "", "褚校长", "组长", "chu@yt.example.cn", "13900000012"],
    [DISTRICT, "芝罘第三中学", "初中", "七年级", "1班", "卫老师", "班主任", "wei@yt.example.cn", "13900000013"],
    [DISTRICT, "芝罘第三中学", "初中", "七年级", "2班", "蒋老师", "班主任", "jiang@yt.example.cn", "13900000014"],
    [DISTRICT, "芝罘第三中学", "初中", "", "", "沈老师", "专职心理教师", "shen@yt.example.cn", "13900000015"],
    [DISTRICT, "芝罘区向阳小学", "小学", "", "", "韩校长", "组长", "han@yt.example.cn", "13900000016"],
    [DISTRICT, "芝罘区向阳小学", "小学", "四年级", "3班", "杨老师", "班主任", "yang@yt.example.cn", "13900000017"],
]
STUDENTS = [
    ["芝罘第三中学", "七年级", "1班", "Y7101", "朱晓彤", "女"],
    ["芝罘第三中学", "七年级", "2班", "Y7201", "秦子墨", "男"],
    ["芝罘区向阳小学", "四年级", "3班", "Y4301", "尤嘉怡", "女"],
]


def xinyu(env: dict[str, str], cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "xinyu.cli", *argv], cwd=cwd, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=600)


@pytest.fixture
def env(db_url: str, tmp_path: Path) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith(("XINYU_", "PREFECT_"))}
    values.update(XINYU_DATABASE_URL=db_url, XINYU_OUTBOX_DIR=str(tmp_path / "outbox"),
                  PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_HOME=str(tmp_path / "prefect-home"),
                  PYTHONPATH=str(ROOT))
    return values


@pytest.fixture
def flow_env(prefect_api: None, env: dict[str, str]) -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    return {**env, "PREFECT_API_URL": str(PREFECT_API_URL.value())}


RunPath = tuple[dict[str, str], list[str]]  # the command's environment, and its extra arguments


@pytest.fixture(params=["--direct", "flow"])
def run_path(request: pytest.FixtureRequest, env: dict[str, str]) -> RunPath:
    """Both ways a cycle command runs: the core directly (`--direct`), or a Prefect flow on a shared API."""
    if request.param == "flow":
        return request.getfixturevalue("flow_env"), []
    return env, ["--direct"]


def roster(env: dict[str, str], folder: Path) -> None:
    for path in (write_table(folder / "教职工.csv", STAFF_HEADERS, STAFF),
                 write_table(folder / "学生.xlsx", STUDENT_HEADERS, STUDENTS)):
        done = xinyu(env, folder, "import", str(path))
        assert done.returncode == 0, done.stderr


def tasks(env: dict[str, str], folder: Path) -> list[dict[str, Any]]:
    done = xinyu(env, folder, "tasks", "--json", "--at", "2026-10-08T09:00")
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


def assert_refused(done: subprocess.CompletedProcess[str], *words: str) -> None:
    """One line on stderr, starting 错误：, exit 1, no traceback."""
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1, done.stderr
    assert len(lines) == 1 and lines[0].startswith("错误："), done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    for word in words:
        assert word in lines[0], lines[0]


def test_open_creates_the_first_steps_tasks_once(run_path: RunPath, tmp_path: Path) -> None:
    env, mode = run_path
    roster(env, tmp_path)
    done = xinyu(env, tmp_path, "open", "2026-10", "--at", "2026-10-08T09:00", *mode)
    assert done.returncode == 0, done.stderr
    assert "新开启 2 所学校" in done.stdout
    first = tasks(env, tmp_path)
    # The screening step (earliest: the 1st) has come: one class report per class, at opening.
    reports = [t for t in first if t["step"] == "screening" and t["role"] == "班主任"]
    assert sorted(t["class"] for t in reports) == sorted(["初一1班", "初一2班", "四年级3班"])
    assert f"新任务 {len(first)} 项" in done.stdout, done.stdout
    again = xinyu(env, tmp_path, "open", "2026-10", "--at", "2026-10-08T10:00", *mode)
    assert again.returncode == 0, again.stderr
    assert "已开启 2 所" in again.stdout and "新任务 0 项" in again.stdout
    assert [t["id"] for t in tasks(env, tmp_path)] == [t["id"] for t in first]
    moved = xinyu(env, tmp_path, "advance", "--at", "2026-10-08T10:00", *mode)
    assert moved.returncode == 0 and "新任务 0 项" in moved.stdout, moved.stdout + moved.stderr


def test_open_before_the_first_steps_day_creates_no_task(env: dict[str, str], tmp_path: Path) -> None:
    roster(env, tmp_path)
    done = xinyu(env, tmp_path, "open", "2026-11", "--at", "2026-10-30T09:00", "--direct")
    assert done.returncode == 0 and "新开启 2 所学校" in done.stdout and "新任务 0 项" in done.stdout, done.stdout
    assert [t for t in tasks(env, tmp_path) if t["step"] == "screening"] == []


def test_open_on_a_database_without_schools(run_path: RunPath, tmp_path: Path) -> None:
    env, mode = run_path
    done = xinyu(env, tmp_path, "open", "2026-10", "--at", "2026-10-08T09:00", *mode)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "没有学校" in done.stdout, done.stdout + done.stderr


def test_a_clock_behind_and_a_broken_pack_are_one_error_line(run_path: RunPath, tmp_path: Path) -> None:
    env, mode = run_path
    roster(env, tmp_path)
    assert xinyu(env, tmp_path, "advance", "--at", "2026-10-09T09:00", *mode).returncode == 0
    assert_refused(xinyu(env, tmp_path, "advance", "--at", "2026-10-07T09:00", *mode), "2026-10-09")
    broken = tmp_path / "我的青岛.yaml"
    broken.write_text("id: qingdao\nsteps: [", encoding="utf-8")
    assert_refused(xinyu(env, tmp_path, "pack", "install", str(broken)), "我的青岛.yaml")  # refused, nothing stored
    assert xinyu(env, tmp_path, "advance", "--at", "2026-10-12T09:00", *mode).returncode == 0  # files not read
    engine = create_engine(env["XINYU_DATABASE_URL"])
    with engine.begin() as conn:  # a school given a pack never installed: its next month cannot open
        conn.execute(text("UPDATE school SET pack = 'atlantis' WHERE id = (SELECT max(id) FROM school)"))
    engine.dispose()
    assert_refused(xinyu(env, tmp_path, "open", "2026-11", "--at", "2026-11-02T09:00", *mode), "atlantis")


def test_expected_errors_of_every_command_are_one_line(env: dict[str, str], tmp_path: Path) -> None:
    fresh = {**env, "XINYU_DATABASE_URL": f"sqlite:///{tmp_path / 'never-initialised.db'}"}
    assert_refused(xinyu(fresh, tmp_path, "tasks"), "xinyu init")
    assert_refused(xinyu(fresh, tmp_path, "advance", "--direct"), "xinyu init")
    roster(env, tmp_path)
    cases: list[tuple[list[str], str]] = [
        (["import", str(tmp_path / "没有这个文件.csv")], "没有这个文件.csv"),
        (["open", "2026-13"], "2026-13"),
        (["advance", "--at", "明天", "--direct"], "明天"),
        (["tasks", "--month", "2026-1"], "2026-1"),
        (["tasks", "--role", "校工"], "校工"),
        (["board", "--month", "10月"], "10月"),
        (["complete", "424242"], "424242"),
        (["complete", "abc"], "abc"),
        (["agenda", "--school", "芝罘第三中学", "--month", "2026-10"], "芝罘第三中学"),
        (["dispatch", "--at", "昨天"], "昨天"),
        (["frobnicate"], "frobnicate"),
        (["extend", "1"], "--days"),
    ]
    for argv, word in cases:
        assert_refused(xinyu(env, tmp_path, *argv), word)
    assert_refused(xinyu(env, tmp_path, "import", str(tmp_path)), str(tmp_path))  # a folder, not a file
    nowhere = {**env, "PREFECT_API_URL": "http://127.0.0.1:9/api"}  # nobody listens on port 9
    assert_refused(xinyu(nowhere, tmp_path, "advance", "--at", "2026-10-09T09:00"), "无法连接 Prefect API")


def test_evidence_out_of_the_packs_bounds_and_hidden_controls_are_refused(env: dict[str, str], tmp_path: Path) -> None:
    roster(env, tmp_path)
    assert xinyu(env, tmp_path, "open", "2026-10", "--at", "2026-10-08T09:00", "--direct").returncode == 0
    report = next(t for t in tasks(env, tmp_path) if t["step"] == "screening" and t["role"] == "班主任")
    picks = next(f for f in report["fields"] if f["name"] == "attention_students")
    assert (picks["type"], picks["proposes"]) == ("students", "B")  # picked from the class list, no typed count
    task = str(report["id"])
    for value, word in (("-3", "-3 不是本班学生的学号"), ("201", "201 不是本班学生的学号"), ("\u202e5", "U+202E")):
        assert_refused(xinyu(env, tmp_path, "complete", task, "--set", f"attention_students={value}",
                             "--set", "committee_consulted=是", "--at", "2026-10-09T10:00"), word)
    assert_refused(xinyu(env, tmp_path, "extend", task, "--days", "2", "--reason", "家长会\u202e推迟",
                         "--at", "2026-10-09T10:00"), "延期理由含有不可见的控制字符")
    assert next(t for t in tasks(env, tmp_path) if t["id"] == report["id"])["status"] == "open"
    done = xinyu(env, tmp_path, "complete", task, "--set", "attention_students=", "--set", "committee_consulted=是",
                 "--at", "2026-10-09T10:00")
    assert done.returncode == 0, done.stderr


def test_a_refusal_is_found_behind_a_wrapper_but_a_bug_is_not_hidden() -> None:
    from xinyu.cli.errors import expected_error
    from xinyu.locks import ClockBehind

    refusal = ClockBehind("时钟回退")
    try:
        try:
            raise refusal
        except ClockBehind as inner:
            raise RuntimeError("flow run failed") from inner
    except RuntimeError as wrapped:
        assert expected_error(wrapped) is refusal
    try:
        try:
            raise ValueError("handled")
        except ValueError:
            raise KeyError("a bug while handling it") from None
    except KeyError as bug:
        assert expected_error(bug) is None
