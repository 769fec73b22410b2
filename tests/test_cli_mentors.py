"""全员导师制 (JL-3b): `xinyu mentor assign` keeps each assignment (a change ends the previous one, both in the
history), `xinyu mentors` counts per class of the pack's grades (never a name), a pack without the rule refuses."""

import json

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import MentorAssignment, RecordRevision, Student
from tests.factories import make_school
from xinyu.cli import main
from xinyu.db import transaction


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_mentors_are_assigned_kept_and_counted_per_class(cli_db: str, engine: Engine,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    with transaction(engine) as session:
        school = make_school(session, name="长春导师中学", district_name="朝阳区", grades=(8, 10), pack="jilin")
        grade8 = [c for c in school.classes if c.grade == 8]
        for number, school_class in enumerate(grade8 * 2, start=1):  # 2 students in each grade-8 class
            session.add(Student(school_id=school.id, class_id=school_class.id or 0, student_no=f"J{number:03d}",
                                name=f"学生{number}", gender="女"))
        session.add(Student(school_id=school.id, class_id=school.classes[-1].id or 0, student_no="G001",
                            name="高一学生", gender="男"))
        teacher, other = school.people["psych_teacher"].name, school.people["deputy"].name
        leader = school.people["leader"].name
        make_school(session, name="青岛对照小学", grades=(4,))

    code, out, err = run(capsys, "mentor", "assign", "--school", "长春导师中学", "--student", "J001",
                         "--mentor", teacher, "--on", "2026-09-01", "--by", leader, "--json")
    assert code == 0, err
    assert json.loads(out) == {"school": "长春导师中学", "student_no": "J001", "mentor": teacher,
                               "assigned_on": "2026-09-01"}
    code, _, err = run(capsys, "mentor", "assign", "--school", "长春导师中学", "--student", "J001",
                       "--mentor", other, "--on", "2026-11-02")
    assert code == 0, err
    code, _, err = run(capsys, "mentor", "assign", "--school", "长春导师中学", "--student", "J002",
                       "--mentor", teacher, "--on", "2026-09-01")
    assert code == 0, err

    code, out, err = run(capsys, "mentors", "--school", "长春导师中学", "--json")
    assert code == 0, err
    assert "学生" not in out
    # JL-3b: every 初中 grade is covered; 高一 (grade 10) is not one of the pack's key grades.
    assert json.loads(out) == [
        {"class": "初二1班", "grade": 8, "students": 2, "with_mentor": 1, "without_mentor": 1},
        {"class": "初二2班", "grade": 8, "students": 2, "with_mentor": 1, "without_mentor": 1},
    ]
    with Session(engine) as session:
        rows = list(session.exec(select(MentorAssignment).order_by(col(MentorAssignment.id))))
        assert [(r.assigned_on.isoformat(), r.ended_on.isoformat() if r.ended_on else None) for r in rows] == [
            ("2026-09-01", "2026-11-02"), ("2026-11-02", None), ("2026-09-01", None)]
        revisions = list(session.exec(select(RecordRevision).where(RecordRevision.kind == "mentor_assignment")))
        assert [r.action for r in revisions] == ["created", "updated", "created", "created"]
        assert revisions[0].by_id == school.people["leader"].id

    before = len(rows)
    for argv, message in [
        (("--student", "NOPE", "--mentor", teacher), "没有学号为 NOPE"),
        (("--student", "J003", "--mentor", "不存在的老师"), "没有名为 不存在的老师"),
        (("--student", "J001", "--mentor", teacher, "--on", "2026-10-01"), "早于现任导师"),
        (("--student", "J003", "--mentor", teacher, "--on", "昨天"), "不是日期"),
    ]:
        code, _, err = run(capsys, "mentor", "assign", "--school", "长春导师中学", *argv)
        assert code != 0 and message in err, err
    with Session(engine) as session:
        assert len(list(session.exec(select(MentorAssignment)))) == before

    code, _, err = run(capsys, "mentors", "--school", "青岛对照小学")
    assert code != 0 and "没有全员导师制" in err
