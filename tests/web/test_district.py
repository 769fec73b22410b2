"""The district's pages: the escalation inbox (签收, 督办) and the on-time dashboard (QD-S1, QD-S2).

Only officers of the district see them; nothing an officer is sent names a student.
"""

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from io import BytesIO
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, event, func
from sqlmodel import Session, col, select

from models import AuditEntry, Cycle, District, Escalation, Extension, OutboxMessage, School, Task
from tests.web.app_fixtures import ClientFor, form_token
from tests.web.district_fixtures import raise_escalations, report_major_crises
from tests.web.world import NOW, TODAY, World
from xinyu.chase.calendar import chase_calendar
from xinyu.chase.inbox import list_escalations
from xinyu.chase.inbox_page import inbox_page
from xinyu.clock import as_local, local_date
from xinyu.cycle import PackBook
from xinyu.cycle.system_templates import SYSTEM_STEP_LABELS
from xinyu.district_dashboard import COUNTED_KINDS, on_time_table
from xinyu.roles import role_label

A_WEEK_LATER = NOW + timedelta(days=7)
STAFF = ("leader", "psych", "homeroom", "other_leader", "other_homeroom", "foreign_leader")


@pytest.fixture
def book(world_engine: Engine) -> PackBook:
    return PackBook(world_engine)


@pytest.fixture
def escalated(world_engine: Engine, book: PackBook, world: World) -> list[int]:
    """The district's inbox: its late work (overdue) and, last, one 重大 crisis report; their ids.

    The school of the other district gets an item, too (see `foreign_items`)."""
    raised = raise_escalations(world_engine, book) + report_major_crises(world_engine, book, world)
    with Session(world_engine) as session:
        ours = set(session.exec(select(Escalation.id).where(Escalation.district_id == world.district_id)))
    assert len(ours) >= 3 and len(ours) < len(raised)
    return [i for i in raised if i in ours]


def foreign_items(engine: Engine, world: World) -> list[int]:
    with Session(engine) as session:
        return [i for i in session.exec(select(Escalation.id).where(Escalation.district_id != world.district_id))
                if i is not None]


def row_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-escalation-id="(\d+)"', html)]


def row_html(html: str, escalation_id: int) -> str:
    found = re.search(rf'<li id="e{escalation_id}".*?</li>', html, re.S)
    assert found, f"no row for item {escalation_id}"
    return found.group(0)


def escalation(engine: Engine, escalation_id: int) -> Escalation:
    with Session(engine) as session:
        item = session.get(Escalation, escalation_id)
        assert item is not None
        return item


def task_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Task)).one()


def leaks(world: World, text: str) -> list[str]:
    return [name for name in world.student_names if name and name in text]


# --- the batched inbox against the per-row original -------------------------------------------------------


def per_row_list_escalations(session: Session, *, today: date, book: PackBook, district: str | None = None,
                             status: str | None = None) -> list[dict[str, Any]]:
    """xinyu.chase.inbox.list_escalations as it was: a few queries per item. The reference for the batched one."""
    query = (
        select(Escalation, School, Task, District.name)  # type: ignore[call-overload]
        .join(School, col(School.id) == col(Escalation.school_id))
        .join(Task, col(Task.id) == col(Escalation.task_id))
        .join(District, col(District.id) == col(Escalation.district_id))
        .order_by(col(Escalation.raised_at), col(Escalation.id))
    )
    if district:
        query = query.where(District.name == district)
    if status:
        query = query.where(Escalation.status == status)
    rows = []
    for item, school, task, district_name in session.exec(query):
        calendar = chase_calendar(book, school.pack)
        due = date.fromisoformat(item.occasion)
        live = calendar.offset(due, today) if item.status != "resolved" else item.days_overdue
        if task.step_key in SYSTEM_STEP_LABELS:
            label = SYSTEM_STEP_LABELS[task.step_key]
        else:
            cycle = session.get(Cycle, task.origin_cycle_id)
            assert cycle is not None
            try:
                label = book.pack(cycle.pack).step(int(cycle.month[5:]), task.step_key).label
            except StopIteration:
                label = task.step_key
        current = session.exec(select(func.max(Task.id)).where(
            (col(Task.lineage_id) == item.lineage_id) | (col(Task.id) == item.lineage_id))).one()
        rows.append({
            "id": item.id, "district": district_name, "school": school.name, "step": task.step_key,
            "step_label": label, "task_id": current,
            "role": role_label(task.role), "role_code": task.role, "level": item.level, "reason": item.reason,
            "summary": item.summary, "due": due.isoformat(), "days_overdue": max(live, 0),
            "raised_at": as_local(item.raised_at).isoformat() if item.raised_at else None,
            "status": item.status, "notice_task_id": item.notice_task_id, "resolution": item.resolution,
        })
    return rows


def test_the_batched_inbox_lists_what_the_per_row_one_did(world_engine: Engine, book: PackBook, world: World,
                                                          escalated: list[int], client_for: ClientFor) -> None:
    officer = client_for("officer")
    first = escalated[0]
    officer.post(f"/api/district/inbox/{first}/notice", json={"days": 3, "text": "请尽快完成"})
    with Session(world_engine) as session:
        session.get(Escalation, escalated[1]).status = "resolved"  # type: ignore[union-attr]
        session.commit()
    with Session(world_engine) as session:
        district = session.get(District, world.district_id)
        assert district is not None
        for today in (TODAY, TODAY + timedelta(days=9)):
            for kwargs in ({}, {"district": district.name}, {"status": "new"}, {"status": "resolved"},
                           {"district": "青岛市崂山区", "status": "acknowledged"}):
                batched = list_escalations(session, today=today, book=book, **kwargs)  # type: ignore[arg-type]
                original = per_row_list_escalations(session, today=today, book=book, **kwargs)  # type: ignore[arg-type]
                assert json.dumps(batched, ensure_ascii=False) == json.dumps(original, ensure_ascii=False)
        assert len(list_escalations(session, today=TODAY, book=book)) == len(escalated) + len(
            foreign_items(world_engine, world))


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_the_inbox_page_takes_the_same_few_queries_however_many_items(
        world_engine: Engine, book: PackBook, world: World, escalated: list[int], client_for: ClientFor) -> None:
    officer = client_for("officer")
    officer.post(f"/api/district/inbox/{escalated[0]}/notice", json={"days": 3, "text": "请尽快完成"})
    with statements(world_engine) as few:
        page = officer.get("/district/inbox?status=all")
    assert len(row_ids(page.text)) == len(escalated)
    more = len(report_major_crises(world_engine, book, world, count=12))
    with statements(world_engine) as many:
        page = officer.get("/district/inbox?status=all")
    assert len(row_ids(page.text)) == len(escalated) + more >= 15
    assert len(many) == len(few) <= 10, many
    with statements(world_engine) as api:
        assert officer.get("/api/district/inbox?status=all").json()["total"] == len(escalated) + more
    assert len(api) == len(few)
    with Session(world_engine) as session, statements(world_engine) as core:
        inbox_page(session, district_ids=frozenset({world.district_id}), today=TODAY, book=book, status="all")
    assert len(core) == 4  # items, their chains, the counts by status, the schools


# --- the inbox page ---------------------------------------------------------------------------------------


def test_an_officer_sees_the_district_inbox_with_schools_linked_to_their_boards(
        client_for: ClientFor, world: World, escalated: list[int]) -> None:
    officer = client_for("officer")
    page = officer.get("/district/inbox")
    assert page.status_code == 200
    assert sorted(row_ids(page.text)) == sorted(escalated)
    assert row_ids(page.text)[0] == escalated[-1]  # an open crisis report comes first
    for escalation_id in escalated:
        row = row_html(page.text, escalation_id)
        assert f'name="ids" value="{escalation_id}" form="bulk-form"' in row and "<form" not in row
        assert 'data-testid="status-badge">待处理<' in row
        assert "days-overdue" in row  # the school and its board link head the group, not each row
    assert f'href="/schools/{world.school_id}/board"' in page.text
    assert f'href="/schools/{world.other_school_id}/board"' in page.text
    assert f"/schools/{world.foreign_school_id}/" not in page.text
    assert "逾期5工作日" in page.text and "危机个案" in page.text
    bar = page.text[page.text.index('id="bulk-form"'):page.text.index('id="inbox-groups"')]
    assert "签收所选</button>" in bar and 'name="days"' in bar and 'name="text"' in bar  # one bar for them all


def test_the_api_gives_the_same_items_as_the_page(client_for: ClientFor, world: World, escalated: list[int]) -> None:
    officer = client_for("officer")
    page = officer.get("/district/inbox")
    data = officer.get("/api/district/inbox").json()
    grouped: dict[int, list[int]] = {}  # the page shows the API's order, grouped by school (first seen first)
    for i in data["items"]:
        grouped.setdefault(i["school_id"], []).append(i["id"])
    assert [i for ids in grouped.values() for i in ids] == row_ids(page.text)
    assert data["total"] == len(escalated) and data["page"] == 1 and data["pages"] == 1
    assert data["counts"] == {"new": len(escalated), "acknowledged": 0, "resolved": 0}
    overdue = [i for i in data["items"] if i["reason"] == "overdue"]
    assert overdue and all(i["days_overdue"] == 5 and i["due"] == "2026-10-13" for i in overdue)
    assert all(i["board_url"] == f"/schools/{i['school_id']}/board" for i in data["items"])
    crisis = next(i for i in data["items"] if i["reason"] == "crisis")
    assert crisis["school_id"] == world.other_school_id and crisis["step_label"] == "危机干预（快速通道）"


def test_filters_by_school_status_and_reason(client_for: ClientFor, world: World, escalated: list[int]) -> None:
    officer = client_for("officer")
    data = officer.get(f"/api/district/inbox?school={world.other_school_id}").json()
    assert data["items"] and {i["school_id"] for i in data["items"]} == {world.other_school_id}
    page = officer.get(f"/district/inbox?school={world.other_school_id}&reason=crisis")
    assert row_ids(page.text) == [escalated[-1]]
    assert officer.get("/district/inbox?status=resolved&school=&reason=").status_code == 200
    assert row_ids(officer.get("/district/inbox?status=resolved").text) == []
    assert officer.get(f"/district/inbox?school={world.foreign_school_id}").status_code == 404
    assert officer.get(f"/api/district/inbox?school={world.foreign_school_id}").status_code == 404
    assert officer.get("/api/district/inbox?status=nonsense").status_code == 422
    assert officer.get("/district/inbox?school=abc").status_code == 422


@pytest.mark.parametrize("role", STAFF)
def test_school_staff_have_no_district_pages(client_for: ClientFor, escalated: list[int], role: str) -> None:
    client = client_for(role)
    for path in ("/district/inbox", "/api/district/inbox", "/district/dashboard", "/api/district/on-time",
                 "/district/on-time.xlsx"):
        assert client.get(path).status_code == 404, path


def test_an_officer_of_another_district_sees_and_touches_none_of_it(
        client_for: ClientFor, world_engine: Engine, world: World, escalated: list[int]) -> None:
    theirs = foreign_items(world_engine, world)
    assert theirs
    foreign = client_for("foreign_officer")
    assert row_ids(foreign.get("/district/inbox?status=all").text) == theirs
    assert [i["id"] for i in foreign.get("/api/district/inbox?status=all").json()["items"]] == theirs
    officer = client_for("officer")
    assert officer.post(f"/api/district/inbox/{theirs[0]}/ack").status_code == 404
    assert not set(row_ids(officer.get("/district/inbox?status=all").text)) & set(theirs)
    target = escalated[0]
    assert foreign.post(f"/api/district/inbox/{target}/ack").status_code == 404
    assert foreign.post(f"/api/district/inbox/{target}/notice", json={"days": 3, "text": "整改"}).status_code == 404
    token = form_token(foreign.get("/district/inbox").text)
    assert foreign.post(f"/district/inbox/{target}/ack", data={"csrf_token": token}).status_code == 404
    assert foreign.post(f"/district/inbox/{target}/notice",
                        data={"csrf_token": token, "days": "3", "text": "整改"}).status_code == 404
    assert foreign.post(f"/district/inbox/{target}/notice",
                        data={"csrf_token": token, "days": "", "text": ""}).status_code == 404
    item = escalation(world_engine, target)
    assert item.status == "new" and item.notice_task_id is None
    assert client_for("officer").post("/api/district/inbox/999999/ack").status_code == 404


# --- acknowledging and issuing a notice -------------------------------------------------------------------


def test_an_officer_acknowledges_an_item_on_the_page(client_for: ClientFor, world_engine: Engine,
                                                     escalated: list[int]) -> None:
    officer = client_for("officer")
    page = officer.get("/district/inbox?sort=newest")
    target = escalated[0]
    # No per-item forms: each item's box belongs to the one bulk form (form= attribute, works without JS).
    row = row_html(page.text, target)
    assert "<form" not in row and "<textarea" not in row and "csrf_token" not in row
    assert f'name="ids" value="{target}" form="bulk-form"' in row
    assert page.text.count('action="/district/inbox/') == 1 and 'action="/district/inbox/bulk"' in page.text
    done = officer.post("/district/inbox/bulk", data={"csrf_token": form_token(page.text), "back": "sort=newest",
                                                      "action": "ack", "ids": [target]}, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"].startswith("/district/inbox?sort=newest&ok=acks&n=1")
    item = escalation(world_engine, target)
    assert item.status == "acknowledged" and item.acknowledged_at is not None
    shown = officer.get(done.headers["location"])
    assert "已签收 1 项" in shown.text
    row = row_html(shown.text, target)
    assert 'data-testid="status-badge">已签收<' in row
    del officer.headers["X-CSRF-Token"]
    assert officer.post("/district/inbox/bulk", data={"action": "ack", "ids": [escalated[1]]}).status_code == 403
    assert escalation(world_engine, escalated[1]).status == "new"


def test_the_api_acknowledges_and_a_resolved_item_is_refused(client_for: ClientFor, world_engine: Engine,
                                                             escalated: list[int]) -> None:
    officer = client_for("officer")
    target, resolved = escalated[0], escalated[1]
    answer = officer.post(f"/api/district/inbox/{target}/ack")
    assert answer.status_code == 200 and answer.json()["status"] == "acknowledged"
    assert officer.post(f"/api/district/inbox/{target}/ack").json()["status"] == "acknowledged"  # twice: the same
    with Session(world_engine) as session:
        session.get(Escalation, resolved).status = "resolved"  # type: ignore[union-attr]
        session.commit()
    refused = officer.post(f"/api/district/inbox/{resolved}/ack")
    assert refused.status_code == 409 and "已办结" in refused.json()["detail"]
    token = form_token(officer.get("/district/inbox").text)
    page = officer.post(f"/district/inbox/{resolved}/ack", data={"csrf_token": token})
    assert page.status_code == 409 and "已办结" in page.text
    assert escalation(world_engine, resolved).acknowledged_at is None


def test_an_officer_issues_a_notice_which_becomes_the_school_leaders_task(
        client_for: ClientFor, world_engine: Engine, world: World, escalated: list[int]) -> None:
    officer = client_for("officer")
    target = escalated[0]
    page = officer.get("/district/inbox")
    name = world.student_names[0]
    done = officer.post("/district/inbox/bulk", data={
        "csrf_token": form_token(page.text), "action": "notice", "ids": [target], "days": "5",
        "text": f"请组长督促{name}所在班尽快补齐", "back": ""}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/district/inbox?ok=notices&n=1&m=1")
    item = escalation(world_engine, target)
    assert item.status == "acknowledged" and item.notice_task_id is not None
    with Session(world_engine) as session:
        task = session.get(Task, item.notice_task_id)
        assert task is not None and task.kind == "notice" and task.role == "leader"
        assert task.school_id == item.school_id and task.due == date(2026, 10, 27)  # five working days on
        mails = list(session.exec(select(OutboxMessage).where(col(OutboxMessage.dedupe_key).contains(
            f"notice:{target}"))))
        assert mails and all(name not in m.body_text for m in mails)
    shown = officer.get(done.headers["location"])
    assert not leaks(world, shown.text)
    row = row_html(shown.text, target)
    assert f"整改任务 #{item.notice_task_id}" in row and "10-27 前" in row and ">整改中<" in row
    data = officer.get("/api/district/inbox").json()
    listed = next(i for i in data["items"] if i["id"] == target)
    assert listed["notice"] == {"task_id": item.notice_task_id, "due": "2026-10-27", "status": "open"}


def test_a_second_notice_and_bad_forms_are_refused_with_nothing_written(
        client_for: ClientFor, world_engine: Engine, escalated: list[int]) -> None:
    officer = client_for("officer")
    target, other = escalated[0], escalated[1]
    first = officer.post(f"/api/district/inbox/{target}/notice", json={"days": 3, "text": "限期整改"})
    assert first.status_code == 200 and first.json()["notice"]["due"] == "2026-10-23"
    tasks = task_count(world_engine)
    again = officer.post(f"/api/district/inbox/{target}/notice", json={"days": 3, "text": "再次督办"})
    assert again.status_code == 409 and "已下发督办通知" in again.json()["detail"]
    for body in ({"days": 0, "text": "整改"}, {"days": 31, "text": "整改"}, {"days": 3, "text": ""},
                 {"days": 3}, {"days": 3, "text": "整改", "extra": 1}, {"days": 3, "text": "整\x00改"}):
        assert officer.post(f"/api/district/inbox/{other}/notice", json=body).status_code == 422, body
    for text in ("整\u202e改", "整\u2066改\u2069"):  # bidi override and isolate: refused by the shared check
        bidi = officer.post(f"/api/district/inbox/{other}/notice", json={"days": 3, "text": text})
        assert bidi.status_code == 400 and "督办要求含有不可见的控制字符" in bidi.json()["detail"]
    blank = officer.post(f"/api/district/inbox/{other}/notice", json={"days": 3, "text": "   "})
    assert blank.status_code == 400 and "督办要求" in blank.json()["detail"]
    token = form_token(officer.get("/district/inbox").text)
    bad_forms = (({"days": "0", "text": "整改"}, "1–30 个工作日"), ({"days": "x", "text": "整改"}, "1–30 个工作日"),
                 ({"days": "3", "text": ""}, "请填写督办要求"), ({"days": "3", "text": "整\x00改"}, "控制字符"),
                 ({"days": "3", "text": "整\u202e改"}, "控制字符"))
    for form, message in bad_forms:
        page = officer.post(f"/district/inbox/{other}/notice", data={"csrf_token": token, **form})
        assert page.status_code == 400 and message in page.text, form
        assert 'data-testid="inbox-error"' in page.text and row_ids(page.text)
    page = officer.post(f"/district/inbox/{target}/notice", data={"csrf_token": token, "days": "3", "text": "再次"})
    assert page.status_code == 409
    assert task_count(world_engine) == tasks
    assert escalation(world_engine, other).notice_task_id is None


# --- privacy ----------------------------------------------------------------------------------------------


def test_nothing_an_officer_is_sent_names_a_student(client_for: ClientFor, world: World, world_engine: Engine,
                                                    escalated: list[int]) -> None:
    assert world.student_names
    officer = client_for("officer")
    name = world.student_names[-1]
    officer.post(f"/api/district/inbox/{escalated[0]}/notice", json={"days": 3, "text": f"{name}的班级需整改"})
    responses = [officer.get(path) for path in (
        "/district/inbox", "/district/inbox?status=all", "/district/inbox?status=acknowledged",
        "/api/district/inbox?status=all", f"/api/district/inbox?school={world.other_school_id}",
        "/district/dashboard", "/api/district/on-time", "/district/dashboard?year=2025")]
    responses.append(officer.post(f"/api/district/inbox/{escalated[1]}/ack"))
    responses.append(officer.post(f"/api/district/inbox/{escalated[-1]}/notice", json={"days": 2, "text": "跟进"}))
    for response in responses:
        assert response.status_code == 200, response.url
        assert not leaks(world, response.text), response.url
    workbook = load_workbook(BytesIO(officer.get("/district/on-time.xlsx").content))
    cells = " ".join(str(c.value) for ws in workbook for row in ws.iter_rows() for c in row if c.value is not None)
    assert not leaks(world, cells)


# --- the dashboard ----------------------------------------------------------------------------------------


def expected_rates(engine: Engine, world: World, year: int) -> dict[tuple[int, str], tuple[int, int]]:
    """The definition, task by task: (school, month) → (on time, counted)."""
    with Session(engine) as session:
        schools = set(session.exec(select(School.id).where(School.district_id == world.district_id)))
        tasks = {t.id: t for t in session.exec(select(Task)) if t.school_id in schools}
        late_chains = {tasks[e.task_id].lineage_id or e.task_id for e in session.exec(select(Extension))
                       if e.task_id in tasks and e.status == "approved" and e.decided_at is not None
                       and local_date(e.decided_at) > e.previous_due}  # approved after the due date it moved
    rates: dict[tuple[int, str], tuple[int, int]] = {}
    for task in tasks.values():
        first = tasks[task.lineage_id or task.id]
        if task.status == "carried" or task.kind not in COUNTED_KINDS or first.due.year != year:
            continue
        if task.status != "done" and task.due >= TODAY:
            continue
        on_time = (task.status == "done" and task.completed_at is not None and local_date(task.completed_at) <= task.due
                   and (task.lineage_id or task.id) not in late_chains)
        key = (task.school_id, first.due.isoformat()[:7])
        done, counted = rates.get(key, (0, 0))
        rates[key] = (done + on_time, counted + 1)
    return rates


def test_the_on_time_rates_follow_the_definition(client_for: ClientFor, world: World, world_engine: Engine,
                                                 escalated: list[int]) -> None:
    data = client_for("officer").get("/api/district/on-time?year=2026").json()
    expected = expected_rates(world_engine, world, 2026)
    assert expected and any(done < counted for done, counted in expected.values())  # some work was late
    got = {(s["school_id"], m): (r["on_time"], r["due"]) for s in data["schools"] for m, r in s["months"].items()}
    assert got == expected
    assert data["months"] == ["2026-10"]
    district = data["district"]["2026-10"]
    assert (district["on_time"], district["due"]) == tuple(map(sum, zip(*expected.values(), strict=True)))
    assert {s["school_id"] for s in data["schools"]} == {world.school_id, world.other_school_id}
    open_items = {s["school_id"]: s["open_escalations"] for s in data["schools"]}
    assert sum(open_items.values()) == len(escalated) and open_items[world.other_school_id] >= 1


def test_carried_work_counts_once_in_its_first_month_and_late_completion_is_late(
        client_for: ClientFor, world: World, world_engine: Engine, book: PackBook) -> None:
    officer = client_for("officer")
    before = officer.get("/api/district/on-time").json()["district"]["2026-10"]
    with Session(world_engine) as session:
        late = session.exec(select(Task).where(Task.status == "open", Task.kind == "step", Task.due < TODAY)).first()
        assert late is not None and late.id is not None
        # Carried into November as month opening does it, then done there, after its due date.
        late.status = "carried"
        session.add(Task(cycle_id=late.cycle_id, origin_cycle_id=late.origin_cycle_id, school_id=late.school_id,
                         step_key=late.step_key, template=late.template, key=f"carried:{late.id}", kind=late.kind,
                         blocks_step=False, title=late.title, role=late.role, class_id=late.class_id,
                         clause=late.clause, due=late.due, status="done", carried_over=True, carried_from_id=late.id,
                         lineage_id=late.id, completed_at=A_WEEK_LATER))
        session.commit()
    after = officer.get("/api/district/on-time").json()
    assert after["months"] == ["2026-10"]
    assert after["district"]["2026-10"]["due"] == before["due"]
    assert after["district"]["2026-10"]["on_time"] == before["on_time"]
    assert {(s["school_id"], m): (r["on_time"], r["due"]) for s in after["schools"] for m, r in s["months"].items()
            } == expected_rates(world_engine, world, 2026)


def test_the_dashboard_page_draws_from_its_data_block(client_for: ClientFor, world: World,
                                                      escalated: list[int]) -> None:
    officer = client_for("officer")
    page = officer.get("/district/dashboard")
    assert page.status_code == 200
    assert '<canvas id="on-time-chart"' in page.text
    assert '<script src="/static/district.js" defer></script>' in page.text
    assert '<script src="/static/vendor/chart.umd.min.js" defer></script>' in page.text
    assert not re.search(r"<script(?![^>]*(src=|type=\"application/json\"))", page.text)  # no inline script
    assert " style=" not in page.text
    block = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', page.text, re.S)
    assert block
    chart = json.loads(block.group(1))
    api = officer.get("/api/district/on-time").json()
    assert chart["months"] == ["2026-10"] and chart["labels"] == ["10月"]
    assert chart["district"] == [round(api["district"]["2026-10"]["rate"] * 100)]
    assert {s["name"] for s in chart["schools"]} == {s["name"] for s in api["schools"]}
    for school in api["schools"]:
        rate = school["months"]["2026-10"]
        cell = re.search(rf'<td class="rate cell-(\w+)" data-school="{school["school_id"]}" data-month="2026-10"'
                         rf'[^>]*>([^<]*)<', page.text)
        assert cell and cell.group(2) == f"{round(rate['rate'] * 100)}%"
        assert cell.group(1) == ("ok" if rate["rate"] >= 0.9 else "short" if rate["rate"] < 0.7 else "warn")
        assert f'href="/schools/{school["school_id"]}/board"' in page.text
    assert "按时完成率 = 按期完成的工作 ÷ 到期的工作" in page.text
    assert 'data-testid="open-escalations"><a href="/district/inbox?school=' in page.text
    assert officer.get("/static/district.js").status_code == 200


def test_a_year_without_work_says_so(client_for: ClientFor) -> None:
    officer = client_for("officer")
    page = officer.get("/district/dashboard?year=2025")
    assert page.status_code == 200 and 'data-testid="no-data"' in page.text and "on-time-chart" not in page.text
    assert officer.get("/api/district/on-time?year=2025").json()["months"] == []
    assert officer.get("/api/district/on-time?year=1999").status_code == 422
    assert officer.get("/district/dashboard?year=abc").status_code == 422


def test_the_table_downloads_as_a_workbook(client_for: ClientFor, world: World, escalated: list[int]) -> None:
    officer = client_for("officer")
    answer = officer.get("/district/on-time.xlsx?year=2026")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in answer.headers["content-disposition"]
    workbook = load_workbook(BytesIO(answer.content))
    sheet = workbook["2026年按时完成率"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("学校", "10月(%)", "全年(%)", "未办结督办")
    api = officer.get("/api/district/on-time?year=2026").json()
    by_name = {s["name"]: s for s in api["schools"]}
    for name, october, year_rate, open_items in rows[1:-1]:
        school = by_name[name]
        assert october == round(school["months"]["2026-10"]["rate"] * 100, 1) == year_rate
        assert open_items == school["open_escalations"]
    assert rows[-1][0] == "全区" and rows[-1][3] == len(escalated)
    assert "口径说明" in workbook.sheetnames


def test_the_core_table_for_an_empty_district(world_engine: Engine) -> None:
    with Session(world_engine) as session:
        table = on_time_table(session, district_ids=frozenset({999}), year=2026, today=TODAY)
    assert table.schools == [] and table.months == [] and table.district_year.value is None


def test_pages_need_a_sign_in(web_app: Any) -> None:
    client = TestClient(web_app, base_url="https://testserver")
    assert client.get("/district/inbox", follow_redirects=False).status_code == 303
    assert client.get("/api/district/inbox").status_code == 401
    assert client.get("/api/district/on-time").status_code == 401


def test_the_inbox_pages_through_its_items_in_order(world_engine: Engine, book: PackBook, world: World,
                                                    escalated: list[int]) -> None:
    districts = frozenset({world.district_id})
    with Session(world_engine) as session:
        everything = inbox_page(session, district_ids=districts, today=TODAY, book=book, status="all")
        pages = [inbox_page(session, district_ids=districts, today=TODAY, book=book, status="all", page=n,
                            page_size=2) for n in (1, 2, 3)]
        newest = inbox_page(session, district_ids=districts, today=TODAY, book=book, order="newest")
    assert pages[0].pages == -(-len(escalated) // 2) and pages[0].total == len(escalated)
    assert [i.id for p in pages for i in p.items] == [i.id for i in everything.items]
    assert everything.items[0].reason == "crisis"
    assert [i.id for i in newest.items] == sorted(escalated, reverse=True)  # raised at the same moment: by id


# --- several items at once ------------------------------------------------------------------------------


def test_an_officer_acknowledges_and_notices_several_items_in_one_post(
        client_for: ClientFor, world_engine: Engine, world: World, escalated: list[int]) -> None:
    officer = client_for("officer")
    page = officer.get("/district/inbox")
    assert page.text.count('data-testid="school-group"') == 2 and 'data-testid="select-school"' in page.text
    token = form_token(page.text)
    items = {i: escalation(world_engine, i) for i in escalated}
    overdue = [i for i, e in items.items() if e.reason == "overdue"]
    done = officer.post("/district/inbox/bulk", data={"csrf_token": token, "action": "ack", "ids": overdue[:2]},
                        follow_redirects=False)
    assert done.status_code == 303 and "ok=acks&n=2" in done.headers["location"]
    assert "已签收 2 项" in officer.get(done.headers["location"]).text
    assert {escalation(world_engine, i).status for i in overdue[:2]} == {"acknowledged"}

    form = {"csrf_token": token, "action": "notice", "ids": escalated, "days": "3", "text": "限期整改并报送"}
    done = officer.post("/district/inbox/bulk", data=form, follow_redirects=False)
    schools = {e.school_id for e in items.values()}
    assert done.status_code == 303 and f"ok=notices&n={len(escalated)}&m={len(schools)}" in done.headers["location"]
    with Session(world_engine) as session:
        sent = list(session.exec(select(OutboxMessage).where(col(OutboxMessage.dedupe_key).startswith("notice:"))))
        tasks = list(session.exec(select(Task).where(Task.kind == "notice")))
        audits = list(session.exec(select(AuditEntry).where(col(AuditEntry.action).in_(["inbox_ack", "inbox_notice"]))))
    assert len(tasks) == len(schools) and {t.school_id for t in tasks} == schools
    assert len({m.dedupe_key.split(":p")[0] for m in sent}) == len(schools)  # one notice per school
    assert [a.action for a in audits] == ["inbox_ack", "inbox_notice"]
    assert all(a.actor_id == world.accounts["officer"].person_id for a in audits)
    again = officer.post("/district/inbox/bulk", data=form, follow_redirects=False)  # a retried POST
    assert again.status_code == 303 and f"ok=notices&n=0&m=0&k={len(escalated)}" in again.headers["location"]
    with Session(world_engine) as session:
        assert len(list(session.exec(select(OutboxMessage).where(
            col(OutboxMessage.dedupe_key).startswith("notice:"))))) == len(sent)


def test_a_bulk_post_with_a_foreign_item_or_no_token_writes_nothing(
        client_for: ClientFor, world_engine: Engine, world: World, escalated: list[int]) -> None:
    officer = client_for("officer")
    token = form_token(officer.get("/district/inbox").text)
    theirs = foreign_items(world_engine, world)
    refused = officer.post("/district/inbox/bulk", data={"csrf_token": token, "action": "ack",
                                                         "ids": [escalated[0], theirs[0]]})
    assert refused.status_code == 404
    assert escalation(world_engine, escalated[0]).status == "new"
    empty = officer.post("/district/inbox/bulk", data={"csrf_token": token, "action": "ack"})
    assert empty.status_code == 400 and "请先勾选" in empty.text
    blank = officer.post("/district/inbox/bulk", data={"csrf_token": token, "action": "notice", "ids": escalated[:1],
                                                       "days": "3", "text": "  "})
    assert blank.status_code == 400 and escalation(world_engine, escalated[0]).notice_task_id is None
    del officer.headers["X-CSRF-Token"]
    assert officer.post("/district/inbox/bulk", data={"action": "ack", "ids": escalated[:1]}).status_code == 403
    assert escalation(world_engine, escalated[0]).status == "new"
