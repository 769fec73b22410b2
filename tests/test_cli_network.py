"""`xinyu network` (QD-T10, GZ-5.1, QD-T2: counts per school, never a name) and `xinyu school set` (boarding, dorms)."""

import json

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import District, RecordRevision, School
from tests.factories import add_person, make_school
from xinyu.cli import main
from xinyu.db import transaction
from xinyu.roles import Role


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_network_counts_per_school_and_school_set(cli_db: str, engine: Engine,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    with transaction(engine) as session:
        qd = make_school(session, name="芝罘网络小学", grades=(3, 4), classes_per_grade=6)
        make_school(session, name="章贡网络小学", district_name="章贡区", grades=(4,), pack="ganzhou")
        first = next(c for c in qd.classes if c.grade == 4)
        district = session.get(District, qd.school.district_id)
        assert district is not None
        add_person(session, name="王小明", role=Role.class_psych_member, district=district, school=qd.school,
                   school_class=first)
        leader = qd.people["leader"].name
    code, out, err = run(capsys, "network", "--json", "--at", "2026-03-02T09:00")
    assert code == 0, err
    rows = {r["school"]: r for r in json.loads(out)}
    assert "王小明" not in out
    ours = rows["芝罘网络小学"]
    assert (ours["classes"], ours["classes_checked"], ours["classes_short"]) == (12, 6, 5)  # grade 4 only
    assert (ours["psych_teachers"], ours["full_time"], ours["teachers_needed"], ours["ratio_ok"]) == (1, 1, 2, False)
    assert ours["full_time_ok"] is True and ours["ok"] is False and ours["clauses"] == ["QD-T10", "QD-T2"]
    theirs = rows["章贡网络小学"]
    assert theirs["classes_short"] == 2 and theirs["ratio_ok"] is None and theirs["clauses"] == ["GZ-5.1"]

    code, _, err = run(capsys, "school", "set", "--school", "芝罘网络小学", "--boarding")
    assert code != 0 and "宿舍间数应为" in err
    code, _, err = run(capsys, "school", "set", "--school", "芝罘网络小学", "--day", "--dorms", "3")
    assert code != 0 and "非寄宿制" in err
    with Session(engine) as session:
        assert session.exec(select(RecordRevision)).first() is None
    code, out, err = run(capsys, "school", "set", "--school", "芝罘网络小学", "--boarding", "--dorms", "8",
                         "--by", leader, "--json")
    assert code == 0, err
    assert json.loads(out) == {"school": "芝罘网络小学", "boarding": True, "dorms": 8}
    with Session(engine) as session:
        school = session.get(School, qd.id)
        assert school is not None and (school.boarding, school.dorms) == (True, 8)
        revision = session.exec(select(RecordRevision).where(RecordRevision.kind == "school_network")).one()
        assert revision.by_id == qd.people["leader"].id
    code, out, err = run(capsys, "network", "--school", "芝罘网络小学")
    assert code == 0, err
    assert "芝罘网络小学" in out and "8间\t8" in out and "需2人 ▲未达标" in out
    code, _, err = run(capsys, "network", "--school", "没有这所学校")
    assert code != 0 and "没有名为 没有这所学校 的学校" in err


def test_a_jinan_school_needs_a_psych_member_in_every_class(cli_db: str, engine: Engine,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """JN-5 全面设立“心理委员”: every grade, at least one per class (the Jinan pack's reading)."""
    with transaction(engine) as session:
        jn = make_school(session, name="历下网络小学", district_name="历下区", grades=(1, 2), classes_per_grade=2,
                         pack="jinan")
        district = session.get(District, jn.school.district_id)
        assert district is not None
        for school_class in jn.classes[:3]:
            add_person(session, name=f"委员{school_class.id}", role=Role.class_psych_member, district=district,
                       school=jn.school, school_class=school_class)
    code, out, err = run(capsys, "network", "--school", "历下网络小学", "--json", "--at", "2026-03-02T09:00")
    assert code == 0, err
    (row,) = json.loads(out)
    assert (row["classes"], row["classes_checked"], row["classes_short"], row["clauses"]) == (4, 4, 1, ["JN-5"])
    assert row["ok"] is False and "委员" not in out
