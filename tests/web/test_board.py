"""The school's month board, the district's schools × steps, and the year view: content and who sees what."""

import re
from datetime import date

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import AuditEntry, OutboxMessage, Student, Task
from tests.web.app_fixtures import ClientFor, form_token
from tests.web.world import World


def make_late_work(engine: Engine, world: World) -> dict[str, int]:
    """Overdue work in the world's school: a homeroom task of class 2, the psychology teacher's ledger task
    (carried over from September), and a meeting decision whose typed title names a student."""
    with Session(engine) as session:
        tasks = list(session.exec(select(Task).where(Task.school_id == world.school_id).order_by(col(Task.id))))
        other_class = next(t for t in tasks if t.template == "class_report"
                           and t.class_id != world.accounts["homeroom"].class_id)
        other_class.status, other_class.completed_at, other_class.evidence = "open", None, {}
        other_class.due, other_class.escalation_level = date(2026, 10, 13), "district"
        ledger = next(t for t in tasks if t.template == "ledger_b")
        ledger.due, ledger.carried_over = date(2026, 9, 29), True
        student = session.exec(select(Student.name).where(Student.school_id == world.school_id)).first()
        decision = Task(**{**other_class.model_dump(exclude={"id", "key", "evidence"}), "key": "decision:test:1",
                           "kind": "decision", "template": "decision", "step_key": "meeting", "step_id": None,
                           "title": f"会议决定：约谈{student}家长", "class_id": None, "role": "leader",
                           "assignee_id": world.accounts["leader"].person_id, "due": date(2026, 10, 16),
                           "escalation_level": "none", "evidence": {}})
        session.add(decision)
        session.add_all([other_class, ledger])
        session.commit()
        assert other_class.id and ledger.id and decision.id and student
        return {"other_class": other_class.id, "ledger": ledger.id, "decision": decision.id}


def student_of(engine: Engine, world: World) -> str:
    with Session(engine) as session:
        name = session.exec(select(Student.name).where(Student.school_id == world.school_id)).first()
        assert name
        return name


def no_student_names(text: str, world: World) -> None:
    named = [n for n in world.student_names if n in text]
    assert not named, named[:3]


# --- the school's board ----------------------------------------------------------------------------------


def test_the_board_shows_the_steps_in_order_and_the_api_the_same(client_for: ClientFor, world: World) -> None:
    leader = client_for("leader")
    page = leader.get(f"/schools/{world.school_id}/board")
    assert page.status_code == 200 and "2026年10月 月度看板" in page.text
    keys = re.findall(r'<td class="step-cell status-(\w+)" data-step="(\w+)"', page.text)
    assert keys == [("done", "screening"), ("open", "ledgers"), ("pending", "meeting"), ("pending", "course_check"),
                    ("pending", "feedback")]
    api = leader.get(f"/api/schools/{world.school_id}/board").json()
    assert api["month"] == "2026-10" and api["view"] == "school" and api["cycle_status"] == "open"
    assert [(s["cell"]["status"], s["key"]) for s in api["steps"] if s["cell"]] == keys
    screening = api["steps"][0]
    assert screening["cell"]["text"].startswith("✔ 10-16") and screening["cell"]["late"]  # done after 10-13: 迟
    assert screening["cell"]["done_on"] == "2026-10-16" and "迟" in page.text
    ledgers = next(s for s in api["steps"] if s["key"] == "ledgers")
    assert ledgers["cell"]["due"] == "2026-10-20" and ledgers["open"] == 1 and ledgers["done"] == 3
    assert api == leader.get(f"/api/schools/{world.school_id}/board", params={"month": "2026-10"}).json()
    empty = leader.get(f"/api/schools/{world.school_id}/board", params={"month": "2026-09"}).json()
    assert empty["cycle_status"] is None and empty["steps"] == [] and empty["months"] == ["2026-10"]
    assert leader.get(f"/api/schools/{world.school_id}/board", params={"month": "2026-9"}).status_code == 422
    assert leader.get(f"/schools/{world.school_id}/board", params={"month": "x"}).status_code == 422


def test_who_is_late_and_what_was_carried_over(client_for: ClientFor, world: World, world_engine: Engine) -> None:
    made = make_late_work(world_engine, world)
    student = student_of(world_engine, world)
    leader = client_for("leader")
    api = leader.get(f"/api/schools/{world.school_id}/board").json()
    late = {i["task_id"]: (g, i) for g in api["late"] for i in g["items"]}
    assert set(late) >= {made["other_class"], made["ledger"], made["decision"]}
    group, item = late[made["other_class"]]
    assert group["role_label"] == "班主任" and group["class_label"] and item["escalation_level"] == "district"
    assert item["days_overdue"] == 5 and item["due"] == "2026-10-13"  # 10-14 … 10-20: five working days
    assert late[made["ledger"]][1]["carried_over"] and late[made["ledger"]][0]["who"] == world.accounts["psych"].name
    assert late[made["decision"]][1]["title"] == "会议决定：约谈某同学家长"  # typed text: names replaced
    assert api["overdue_tasks"] == 3 and api["carried_in"] == 1
    assert [c["task_id"] for c in api["carried"]] == [made["ledger"]]
    assert api["carried"][0]["due"] == "2026-09-29" and api["carried"][0]["status"] == "overdue"
    page = leader.get(f"/schools/{world.school_id}/board")
    assert f'data-task-id="{made["other_class"]}"' in page.text and "逾期 5 个工作日" in page.text
    assert 'data-testid="carried-item"' in page.text and student not in page.text
    # Counts cover everything; the class-scope teacher reads only their own class's (and their own) late work.
    homeroom = client_for("homeroom")
    theirs = homeroom.get(f"/api/schools/{world.school_id}/board").json()
    assert theirs["view"] == "class" and theirs["overdue_tasks"] == 3 and theirs["late"] == []
    assert theirs["steps"] == api["steps"]
    assert homeroom.get(f"/schools/{world.school_id}/board").status_code == 200
    with Session(world_engine) as session:  # their own class's report, reopened and late, is theirs to see
        own = session.exec(select(Task).where(Task.class_id == world.accounts["homeroom"].class_id,
                                              Task.template == "class_report")).one()
        own.status, own.completed_at = "open", None
        session.add(own)
        session.commit()
        own_id = own.id
    theirs = homeroom.get(f"/api/schools/{world.school_id}/board").json()
    assert [i["task_id"] for g in theirs["late"] for i in g["items"]] == [own_id]
    assert theirs["late"][0]["who"] == world.accounts["homeroom"].name


def test_a_leader_presses_nudge_on_a_late_task_once_a_day(client_for: ClientFor, world: World,
                                                          world_engine: Engine) -> None:
    made = make_late_work(world_engine, world)
    target = made["other_class"]
    with Session(world_engine) as session:
        before = len(list(session.exec(select(OutboxMessage))))
        assignee = session.get(Task, target).assignee_id  # type: ignore[union-attr]
    leader = client_for("leader")
    page = leader.get(f"/schools/{world.school_id}/board")
    assert page.text.count('data-testid="nudge"') == page.text.count('data-testid="late-item"') >= 3
    token = form_token(page.text)
    done = leader.post(f"/schools/{world.school_id}/board/nudge", data={"csrf_token": token, "task_id": target,
                                                                        "month": "2026-10"}, follow_redirects=False)
    assert done.status_code == 303
    board = f"/schools/{world.school_id}/board"
    assert done.headers["location"] == f"{board}?month=2026-10&ok=nudged&task={target}#t{target}"
    assert f"已催办任务 #{target}" in leader.get(done.headers["location"]).text
    again = leader.post(f"/schools/{world.school_id}/board/nudge", data={"csrf_token": token, "task_id": target},
                        follow_redirects=False)
    assert "ok=again" in again.headers["location"]
    assert "今天已催办过" in leader.get(again.headers["location"]).text
    with Session(world_engine) as session:
        sent = list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))[before:]
        audits = list(session.exec(select(AuditEntry).where(AuditEntry.action == "board_nudge")))
    assert sent and {m.recipient_id for m in sent} == {assignee}
    no_student_names(" ".join((m.subject or "") + m.body_text for m in sent), world)
    assert [a.target for a in audits] == [f"task:{target}"]
    # Only the school's leader: the others see no button and a post is refused as if the task were not there.
    homeroom = client_for("homeroom")
    assert 'data-testid="nudge"' not in homeroom.get(f"/schools/{world.school_id}/board").text
    assert homeroom.post(f"/schools/{world.school_id}/board/nudge",
                         data={"csrf_token": form_token(homeroom.get("/tasks").text),
                               "task_id": made["decision"]}).status_code == 404
    assert 'data-testid="nudge"' not in client_for("officer").get(f"/schools/{world.school_id}/board").text
    other = client_for("other_leader")
    assert other.post(f"/schools/{world.school_id}/board/nudge",
                      data={"csrf_token": form_token(other.get("/tasks").text), "task_id": target}).status_code == 404


def test_officers_see_roles_classes_and_dates_but_no_names(
        client_for: ClientFor, world: World, world_engine: Engine) -> None:
    made = make_late_work(world_engine, world)
    officer = client_for("officer")
    api = officer.get(f"/api/schools/{world.school_id}/board")
    assert api.status_code == 200
    body = api.json()
    assert body["view"] == "officer" and body["overdue_tasks"] == 3
    items = [i for g in body["late"] for i in g["items"]]
    assert len(items) == 3 and all(i["task_id"] is None for i in items)
    assert "落实领导小组会议决定" in {i["title"] for i in items}
    assert {g["who"] for g in body["late"]} <= {"班主任", "专职心理教师", "组长"}
    page = officer.get(f"/schools/{world.school_id}/board")
    assert page.status_code == 200 and "/tasks/" not in page.text
    staff_names = {a.name for k, a in world.accounts.items() if k not in ("officer", "foreign_officer")}
    for text in (api.text, page.text):
        no_student_names(text, world)
        assert not [n for n in staff_names if n in text]
    assert str(made["decision"]) not in re.findall(r"/tasks/(\d+)", page.text)


@pytest.mark.parametrize("role", ["foreign_officer", "foreign_leader", "other_leader", "other_homeroom"])
def test_the_board_of_a_school_outside_ones_scope_is_404(client_for: ClientFor, world: World, role: str) -> None:
    client = client_for(role)
    assert client.get(f"/schools/{world.school_id}/board").status_code == 404
    assert client.get(f"/api/schools/{world.school_id}/board").status_code == 404
    assert client.get(f"/api/schools/{world.school_id}/year").status_code == 404
    assert client.get("/api/schools/999999/board").status_code == 404


# --- the district's board --------------------------------------------------------------------------------


def test_the_district_board_is_schools_by_steps_for_officers(
        client_for: ClientFor, world: World, world_engine: Engine) -> None:
    make_late_work(world_engine, world)
    officer = client_for("officer")
    page = officer.get("/district/board")
    assert page.status_code == 200
    api = officer.get("/api/district/board").json()
    assert api["district_id"] == world.district_id and api["month"] == "2026-10"
    assert {r["school_id"] for r in api["rows"]} == {world.school_id, world.other_school_id}
    assert [c["key"] for c in api["columns"]] == ["screening", "ledgers", "meeting", "course_check", "feedback"]
    ours = next(r for r in api["rows"] if r["school_id"] == world.school_id)
    assert ours["overdue_tasks"] == 3 and ours["carried_in"] == 1 and ours["cells"]["screening"]["status"] == "done"
    assert next(c for c in api["columns"] if c["key"] == "screening")["done_schools"] == 2
    cells = re.findall(rf'data-school="{world.school_id}" data-step="(\w+)" data-status="(\w+)"', page.text)
    assert cells == [(k, ours["cells"][k]["status"]) for k in ours["cells"]]
    assert f'href="/schools/{world.school_id}/board?month=2026-10"' in page.text
    no_student_names(page.text + officer.get("/api/district/board").text, world)
    # Another district's officer sees their own schools only; staff are not district officers.
    foreign = client_for("foreign_officer").get("/api/district/board").json()
    assert {r["school_id"] for r in foreign["rows"]} == {world.foreign_school_id}
    assert client_for("foreign_officer").get("/api/district/board",
                                             params={"district": world.district_id}).status_code == 404
    for role in ("leader", "homeroom"):
        assert client_for(role).get("/district/board").status_code == 404
        assert client_for(role).get("/api/district/board").status_code == 404
    assert officer.get("/api/district/board", params={"month": "2026-11"}).json()["rows"] == []


# --- the year view ---------------------------------------------------------------------------------------


def test_the_year_view_plans_the_months_not_yet_opened(client_for: ClientFor, world: World) -> None:
    leader = client_for("leader")
    page = leader.get(f"/schools/{world.school_id}/year")
    assert page.status_code == 200 and "2026-2027 学年" in page.text
    view = leader.get(f"/api/schools/{world.school_id}/year").json()
    assert view["year"] == "2026-2027"
    assert [m["month"] for m in view["months"]][:2] == ["2026-09", "2026-10"]
    assert view["months"][-1]["month"] == "2027-07" and len(view["months"]) == 11
    assert [c["key"] for c in view["columns"]] == ["screening", "ledgers", "meeting", "holiday_guidance",
                                                   "course_check", "feedback"]
    months = {m["month"]: m for m in view["months"]}
    october = months["2026-10"]
    assert october["opened"] and october["cells"]["screening"]["status"] == "done"
    assert october["cells"]["ledgers"]["status"] == "open" and october["done_tasks"] >= 9
    assert "世界精神卫生日" in october["month_work"][0]["title"]
    november = months["2026-11"]
    assert not november["opened"] and november["cells"]["screening"]["status"] == "planned"
    assert november["cells"]["screening"]["due"] == "2026-11-06"  # the 5th working day of November 2026
    february = months["2027-02"]
    assert february["variant"] == "vacation" and "holiday_guidance" in february["cells"]
    assert "course_check" not in february["cells"] and "寒假" in february["vacations"]
    may = months["2027-05"]
    assert [w["clause"] for w in may["month_work"]] == ["QD-T7", "QD-P1"]  # QD-P1: every month
    assert may["month_work"][0]["due"] == "2027-05-31"
    assert 'data-month="2026-11"' in page.text and 'data-step="screening" data-month="2026-11"' in page.text
    assert "心理健康教育月" in page.text and "假期月" in page.text
    september = months["2026-09"]  # before the world began: planned, and primary schools screen by 09-30
    assert not september["opened"] and september["missed"] and september["month_work"][0]["clause"] == "QD-3"
    assert not november["missed"] and 'data-testid="missed-month"' in page.text


def test_the_year_view_for_officers_and_bad_years(client_for: ClientFor, world: World) -> None:
    officer = client_for("officer")
    assert officer.get(f"/schools/{world.school_id}/year").status_code == 200
    body = officer.get(f"/api/schools/{world.school_id}/year", params={"year": "2025-2026"})
    assert body.status_code == 200 and body.json()["months"][0]["month"] == "2025-09"
    no_student_names(body.text, world)
    assert officer.get(f"/api/schools/{world.school_id}/year", params={"year": "2026-2028"}).status_code == 400
    assert officer.get(f"/api/schools/{world.school_id}/year", params={"year": "26-27"}).status_code == 422
    assert officer.get(f"/schools/{world.school_id}/year", params={"year": "2026-2028"}).status_code == 400
    assert client_for("homeroom").get(f"/schools/{world.school_id}/year").status_code == 200


def test_school_ids_out_of_range_are_refused_not_crashed(client_for: ClientFor, world: World) -> None:
    leader = client_for("leader")
    assert leader.get("/api/schools/99999999999/board").status_code == 422
    assert leader.get("/api/schools/0/year").status_code == 422
    assert leader.get("/api/district/board", params={"district": 0}).status_code == 422


def test_month_work_follows_the_schools_stages(client_for: ClientFor, world: World) -> None:
    def october_work(role: str, school_id: int) -> list[str]:
        view = client_for(role).get(f"/api/schools/{school_id}/year").json()
        return [w["title"] for w in next(m for m in view["months"] if m["month"] == "2026-10")["month_work"]]

    # The world's school is a primary school: the secondary screening due by October's end is not its work.
    assert not any("初中、高中段" in t for t in october_work("leader", world.school_id))
    assert any("初中、高中段" in t for t in october_work("foreign_leader", world.foreign_school_id))
