"""The inbox with a hundred items on a phone: grouped by school and step, one school's items 督办'd at once;
and a leader's 催办 on the month board. A real browser (Debian Chromium) against the live app."""

from playwright.sync_api import expect
from sqlmodel import Session, col, select

from models import AuditEntry, Escalation, OutboxMessage, Task
from tests.web.browser import PHONE
from tests.web.conftest import PageFactory
from tests.web.district_fixtures import crowd_the_inbox
from tests.web.test_board import make_late_work
from tests.web.test_browser_scenarios import Console, Site, console, open_as, phone_shot, site  # noqa: F401
from tests.web.world import World

TALL = 6000  # px: the whole inbox page of ~100 items on a 390 px phone stays well under this


def test_an_officer_notices_one_schools_items_at_once_on_a_phone(
    page_factory: PageFactory, console: Console, site: Site, world: World,  # noqa: F811
) -> None:
    raised = crowd_the_inbox(site.engine, site.book, world)
    assert len(raised) >= 90
    page = open_as(page_factory, console, site, world, "officer", viewport=PHONE)
    assert page.url.endswith("/district/inbox")
    groups = page.get_by_test_id("school-group")
    assert groups.count() >= 5
    expect(page.locator("#inbox-groups li[data-escalation-id]")).to_have_count(min(len(raised), 100))
    height = page.evaluate("() => document.body.scrollHeight")
    print(f"inbox page, {len(raised)} items, 390 px wide: body.scrollHeight = {height} px")  # noqa: T201  (with -s)
    assert height < TALL
    phone_shot(page, "inbox-grouped-phone.png")
    page.evaluate("() => document.querySelectorAll('details.school-group').forEach(d => { d.open = true; })")
    opened = page.evaluate("() => document.body.scrollHeight")
    print(f"the same, every school's group opened: body.scrollHeight = {opened} px")  # noqa: T201
    assert opened < TALL
    phone_shot(page, "inbox-all-open-phone.png")
    page.evaluate("() => document.querySelectorAll('details.school-group').forEach((d, n) => { d.open = n < 2; })")

    # The third school (a collapsed group): open it, select all its items, 督办 them.
    group = groups.nth(2)
    school_id = int(group.get_attribute("data-school") or 0)
    with Session(site.engine) as session:
        theirs = set(session.exec(select(Escalation.id).where(Escalation.school_id == school_id,
                                                              Escalation.status == "new")))
    assert len(theirs) >= 10
    group.locator("summary.group-head").click()
    group.get_by_test_id("select-school").check()
    expect(page.get_by_test_id("selected-count")).to_contain_text(f"已选 {len(theirs)} 项")
    expect(group.get_by_test_id("select-step").first).to_be_checked()
    first = group.get_by_test_id("select-item").first  # one off and on again: "all" follows
    first.uncheck()
    expect(group.get_by_test_id("select-school")).not_to_be_checked()
    first.check()
    expect(group.get_by_test_id("select-school")).to_be_checked()
    page.get_by_test_id("bulk-notice-open").click()
    bar = page.get_by_test_id("bulk-form")
    bar.locator("input[name=days]").fill("3")
    bar.locator("textarea[name=text]").fill("请三个工作日内补齐本月各班摸排并报送")
    phone_shot(page, "inbox-bulk-notice-phone.png")
    bar.get_by_test_id("bulk-notice-submit").click()
    page.wait_for_url(lambda url: "ok=notices" in url)
    expect(page.get_by_test_id("inbox-ok")).to_contain_text(f"已督办 {len(theirs)} 项：向 1 所学校各下发一份督办通知")
    for item_id in list(theirs)[:3]:
        expect(page.locator(f"li[data-escalation-id='{item_id}']")).to_have_attribute("data-status", "acknowledged")
    phone_shot(page, "inbox-after-notice-phone.png")

    with Session(site.engine) as session:
        items = list(session.exec(select(Escalation).where(col(Escalation.id).in_(theirs))))
        tasks = {i.notice_task_id for i in items}
        notices = list(session.exec(select(Task).where(Task.kind == "notice")))
        mail = list(session.exec(select(OutboxMessage).where(col(OutboxMessage.dedupe_key).startswith("notice:"))))
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "inbox_notice")).one()
    assert len(tasks) == 1 and [t.id for t in notices] == list(tasks) and notices[0].school_id == school_id
    assert {i.status for i in items} == {"acknowledged"}
    assert len([m for m in mail if m.channel == "email"]) == len({m.recipient_id for m in mail}) >= 1
    assert all(f"（{len(theirs)}项）" in m.subject for m in mail if m.channel == "email")
    assert not [n for n in world.student_names if any(n in (m.subject or "") + m.body_text for m in mail)]
    assert audit.actor_id == world.accounts["officer"].person_id


def test_a_leader_presses_nudge_on_the_month_board(
    page_factory: PageFactory, console: Console, site: Site, world: World,  # noqa: F811
) -> None:
    crowd_the_inbox(site.engine, site.book, world, extra_schools=0)  # the chase reminded the late work today
    made = make_late_work(site.engine, world)  # then this task was reopened, late: not reminded today
    page = open_as(page_factory, console, site, world, "leader", viewport=PHONE)
    page.goto(f"{site.url}/schools/{world.school_id}/board")
    item = page.locator(f"li[data-task-id='{made['other_class']}']")
    item.get_by_test_id("nudge").click()
    page.wait_for_url(lambda url: "ok=nudged" in url)
    expect(page.get_by_test_id("board-ok")).to_contain_text(f"已催办任务 #{made['other_class']}")
    phone_shot(page, "board-nudge-phone.png")
    page.locator(f"li[data-task-id='{made['other_class']}']").get_by_test_id("nudge").click()
    page.wait_for_url(lambda url: "ok=again" in url)
    expect(page.get_by_test_id("board-ok")).to_contain_text("今天已催办过，未重复发送")
    reminded = made["ledger"]  # reminded by the chase this evening: the button sends nothing
    page.locator(f"li[data-task-id='{reminded}']").get_by_test_id("nudge").click()
    page.wait_for_url(lambda url: "ok=chased" in url)
    expect(page.get_by_test_id("board-ok")).to_contain_text("今天已由系统提醒过负责人")
    with Session(site.engine) as session:
        nudges = list(session.exec(select(AuditEntry).where(AuditEntry.action == "board_nudge")))
    assert [a.target for a in nudges] == [f"task:{made['other_class']}"]
