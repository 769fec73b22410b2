"""Every page at phone width (390×844) in Debian's Chromium: the page itself never scrolls sideways (anything
wide scrolls inside a container that shows it scrolls), every form control is a tap target of at least 40 px
and no input is wider than the screen; the "1+1" grid keeps the current month and the semester total on screen.

Data-driven: the pages are the app's own GET routes (tests/web/routes_catalog.py) that answer HTML to a
signed-in school person or a district officer, filled with the world's objects, plus the tabs each page links
to (`main nav a` to the same path with another query, e.g. the ledger tabs A–D). A page or form any area adds
tomorrow is checked as soon as it is routed. One browser, one page, one copy of the world for the module.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import Extension, Task
from tests.web.browser import PHONE, LiveServer, screenshot_dir
from tests.web.routes_catalog import (
    MONTHS,
    RouteInfo,
    Targets,
    catalog,
    collection_app,
    complete_world,
    fill,
    kinds_of,
    load_targets,
    picks,
    world_copy,
)
from tests.web.test_browser_scenarios import _AppOnceListening
from tests.web.world import NOW, PASSWORD, World
from web.app import create_app
from xinyu.clock import parse_at
from xinyu.cycle import PackBook

LOG = logging.getLogger(__name__)
# The people whose pages are checked: the school's leadership, psychology and homeroom teachers, an officer.
ROLES = ("leader", "psych", "homeroom", "officer", "admin")
DOWNLOADS = (".xlsx", ".ics", ".js", ".css", ".csv", ".json", ".pdf", "/files/{file_id}")  # evidence files too
PAGES = [r for r in catalog(collection_app())
         if r.method == "GET" and r.signed_in and not r.api and not r.path.endswith(DOWNLOADS)]
MIN_TAP = 40  # px: a fingertip (Apple and Material ask 44/48 dp; a dense table row's button may be a bit less)
MAX_TABS = 8  # tab links followed per page
# Screenshots of pages with problems always; of every page with XINYU_PHONE_SHOTS=1 (for a person to look at).
SHOOT_ALL = os.environ.get("XINYU_PHONE_SHOTS") == "1"


@dataclass
class Phone:
    url: str
    page: Page
    engine: Engine
    world: World
    targets: Targets
    clock: dict[str, datetime]
    problems: list[str] = field(default_factory=list)  # console errors, CSP violations included
    role: str | None = None

    def sign_in(self, role: str) -> None:
        if self.role == role:
            return
        self.page.context.clear_cookies()
        self.page.goto(self.url + "/login")
        form = self.page.locator("form[action='/login']")
        form.locator("input[name=login]").fill(self.world.accounts[role].login)
        form.locator("input[name=password]").fill(PASSWORD)
        form.locator("button[type=submit]").click()
        self.page.wait_for_url(lambda url: "/login" not in url)
        self.role = role


@pytest.fixture(scope="module")
def phone(browser: Browser, world_template: tuple[str, World],
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Phone]:
    url, world = world_template
    clock = {"now": NOW}
    with world_copy(url, tmp_path_factory.mktemp("phone")) as engine:
        with Session(engine) as session:
            complete_world(session, world)
            targets = load_targets(session, world)
        shim = _AppOnceListening()
        with LiveServer(shim, lifespan="off") as live:
            shim.app = create_app(engine=engine, book=PackBook(engine), clock=lambda: clock["now"], base_url=live.url)
            context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
            page = context.new_page()
            found = Phone(live.url, page, engine, world, targets, clock)

            def on_console(message: ConsoleMessage) -> None:
                source = message.location.get("url", "")
                # The guard probes pages a role may not open: the refused document itself is no problem.
                if message.type == "error" and not source.endswith("/favicon.ico") and source != page.url:
                    found.problems.append(f"{page.url}: {message.text} ({source})")

            page.on("console", on_console)
            page.on("pageerror", lambda error: found.problems.append(f"{page.url}: {error}"))
            yield found
            context.close()


# ---- which URLs each role opens ----

MAX_TASKS = 8  # task pages per role: one per kind of form


def _task_pages(engine: Engine, person_id: int, school_id: int) -> list[int]:
    """Tasks whose pages carry the forms a person fills: one open and one done task (corrections) of each
    template assigned to the person, and the school's task with a pending extension (the leader decides)."""
    with Session(engine) as session:
        rows = session.exec(select(Task.id, Task.template, Task.status)
                            .where(Task.assignee_id == person_id, Task.school_id == school_id)
                            .order_by(col(Task.id))).all()
        extended = session.exec(select(Extension.task_id).join(Task, col(Task.id) == col(Extension.task_id))
                                .where(Task.school_id == school_id).order_by(col(Extension.id))).first()
    chosen: dict[tuple[str, bool], int] = {}
    for task_id, template, status in rows:
        if task_id is not None:
            chosen.setdefault((template, status in ("open", "overdue")), task_id)
    found = list(dict.fromkeys([*chosen.values(), *([extended] if extended else [])]))
    return found[:MAX_TASKS]


def role_urls(phone: Phone, route: RouteInfo, role: str) -> list[str]:
    """The route filled with objects of the role's own scope (an officer: the world's school of its district);
    a task's page once for each kind of form the role fills there."""
    account = phone.world.accounts[role]
    home = phone.targets.schools["school"]
    pick = picks(home, classes={account.class_id}) if account.class_id else picks(home)
    pick = {k: v if v is not None else picks(home).get(k) for k, v in pick.items()}
    tasks: list[int | None] = [pick.get("task")]
    if "task" in kinds_of(route) and role != "officer":
        tasks = list(_task_pages(phone.engine, account.person_id, home.school_id)) or tasks
    month = {"month": MONTHS[1]} if "month" in route.path_params else None
    urls = [fill(route, {**pick, "task": task}, month) for task in tasks]
    return list(dict.fromkeys(u for u in urls if u is not None))


# ---- what a page must be at phone width ----

# One function (Playwright polls strings with eval(), which the app's CSP forbids): opens every <details>
# (forms folded in them count too), then measures the page, its controls and its sideways scrollers.
MEASURE = """tap => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const vw = window.innerWidth;
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.name ? '[name=' + el.name + ']' : '')
      + (el.dataset.testid ? '[data-testid=' + el.dataset.testid + ']' : '')
      + ' "' + (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 16) + '"';
  const scrollsX = el => {
    const s = getComputedStyle(el);
    return (s.overflowX === 'auto' || s.overflowX === 'scroll') && el.scrollWidth > el.clientWidth + 1;
  };
  const scrollerOf = el => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) if (scrollsX(p)) return p;
    return null;
  };
  const out = {width: document.scrollingElement.scrollWidth, viewport: vw, small: [], wide: [], hidden: [],
               silent: [], controls: 0};
  for (const el of document.querySelectorAll('input, select, textarea, button, a.button')) {
    if (el.type === 'hidden') continue;
    const own = el.getBoundingClientRect();
    if (own.width === 0 && own.height === 0) continue;  // not rendered (display: none)
    if (el.closest('[data-third-party]')) continue;  // a vendored widget (Swagger UI): its own controls
    out.controls += 1;
    // A checkbox or radio is tapped through its label; everything else through itself.
    const label = (el.type === 'checkbox' || el.type === 'radio') && el.labels.length ? el.labels[0] : null;
    const target = (label || el).getBoundingClientRect();
    if (target.height < tap - 0.5 || target.width < tap - 0.5)
      out.small.push(name(el) + ' ' + Math.round(target.width) + '×' + Math.round(target.height));
    if (own.width > vw + 0.5) out.wide.push(name(el) + ' ' + Math.round(own.width) + 'px');
    // Off the screen's right edge and not inside something that scrolls: a person cannot reach it.
    if (own.right > vw + 1 && !scrollerOf(el)) out.hidden.push(name(el) + ' right=' + Math.round(own.right));
  }
  // Every sideways scroller with more to see says so: a fade at that edge, or a shadow on the sticky column
  // that covers it (app.css: .scroll-x, .sticky-start, .sticky-end).
  for (const el of document.querySelectorAll('main *')) {
    if (!scrollsX(el) || el.closest('[data-third-party]')) continue;
    const s = getComputedStyle(el);
    const mask = s.maskImage || s.webkitMaskImage || 'none';
    const shadow = [...el.querySelectorAll('.sticky-start, .sticky-end')]
        .some(c => getComputedStyle(c).boxShadow !== 'none');
    if (mask === 'none' && !shadow) out.silent.push(name(el).slice(0, 60));
  }
  return out;
}"""


def page_problems(measured: dict[str, Any]) -> list[str]:
    found = []
    if measured["width"] > measured["viewport"] + 1:
        found.append(f"the page scrolls sideways: {measured['width']}px wide on a {measured['viewport']}px screen")
    found += [f"tap target under {MIN_TAP}px: {s}" for s in measured["small"]]
    found += [f"control wider than the screen: {s}" for s in measured["wide"]]
    found += [f"control off the screen, not in a scroller: {s}" for s in measured["hidden"]]
    found += [f"scrolls sideways without a visible hint: {s}" for s in measured["silent"]]
    return found


def tab_links(page: Page) -> list[str]:
    """Links of the page's own tab bars (a nav inside main) to the same path with another query."""
    here = urlsplit(page.url)
    hrefs: list[str] = page.eval_on_selector_all("main nav a[href]", "links => links.map(a => a.href)")
    found = []
    for href in hrefs:
        parts = urlsplit(href)
        if parts.path == here.path and parts.query and href != page.url and href not in found:
            found.append(href)
    return found[:MAX_TABS]


def open_page(phone: Phone, url: str) -> str:
    """'page' when the URL shows an HTML page, 'onwards' when it redirects to another page (the home page),
    'closed' when it is refused, sends to the login page or is not a page (a download)."""
    try:
        answer = phone.page.goto(url)
    except PlaywrightError:  # a download, not a page
        return "closed"
    if answer is None or urlsplit(phone.page.url).path == "/login":
        return "closed"
    if answer.request.redirected_from is not None:
        return "onwards"
    html = "text/html" in answer.headers.get("content-type", "")
    return "page" if answer.status == 200 and html else "closed"


def _shot_name(role: str, url: str) -> str:
    parts = urlsplit(url)
    slug = (parts.path.strip("/").replace("/", "-") or "home") + ("-" + parts.query if parts.query else "")
    return f"{role}-{slug}"[:120].replace("=", "_").replace("&", "_") + ".png"


def test_every_page_fits_a_phone(phone: Phone, record_property: Callable[[str, object], None]) -> None:
    """The module's guard: every page a school person or an officer can open, at 390 px, and the tabs they
    link to. The pages checked are listed in test-output/phone-pages.txt (and logged: -o log_cli=true)."""
    failures: list[str] = []
    checked: list[str] = []
    opened: set[str] = set()
    shots = screenshot_dir() / "phone"
    shots.mkdir(exist_ok=True)
    for role in ROLES:
        phone.sign_in(role)
        for route in PAGES:
            for url in role_urls(phone, route, role):
                state = open_page(phone, phone.url + url)
                if state == "onwards":
                    opened.add(route.label)
                if state != "page":
                    continue
                opened.add(route.label)
                queue, seen = [phone.page.url], set()
                while queue:
                    target = queue.pop(0)
                    if target in seen or (target != phone.page.url and open_page(phone, target) != "page"):
                        continue
                    seen.add(target)
                    if not queue and len(seen) == 1:
                        queue += tab_links(phone.page)
                    measured: dict[str, Any] = phone.page.evaluate(MEASURE, MIN_TAP)
                    problems = page_problems(measured)
                    label = f"{role:8} {target.removeprefix(phone.url)}"
                    checked.append(f"{label}  ({measured['controls']} controls)")
                    if problems or SHOOT_ALL:
                        phone.page.screenshot(path=shots / _shot_name(role, target), full_page=True)
                    failures += [f"{label}: {p}" for p in problems]
    report = "\n".join(checked)
    (screenshot_dir().parent / "phone-pages.txt").write_text(report + "\n", encoding="utf-8")
    LOG.info("phone layout: %d pages checked at %dpx\n%s", len(checked), PHONE["width"], report)
    record_property("phone_pages", len(checked))
    assert not failures, f"{len(failures)} problems on {len(checked)} pages:\n" + "\n".join(failures)
    uncovered = [r.label for r in PAGES if r.label not in opened]
    assert not uncovered, f"no role of {ROLES} could open these pages: {uncovered}"
    assert not phone.problems, "\n".join(phone.problems)


# ---- the "1+1" grid on a phone ----

# Where the grid's sticky columns are: each cell inside the scroller's box and the screen, and on top at its
# centre (not slid under another sticky column) when it is on screen vertically.
GRID = """() => {
  const wrap = document.querySelector('[data-testid=grid-scroll]');
  const box = wrap.getBoundingClientRect();
  const left = Math.max(0, box.left), right = Math.min(window.innerWidth, box.right);
  const shown = el => {
    const r = el.getBoundingClientRect();
    if (r.left < left - 0.5 || r.right > right + 0.5) return false;
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    if (y < 0 || y > window.innerHeight) return true;
    const hit = document.elementFromPoint(x, y);
    return !!hit && (hit === el || el.contains(hit));
  };
  const off = selector => [...document.querySelectorAll(selector)].filter(el => !shown(el))
      .map(el => el.dataset.testid || el.textContent.trim().slice(0, 12));
  const before = document.querySelector('thead th.current-month')?.previousElementSibling;
  const r = before ? before.getBoundingClientRect() : null;
  return {
    scroll: wrap.scrollLeft, max: wrap.scrollWidth - wrap.clientWidth, more: wrap.dataset.more,
    current: document.querySelectorAll('.course-grid [data-now]').length,
    currentOff: off('.course-grid [data-now]'), totalsOff: off('.course-grid .totals, .course-grid .totals-col'),
    classesOff: off('.course-grid .class-col'),
    beforeSeen: r ? Math.max(0, Math.min(r.right, right) - Math.max(r.left, left)) : null,
    pageWidth: document.scrollingElement.scrollWidth,
  };
}"""
SCROLL_GRID = "to => { const w = document.querySelector('[data-testid=grid-scroll]'); " \
              "w.scrollLeft = to === 'end' ? w.scrollWidth : to; return w.scrollLeft; }"


def _grid_on_screen(grid: dict[str, Any], when: str) -> None:
    assert grid["current"] > 1, f"{when}: no current-month column"
    assert not grid["currentOff"], f"{when}: this month's cells off screen or covered: {grid['currentOff']}"
    assert not grid["totalsOff"], f"{when}: semester totals off screen or covered: {grid['totalsOff']}"
    assert not grid["classesOff"], f"{when}: class names off screen or covered: {grid['classesOff']}"
    assert grid["pageWidth"] <= PHONE["width"] + 1, f"{when}: the page scrolls sideways ({grid['pageWidth']}px)"


@pytest.mark.parametrize("today", ["2026-10-20T18:00", "2027-01-12T18:00"], ids=["october", "january"])
def test_the_grid_keeps_this_month_and_the_semester_total_on_screen(phone: Phone, today: str) -> None:
    """October is the semester's second month, January its last: in both the grid (wider than the phone)
    opens with this month in view beside the month before it, and keeps this month, the semester total and
    the class names on screen wherever it is scrolled to."""
    phone.clock["now"] = parse_at(today)
    phone.role = None  # a session signed in months earlier has expired: sign in on the day
    try:
        phone.sign_in("leader")
        phone.page.goto(f"{phone.url}/schools/{phone.world.school_id}/courses")
        grid: dict[str, Any] = phone.page.evaluate(GRID)
        assert grid["max"] > 40, f"the grid fits the phone ({grid}): nothing scrolls, nothing is proven"
        _grid_on_screen(grid, "after load")
        assert grid["beforeSeen"] and grid["beforeSeen"] > 20, f"the month before this one is not in view: {grid}"
        assert "right" in grid["more"] or "left" in grid["more"], f"the grid does not say it scrolls: {grid}"
        slug = today[:7]
        phone.page.screenshot(path=screenshot_dir() / f"phone-grid-{slug}-load.png")
        for to in (0, grid["max"] // 2, "end"):
            phone.page.evaluate(SCROLL_GRID, to)
            _grid_on_screen(phone.page.evaluate(GRID), f"scrolled to {to}")
        phone.page.screenshot(path=screenshot_dir() / f"phone-grid-{slug}-end.png")
        # A finger's swipe (a wheel here) moves the months: the grid scrolls, the page does not.
        phone.page.evaluate(SCROLL_GRID, 0)
        box = phone.page.get_by_test_id("grid-scroll").bounding_box()
        assert box is not None
        phone.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 60)
        phone.page.mouse.wheel(300, 0)
        phone.page.wait_for_function("() => document.querySelector('[data-testid=grid-scroll]').scrollLeft > 0")
        moved = phone.page.evaluate(GRID)
        _grid_on_screen(moved, "after a swipe")
        assert phone.page.evaluate("() => window.scrollX") == 0
    finally:
        phone.clock["now"] = NOW
        phone.role = None


# ---- tabs and wide tables scroll visibly ----

TABS = """() => {
  const nav = document.querySelector('[data-testid=ledger-tabs]');
  const box = nav.getBoundingClientRect();
  const tabs = [...nav.querySelectorAll('a')];
  const current = nav.querySelector('[aria-current]').getBoundingClientRect();
  const style = getComputedStyle(nav);
  return {
    rows: new Set(tabs.map(a => Math.round(a.getBoundingClientRect().top))).size,
    scrolls: nav.scrollWidth > nav.clientWidth, more: nav.dataset.more,
    mask: style.maskImage || style.webkitMaskImage,
    currentInside: current.left >= box.left - 0.5 && current.right <= box.right + 0.5,
    tabHeight: Math.min(...tabs.map(a => a.getBoundingClientRect().height)),
  };
}"""


def test_ledger_tabs_scroll_on_one_line_with_the_current_tab_in_view(phone: Phone) -> None:
    phone.sign_in("psych")
    for view in ("A", "D"):
        phone.page.goto(f"{phone.url}/schools/{phone.world.school_id}/ledgers?view={view}")
        tabs = phone.page.evaluate(TABS)
        assert tabs["rows"] == 1, f"view {view}: the tabs wrap onto {tabs['rows']} lines"
        assert tabs["scrolls"], f"view {view}: the tabs fit a phone, nothing scrolls ({tabs})"
        assert tabs["currentInside"], f"view {view}: the current tab is scrolled out of view ({tabs})"
        assert tabs["mask"] != "none" and tabs["more"], f"view {view}: no hint that the tabs scroll ({tabs})"
        assert tabs["tabHeight"] >= MIN_TAP, f"view {view}: tabs {tabs['tabHeight']}px tall"
        phone.page.screenshot(path=screenshot_dir() / f"phone-ledgers-{view}.png", full_page=True)
    # The table scrolls inside its frame, which fades the edge where there is more.
    phone.page.goto(f"{phone.url}/schools/{phone.world.school_id}/ledgers?view=A")
    table = phone.page.get_by_test_id("ledger-table").locator("xpath=..")
    assert table.evaluate("el => el.scrollWidth > el.clientWidth"), "the ledger table fits: nothing to prove"
    assert table.get_attribute("data-more") == "right"
    assert table.evaluate("el => getComputedStyle(el).maskImage") != "none"
    table.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    phone.page.wait_for_function("() => document.querySelector('[data-testid=ledger-table]').parentElement"
                                 ".dataset.more === 'left'")


def test_board_screenshots(phone: Phone) -> None:
    """The boards at phone width, for a person to look at (the guard above checks their layout)."""
    phone.sign_in("leader")
    phone.page.goto(f"{phone.url}/schools/{phone.world.school_id}/board")
    phone.page.screenshot(path=screenshot_dir() / "phone-board.png", full_page=True)
    phone.sign_in("officer")
    phone.page.goto(f"{phone.url}/district/board")
    phone.page.screenshot(path=screenshot_dir() / "phone-district-board.png", full_page=True)
    assert phone.page.evaluate("() => document.scrollingElement.scrollWidth") <= PHONE["width"] + 1


# ---- the shared classes, before any page uses them ----

SAMPLE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>样例</title>
<link rel="stylesheet" href="/static/app.css"><script src="/static/app.js" defer></script></head>
<body><main>
<nav class="tabs scroll-x" data-testid="tabs">
  <a href="?v=1">综合（按学生）</a><a href="?v=2">A 心理测评与档案台账</a><a href="?v=3">B 重点关爱学生台账</a>
  <a href="?v=4">C 心理危机干预与转介台账</a><a href="?v=5" aria-current="page">D 谈心谈话与家校反馈台账</a>
</nav>
<form class="card">
  <div class="form-grid">
    <label>学生<select><option>一年级1班 黄晨超（2026010101）</option></select></label>
    <label>日期<input type="date" value="2026-10-20"></label>
    <label>时间<input type="datetime-local" value="2026-10-20T18:00"></label>
    <label>附件<input type="file"></label>
  </div>
  <fieldset class="chips"><legend>方式</legend>
    <label><input type="radio" name="kind" checked> 谈心</label><label><input type="radio" name="kind"> 家访</label>
    <label><input type="radio" name="kind"> 电话</label><label><input type="radio" name="kind"> 微信</label>
    <label><input type="radio" name="kind"> 家长会</label>
  </fieldset>
  <div class="field-row"><label>年级<input></label><label>班级<input></label></div>
  <label><input type="checkbox"> 已告知家长</label>
  <label>内容摘要<textarea></textarea></label>
  <table class="form-rows" data-testid="rows"><thead><tr><th>事项</th><th>负责</th><th>截止</th><th></th></tr></thead>
  <tbody><tr><td data-label="事项"><input value="完善一生一案"></td>
  <td data-label="负责"><select><option>专职心理教师</option></select></td>
  <td data-label="截止"><input type="date"></td>
  <td><button type="button" class="link">删除</button></td></tr></tbody></table>
  <button class="primary">保存</button>
</form>
<div class="scroll-x" data-testid="wide"><table><tr>
  <th class="sticky-start">学号</th><th>姓名</th><th>班级</th><th>最近测评</th><th>预警等级</th><th>一生一案</th>
  <th>谈心谈话</th></tr><tr><td class="sticky-start">2026010101</td><td>黄晨超</td><td>一年级1班</td><td>2026-09-12</td>
  <td>无</td><td>—</td><td>2</td></tr>
</table></div>
</main></body></html>"""


def test_the_shared_classes_fit_a_phone(phone: Phone) -> None:
    """The classes app.css offers the pages other areas are adding (tabs, chips, form rows, sticky columns,
    every kind of input) on one sample page: the guard's rules hold, tabs stay on one line with the current
    one in view, form rows become cards, the wide table says it scrolls."""
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    static = Path(__file__).resolve().parents[2] / "web" / "static"
    app = Starlette(routes=[Route("/", lambda _request: HTMLResponse(SAMPLE)),
                            Mount("/static", StaticFiles(directory=static))])
    with LiveServer(app) as server:
        phone.page.goto(server.url + "/")
        measured = phone.page.evaluate(MEASURE, MIN_TAP)
        assert measured["controls"] >= 15, measured
        assert not page_problems(measured), page_problems(measured)
        tabs = phone.page.get_by_test_id("tabs")
        rows = "n => new Set([...n.children].map(a => Math.round(a.getBoundingClientRect().top))).size"
        assert tabs.evaluate(rows) == 1, "the tabs wrap"
        inside = ("n => { const a = n.querySelector('[aria-current]').getBoundingClientRect(), "
                  "b = n.getBoundingClientRect(); return a.left >= b.left - 0.5 && a.right <= b.right + 0.5; }")
        assert tabs.evaluate(inside), "the current tab is out of view"
        assert tabs.get_attribute("data-more") == "left"
        card = phone.page.get_by_test_id("rows").locator("tr").last
        assert card.evaluate("r => getComputedStyle(r).display") == "block"
        wide = phone.page.get_by_test_id("wide")
        assert wide.get_attribute("data-more") == "right"
        assert wide.evaluate("w => getComputedStyle(w.querySelector('.sticky-start')).position") == "sticky"
        # Chinese in a squeezed column would break after every character: each cell stays one line.
        lines = wide.evaluate("w => [...w.querySelectorAll('td')].map(td => { const s = getComputedStyle(td); "
                              "const inner = td.clientHeight - parseFloat(s.paddingTop) - parseFloat(s.paddingBottom); "
                              "return Math.round(inner / parseFloat(s.lineHeight)); })")
        assert max(lines) == 1, f"cells of the wide table wrap: {lines}"
        phone.page.screenshot(path=screenshot_dir() / "phone-shared-classes.png", full_page=True)
