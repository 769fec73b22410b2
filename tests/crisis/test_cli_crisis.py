"""`xinyu crisis` (open, log, close) and `xinyu district hospitals` in-process on the test database.

A refusal prints one `错误：` line, exits 1 and changes nothing: the case, its log, its history, the inbox.
"""

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import CrisisAction, CrisisCase, Escalation, Person, RecordRevision, RoleAssignment, School, Student
from tests.test_cli import district_files, run


def name_of(session: Session, role: str, school_id: int) -> str:
    person = session.exec(select(Person).join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
                          .where(RoleAssignment.role == role, RoleAssignment.school_id == school_id)
                          .order_by(col(RoleAssignment.id))).first()
    assert person is not None
    return person.name


def state(engine: Engine) -> dict[str, Any]:
    """Everything a refused command must leave as it was."""
    with Session(engine) as session:
        return {
            "cases": [c.model_dump() for c in session.exec(select(CrisisCase).order_by(col(CrisisCase.id)))],
            "actions": len(session.exec(select(CrisisAction)).all()),
            "history": len(session.exec(select(RecordRevision)).all()),
            "inbox": [(e.id, e.status) for e in session.exec(select(Escalation).order_by(col(Escalation.id)))],
        }


def refused(capsys: pytest.CaptureFixture[str], engine: Engine, *argv: str, says: str) -> None:
    before = state(engine)
    code, out, err = run(capsys, *argv)
    assert code == 1 and out == "", (code, out, err)
    assert err.startswith("错误：") and err.count("\n") == 1 and says in err, err
    assert state(engine) == before


@pytest.fixture
def school(cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "init")[0] == 0
    for path in district_files(tmp_path):
        assert run(capsys, "import", str(path))[0] == 0
    assert run(capsys, "advance", "--at", "2026-10-08T07:00", "--direct")[0] == 0


def test_a_case_from_opening_to_closing(school: None, engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    with Session(engine) as session:
        first = session.exec(select(School).order_by(col(School.id))).first()
        assert first is not None and first.id is not None
        psych, homeroom = name_of(session, "psych_teacher", first.id), name_of(session, "homeroom", first.id)
        numbers = list(session.exec(select(Student.student_no).where(Student.school_id == first.id).limit(2)))
    code, out, err = run(capsys, "crisis", "--school", first.name, "--student-no", numbers[0], "--level", "严重",
                         "--by", psych, "--at", "2026-10-09T10:00", "--json")
    assert code == 0, err
    opened = json.loads(out)
    assert opened["level"] == "严重" and opened["code"] == f"C-{opened['id']}" and opened["task_id"]
    case = opened["code"]

    refused(capsys, engine, "crisis", "close", case, "--by", psych, "--outcome", "风险解除", "--at", "2026-10-09T11:00",
            says="须先转介至医院（QD-4）")
    refused(capsys, engine, "crisis", "log", case, "--by", psych, "--action", "转介", says="hospital")
    refused(capsys, engine, "crisis", "log", case, "--by", psych, "--action", "散步", says="处置记录类型应为")
    refused(capsys, engine, "crisis", "log", case, "--by", homeroom, "--action", "面谈", says="不是个案")
    refused(capsys, engine, "crisis", "log", case, "--by", psych, "--action", "面谈", "--at", "2026-10-09T11:00",
            "--set", "colour=blue", says="没有字段 colour")

    code, out, err = run(capsys, "crisis", "log", str(opened["id"]), "--by", psych, "--action", "转介",
                         "--set", "hospital=市第七人民医院", "--set", "note=家长陪同", "--at", "2026-10-09T15:00",
                         "--json")
    assert code == 0, err
    assert json.loads(out)["hospital"] == "市第七人民医院"
    code, out, err = run(capsys, "crisis", "log", case, "--by", psych, "--action", "家长通报", "--set", "method=电话",
                         "--at", "2026-10-09T15:30")
    assert code == 0 and "家长通报" in out, err

    refused(capsys, engine, "crisis", "close", case, "--by", psych, "--outcome", "返校复学", "--at", "2026-10-20T09:00",
            says="GZ-6.2")
    refused(capsys, engine, "crisis", "close", case, "--by", psych, "--outcome", "返校复学", "--set",
            "certificate_on=2026-10-19", "--at", "2026-10-20T09:00", says="GZ-6.2")  # no issuer
    refused(capsys, engine, "crisis", "close", case, "--by", psych, "--outcome", "痊愈", says="结案结果应为")
    code, out, err = run(capsys, "crisis", "close", case, "--by", psych, "--outcome", "返校复学",
                         "--set", "certificate_on=2026-10-19", "--set", "certificate_by=市第七人民医院",
                         "--at", "2026-10-20T09:00")
    assert code == 0 and "已结案：返校复学" in out, err
    refused(capsys, engine, "crisis", "close", case, "--by", psych, "--outcome", "其他", "--set", "note=x",
            says="已于此前结案")
    with Session(engine) as session:
        row = session.get(CrisisCase, opened["id"])
        assert row is not None and row.certificate_by == "市第七人民医院" and row.closed_at is not None
        kinds = [a.kind for a in session.exec(select(CrisisAction).order_by(col(CrisisAction.at)))]
        assert kinds == ["转介", "家长通报"]
        history = session.exec(select(RecordRevision.action).where(RecordRevision.kind == "ledger_c",
                                                                   RecordRevision.record_id == opened["id"])).all()
        assert history == ["created", "updated", "updated", "closed"]

    code, out, err = run(capsys, "crisis", "--school", first.name, "--student-no", numbers[1], "--level", "一般",
                         "--at", "2026-10-09T10:00", "--json")
    assert code == 0, err
    ordinary = json.loads(out)["code"]
    refused(capsys, engine, "crisis", "close", ordinary, "--by", psych, "--outcome", "其他", says="须填写说明")
    code, out, err = run(capsys, "crisis", "close", ordinary, "--by", psych, "--outcome", "风险解除")
    assert code == 0, err  # an ordinary case needs no referral (QD-4 names 严重 and 重大)


def test_a_district_list_of_hospitals(school: None, engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    with Session(engine) as session:
        first = session.exec(select(School).order_by(col(School.id))).first()
        assert first is not None and first.id is not None
        psych = name_of(session, "psych_teacher", first.id)
        number = session.exec(select(Student.student_no).where(Student.school_id == first.id)).first()
    code, out, _ = run(capsys, "district", "hospitals", "--district", "青岛市市南区", "--list")
    assert code == 0 and "未设置" in out
    code, out, _ = run(capsys, "district", "hospitals", "--district", "青岛市市南区", "--add", "甲医院",
                       "--add", "乙医院", "--json")
    assert code == 0 and json.loads(out)["hospitals"] == ["甲医院", "乙医院"]
    refused(capsys, engine, "district", "hospitals", "--district", "青岛市市南区", "--add", "甲医院", says="已有")
    code, out, err = run(capsys, "crisis", "--school", first.name, "--student-no", str(number), "--level", "重大",
                         "--at", "2026-10-09T10:00", "--json")
    assert code == 0, err
    case = json.loads(out)["code"]
    refused(capsys, engine, "crisis", "log", case, "--by", psych, "--action", "转介", "--set", "hospital=丙诊所",
            says="不在本区县的转介医院名单中")
    assert run(capsys, "crisis", "log", case, "--by", psych, "--action", "转介", "--set", "hospital=乙医院")[0] == 0
    code, out, _ = run(capsys, "district", "hospitals", "--district", "青岛市市南区", "--remove", "甲医院")
    assert code == 0 and "乙医院" in out and "甲医院）" not in out


def test_a_heilongjiang_case_closes_as_returned_with_a_return_plan(school: None, engine: Engine,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """HLJ-12 (packs/heilongjiang.yaml crisis.return_plan_required): `--set return_plan=…` or a refusal."""
    with Session(engine) as session:
        first = session.exec(select(School).order_by(col(School.id))).first()
        assert first is not None and first.id is not None
        first.pack = "heilongjiang"
        session.add(first)
        session.commit()
        psych = name_of(session, "psych_teacher", first.id)
        number = session.exec(select(Student.student_no).where(Student.school_id == first.id)).first()
        assert number is not None
    code, out, err = run(capsys, "crisis", "--school", first.name, "--student-no", number, "--level", "一般",
                         "--by", psych, "--at", "2026-10-09T10:00", "--json")
    assert code == 0, err
    case = json.loads(out)["code"]
    refused(capsys, engine, "crisis", "close", case, "--by", psych, "--outcome", "返校复学", "--at", "2026-10-20T09:00",
            says="须填写复课衔接计划（HLJ-12")
    refused(capsys, engine, "crisis", "close", case, "--by", psych, "--outcome", "风险解除", "--at", "2026-10-20T09:00",
            "--set", "return_plan=每周面谈", says="复课衔接计划只用于以“返校复学”结案")
    code, out, err = run(capsys, "crisis", "close", case, "--by", psych, "--outcome", "返校复学", "--at",
                         "2026-10-20T09:00", "--set", "return_plan=返校首月每周面谈一次", "--json")
    assert code == 0, err
    closed = json.loads(out)
    assert (closed["outcome"], closed["return_plan"]) == ("返校复学", "返校首月每周面谈一次")
