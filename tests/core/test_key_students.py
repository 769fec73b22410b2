"""Ledger B 一生一案 (QD-2, GZ-5.1, JL-12): plans, the mentor limit, one open plan per student, history,
proposals from the class report's picks, and the agenda's count of picks."""

from datetime import date, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from models import KeyStudentPlan, KeyStudentProposal, Person, RecordRevision, Student
from tests.factories import add_person, make_school
from xinyu.clock import SHANGHAI
from xinyu.cycle import PackBook
from xinyu.cycle.evidence import EvidenceError, parse_evidence
from xinyu.cycle.student_picks import count_picks
from xinyu.history import revisions
from xinyu.ledgers.key_students import (
    KeyStudentError,
    PlanInput,
    close_plan,
    create_plan,
    keeps_ledger_b,
    update_plan,
)
from xinyu.ledgers.proposals import accept_proposal, decline_proposal, propose
from xinyu.packs import EvidenceField, KeyStudentRule, PackError, load_pack_file
from xinyu.roles import Role

OCT = datetime(2026, 10, 12, 10, 0, tzinfo=SHANGHAI)
NOV = datetime(2026, 11, 3, 10, 0, tzinfo=SHANGHAI)
FULL = {"family_situation": "父母离异，随祖父母生活", "difficulties": "情绪低落、人际退缩",
        "study_plan": "数学每周补差一次", "growth_advice": "每两周谈心，鼓励参加社团", "progression_path": "普通高中"}
GANZHOU = KeyStudentRule(max_key_students_per_mentor=2, mentor_clause="GZ-5.1")
QINGDAO = KeyStudentRule()


@pytest.fixture
def world(session: Session) -> dict[str, int]:
    fixture = make_school(session, name="史记实验中学", grades=(7,), classes_per_grade=2)
    district = fixture.school.district_id
    from models import District

    d = session.get(District, district)
    assert d is not None
    psych = add_person(session, name="心理甲", role=Role.psych_teacher, district=d, school=fixture.school)
    mentor = add_person(session, name="导师乙", role=Role.subject_teacher, district=d, school=fixture.school)
    ids = {"school": fixture.id, "psych": psych.id or 0, "mentor": mentor.id or 0}
    for index, school_class in enumerate(fixture.classes):
        ids[f"class{index}"] = school_class.id or 0
        ids[f"homeroom{index}"] = fixture.people[f"homeroom:{school_class.id}"].id or 0
        for n in range(4):
            student = Student(school_id=fixture.id, class_id=school_class.id or 0, student_no=f"S{index}{n}",
                              name=f"学生{index}{n}", gender="女")
            session.add(student)
            session.flush()
            ids[f"s{index}{n}"] = student.id or 0
    session.commit()
    return ids


def _plan(session: Session, w: dict[str, int], student: str, *, rule: KeyStudentRule = QINGDAO, now: datetime = OCT,
          require_complete: bool = False, **values: object) -> KeyStudentPlan:
    data = {**FULL, "mentor_id": w["mentor"], **values}
    return create_plan(session, school_id=w["school"], student_id=w[student],
                       values=PlanInput(**data),  # type: ignore[arg-type]
                       by=w["psych"], now=now, rule=rule, require_complete=require_complete)


def test_a_complete_plan_is_active_an_incomplete_one_a_draft(session: Session, world: dict[str, int]) -> None:
    active = _plan(session, world, "s00", categories=["单亲", "留守"], parents_informed_on=date(2026, 10, 11))
    assert active.status == "active" and active.categories == ["留守", "单亲"]  # the pack's order
    assert active.created_at == OCT and active.updated_at == OCT and active.opened_on == date(2026, 10, 12)
    draft = _plan(session, world, "s01", study_plan="", progression_path=" ")
    assert draft.status == "draft"
    with pytest.raises(KeyStudentError, match=r"缺少“学业规划”\(study_plan\)、缺少“升学路径”\(progression_path\)"):
        _plan(session, world, "s02", study_plan="", progression_path="", require_complete=True)


def test_one_open_plan_per_student(session: Session, world: dict[str, int]) -> None:
    first = _plan(session, world, "s00")
    with pytest.raises(KeyStudentError, match="已有在案的一生一案"):
        _plan(session, world, "s00")
    close_plan(session, plan=first, reason="情况好转，转入常规关注", by=world["psych"], now=NOV)
    assert first.status == "closed" and first.closed_on == date(2026, 11, 3)
    assert _plan(session, world, "s00", now=NOV).status == "active"  # a new plan after the closing


def test_the_mentor_limit_of_the_pack(session: Session, world: dict[str, int]) -> None:
    _plan(session, world, "s00", rule=GANZHOU)
    _plan(session, world, "s01", rule=GANZHOU, study_plan="")  # a draft counts too
    with pytest.raises(KeyStudentError, match=r"成长导师\(mentor\)导师乙 已挂点帮扶 2 名.*至多 2 名（GZ-5.1"):
        _plan(session, world, "s02", rule=GANZHOU)
    assert len(list(session.exec(select(KeyStudentPlan)))) == 2
    for student in ("s02", "s03", "s10"):  # Qingdao sets no limit
        _plan(session, world, student, rule=QINGDAO)


def test_a_closed_plan_frees_its_mentor(session: Session, world: dict[str, int]) -> None:
    first = _plan(session, world, "s00", rule=GANZHOU)
    _plan(session, world, "s01", rule=GANZHOU)
    close_plan(session, plan=first, reason="毕业离校", by=world["psych"], now=NOV)
    assert _plan(session, world, "s02", rule=GANZHOU, now=NOV).mentor_id == world["mentor"]


def test_refusals_name_the_field(session: Session, world: dict[str, int]) -> None:
    with pytest.raises(KeyStudentError, match=r"列入原因\(reason\)"):
        _plan(session, world, "s00", reason="随便")
    with pytest.raises(KeyStudentError, match=r"处境不利类别\(categories\)"):
        _plan(session, world, "s00", categories=["外星"])
    with pytest.raises(KeyStudentError, match="控制字符"):
        _plan(session, world, "s00", difficulties="焦虑\u202e")
    with pytest.raises(KeyStudentError, match=r"成长导师\(mentor\)应为本校教职工"):
        create_plan(session, school_id=world["school"], student_id=world["s00"],
                    values=PlanInput(**FULL, mentor_id=999_999), by=world["psych"], now=OCT, rule=QINGDAO)
    with pytest.raises(KeyStudentError, match="须写明结案原因"):
        close_plan(session, plan=_plan(session, world, "s00"), reason="  ", by=world["psych"], now=OCT)


def test_every_change_is_a_version_and_the_author_corrects_within_the_month(
        session: Session, world: dict[str, int]) -> None:
    plan = _plan(session, world, "s00", study_plan="")
    assert plan.status == "draft"
    update_plan(session, plan=plan, values=PlanInput(**FULL, mentor_id=world["mentor"]), by=world["psych"],
                now=OCT.replace(day=20), rule=QINGDAO)
    assert plan.status == "active" and plan.updated_at == OCT.replace(day=20)
    update_plan(session, plan=plan, values=PlanInput(**{**FULL, "growth_advice": "每周谈心"},
                                                     mentor_id=world["mentor"]),
                by=world["psych"], now=NOV, rule=QINGDAO)
    close_plan(session, plan=plan, reason="转学", by=world["psych"], now=NOV)
    with pytest.raises(KeyStudentError, match="已结案"):
        update_plan(session, plan=plan, values=PlanInput(**FULL), by=world["psych"], now=NOV, rule=QINGDAO)
    session.flush()
    history = revisions(session, kind="ledger_b", record_id=plan.id or 0)
    assert [r.action for r in history] == ["created", "corrected", "updated", "closed"]
    assert ("study_plan", "", FULL["study_plan"]) in history[1].changed
    assert ("status", "draft", "active") in history[1].changed
    assert ("growth_advice", FULL["growth_advice"], "每周谈心") in history[2].changed
    assert ("close_reason", "", "转学") in history[3].changed


def test_who_keeps_ledger_b(session: Session, world: dict[str, int]) -> None:
    assert keeps_ledger_b(session, world["psych"], world["school"])
    assert not keeps_ledger_b(session, world["homeroom0"], world["school"])
    assert not keeps_ledger_b(session, world["mentor"], world["school"])


def test_proposals_skip_students_already_on_the_ledger(session: Session, world: dict[str, int]) -> None:
    _plan(session, world, "s00")
    made = propose(session, school_id=world["school"], class_id=world["class0"],
                   student_ids=[world["s00"], world["s01"], world["s02"]], source="班级摸排",
                   by=world["homeroom0"], now=OCT)
    assert [p.student_id for p in made] == [world["s01"], world["s02"]]
    again = propose(session, school_id=world["school"], class_id=world["class0"], student_ids=[world["s01"]],
                    source="班级摸排", by=world["homeroom0"], now=OCT)
    assert again == []  # pending already
    with pytest.raises(KeyStudentError, match="只能推荐本班学生"):
        propose(session, school_id=world["school"], class_id=world["class0"], student_ids=[world["s10"]],
                source="教师推荐", by=world["homeroom0"], now=OCT)
    plan = accept_proposal(session, proposal_id=made[0].id or 0, school_id=world["school"], by=world["psych"],
                           now=OCT, rule=QINGDAO)
    assert plan.status == "draft" and plan.reason == "班级摸排" and plan.student_id == world["s01"]
    with pytest.raises(KeyStudentError, match="须写明理由"):
        decline_proposal(session, proposal_id=made[1].id or 0, school_id=world["school"], by=world["psych"],
                         now=OCT, reason=" ")
    declined = decline_proposal(session, proposal_id=made[1].id or 0, school_id=world["school"],
                                by=world["psych"], now=OCT, reason="已在心理辅导室跟进，暂不列入")
    assert declined.status == "declined"
    with pytest.raises(KeyStudentError, match="不能维护重点关爱学生台账"):
        accept_proposal(session, proposal_id=made[1].id or 0, school_id=world["school"], by=world["homeroom0"],
                        now=OCT, rule=QINGDAO)
    with pytest.raises(KeyStudentError, match="已未采纳"):
        accept_proposal(session, proposal_id=made[1].id or 0, school_id=world["school"], by=world["psych"],
                        now=OCT, rule=QINGDAO)
    assert {p.status for p in session.exec(select(KeyStudentProposal))} == {"accepted", "declined"}


PICKS = EvidenceField(name="attention_students", label="本月需关注的学生", type="students", proposes="B")


def test_picks_parse_as_student_numbers() -> None:
    assert parse_evidence((PICKS,), {"attention_students": "S01，S02、S01 S03"}) == {
        "attention_students": ["S01", "S02", "S03"]}
    assert parse_evidence((PICKS,), {"attention_students": ["S01", "S01"]}) == {"attention_students": ["S01"]}
    assert parse_evidence((PICKS,), {"attention_students": ""}) == {}
    with pytest.raises(EvidenceError, match="U\\+202E"):
        parse_evidence((PICKS,), {"attention_students": "S0\u202e1"})


def test_the_agenda_counts_picks_and_old_counts() -> None:
    assert count_picks(["S01", "S02"]) == 2
    assert count_picks(3) == 3  # a month from before the picks
    assert count_picks(None) == 0 and count_picks([]) == 0 and count_picks(True) == 0


def test_the_class_report_picks_propose_to_ledger_b(session: Session, world: dict[str, int], book: PackBook) -> None:
    from models import Task
    from xinyu.cycle import advance, complete_task

    advance(session, now=datetime(2026, 10, 8, 9, 0, tzinfo=SHANGHAI), book=book, school_ids=[world["school"]])
    session.commit()
    reports = list(session.exec(select(Task).where(Task.template == "class_report", Task.school_id == world["school"])
                                .order_by(col(Task.class_id))))
    assert len(reports) == 2
    first, second = reports
    with pytest.raises(ValueError, match="S10 不是本班学生的学号"):
        complete_task(session, task_id=first.id or 0, values={"attention_students": "S00,S10",
                                                              "committee_consulted": "是"}, now=OCT, book=book)
    session.rollback()
    assert session.exec(select(KeyStudentProposal)).first() is None
    done = complete_task(session, task_id=first.id or 0, values={"attention_students": "S01,S00",
                                                                 "committee_consulted": "是"}, now=OCT, book=book)
    assert done.evidence["attention_students"] == ["S01", "S00"]
    complete_task(session, task_id=second.id or 0, values={"committee_consulted": "是"}, now=OCT, book=book)
    session.commit()
    session.refresh(second)
    assert second.evidence["attention_students"] == []
    proposals = list(session.exec(select(KeyStudentProposal).order_by(col(KeyStudentProposal.id))))
    assert [(p.student_id, p.source, p.status, p.task_id) for p in proposals] == [
        (world["s01"], "班级摸排", "pending", first.id), (world["s00"], "班级摸排", "pending", first.id)]
    assert session.exec(select(RecordRevision)).first() is None  # a proposal is not yet a ledger entry
    assert session.get(Person, proposals[0].proposed_by_id or 0) is not None


def test_the_pack_refuses_a_student_pick_outside_a_class_task(tmp_path: Path, packs_dir: Path) -> None:
    text = (packs_dir / "qingdao.yaml").read_text(encoding="utf-8")
    bad = text.replace("          - {name: new_key_students, label: 新增重点关爱学生数, type: int, min: 0, max: 20000, "
                       "required: true}",
                       "          - {name: new_key_students, label: 新增重点关爱学生, type: students}")
    assert bad != text
    (tmp_path / "qingdao.yaml").write_text(bad, encoding="utf-8")
    with pytest.raises(PackError, match="type: students 只用于 per: class"):
        load_pack_file(tmp_path / "qingdao.yaml")
    limit = text.replace("  categories_clause: JL-12\n",
                         "  categories_clause: JL-12\n  max_key_students_per_mentor: 0\n")
    (tmp_path / "qingdao.yaml").write_text(limit, encoding="utf-8")
    with pytest.raises(PackError, match="max_key_students_per_mentor"):
        load_pack_file(tmp_path / "qingdao.yaml")
