"""Ledger D on a phone (QD-2): a homeroom teacher signs in, finds her class, taps “谈心” for a student, saves
the short form (prefilled with today) and sees the student marked; the record is in the database with its
history. Screenshots of the form and the coverage page at phone size go to screenshot_dir() (and /tmp/h2)."""

from __future__ import annotations

import shutil
from pathlib import Path

from playwright.sync_api import expect
from sqlmodel import Session, col, select

from models import RecordRevision, Student, TalkRecord
from tests.web.browser import PHONE
from tests.web.conftest import PageFactory
from tests.web.test_browser_scenarios import Console, Site, console, follow_menu, open_as, phone_shot, site  # noqa: F401
from tests.web.world import TODAY, World

COPY_TO = Path("/tmp/h2")


def _keep(path: Path) -> None:
    if COPY_TO.is_dir():
        shutil.copy(path, COPY_TO / path.name)


def test_homeroom_teacher_records_a_talk_on_a_phone(page_factory: PageFactory, console: Console,  # noqa: F811
                                                     site: Site, world: World) -> None:  # noqa: F811
    account = world.accounts["homeroom"]
    with Session(site.engine) as session:
        student = session.exec(select(Student).where(Student.class_id == account.class_id)
                               .order_by(col(Student.student_no))).first()
        assert student is not None and student.id is not None
    page = open_as(page_factory, console, site, world, "homeroom", viewport=PHONE)
    follow_menu(page, "谈心反馈")
    row = page.get_by_test_id(f"talk-student-{student.id}")
    expect(row).to_contain_text("本学期未谈心")
    row.get_by_test_id(f"talk-{student.id}").click()
    expect(page.get_by_test_id("held-on")).to_have_value(TODAY.isoformat())
    expect(page.get_by_test_id("kind-谈心")).to_be_checked()
    page.get_by_test_id("summary").fill("聊了期中考试前的安排，情绪平稳")
    _keep(phone_shot(page, "talk-form-phone.png"))
    page.get_by_test_id("talk-save").click()
    expect(page.get_by_test_id("talk-saved")).to_contain_text("谈心")
    expect(page.get_by_test_id(f"talk-student-{student.id}")).to_contain_text(f"谈心 {TODAY:%m-%d}")
    _keep(phone_shot(page, "talk-class-phone.png"))
    with Session(site.engine) as session:
        record = session.exec(select(TalkRecord).where(TalkRecord.student_id == student.id)).one()
        assert (record.kind, record.held_on, record.by_id) == ("谈心", TODAY, account.person_id)
        assert session.exec(select(RecordRevision.action).where(RecordRevision.kind == "ledger_d",
                                                                RecordRevision.record_id == record.id)).all() == [
            "created"]
    follow_menu(page, "一生一谈")
    expect(page.get_by_test_id("coverage-table")).to_be_visible()
    _keep(phone_shot(page, "coverage-homeroom-phone.png"))


def test_coverage_page_on_a_phone(page_factory: PageFactory, console: Console,  # noqa: F811
                                  site: Site, world: World) -> None:  # noqa: F811
    page = open_as(page_factory, console, site, world, "leader", viewport=PHONE)
    follow_menu(page, "一生一谈")
    expect(page.get_by_test_id("coverage-summary")).to_contain_text("2026年秋季学期")
    expect(page.locator("td.short").first).to_be_visible()
    _keep(phone_shot(page, "coverage-phone.png"))
