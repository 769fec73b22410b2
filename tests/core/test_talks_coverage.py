"""Ledger D (talks, family feedback) and QD-2 coverage, against hand-computed numbers; the CLI contract."""

import json
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from models import AuditEntry, CrisisCase, KeyStudentPlan, RecordRevision, ScreeningRecord, Student, TalkRecord
from tests.factories import SchoolFixture, add_person, make_school
from xinyu.cli import main
from xinyu.clock import SHANGHAI
from xinyu.cycle import PackBook
from xinyu.history import revisions
from xinyu.ledgers.coverage import parse_term, school_coverage, screening_coverage
from xinyu.ledgers.talks import TalkError, add_talk, correct_talk
from xinyu.roles import Role

NOW = datetime(2026, 11, 10, 9, 0, tzinfo=SHANGHAI)


def _students(session: Session, fx: SchoolFixture, per_class: int) -> list[list[Student]]:
    out = []
    for c in fx.classes:
        rows = [Student(school_id=fx.id, class_id=c.id or 0, student_no=f"{c.id}{n:03d}", name=f"学生{c.id}-{n}",
                        gender="男") for n in range(1, per_class + 1)]
        session.add_all(rows)
        out.append(rows)
    session.flush()
    return out


def _talk(session: Session, fx: SchoolFixture, s: Student, kind: str, on: date) -> None:
    session.add(TalkRecord(school_id=fx.id, student_id=s.id or 0, kind=kind, held_on=on, summary="x",
                           by_id=fx.people["psych_teacher"].id, created_at=NOW, updated_at=NOW))


def _plan(session: Session, fx: SchoolFixture, s: Student, status: str) -> None:
    session.add(KeyStudentPlan(school_id=fx.id, student_id=s.id or 0, status=status, opened_on=date(2026, 9, 5),
                               created_at=NOW, updated_at=NOW))


@pytest.fixture
def world(session: Session) -> tuple[SchoolFixture, list[list[Student]]]:
    fx = make_school(session, name="海川路小学", grades=(2, 5), classes_per_grade=1)
    students = _students(session, fx, 4)
    a, b = students  # 二年级1班, 五年级1班
    # class a: 3 of 4 talked in autumn 2026 (one twice), one talk only in spring 2026 (other semester)
    for s, on in ((a[0], date(2026, 9, 10)), (a[0], date(2026, 10, 1)), (a[1], date(2026, 10, 2)),
                  (a[2], date(2027, 1, 20)), (a[3], date(2026, 6, 1))):
        _talk(session, fx, s, "谈心", on)
    # key students of a: a0 active, a1 draft, a2 closed (not a key student any more)
    _plan(session, fx, a[0], "active")
    _plan(session, fx, a[1], "draft")
    _plan(session, fx, a[2], "closed")
    _talk(session, fx, a[0], "家访", date(2026, 9, 20))
    _talk(session, fx, a[1], "电话", date(2026, 8, 1))  # before the semester
    _talk(session, fx, a[2], "微信", date(2026, 10, 1))  # plan closed: not counted
    # class b: every student talked; its one key student's family at a 家长会; a feedback is not a talk
    for s in b:
        _talk(session, fx, s, "谈心", date(2026, 11, 2))
    _plan(session, fx, b[3], "active")
    _talk(session, fx, b[3], "家长会", date(2026, 11, 3))
    _talk(session, fx, b[0], "电话", date(2026, 11, 3))  # not a key student: no feedback count
    session.commit()
    return fx, students


def test_coverage_matches_hand_counts(session: Session, world: Any, book: PackBook) -> None:
    fx, _ = world
    pack = book.pack("qingdao")
    coverage = school_coverage(session, school_id=fx.id, pack=pack, term=parse_term(pack, "2026-秋"))
    got = [c.as_json() for c in coverage.classes]
    assert got == [
        {"class": "二年级1班", "students": 4, "talked": 3, "key_students": 2, "with_plan": 1, "family_feedback": 1},
        {"class": "五年级1班", "students": 4, "talked": 4, "key_students": 1, "with_plan": 1, "family_feedback": 1},
    ]
    assert coverage.short(coverage.classes[0]) == {"talked": True, "with_plan": True, "family_feedback": True}
    assert coverage.short(coverage.classes[1]) == {"talked": False, "with_plan": False, "family_feedback": False}
    spring = school_coverage(session, school_id=fx.id, pack=pack, term=parse_term(pack, "2026-春"))
    assert [c.talked for c in spring.classes] == [1, 0]
    assert (spring.term.start, spring.term.end) == (date(2026, 2, 1), date(2026, 8, 31))
    assert [c.family_feedback for c in spring.classes] == [1, 0]


def test_screening_coverage_counts_this_school_year(session: Session, world: Any) -> None:
    fx, (a, b) = world
    for s, on in ((a[0], date(2026, 9, 15)), (a[0], date(2026, 10, 15)), (a[1], date(2026, 8, 31)),
                  (b[0], date(2027, 9, 2))):
        session.add(ScreeningRecord(school_id=fx.id, student_id=s.id or 0, screened_on=on, scale=f"MHT{on}",
                                    total_score=1, level="无", method="online"))
    session.commit()
    start, classes = screening_coverage(session, school_id=fx.id, today=date(2026, 11, 10))
    assert start == date(2026, 9, 1)
    assert [(c.screened, c.students) for c in classes] == [(1, 4), (0, 4)]
    _, last_day = screening_coverage(session, school_id=fx.id, today=date(2027, 8, 31))
    assert [c.screened for c in last_day] == [1, 0]
    _, next_year = screening_coverage(session, school_id=fx.id, today=date(2027, 9, 10))
    assert [c.screened for c in next_year] == [0, 1]


def test_homeroom_records_own_class_only_and_corrects_within_month(session: Session, world: Any) -> None:
    fx, (a, b) = world
    homeroom_a = fx.people[f"homeroom:{fx.classes[0].id}"]
    assert homeroom_a.id is not None
    record = add_talk(session, person_id=homeroom_a.id, student=a[3], kind="谈心", held_on="2026-11-09",
                      summary="谈学习压力", now=NOW)
    assert record.created_at == NOW and record.updated_at == NOW
    with pytest.raises(TalkError, match="班主任"):
        add_talk(session, person_id=homeroom_a.id, student=b[0], kind="谈心", held_on="2026-11-09", summary="x",
                 now=NOW)
    with pytest.raises(TalkError, match="kind"):
        add_talk(session, person_id=homeroom_a.id, student=a[0], kind="聊天", held_on="2026-11-09", summary="x",
                 now=NOW)
    with pytest.raises(TalkError, match="held_on"):
        add_talk(session, person_id=homeroom_a.id, student=a[0], kind="谈心", held_on="2026-11-11", summary="x",
                 now=NOW)
    later = datetime(2026, 11, 20, 8, 0, tzinfo=SHANGHAI)
    correct_talk(session, person_id=homeroom_a.id, record=record, kind="家访", held_on="2026-11-08",
                 summary="家访：谈学习压力", now=later)
    assert record.updated_at == later
    psych = fx.people["psych_teacher"]
    assert psych.id is not None
    with pytest.raises(TalkError, match="本人"):
        correct_talk(session, person_id=psych.id, record=record, kind="谈心", held_on="2026-11-08", summary="y",
                     now=later)
    with pytest.raises(TalkError, match="当月"):
        correct_talk(session, person_id=homeroom_a.id, record=record, kind="谈心", held_on="2026-11-08",
                     summary="y", now=datetime(2026, 12, 1, 8, 0, tzinfo=SHANGHAI))
    assert record.id is not None
    history = revisions(session, kind="ledger_d", record_id=record.id)
    assert [h.action for h in history] == ["created", "corrected"]
    assert ("kind", "谈心", "家访") in history[1].changed
    # the psychology teacher records for any class
    add_talk(session, person_id=psych.id, student=b[1], kind="微信", held_on="2026-11-09", summary="反馈", now=NOW)


# ---- the CLI contract ----

def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def cli_world(cli_db: str, engine: Engine) -> tuple[SchoolFixture, list[list[Student]]]:
    with Session(engine, expire_on_commit=False) as session:
        fx = make_school(session, name="海川路小学", grades=(2, 5), classes_per_grade=1)
        students = _students(session, fx, 3)
        assert fx.school.district_id is not None
        from models import District

        district = session.get(District, fx.school.district_id)
        assert district is not None
        add_person(session, name="任课林老师", role=Role.subject_teacher, district=district, school=fx.school,
                   school_class=fx.classes[1])
        session.commit()
    return fx, students


def _talks(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(TalkRecord)).one())


def test_cli_add_d_list_and_coverage(cli_world: Any, engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    fx, (a, b) = cli_world
    homeroom = fx.people[f"homeroom:{fx.classes[0].id}"].name
    base = ["ledger", "add", "D", "--school", "海川路小学", "--by", homeroom]
    code, out, _ = run(capsys, *base, "--student-no", a[0].student_no, "--set", "kind=谈心",
                       "--set", "held_on=2026-10-09", "--set", "summary=开学适应", "--at", "2026-10-09T16:00",
                       "--json")
    assert code == 0
    created = json.loads(out)
    assert created["id"] >= 1 and created["kind"] == "谈心"
    for bad, field in ((["--set", "kind=聊天"], "kind"),
                       (["--set", "kind=谈心", "--set", "held_on=10月9日"], "held_on"),
                       (["--set", "kind=家访", "--set", "held_on=2026-10-09"], "summary")):
        values = bad + ([] if field == "summary" else ["--set", "summary=x"])
        if field == "kind":
            values += ["--set", "held_on=2026-10-09"]
        code, out, err = run(capsys, *base, "--student-no", a[1].student_no, *values, "--at", "2026-10-09T16:00")
        assert code == 1 and err.startswith("错误：") and field in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, *base, "--student-no", b[0].student_no, "--set", "kind=谈心",
                       "--set", "held_on=2026-10-09", "--set", "summary=x", "--at", "2026-10-09T16:00")
    assert code == 1 and "班主任" in err
    code, _, err = run(capsys, "ledger", "add", "D", "--school", "海川路小学", "--by", "任课林老师",
                       "--student-no", b[0].student_no, "--set", "kind=电话", "--set", "held_on=2026-10-09",
                       "--set", "summary=x", "--at", "2026-10-09T16:00")
    assert code == 1
    assert _talks(engine) == 1
    psych = fx.people["psych_teacher"].name
    code, out, _ = run(capsys, "ledger", "add", "D", "--school", "海川路小学", "--by", psych, "--student-no",
                       b[0].student_no, "--set", "kind=家长会", "--set", "held_on=2026-10-10",
                       "--set", "summary=家长会反馈",
                       "--at", "2026-10-10T18:00")
    assert code == 0 and "D-" in out
    # list D: the homeroom teacher sees her class only, the psychology teacher both
    code, out, _ = run(capsys, "ledger", "list", "D", "--school", "海川路小学", "--by", homeroom, "--json")
    assert code == 0 and [r["student_no"] for r in json.loads(out)] == [a[0].student_no]
    code, out, _ = run(capsys, "ledger", "list", "D", "--school", "海川路小学", "--by", psych, "--class", "五年级1班",
                       "--json")
    assert code == 0 and [r["kind"] for r in json.loads(out)] == ["家长会"]
    code, out, _ = run(capsys, "ledger", "list", "A", "--school", "海川路小学", "--by", psych)
    assert code == 0 and "0 条" in out
    # ledger C: refused for a homeroom teacher (not among the pack's ledger_readers.C), read (and audited) by the leader
    code, _, err = run(capsys, "ledger", "list", "C", "--school", "海川路小学", "--by", homeroom)
    assert code == 1 and "C 台账" in err
    with Session(engine) as session:
        session.add(CrisisCase(school_id=fx.id, student_id=a[1].id or 0, level="一般", opened_at=NOW))
        session.commit()
    leader = fx.people["leader"].name
    code, out, _ = run(capsys, "ledger", "list", "C", "--school", "海川路小学", "--by", leader, "--json")
    assert code == 0 and len(json.loads(out)) == 1
    with Session(engine) as session:
        audits = session.exec(select(AuditEntry).where(AuditEntry.action == "read_crisis")).all()
        assert len(audits) == 1 and audits[0].actor_id == fx.people["leader"].id
        assert session.exec(select(func.count()).select_from(RecordRevision)
                            .where(RecordRevision.kind == "ledger_d")).one() == 2
    # coverage
    code, out, _ = run(capsys, "coverage", "--school", "海川路小学", "--semester", "2026-秋", "--json")
    rows = json.loads(out)
    assert code == 0
    assert [{k: r[k] for k in ("class", "students", "talked", "key_students", "with_plan", "family_feedback")}
            for r in rows] == [
        {"class": "二年级1班", "students": 3, "talked": 1, "key_students": 0, "with_plan": 0, "family_feedback": 0},
        {"class": "五年级1班", "students": 3, "talked": 0, "key_students": 0, "with_plan": 0, "family_feedback": 0}]
    code, out, _ = run(capsys, "coverage", "--school", "海川路小学", "--at", "2027-03-01")
    assert code == 0 and "2027年春季学期" in out
    code, _, err = run(capsys, "coverage", "--school", "海川路小学", "--semester", "2026-夏")
    assert code == 1 and "YYYY-秋" in err
