"""The Jinan and Heilongjiang packs in a real browser (Debian Chromium via Playwright), on a phone (390×844):

1. a Jinan school's psychology teacher sees the three tiers on the ledger page (JN-3), the 24-hour hotline on a
   crisis case (JN-5), and quietly assigns a key student's 隐形保护人 (JN-5);
2. a Heilongjiang school's psychology teacher is refused closing a case as 返校复学 without a return-to-class
   plan (HLJ-12), then closes it with one.
Each page fits the phone's width; screenshots go to /tmp/jnhlj and the suite's screenshot folder.
"""

from __future__ import annotations

from datetime import date

from playwright.sync_api import expect
from sqlmodel import Session, col, select

from models import CrisisCase, KeyStudentPlan, School, Student
from tests.web.browser import PHONE
from tests.web.conftest import PageFactory
from tests.web.test_browser_crisis import fits_the_phone, shot
from tests.web.test_browser_scenarios import Console, Site, console, open_as, site  # noqa: F401  (fixtures)
from tests.web.world import NOW, World


def use_pack(live: Site, school_id: int, pack: str) -> None:
    with Session(live.engine) as session:
        school = session.get(School, school_id)
        assert school is not None
        school.pack = pack
        session.add(school)
        session.commit()


def a_student(live: Site, world: World, index: int) -> Student:
    with Session(live.engine) as session:
        return session.exec(select(Student).where(Student.class_id == world.accounts["homeroom"].class_id)
                            .order_by(col(Student.id))).all()[index]


def test_a_jinan_school_on_a_phone(page_factory: PageFactory, console: Console, site: Site,  # noqa: F811
                                   world: World) -> None:
    sid = world.school_id
    use_pack(site, sid, "jinan")
    student = a_student(site, world, 1)
    with Session(site.engine) as session:
        plan = KeyStudentPlan(school_id=sid, student_id=student.id or 0, opened_on=date(2026, 10, 9),
                              created_at=NOW, updated_at=NOW)
        session.add(plan)
        session.commit()
        plan_id = plan.id
    page = open_as(page_factory, console, site, world, "psych", viewport=PHONE)
    page.goto(f"{site.url}/schools/{sid}/ledgers")
    expect(page.get_by_test_id("ledger-tiers")).to_contain_text("一级 发展（全体学生）· A台账")
    expect(page.get_by_test_id("tab-B")).to_contain_text("二级 预防 · B台账")
    fits_the_phone(page)
    shot(page, "jinan-ledgers-phone.png")
    page.goto(f"{site.url}/schools/{sid}/crisis/{world.crisis_case_id}")
    expect(page.get_by_test_id("crisis-hotline")).to_have_text("24小时心理关爱热线：87-525-525（JN-5）")
    fits_the_phone(page)
    shot(page, "jinan-crisis-hotline-phone.png")
    page.goto(f"{site.url}/schools/{sid}/key-students/{plan_id}")
    page.get_by_test_id("protector-select").select_option(str(world.accounts["homeroom"].person_id))
    page.get_by_test_id("protector-save").click()
    page.wait_for_url(lambda url: url.endswith("?ok=protector"))
    expect(page.get_by_test_id("protector-name")).to_have_text(world.accounts["homeroom"].name)
    fits_the_phone(page)
    shot(page, "jinan-protector-phone.png")
    with Session(site.engine) as session:
        row = session.get(KeyStudentPlan, plan_id)
        assert row is not None and row.protector_id == world.accounts["homeroom"].person_id


def test_a_heilongjiang_case_needs_a_return_plan_on_a_phone(page_factory: PageFactory, console: Console,  # noqa: F811
                                                            site: Site, world: World) -> None:  # noqa: F811
    sid = world.school_id
    use_pack(site, sid, "heilongjiang")
    student = a_student(site, world, 2)
    with Session(site.engine) as session:
        case = CrisisCase(school_id=sid, student_id=student.id or 0, level="一般",
                          handler_id=world.accounts["psych"].person_id, opened_at=NOW, updated_at=NOW)
        session.add(case)
        session.commit()
        case_id = case.id
    page = open_as(page_factory, console, site, world, "psych", viewport=PHONE)
    page.goto(f"{site.url}/schools/{sid}/crisis/{case_id}")
    page.get_by_test_id("close-outcome").select_option("返校复学")
    page.get_by_test_id("close-save").click()
    expect(page.get_by_test_id("crisis-error")).to_contain_text("须填写复课衔接计划（HLJ-12")
    fits_the_phone(page)
    shot(page, "heilongjiang-return-plan-refused-phone.png")
    # The refusal is answered 400 by design (every refused form of the app); Chromium logs that status once.
    refusal = f"status of 400 (Bad Request) ({site.url}/schools/{sid}/crisis/{case_id}/close)"
    assert sum(refusal in p for p in console.problems) == 1, console.problems
    console.problems[:] = [p for p in console.problems if refusal not in p]
    page.get_by_test_id("close-outcome").select_option("返校复学")
    page.get_by_test_id("close-return-plan").fill("返校首月每周面谈一次，每两周与家长电话沟通")
    page.get_by_test_id("close-save").click()
    page.wait_for_url(lambda url: url.endswith("?ok=closed"))
    expect(page.get_by_test_id("crisis-return-plan")).to_contain_text("返校首月每周面谈一次")
    fits_the_phone(page)
    shot(page, "heilongjiang-return-plan-closed-phone.png")
