"""QD-2 一生一案, GZ-5.1 (a mentor's limit) and the class report's proposals: ledger B through the real CLI
(`xinyu ledger add B`, in-process on the scenario's database) and the core (the web's draft, edits, closing,
proposals), each step reading the state again from the database."""

import json
from datetime import datetime

import pytest
from parse import with_pattern
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import func
from sqlmodel import Session, col, select

from models import KeyStudentPlan, KeyStudentProposal, Person, Student, Task
from tests.features.support import TYPES, Db, SchoolRef, class_id, holder
from xinyu.cli import main
from xinyu.cycle import PackBook
from xinyu.history import revisions
from xinyu.ledgers.key_students import PLAN_FIELDS, STATUS_LABELS, PlanInput, close_plan, create_plan, update_plan
from xinyu.ledgers.proposals import STATUS_LABELS as PROPOSAL_LABELS
from xinyu.ledgers.proposals import accept_proposal, decline_proposal

scenarios("台账/一生一案成长指导方案.feature", "台账/一名教师挂点帮扶1至2名学生.feature",
          "台账/班级摸排推荐重点关爱学生.feature")

WORD = r"[^“”，、]+"
NAMES = r"[^“”]+"


@with_pattern(WORD)
def _word(value: str) -> str:
    return value


@with_pattern(NAMES)
def _names(value: str) -> str:
    return value


def _types() -> dict[str, object]:
    return {**TYPES, "W": _word, "L": _names}


def text(pattern: str) -> parsers.parse:
    return parsers.parse(pattern, extra_types=_types())


LABEL_TO_FIELD = {label: name for name, label in PLAN_FIELDS.items()}
ACTION_LABELS = {"created": "新建", "updated": "修改", "corrected": "更正", "closed": "结案/关闭"}
COMPLETE = {"family_situation": "父母离异，随父亲生活", "difficulties": "情绪低落", "study_plan": "每周补差一次",
            "growth_advice": "每两周谈心一次", "progression_path": "普通高中"}


@pytest.fixture
def cli_run(cli_db: str, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    return {"capsys": capsys}


def _student(session: Session, school: SchoolRef, name: str) -> Student:
    student = session.exec(select(Student).where(Student.school_id == school.id, Student.name == name)).first()
    assert student is not None, f"没有学生“{name}”"
    return student


def _person_name(session: Session, school: SchoolRef, who: str) -> str:
    person = session.get(Person, holder(session, school, who).person_id)
    assert person is not None
    return person.name


def _plan_of(session: Session, school: SchoolRef, name: str) -> KeyStudentPlan:
    student = _student(session, school, name)
    plan = session.exec(select(KeyStudentPlan).where(KeyStudentPlan.student_id == student.id)
                        .order_by(col(KeyStudentPlan.id).desc())).first()
    assert plan is not None, f"“{name}”没有一生一案"
    return plan


@given(text("{klass}有学生“{name}”"))
def _(db: Db, school: SchoolRef, klass: str, name: str) -> None:
    with db() as session:
        number = session.exec(select(func.count()).select_from(Student)).one() + 1
        session.add(Student(school_id=school.id, class_id=class_id(session, school, klass),
                            student_no=f"2026{number:04d}", name=name, gender="女"))


# ---- the command line ----

def _cli(db: Db, school: SchoolRef, cli_run: dict[str, object], who: str, name: str, at: datetime,
         values: dict[str, str]) -> dict[str, object]:
    with db() as session:
        by = _person_name(session, school, who)
        number = _student(session, school, name).student_no
        if "mentor" in values:
            values = {**values, "mentor": _person_name(session, school, values["mentor"])}
    argv = ["ledger", "add", "B", "--school", school.name, "--student-no", number, "--by", by,
            "--at", at.isoformat(), "--json"]
    for key, value in values.items():
        argv += ["--set", f"{key}={value}"]
    code = main(argv)
    captured = cli_run["capsys"].readouterr()  # type: ignore[attr-defined]
    return {"code": code, "out": captured.out, "err": captured.err}


@given(text("{who}于 {at:At} 用命令行为“{name:W}”建立一生一案："), target_fixture="command")
@when(text("{who}于 {at:At} 用命令行为“{name:W}”建立一生一案："), target_fixture="command")
def _(db: Db, school: SchoolRef, cli_run: dict[str, object], who: str, at: datetime, name: str,
      datatable: list[list[str]]) -> dict[str, object]:
    return _cli(db, school, cli_run, who, name, at, {k: v for k, v in datatable})


@given(text("{who}于 {at:At} 用命令行为“{name:W}”建立完整的一生一案，成长导师为{mentor}"), target_fixture="command")
@when(text("{who}于 {at:At} 用命令行为“{name:W}”建立完整的一生一案，成长导师为{mentor}"), target_fixture="command")
def _(db: Db, school: SchoolRef, cli_run: dict[str, object], who: str, at: datetime, name: str,
      mentor: str) -> dict[str, object]:
    result = _cli(db, school, cli_run, who, name, at, {**COMPLETE, "mentor": mentor})
    return result


@then("命令成功")
def _(command: dict[str, object]) -> None:
    assert command["code"] == 0, command["err"]
    shown = json.loads(str(command["out"]))
    assert shown["id"] and shown["status"] == "active"


@then(text("命令失败，提示“{message}”"))
def _(command: dict[str, object], message: str) -> None:
    assert command["code"] == 1, command
    err = str(command["err"]).strip()
    assert err.startswith("错误：") and "\n" not in err and message in err, err


@then("B 台账没有任何方案")
def _(db: Db, school: SchoolRef) -> None:
    with db() as session:
        assert session.exec(select(KeyStudentPlan).where(KeyStudentPlan.school_id == school.id)).first() is None


@then(text("B 台账共有 {n:d} 份方案"))
def _(db: Db, school: SchoolRef, n: int) -> None:
    with db() as session:
        assert len(list(session.exec(select(KeyStudentPlan).where(KeyStudentPlan.school_id == school.id)))) == n


# ---- the web's form, through the core ----

def _plan_input(datatable: list[list[str]], plan: KeyStudentPlan | None = None) -> PlanInput:
    values = {LABEL_TO_FIELD[label]: value for label, value in datatable}
    if plan is not None:
        return PlanInput(**values, mentor_id=plan.mentor_id, reason=plan.reason, categories=plan.categories,
                         parents_informed_on=plan.parents_informed_on)
    return PlanInput(**values)


@when(text("{who}于 {at:At} 为“{name:W}”保存一生一案，填写："))
def _(db: Db, book: PackBook, school: SchoolRef, who: str, at: datetime, name: str,
      datatable: list[list[str]]) -> None:
    with db() as session:
        create_plan(session, school_id=school.id, student_id=_student(session, school, name).id or 0,
                    values=_plan_input(datatable), by=holder(session, school, who).person_id, now=at,
                    rule=book.pack(school.pack).key_students)


@when(text("{who}于 {at:At} 修改“{name:W}”的一生一案，填写："))
def _(db: Db, book: PackBook, school: SchoolRef, who: str, at: datetime, name: str,
      datatable: list[list[str]]) -> None:
    with db() as session:
        plan = _plan_of(session, school, name)
        update_plan(session, plan=plan, values=_plan_input(datatable, plan), by=holder(session, school, who).person_id,
                    now=at, rule=book.pack(school.pack).key_students)


@given(text("{who}于 {at:At} 为“{name:W}”的一生一案结案，原因“{reason}”"))
@when(text("{who}于 {at:At} 为“{name:W}”的一生一案结案，原因“{reason}”"))
def _(db: Db, school: SchoolRef, who: str, at: datetime, name: str, reason: str) -> None:
    with db() as session:
        close_plan(session, plan=_plan_of(session, school, name), reason=reason,
                   by=holder(session, school, who).person_id, now=at)


@then(text("“{name:W}”的一生一案为“{status:W}”"))
def _(db: Db, school: SchoolRef, name: str, status: str) -> None:
    with db() as session:
        assert STATUS_LABELS[_plan_of(session, school, name).status] == status


@then(text("“{name:W}”的一生一案为“{status:W}”，尚缺“{missing:L}”"))
def _(db: Db, school: SchoolRef, name: str, status: str, missing: str) -> None:
    from xinyu.ledgers.key_students import missing_fields

    with db() as session:
        plan = _plan_of(session, school, name)
        assert STATUS_LABELS[plan.status] == status
        assert "、".join(PLAN_FIELDS[n] for n in missing_fields(plan)) == missing


@then(text("“{name:W}”的一生一案为“{status:W}”，成长导师为{mentor}，列入原因为“{reason:W}”"))
def _(db: Db, school: SchoolRef, name: str, status: str, mentor: str, reason: str) -> None:
    with db() as session:
        plan = _plan_of(session, school, name)
        assert (STATUS_LABELS[plan.status], plan.mentor_id, plan.reason) == (
            status, holder(session, school, mentor).person_id, reason)


@then(text("“{name:W}”的一生一案列入原因为“{reason:W}”"))
def _(db: Db, school: SchoolRef, name: str, reason: str) -> None:
    with db() as session:
        assert _plan_of(session, school, name).reason == reason


@then(text("“{name:W}”的一生一案处境不利类别为“{categories:L}”，告知家长日期为 {day:Day}"))
def _(db: Db, school: SchoolRef, name: str, categories: str, day: object) -> None:
    with db() as session:
        plan = _plan_of(session, school, name)
        assert ("、".join(plan.categories), plan.parents_informed_on) == (categories, day)


@then(text("“{name:W}”的一生一案修改记录为“{actions:L}”"))
def _(db: Db, school: SchoolRef, name: str, actions: str) -> None:
    with db() as session:
        plan = _plan_of(session, school, name)
        history = revisions(session, kind="ledger_b", record_id=plan.id or 0)
        assert "、".join(ACTION_LABELS[r.action] for r in history) == actions


# ---- proposals from the class report ----

@then("摸排记下的是学号，没有学生姓名")
def _(db: Db, school: SchoolRef) -> None:
    with db() as session:
        reports = [t for t in session.exec(select(Task).where(Task.school_id == school.id,
                                                             Task.template == "class_report")) if t.evidence]
        assert reports
        names = set(session.exec(select(Student.name).where(Student.school_id == school.id)))
        numbers = set(session.exec(select(Student.student_no).where(Student.school_id == school.id)))
        for report in reports:
            picked = report.evidence["attention_students"]
            assert set(picked) <= numbers and not any(n in json.dumps(report.evidence, ensure_ascii=False)
                                                      for n in names)


@then(text("{who}待处理的推荐为“{names:L}”，来源均为“{source:W}”"))
def _(db: Db, school: SchoolRef, who: str, names: str, source: str) -> None:
    with db() as session:
        assert holder(session, school, who)
        pending = list(session.exec(select(KeyStudentProposal, Student.name)  # type: ignore[call-overload]
                                    .join(Student, col(Student.id) == col(KeyStudentProposal.student_id))
                                    .where(KeyStudentProposal.school_id == school.id,
                                           KeyStudentProposal.status == "pending")
                                    .order_by(col(KeyStudentProposal.id))))
        assert "、".join(n for _, n in pending) == names
        assert {p.source for p, _ in pending} == {source}


@then(text("{who}没有待处理的推荐"))
def _(db: Db, school: SchoolRef, who: str) -> None:
    with db() as session:
        assert holder(session, school, who)
        assert session.exec(select(KeyStudentProposal).where(KeyStudentProposal.school_id == school.id,
                                                             KeyStudentProposal.status == "pending")).first() is None


def _proposal(session: Session, school: SchoolRef, name: str) -> KeyStudentProposal:
    student = _student(session, school, name)
    found = session.exec(select(KeyStudentProposal).where(KeyStudentProposal.student_id == student.id)
                         .order_by(col(KeyStudentProposal.id).desc())).first()
    assert found is not None, f"“{name}”没有推荐"
    return found


@when(text("{who}于 {at:At} 接受“{name:W}”的推荐"))
def _(db: Db, book: PackBook, school: SchoolRef, who: str, at: datetime, name: str) -> None:
    with db() as session:
        accept_proposal(session, proposal_id=_proposal(session, school, name).id or 0, school_id=school.id,
                        by=holder(session, school, who).person_id, now=at, rule=book.pack(school.pack).key_students)


@when(text("{who}于 {at:At} 不采纳“{name:W}”的推荐，理由“{reason}”"))
def _(db: Db, school: SchoolRef, who: str, at: datetime, name: str, reason: str) -> None:
    with db() as session:
        decline_proposal(session, proposal_id=_proposal(session, school, name).id or 0, school_id=school.id,
                         by=holder(session, school, who).person_id, now=at, reason=reason)


@then(text("{who}看到“{name:W}”的推荐未采纳，理由“{reason}”"))
def _(db: Db, school: SchoolRef, who: str, name: str, reason: str) -> None:
    from xinyu.access import load_viewer
    from xinyu.ledgers.key_student_views import proposal_listing

    with db() as session:
        viewer = load_viewer(session, holder(session, school, who).person_id)
        assert viewer is not None
        listing = proposal_listing(session, viewer, school.id)
        row = next(r for r in listing.decided if r.student_name == name)
        assert (row.status_label, row.decline_reason) == (PROPOSAL_LABELS["declined"], reason)
