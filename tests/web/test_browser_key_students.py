"""Ledger B in a real browser on a phone (390×844, Debian Chromium): the homeroom teacher picks students of
concern in the monthly class report; the psychology teacher accepts one proposal and fills its 一生一案 (QD-2)
until it is active, then starts a plan for another student from the ledger's B tab. Checked on the page and in
the database; no page may log a console error (a blocked inline script is one); screenshots for a person."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlmodel import Session, col, select

from models import KeyStudentPlan, KeyStudentProposal, Student, Task
from tests.web.browser import PHONE
from tests.web.conftest import PageFactory
from tests.web.test_browser_scenarios import Console, Site, console, open_as, phone_shot, site  # noqa: F401
from tests.web.world import World

FULL = {"family_situation": "父母在外务工，随祖父母生活", "difficulties": "入学后情绪低落，少与同学交往",
        "study_plan": "语文阅读每周辅导一次", "growth_advice": "每两周谈心一次，鼓励参加合唱社团",
        "progression_path": "普通高中"}


def _reopen_class_report(live: Site, class_id: int) -> int:
    """The homeroom class's October report, still to do (the world's teachers did theirs early)."""
    with Session(live.engine) as session:
        task = session.exec(select(Task).where(Task.template == "class_report", Task.class_id == class_id)
                            .order_by(col(Task.id).desc())).first()
        assert task is not None and task.id is not None
        task.status, task.evidence, task.completed_at, task.completed_by_id = "open", {}, None, None
        session.add(task)
        session.commit()
        return task.id


def _unplanned(live: Site, class_id: int | None, school_id: int) -> list[Student]:
    with Session(live.engine) as session:
        planned = set(session.exec(select(KeyStudentPlan.student_id)))
        query = select(Student).where(Student.school_id == school_id).order_by(col(Student.student_no))
        if class_id is not None:
            query = query.where(Student.class_id == class_id)
        return [s for s in session.exec(query) if s.id not in planned]


def test_class_report_picks_then_the_psychology_teacher_fills_the_plan_on_a_phone(
        page_factory: PageFactory, console: Console, site: Site, world: World) -> None:  # noqa: F811
    teacher = world.accounts["homeroom"]
    assert teacher.class_id is not None and teacher.school_id is not None
    sid, cid = teacher.school_id, teacher.class_id
    report = _reopen_class_report(site, cid)
    first, second = _unplanned(site, cid, sid)[:2]

    homeroom = open_as(page_factory, console, site, world, "homeroom", viewport=PHONE)
    homeroom.goto(f"{site.url}/tasks/{report}")
    picks = homeroom.get_by_test_id("student-picks-attention_students")
    expect(picks).to_be_visible()
    picks.locator(f"input[value='{first.student_no}']").check()
    picks.locator(f"input[value='{second.student_no}']").check()
    homeroom.locator("[data-field=committee_consulted] input[value='是']").check()
    phone_shot(homeroom, "ledger-b-class-report-phone.png")
    homeroom.get_by_test_id("complete-button").click()
    homeroom.wait_for_url(lambda url: "ok=done" in url)
    picked = homeroom.locator("dd.evidence-value[data-field=attention_students]")
    expect(picked).to_contain_text(f"{first.student_no} {first.name}")

    psych = open_as(page_factory, console, site, world, "psych", viewport=PHONE)
    psych.goto(f"{site.url}/schools/{sid}/ledgers?view=B")
    psych.get_by_test_id("plan-proposals").click()
    with Session(site.engine) as session:
        proposal = session.exec(select(KeyStudentProposal).where(KeyStudentProposal.student_id == first.id,
                                                                 KeyStudentProposal.status == "pending")).one()
    expect(psych.get_by_test_id(f"proposal-{proposal.id}")).to_contain_text(first.name)
    phone_shot(psych, "ledger-b-proposals-phone.png")
    psych.get_by_test_id(f"accept-{proposal.id}").click()
    psych.wait_for_url(lambda url: "ok=accepted" in url)
    expect(psych.get_by_test_id("plan-status")).to_have_attribute("data-status", "draft")
    for name, value in FULL.items():
        psych.get_by_test_id(f"plan-{name}").fill(value)
    psych.get_by_test_id("plan-mentor").select_option(index=1)
    psych.get_by_test_id("plan-categories").locator("input[value='留守']").check()
    psych.get_by_test_id("plan-parents").fill("2026-10-19")
    phone_shot(psych, "ledger-b-plan-form-phone.png")
    psych.get_by_test_id("plan-save").click()
    psych.wait_for_url(lambda url: "ok=saved" in url)
    expect(psych.get_by_test_id("plan-status")).to_have_attribute("data-status", "active")
    psych.locator("details.history summary").click()
    expect(psych.locator("details.history")).to_contain_text("更正")
    phone_shot(psych, "ledger-b-plan-saved-phone.png")

    other = next(s for s in _unplanned(site, None, sid) if s.class_id != cid)
    psych.goto(f"{site.url}/schools/{sid}/ledgers?view=B")
    psych.get_by_test_id("plan-new").click()
    psych.get_by_test_id("plan-class").select_option(str(other.class_id))
    psych.get_by_test_id("plan-class-pick").click()
    psych.get_by_test_id("plan-student").select_option(str(other.id))
    psych.get_by_test_id("plan-family_situation").fill("单亲家庭")
    phone_shot(psych, "ledger-b-plan-new-phone.png")
    psych.get_by_test_id("plan-save").click()
    psych.wait_for_url(lambda url: "ok=created" in url)
    expect(psych.get_by_test_id("plan-missing")).to_contain_text("学业规划")

    with Session(site.engine) as session:
        plans = {p.student_id: p for p in session.exec(select(KeyStudentPlan).where(
            col(KeyStudentPlan.student_id).in_([first.id, other.id])))}
        assert plans[first.id].status == "active" and plans[first.id].reason == "班级摸排"
        assert plans[first.id].categories == ["留守"] and plans[first.id].mentor_id is not None
        assert plans[other.id].status == "draft"
        pending = session.exec(select(KeyStudentProposal).where(KeyStudentProposal.student_id == second.id)).one()
        assert pending.status == "pending"
