"""A school's leader keeps the roster on a phone (390×844), in Debian's Chromium against a live server:
a file with a wrong row shows the error table and imports nothing; the fixed file imports; a roster without one
homeroom teacher is previewed (who loses which role), confirmed, and her open session at once gets 404 on the
school's pages. Screenshots go to test-output/screenshots/.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from models import RoleAssignment
from tests.roster_files import row_counts
from tests.web.browser import PHONE
from tests.web.conftest import PageFactory
from tests.web.roster_helpers import as_csv, school_roster
from tests.web.test_browser_crisis import fits_the_phone
from tests.web.test_browser_scenarios import Console, Site, console, follow_menu, open_as, shot, site  # noqa: F401
from tests.web.test_roster_upload import also_teaches_at, without
from tests.web.world import PASSWORD, World


def signed_in_quietly(page_factory: PageFactory, live: Site, login: str) -> Page:
    """Her own phone, not watched for console errors: the 404 pages she will meet are logged as such."""
    page = page_factory(viewport=PHONE)
    page.goto(live.url + "/login")
    page.locator("form[action='/login'] input[name=login]").fill(login)
    page.locator("form[action='/login'] input[name=password]").fill(PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def test_a_leader_fixes_a_roster_then_replaces_it_and_the_teacher_left_out_loses_the_school(
        page_factory: PageFactory, console: Console, site: Site,  # noqa: F811
        world: World, tmp_path: Path,
) -> None:
    sid, homeroom = world.school_id, world.accounts["homeroom"]
    also_teaches_at(site.engine, homeroom.person_id, world.other_school_id)
    teacher = signed_in_quietly(page_factory, site, homeroom.login)
    assert (response := teacher.goto(f"{site.url}/schools/{sid}/talks")) is not None and response.status == 200

    leader = open_as(page_factory, console, site, world, "leader", viewport=PHONE)
    follow_menu(leader, "名册")
    expect(leader.locator("h1")).to_contain_text("名册")
    roster = school_roster(site.engine, sid)
    wrong = [list(r) for r in roster]
    wrong[1][8] = "1380000"  # a phone number cut short
    (tmp_path / "名册.csv").write_bytes(as_csv(wrong, "gbk"))
    before = row_counts(site.engine)
    leader.get_by_test_id("roster-file").set_input_files(tmp_path / "名册.csv")
    leader.get_by_test_id("roster-submit").click()
    expect(leader.get_by_test_id("roster-error")).to_contain_text("名册.csv 有 1 处错误，未导入任何数据")
    row = leader.get_by_test_id("roster-errors").locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(0)).to_have_text("3")
    expect(row.locator("td").nth(1)).to_have_text("手机")
    expect(row.locator("td").nth(2)).to_have_text("1380000")
    expect(row.locator("td").nth(3)).to_contain_text("不是有效的手机号")
    fits_the_phone(leader)
    shot(leader, "roster-errors-phone.png")
    assert row_counts(site.engine) == before
    refusal = "status of 400 (Bad Request)"  # the refused upload's page answers 400, which Chromium logs
    assert sum(refusal in p for p in console.problems) == 1, console.problems
    console.problems[:] = [p for p in console.problems if refusal not in p]

    (tmp_path / "名册.csv").write_bytes(as_csv(roster, "gbk"))  # fixed
    leader.get_by_test_id("roster-file").set_input_files(tmp_path / "名册.csv")
    leader.get_by_test_id("roster-submit").click()
    expect(leader.get_by_test_id("roster-imported")).to_contain_text("已导入：名册.csv")
    shot(leader, "roster-imported-phone.png")

    (tmp_path / "全校名册.xlsx.csv").write_bytes(as_csv(without(roster, homeroom.name)))
    leader.get_by_test_id("roster-file").set_input_files(tmp_path / "全校名册.xlsx.csv")
    leader.get_by_text("作为本校完整名册（替换）").click()
    leader.get_by_test_id("roster-submit").click()
    withdrawn = leader.get_by_test_id("roster-withdrawn")
    expect(withdrawn).to_have_count(1)
    expect(withdrawn.locator("td").nth(1)).to_have_text(homeroom.name)
    expect(withdrawn.locator("td").nth(2)).to_contain_text("班主任（")
    expect(leader.get_by_test_id("roster-counts")).to_contain_text("撤销 1 人（共撤销角色任命 1 项）")
    fits_the_phone(leader)
    shot(leader, "roster-replace-preview-phone.png")
    with Session(site.engine) as session:  # the preview changed nothing
        assert session.exec(select(RoleAssignment).where(RoleAssignment.person_id == homeroom.person_id,
                                                         RoleAssignment.school_id == sid)).first() is not None

    leader.get_by_test_id("roster-confirm").click()
    expect(leader.get_by_test_id("roster-applied")).to_contain_text("已整体替换名册")
    fits_the_phone(leader)
    shot(leader, "roster-replaced-phone.png")
    with Session(site.engine) as session:
        assert session.exec(select(RoleAssignment).where(RoleAssignment.person_id == homeroom.person_id,
                                                         RoleAssignment.school_id == sid)).first() is None

    for path in (f"/schools/{sid}/talks", f"/schools/{sid}/board", f"/schools/{sid}/ledgers"):
        response = teacher.goto(site.url + path)
        assert response is not None and response.status == 404, path
    expect(teacher.locator("main")).to_contain_text(re.compile("页面不存在"))
    shot(teacher, "roster-withdrawn-teacher-404-phone.png")
