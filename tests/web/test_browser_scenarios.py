"""The issue's scenarios in a real browser (Debian Chromium via Playwright) against a live server on the
test's private copy of the world, each checked on the page and in the database:

1. a homeroom teacher on a phone records what their class misses and its "1+1" cell turns green;
2. the school leader, on a phone, sets the meeting (time, place) and records its minutes with two decision
   rows, which become tasks;
3. a district officer acknowledges an escalation (签收) and issues a notice (督办); the dashboard's chart draws.

Every page must load without console errors: the Content-Security-Policy reports a blocked inline script or
style as one, so this also proves the pages need none. Screenshots go to screenshot_dir() for a person to see.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import CourseRecord, Cycle, Escalation, Meeting, Step, Task
from tests.web.browser import DESKTOP, PHONE, LiveServer, screenshot_dir
from tests.web.conftest import PageFactory
from tests.web.district_fixtures import raise_escalations
from tests.web.test_browser_smoke import chinese_font_families
from tests.web.world import NOW, PASSWORD, TODAY, World
from web.app import create_app
from xinyu.courses.grid import short_classes
from xinyu.cycle import PackBook, complete_task, reconcile
from xinyu.cycle.states import StepStatus, TaskStatus
from xinyu.simulation import auto_evidence

MONTH = TODAY.isoformat()[:7]  # 2026-10
PREVIOUS_MONTH = "2026-09"


# ---- the live site ----

class _AppOnceListening:
    """ASGI shim: the app's base_url is the live server's URL, which exists only once the server listens."""

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


@dataclass
class Site:
    url: str
    engine: Engine
    book: PackBook


@pytest.fixture
def site(world_engine: Engine, packs_dir_session: Path) -> Iterator[Site]:
    """The app on this test's copy of the world, its clock stopped at 2026-10-20 18:00, served on localhost."""
    shim = _AppOnceListening()
    book = PackBook(world_engine)
    with LiveServer(shim, lifespan="off") as live:
        shim.app = create_app(engine=world_engine, book=book, clock=lambda: NOW, base_url=live.url)
        yield Site(live.url, world_engine, book)


@dataclass
class Console:
    """Console errors and uncaught exceptions of every page watched (CSP violations are console errors)."""

    problems: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> Page:
        def on_console(message: ConsoleMessage) -> None:
            source = message.location.get("url", "")
            # Chromium asks every site for /favicon.ico; the app has none (a 404 that no person sees).
            if message.type == "error" and not source.endswith("/favicon.ico"):
                self.problems.append(f"{page.url}: console error: {message.text} ({source})")

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: page error: {error}"))
        return page


@pytest.fixture
def console() -> Iterator[Console]:
    watcher = Console()
    yield watcher
    assert not watcher.problems, "\n".join(watcher.problems)


def open_as(page_factory: PageFactory, console: Console, site: Site, world: World, role: str,
            viewport: Any = DESKTOP) -> Page:
    """A new browser context signed in as the world's account through the real login form."""
    page = console.watch(page_factory(viewport=viewport))
    page.goto(site.url + "/login")
    form = page.locator("form[action='/login']")
    form.locator("input[name=login]").fill(world.accounts[role].login)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)
    expect(page.locator("header .who")).to_have_text(world.accounts[role].name)
    return page


def follow_menu(page: Page, label: str) -> None:
    """Click the header's menu entry, as a person finds the page (on a phone the menu scrolls sideways)."""
    page.locator("header.top nav a", has_text=label).click()
    page.wait_for_load_state()


def assert_drawn_with_cjk_font(page: Page, selector: str) -> None:
    """Chromium (DevTools protocol) says which platform fonts drew the element: a font covering Chinese
    must have drawn at least its Chinese characters (without one they are a Latin font's boxes)."""
    hanzi = len(re.findall(r"[\u4e00-\u9fff]", page.inner_text(selector)))
    assert hanzi, f"{selector} has no Chinese text"
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    cdp.detach()
    cjk = chinese_font_families()
    drawn = sum(f["glyphCount"] for f in fonts if f["familyName"] in cjk)
    assert drawn >= hanzi, f"{selector}: {hanzi} Chinese characters, drawn with {fonts}: no CJK font"


def shot(page: Page, name: str) -> Path:
    path = screenshot_dir() / name
    page.screenshot(path=path, full_page=True)
    return path


def phone_shot(page: Page, name: str) -> Path:
    """The page at phone width, once laid out again: it must fit without scrolling sideways (wide tables
    scroll inside their .table-wrap, the header's nav inside itself)."""
    page.set_viewport_size(PHONE)
    # A function, not an expression: Playwright polls an expression with eval(), which the CSP blocks.
    page.wait_for_function("() => document.documentElement.scrollWidth <= window.innerWidth", timeout=5000)
    return shot(page, name)


# ---- scenario 1: "1+1" on a phone ----

def short_kinds(site: Site, school_id: int, class_id: int, month: str) -> list[str]:
    """What the class still misses in `month` per the grid's own core (empty: its cell is green)."""
    with Session(site.engine) as session:
        short = short_classes(session, school_id=school_id, month=month, today=TODAY, book=site.book)
    return next((s.missing for s in short if s.class_id == class_id), [])


def test_homeroom_teacher_on_a_phone_makes_the_class_cell_green(
    page_factory: PageFactory, console: Console, site: Site, world: World,
) -> None:
    teacher = world.accounts["homeroom"]
    assert teacher.school_id is not None and teacher.class_id is not None
    sid, cid = teacher.school_id, teacher.class_id
    # This month if the class is short in it (the world's case), else last month: the point is red → green.
    month = next((m for m in (MONTH, PREVIOUS_MONTH) if short_kinds(site, sid, cid, m)), None)
    assert month is not None, "the homeroom class is green in September and October: nothing to record"
    held_on = TODAY.isoformat() if month == MONTH else f"{month}-15"

    page = open_as(page_factory, console, site, world, "homeroom", viewport=PHONE)
    follow_menu(page, "课程1+1")
    assert page.url.endswith(f"/schools/{sid}/courses")
    cell = page.get_by_test_id(f"cell-{cid}-{month}")
    expect(cell).to_have_class(_has("cell-short"))
    assert_drawn_with_cjk_font(page, "h1")

    recorded: list[str] = []
    for _ in range(3):  # a lesson and an activity at most
        missing = short_kinds(site, sid, cid, month)
        if not missing:
            break
        kind = missing[0]
        page.get_by_test_id(f"record-{cid}").click()  # the row's 记录 link: the form with this class chosen
        expect(page.get_by_test_id("course-class")).to_have_value(str(cid))
        page.get_by_test_id(f"kind-{kind}").check()
        page.get_by_test_id("course-date").fill(held_on)
        page.get_by_test_id("course-topic").fill("心理健康主题班会：做情绪的主人")
        page.get_by_test_id("course-periods").fill("1")
        page.get_by_test_id("course-submit").click()
        page.wait_for_url(lambda url: "/courses?ok=recorded" in url)
        expect(page.get_by_test_id("course-ok")).to_contain_text("已记录")
        recorded.append(kind)
    assert recorded, "nothing was recorded"

    expect(cell).to_have_class(_has("cell-ok"))
    if month == MONTH:
        expect(page.get_by_test_id("course-ok")).to_contain_text("本月“1+1”已达标")
    phone_shot(page, "grid-phone.png")

    with Session(site.engine) as session:
        rows = session.exec(select(CourseRecord).where(
            CourseRecord.class_id == cid, CourseRecord.recorded_by_id == teacher.person_id,
            col(CourseRecord.kind).in_(recorded))).all()
    assert sorted(r.kind for r in rows) == sorted(recorded)
    assert all(r.held_on.isoformat() == held_on and r.school_id == sid for r in rows)
    assert short_kinds(site, sid, cid, month) == []

    # The leader sees the same green cell on a desktop.
    leader = open_as(page_factory, console, site, world, "leader")
    follow_menu(leader, "课程1+1")
    expect(leader.get_by_test_id(f"cell-{cid}-{month}")).to_have_class(_has("cell-ok"))
    shot(leader, "grid.png")


def _has(css_class: str) -> re.Pattern[str]:
    """A regular expression matching a class attribute that holds `css_class`."""
    return re.compile(rf"(^|\s){re.escape(css_class)}(\s|$)")


# ---- scenario 2: the leadership meeting ----

def bring_to_meeting(site: Site, school_id: int) -> None:
    """Have the school's people finish the open work of the steps before the meeting, as they would, until
    the meeting step opens (the loop is screening → ledgers → meeting)."""
    for _ in range(6):
        with Session(site.engine) as session:
            cycle = session.exec(select(Cycle).where(Cycle.school_id == school_id, Cycle.month == MONTH)).one()
            steps = {s.key: s for s in session.exec(select(Step).where(Step.cycle_id == cycle.id))}
            meeting = steps["meeting"]
            if meeting.status != StepStatus.pending:
                return
            earlier = [k for k, s in steps.items() if s.order < meeting.order]
            tasks = session.exec(select(Task).where(
                Task.cycle_id == cycle.id, col(Task.step_key).in_(earlier), Task.blocks_step,
                Task.status == TaskStatus.open).order_by(col(Task.id))).all()
            for task in tasks:
                template = site.book.template(cycle.pack, cycle.month, task.step_key, task.template)
                values = auto_evidence(template.evidence, random.Random(task.id), TODAY)
                complete_task(session, task_id=task.id or 0, values=values, now=NOW, book=site.book)
            reconcile(session, now=NOW, book=site.book, school_ids=[school_id])
            session.commit()
    raise AssertionError("the meeting step did not open after the earlier steps' work was done")


def meeting_step(site: Site, school_id: int) -> Step:
    with Session(site.engine) as session:
        cycle = session.exec(select(Cycle).where(Cycle.school_id == school_id, Cycle.month == MONTH)).one()
        return session.exec(select(Step).where(Step.cycle_id == cycle.id, Step.key == "meeting")).one()


def test_leader_on_a_phone_sets_the_meeting_and_enters_two_decision_rows_which_become_tasks(
    page_factory: PageFactory, console: Console, site: Site, world: World,
) -> None:
    sid = world.school_id
    bring_to_meeting(site, sid)
    assert meeting_step(site, sid).status == StepStatus.open
    due = site.book.calendar("qingdao").add_workdays(TODAY, 5)
    later = site.book.calendar("qingdao").add_workdays(TODAY, 8)
    decisions = [("为新增重点关爱学生制定成长指导方案", "专职心理教师", due),
                 ("复核四类台账本月新增记录", "副组长", later)]
    minutes = "研判本月测评预警与重点关爱学生情况，部署“1+1”课程补足与家校沟通工作。"
    shots = Path("/tmp/h4")
    shots.mkdir(exist_ok=True)

    page = open_as(page_factory, console, site, world, "leader", viewport=PHONE)
    follow_menu(page, "会议")
    assert page.url.endswith(f"/schools/{sid}/meeting")
    expect(page.get_by_test_id("meeting-status")).to_have_attribute("data-status", "open")
    # The leader sets time and place; the attendees are the leadership group and the psychology teachers.
    setup = page.get_by_test_id("setup-form")
    setup.locator("#starts_at").fill(f"{TODAY.isoformat()}T15:00")
    setup.locator("#place").fill("行政楼三楼会议室")
    setup.locator("#recorder_id").select_option(str(world.accounts["psych"].person_id))
    page.get_by_test_id("meeting-arrangement").screenshot(path=shots / "meeting-setup-phone.png")
    page.get_by_test_id("setup-submit").click()
    page.wait_for_url(lambda url: "ok=2" in url)
    expect(page.get_by_test_id("meeting-place")).to_have_text("行政楼三楼会议室")
    expect(page.get_by_test_id("meeting-time")).to_have_text(f"{TODAY.isoformat()} 15:00")
    expect(page.get_by_test_id("meeting-attendees")).to_contain_text(world.accounts["psych"].name)

    form = page.get_by_test_id("minutes-form")
    form.locator("#held_on").fill(TODAY.isoformat())
    form.locator("#minutes").fill(minutes)
    for n, (what, owner, day) in enumerate(decisions, start=1):
        row = page.get_by_test_id(f"decision-row-{n}")
        row.locator("input[name=decision_what]").fill(what)
        row.locator("input[name=decision_owner]").fill(owner)
        row.locator("input[name=decision_due]").fill(day.isoformat())
    page.wait_for_function("() => document.documentElement.scrollWidth <= window.innerWidth", timeout=5000)
    page.get_by_test_id("decision-rows").screenshot(path=shots / "meeting-decision-rows-phone.png")
    page.screenshot(path=shots / "meeting-minutes-form-phone.png", full_page=True)
    page.get_by_test_id("minutes-submit").click()
    page.wait_for_url(lambda url: "ok=1" in url)

    expect(page.get_by_test_id("meeting-ok")).to_contain_text("2 项会议决定已生成任务")
    expect(page.get_by_test_id("meeting-status")).to_have_attribute("data-status", "done")
    expect(page.get_by_test_id("meeting-minutes")).to_contain_text(minutes)
    rows = page.get_by_test_id("meeting-decisions").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(decisions[0][0])
    expect(rows.nth(0)).to_contain_text(world.accounts["psych"].name)  # the school's psychology teacher owns it
    expect(rows.nth(1)).to_contain_text(decisions[1][0])
    expect(rows.nth(1)).to_contain_text(later.isoformat())
    page.get_by_test_id("meeting-minutes").screenshot(path=shots / "meeting-recorded-phone.png")
    page.get_by_test_id("meeting-agenda").screenshot(path=shots / "meeting-agenda-phone.png")
    phone_shot(page, "meeting-phone.png")
    printable = page_factory(viewport=PHONE)
    printable.context.add_cookies(page.context.cookies())
    printable.goto(f"{site.url}/schools/{sid}/meeting/print?month={MONTH}")
    expect(printable.get_by_test_id("sign-in")).to_contain_text(world.accounts["leader"].name)
    expect(printable.get_by_test_id("print-place")).to_have_text("行政楼三楼会议室")
    printable.screenshot(path=shots / "meeting-print-phone.png", full_page=True)

    with Session(site.engine) as session:
        cycle = session.exec(select(Cycle).where(Cycle.school_id == sid, Cycle.month == MONTH)).one()
        meeting = session.exec(select(Meeting).where(Meeting.cycle_id == cycle.id)).one()
        tasks = session.exec(select(Task).where(Task.cycle_id == cycle.id, Task.kind == "decision")
                             .order_by(col(Task.id))).all()
    assert meeting.held_on == TODAY and minutes in (meeting.minutes or "") and meeting.place == "行政楼三楼会议室"
    assert [(t.title, t.due, t.role) for t in tasks] == [
        (f"会议决定：{decisions[0][0]}", due, "psych_teacher"), (f"会议决定：{decisions[1][0]}", later, "deputy")]
    assert tasks[0].assignee_id == world.accounts["psych"].person_id and tasks[0].status == TaskStatus.open
    assert rows.nth(0).get_attribute("data-task") == str(tasks[0].id)
    assert meeting_step(site, sid).status == StepStatus.done
    shot(page, "meeting.png")

    # The school's board shows the step done.
    follow_menu(page, "月度看板")
    assert page.url.endswith(f"/schools/{sid}/board")
    expect(page.get_by_test_id("step-meeting")).to_have_attribute("data-status", "done")
    expect(page.get_by_test_id("step-meeting")).to_have_class(_has("status-done"))
    shot(page, "board.png")
    phone_shot(page, "board-phone.png")


# ---- scenario 3: the district's inbox and dashboard ----

def test_officer_acknowledges_an_escalation_and_issues_a_notice(
    page_factory: PageFactory, console: Console, site: Site, world: World,
) -> None:
    raise_escalations(site.engine, site.book)  # the world's late work, past the ladder's district rung
    with Session(site.engine) as session:
        raised = set(session.exec(select(Escalation.id).where(Escalation.district_id == world.district_id,
                                                              Escalation.status == "new")))
    assert len(raised) >= 2
    officer = world.accounts["officer"]
    leaders = {world.school_id: world.accounts["leader"], world.other_school_id: world.accounts["other_leader"]}

    page = open_as(page_factory, console, site, world, "officer")
    assert page.url.endswith("/district/inbox")  # officers start at their inbox
    rows = page.locator("#inbox-groups li[data-status='new']")
    expect(rows).to_have_count(len(raised))
    first, second = (int(rows.nth(n).get_attribute("data-escalation-id") or 0) for n in (0, 1))
    assert {first, second} <= raised

    # 签收 the first item: tick it, then 签收所选 in the bar (the page has no per-item forms).
    row = page.locator(f"li[data-escalation-id='{first}']")
    row.get_by_test_id("select-item").check()
    expect(page.get_by_test_id("selected-count")).to_contain_text("已选 1 项")
    page.get_by_test_id("bulk-ack").click()
    page.wait_for_url(lambda url: "ok=acks" in url)
    expect(page.get_by_test_id("inbox-ok")).to_contain_text("已签收 1 项")
    expect(row).to_have_attribute("data-status", "acknowledged")
    expect(row.get_by_test_id("status-badge")).to_have_text("已签收")
    expect(row.get_by_test_id("select-item")).not_to_be_checked()

    # 督办 the second: tick it, 督办所选, five working days to put it right.
    row = page.locator(f"li[data-escalation-id='{second}']")
    row.get_by_test_id("select-item").check()
    page.get_by_test_id("bulk-notice-open").click()
    bar = page.get_by_test_id("bulk-form")
    bar.locator("input[name=days]").fill("5")
    bar.locator("textarea[name=text]").fill("请于期限内完成台账更新并报送整改情况")
    bar.get_by_test_id("bulk-notice-submit").click()
    page.wait_for_url(lambda url: "ok=notices" in url)
    expect(page.get_by_test_id("inbox-ok")).to_contain_text("已督办 1 项：向 1 所学校各下发一份督办通知")
    expect(row).to_have_attribute("data-status", "acknowledged")
    row.get_by_test_id("item-line").click()
    expect(row.get_by_test_id("notice")).to_contain_text("整改任务 #")
    expect(row.get_by_test_id("notice-status")).to_have_text("整改中")
    assert_drawn_with_cjk_font(page, "h1")
    shot(page, "inbox.png")
    phone_shot(page, "inbox-phone.png")
    page.set_viewport_size(DESKTOP)

    due = site.book.calendar("qingdao").add_workdays(TODAY, 5)
    with Session(site.engine) as session:
        acked, noticed = session.get(Escalation, first), session.get(Escalation, second)
        assert acked is not None and noticed is not None
        assert (acked.status, acked.acknowledged_by_id, acked.notice_task_id) == ("acknowledged", officer.person_id,
                                                                                  None)
        assert (noticed.status, noticed.acknowledged_by_id) == ("acknowledged", officer.person_id)
        assert noticed.notice_task_id is not None
        notice = session.get(Task, noticed.notice_task_id)
        assert notice is not None
    assert (notice.kind, notice.school_id, notice.status, notice.due) == ("notice", noticed.school_id,
                                                                          TaskStatus.open, due)
    assert notice.assignee_id == leaders[noticed.school_id].person_id  # the school's leader (组长) owns it
    assert "请于期限内完成台账更新并报送整改情况" in notice.title
    expect(row.get_by_test_id("notice")).to_contain_text(f"整改任务 #{notice.id}")

    # The dashboard's chart is drawn (Chart.js from /static/vendor, no inline script).
    follow_menu(page, "数据看板")
    expect(page.locator("#on-time-chart[data-ready='1']")).to_have_count(1)
    drawn = page.evaluate("""() => {
        const canvas = document.getElementById("on-time-chart");
        const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
        const chart = Chart.getChart(canvas);  // the district's line: one point per month with a rate
        const points = chart.getDatasetMeta(0).data.filter((p, i) => chart.data.datasets[0].data[i] !== null);
        return {painted, total: pixels.length / 4, values: chart.data.datasets[0].data,
                points: points.filter(p => Number.isFinite(p.x) && Number.isFinite(p.y)).length};
    }""")
    assert drawn["total"] and drawn["painted"] > drawn["total"] // 100, drawn  # axes, grid, legend and lines
    assert drawn["points"] >= 1 and drawn["points"] == sum(v is not None for v in drawn["values"]), drawn
    shot(page, "dashboard.png")
    phone_shot(page, "dashboard-phone.png")
