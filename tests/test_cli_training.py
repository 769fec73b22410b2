"""`xinyu training add` / `xinyu training` (QD-T9): one training per row, progress against the role's minimum."""

import json

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import RecordRevision, TrainingRecord
from tests.factories import make_school
from xinyu.cli import main
from xinyu.db import transaction


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_training_is_recorded_and_counted_against_the_minimum(cli_db: str, engine: Engine,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    with transaction(engine) as session:
        school = make_school(session, name="芝罘培训小学", grades=(4,), classes_per_grade=1)
        psych, homeroom = school.people["psych_teacher"].name, school.people[f"homeroom:{school.classes[0].id}"].name
        leader = school.people["leader"].name
        make_school(session, name="章贡培训小学", district_name="章贡区", grades=(4,), pack="ganzhou")
    at = ("--at", "2026-06-30T18:00")
    code, out, err = run(capsys, "training", "add", "--school", "芝罘培训小学", "--person", psych, "--on", "2026-03-14",
                         "--hours", "24", "--topic", "心理危机识别与干预", "--by", leader, "--json", *at)
    assert code == 0, err
    assert json.loads(out)["hours"] == 24
    code, _, err = run(capsys, "training", "add", "--school", "芝罘培训小学", "--person", homeroom,
                       "--on", "2026-04-02", "--hours", "16", "--topic", "班主任心理健康教育", *at)
    assert code == 0, err
    code, _, err = run(capsys, "training", "add", "--school", "芝罘培训小学", "--person", leader, "--on", "2025-11-02",
                       "--hours", "8", "--topic", "去年的培训", *at)
    assert code == 0, err

    for bad, message in ((("--hours", "0"), "课时应在"), (("--hours", "三"), "课时应为数字"),
                         (("--hours", "1.25"), "以半课时计"), (("--on", "2026-07-01"), "晚于今天"),
                         (("--on", "2026-02-30"), "--on 应为日期"), (("--topic", "  "), "培训主题不能为空"),
                         (("--person", "不存在的人"), "没有名为 不存在的人 的教职工")):
        values = {"--person": psych, "--on": "2026-05-01", "--hours": "2", "--topic": "另一次培训"}
        values[bad[0]] = bad[1]
        argv = [x for pair in values.items() for x in pair]
        code, out, err = run(capsys, "training", "add", "--school", "芝罘培训小学", *argv, *at)
        assert code != 0 and message in err and out == "", (bad, err)
    code, _, err = run(capsys, "training", "add", "--school", "芝罘培训小学", "--person", psych, "--on", "2026-03-14",
                       "--hours", "2", "--topic", "心理危机识别与干预", *at)
    assert code != 0 and "已记录过" in err
    code, _, err = run(capsys, "training", "add", "--school", "章贡培训小学", "--person", "x", "--on", "2026-03-14",
                       "--hours", "2", "--topic", "t", *at)
    assert code != 0 and "未规定培训学时" in err
    with Session(engine) as session:
        assert len(session.exec(select(TrainingRecord)).all()) == 3
        assert len(session.exec(select(RecordRevision).where(RecordRevision.kind == "training")).all()) == 3

    code, out, err = run(capsys, "training", "--school", "芝罘培训小学", "--json", *at)
    assert code == 0, err
    progress = json.loads(out)
    assert (progress["year"], progress["clause"]) == (2026, "QD-T9")
    people = {p["person"]: p for p in progress["people"]}
    # the roster gave no 专职/兼职: counted as 兼职 (24 课时)
    assert (people[psych]["category"], people[psych]["minimum"], people[psych]["reached"]) == ("兼职心理教师", 24,
                                                                                               True)
    assert (people[homeroom]["category"], people[homeroom]["minimum"], people[homeroom]["reached"]) == ("班主任", 16,
                                                                                                        True)
    assert (people[leader]["category"], people[leader]["hours"], people[leader]["short"]) == ("教职工", 0, 8)
    code, out, _ = run(capsys, "training", "--school", "芝罘培训小学", "--year", "2025", "--json", *at)
    assert {p["person"]: p["hours"] for p in json.loads(out)["people"]}[leader] == 8
    code, out, err = run(capsys, "training", "--school", "芝罘培训小学", *at)
    assert code == 0 and "班主任" in out and "▲差8课时" in out, err
