"""`xinyu ledger protector` (JN-5 隐形保护人) in-process on the test database: set, refused, cleared."""

import json
from datetime import date

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import KeyStudentPlan, RecordRevision, School, Student
from tests.crisis.test_cli_crisis import name_of, school  # noqa: F401  (fixture: an imported district)
from tests.test_cli import run


def _plan(engine: Engine, pack: str) -> tuple[str, dict[str, str]]:
    with Session(engine) as session:
        first = session.exec(select(School).order_by(col(School.id))).first()
        assert first is not None and first.id is not None
        first.pack = pack
        student = session.exec(select(Student).where(Student.school_id == first.id)).first()
        assert student is not None and student.id is not None
        plan = KeyStudentPlan(school_id=first.id, student_id=student.id, opened_on=date(2026, 10, 9))
        session.add_all([first, plan])
        session.commit()
        names = {role: name_of(session, role, first.id) for role in ("psych_teacher", "deputy", "homeroom", "leader")}
        return f"B-{plan.id}", names


def test_the_protector_from_the_command_line(school: None, engine: Engine,  # noqa: F811
                                             capsys: pytest.CaptureFixture[str]) -> None:
    plan, names = _plan(engine, "jinan")
    code, out, err = run(capsys, "ledger", "protector", plan, "--by", names["deputy"], "--person", names["homeroom"])
    assert code != 0 and "隐形保护人仅由学校组长或专职心理教师指定（JN-5）" in err
    code, out, err = run(capsys, "ledger", "protector", plan, "--by", names["psych_teacher"], "--person",
                         names["homeroom"], "--at", "2026-10-09T11:00", "--json")
    assert code == 0, err
    assert json.loads(out)["protector"] == names["homeroom"]
    code, out, err = run(capsys, "ledger", "protector", plan, "--by", names["leader"], "--clear", "--json")
    assert code == 0, err
    assert json.loads(out)["protector"] is None
    with Session(engine) as session:
        kept = session.exec(select(RecordRevision).where(RecordRevision.kind == "ledger_b_protector")
                            .order_by(col(RecordRevision.id))).all()
        assert [(r.action, (r.after or {}).get("protector_id") is None) for r in kept] == [
            ("created", False), ("updated", True)]


def test_a_pack_without_protectors_refuses(school: None, engine: Engine,  # noqa: F811
                                           capsys: pytest.CaptureFixture[str]) -> None:
    plan, names = _plan(engine, "qingdao")
    code, out, err = run(capsys, "ledger", "protector", plan, "--by", names["psych_teacher"], "--person",
                         names["homeroom"])
    assert code != 0 and out == "" and "未设“隐形保护人”" in err
