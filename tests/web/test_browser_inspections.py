"""A district inspection on a phone (QD-S2): the officer records one inspection of two schools with a finding for
each; the school's leader opens the rectification task from the notice's link and sees the finding, its clause
and its responsible unit; the officer's dashboard and inbox show the count and the open findings. No student
name appears on any of these pages. Screenshots at phone size go to screenshot_dir()."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlmodel import Session, col, select

from models import InspectionFinding, OutboxMessage, School
from tests.web.browser import PHONE
from tests.web.conftest import PageFactory
from tests.web.test_browser_scenarios import (  # noqa: F401
    Console,
    Site,
    console,
    follow_menu,
    open_as,
    phone_shot,
    shot,
    site,
)
from tests.web.world import World


def test_an_officer_records_an_inspection_and_the_leader_opens_the_task(
        page_factory: PageFactory, console: Console, site: Site, world: World) -> None:  # noqa: F811
    with Session(site.engine) as session:
        names = {s.id: s.name for s in session.exec(select(School))}
    officer = open_as(page_factory, console, site, world, "officer", viewport=PHONE)
    follow_menu(officer, "专项巡查")
    officer.get_by_test_id("inspection-new").click()
    officer.get_by_test_id("school-1").select_option(str(world.school_id))
    officer.get_by_test_id("finding-1").fill("专职心理教师配备不足")
    officer.get_by_test_id("school-2").select_option(str(world.other_school_id))
    officer.get_by_test_id("finding-2").fill("心理健康教育课程开课不足")
    officer.locator("input[name=days]").fill("3")
    shot(officer, "inspection-form-phone.png")
    officer.mouse.click(1, 1)  # after a full-page screenshot headless Chromium drops the first click
    officer.get_by_test_id("inspection-submit").click()
    expect(officer.get_by_test_id("inspection-ok")).to_contain_text("整改通知已发给学校组长")
    expect(officer.get_by_test_id("open-findings")).to_contain_text("专职心理教师配备不足")
    row = officer.locator(f"tr[data-school-id='{world.school_id}']")
    expect(row).to_have_attribute("data-count", "1")
    phone_shot(officer, "inspection-list-phone.png")
    follow_menu(officer, "督办收件箱")
    expect(officer.get_by_test_id("open-findings")).to_contain_text("心理健康教育课程开课不足")
    phone_shot(officer, "inspection-inbox-phone.png")
    follow_menu(officer, "数据看板")
    expect(officer.get_by_test_id("inspections-per-school")).to_contain_text(names[world.school_id])
    phone_shot(officer, "inspection-dashboard-phone.png")
    for text in (officer.content(),):
        assert not [n for n in world.student_names if n and n in text]

    with Session(site.engine) as session:
        finding = session.exec(select(InspectionFinding).where(InspectionFinding.school_id == world.school_id)).one()
        mail = session.exec(select(OutboxMessage).where(
            col(OutboxMessage.dedupe_key).startswith(f"inspection:{finding.id}:"),
            OutboxMessage.channel == "email")).first()
    assert mail is not None
    link = re.search(r"https?://\S+?(/tasks/\d+)", mail.body_text)
    assert link and link.group(1) == f"/tasks/{finding.task_id}"
    leader = open_as(page_factory, console, site, world, "leader", viewport=PHONE)
    leader.goto(site.url + link.group(1))
    expect(leader.get_by_test_id("task-title")).to_contain_text("专职心理教师配备不足")
    expect(leader.get_by_test_id("task-clause")).to_contain_text("QD-S2")
    expect(leader.get_by_test_id("task-responsible")).to_contain_text("学校（心理健康教育工作领导小组组长）")
    phone_shot(leader, "inspection-task-phone.png")
    assert not [n for n in world.student_names if n and n in leader.content()]
    leader.get_by_label("整改落实情况").fill("已补配一名专职心理教师")
    leader.locator("form button[type=submit].primary").first.click()
    expect(leader.get_by_test_id("task-ok")).to_be_visible()
    with Session(site.engine) as session:
        assert session.get(InspectionFinding, finding.id).status == "closed"  # type: ignore[union-attr]
