"""Evidence files and corrections in a real browser (Debian Chromium, a phone's 390×844 screen), on a live server
over the test's copy of the world (clock stopped at 2026-10-20 18:00):

1. the leader completes the meeting task on the phone, uploading a photo of the 签到表 (a real JPEG the browser
   took of a printed sign-in sheet), downloads it back, and a district officer gets 404 for its link;
2. a homeroom teacher corrects her class report within the month on the phone; the leader reads the history.

Screenshots go to /tmp/h5/ (and screenshot_dir()) for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import Engine
from sqlmodel import Session, select

from models import Cycle, EvidenceFile, RecordRevision, Task
from tests.web.browser import PHONE, LiveServer, screenshot_dir
from tests.web.conftest import PageFactory
from tests.web.test_browser_scenarios import (
    MONTH,
    Console,
    Site,
    _AppOnceListening,
    bring_to_meeting,
    console,  # noqa: F401  (fixture)
    open_as,
)
from tests.web.world import NOW, TODAY, World
from web.app import create_app
from xinyu.cycle import PackBook
from xinyu.evidence_files import LocalStore

SHOTS = Path("/tmp/h5")


@pytest.fixture
def files(tmp_path: Path) -> LocalStore:
    return LocalStore(tmp_path / "files")


@pytest.fixture
def site(world_engine: Engine, packs_dir_session: Path, files: LocalStore) -> Iterator[Site]:
    shim = _AppOnceListening()
    book = PackBook(world_engine)
    with LiveServer(shim, lifespan="off") as live:
        shim.app = create_app(engine=world_engine, book=book, clock=lambda: NOW, base_url=live.url, file_store=files)
        yield Site(live.url, world_engine, book)


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_function("() => document.documentElement.scrollWidth <= window.innerWidth", timeout=5000)
    page.screenshot(path=SHOTS / name, full_page=True)
    page.screenshot(path=screenshot_dir() / name, full_page=True)


def sign_in_sheet_photo(page_factory: PageFactory, folder: Path) -> Path:
    """A photo of a printed 签到表, as a phone's camera gives it (JPEG), taken by the browser itself."""
    paper = page_factory(viewport={"width": 600, "height": 420})
    rows = "".join(f"<tr><td>{n}</td><td>{name}</td><td>{role}</td><td>✔</td></tr>" for n, (name, role) in
                   enumerate([("李明红", "组长"), ("王副校长", "副组长"), ("宋军磊", "专职心理教师"),
                              ("赵主任", "年级主任")], 1))
    paper.set_content(f"<body style='background:#f4f1e8;font:18px sans-serif;padding:24px'><h2>领导小组专题会议 签到表"
                      f"</h2><p>{TODAY.isoformat()} 会议室</p><table border=1 cellpadding=8 style='border-collapse:"
                      f"collapse;width:100%'><tr><th>序号</th><th>姓名</th><th>职务</th><th>签到</th></tr>{rows}"
                      "</table></body>")
    path = folder / "签到表.jpg"
    paper.screenshot(path=path, type="jpeg", quality=80)
    return path


def test_leader_uploads_the_sign_in_sheet_on_a_phone_and_the_officer_gets_404(
        page_factory: PageFactory, console: Console, site: Site, world: World, tmp_path: Path,  # noqa: F811
        files: LocalStore) -> None:
    photo = sign_in_sheet_photo(page_factory, tmp_path)
    bring_to_meeting(site, world.school_id)
    with Session(site.engine) as session:
        cycle = session.exec(select(Cycle).where(Cycle.school_id == world.school_id, Cycle.month == MONTH)).one()
        task = session.exec(select(Task).where(Task.cycle_id == cycle.id, Task.template == "minutes")).one()
    page = open_as(page_factory, console, site, world, "leader", viewport=PHONE)
    page.goto(site.url + "/tasks")
    page.locator(f"li[data-task-id='{task.id}'] a.task-title").click()
    page.wait_for_url(lambda url: url.endswith(f"/tasks/{task.id}"))
    form = page.get_by_test_id("evidence-form")
    form.locator("input[name=held_on]").fill(TODAY.isoformat())
    form.locator("textarea[name=minutes]").fill("研判本月测评预警与重点关爱学生情况，部署“1+1”课程补足。")
    upload = page.get_by_test_id("file-input-sign_in_sheet")
    assert "image/*" in (upload.get_attribute("accept") or "")  # a phone offers its camera
    upload.set_input_files(str(photo))
    shot(page, "meeting-task-form-phone.png")
    page.get_by_test_id("complete-button").click()
    page.wait_for_url(lambda url: "ok=done" in url)
    expect(page.get_by_test_id("task-ok")).to_contain_text("任务完成")
    link = page.get_by_test_id("evidence-given").locator("a", has_text="签到表.jpg")
    expect(link).to_be_visible()
    shot(page, "meeting-task-done-phone.png")

    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "签到表.jpg"
    assert Path(download.value.path()).read_bytes() == photo.read_bytes()
    with Session(site.engine) as session:
        (row,) = session.exec(select(EvidenceFile).where(EvidenceFile.task_id == task.id)).all()
    assert (row.content_type, row.size) == ("image/jpeg", photo.stat().st_size)
    assert files.get(row.storage_key) == photo.read_bytes()

    officer = open_as(page_factory, console, site, world, "officer", viewport=PHONE)
    console.problems.clear()
    answer = officer.goto(site.url + f"/tasks/{task.id}/files/{row.id}")
    assert answer is not None and answer.status == 404
    expect(officer.locator("main")).to_contain_text("页面不存在")
    console.problems.clear()  # the 404 itself is logged by Chromium as a failed resource


def test_homeroom_teacher_corrects_her_class_report_on_a_phone_and_the_leader_reads_the_history(
        page_factory: PageFactory, console: Console, site: Site, world: World) -> None:  # noqa: F811
    teacher = world.accounts["homeroom"]
    with Session(site.engine) as session:
        task = session.exec(select(Task).where(Task.template == "class_report",
                                               Task.completed_by_id == teacher.person_id)).one()
    old_note = task.evidence.get("note", "")
    page = open_as(page_factory, console, site, world, "homeroom", viewport=PHONE)
    page.goto(site.url + f"/tasks/{task.id}")
    card = page.get_by_test_id("correct-card")
    expect(card).to_contain_text("可更正至 2026-10-31")
    card.locator("summary").click()
    form = page.get_by_test_id("correct-form")
    form.locator("textarea[name=note]").fill("补充：一名学生已转介校外机构，家长已知情。")
    shot(page, "class-report-correct-phone.png")
    page.get_by_test_id("correct-button").click()
    page.wait_for_url(lambda url: "ok=corrected" in url)
    expect(page.get_by_test_id("task-ok")).to_contain_text("已更正证据")
    expect(page.get_by_test_id("evidence-given")).to_contain_text("补充：一名学生已转介校外机构")
    history = page.get_by_test_id("evidence-history")
    history.locator("summary").click()
    expect(history).to_contain_text("更正")
    shot(page, "class-report-corrected-phone.png")
    with Session(site.engine) as session:
        (revision,) = session.exec(select(RecordRevision).where(RecordRevision.kind == "evidence",
                                                                RecordRevision.record_id == task.id)).all()
    assert revision.by_id == teacher.person_id and (revision.before or {}).get("note", "") == old_note

    leader = open_as(page_factory, console, site, world, "leader", viewport=PHONE)
    leader.goto(site.url + f"/tasks/{task.id}")
    expect(leader.get_by_test_id("correct-card")).to_have_count(0)  # not hers to correct
    history = leader.get_by_test_id("evidence-history")
    history.locator("summary").click()
    expect(history).to_contain_text(teacher.name)
    expect(history.locator("ins").first).to_be_visible()
    shot(leader, "class-report-history-leader-phone.png")
