"""My tasks and the task page: who sees which task, the evidence form, completing, acknowledging, extensions."""

import re
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import Extension, LedgerReview, Meeting, Step, Student, Task
from tests.web.app_fixtures import ClientFor, form_token, sign_in
from tests.web.world import World
from web.app import create_app
from xinyu.clock import parse_at
from xinyu.cycle import PackBook, open_month


def task_of(engine: Engine, **where: object) -> Task:
    with Session(engine) as session:
        query = select(Task).order_by(col(Task.id))
        for name, value in where.items():
            query = query.where(getattr(Task, name) == value)
        found = session.exec(query).first()
        assert found is not None, where
        return found


def reload(engine: Engine, task_id: int) -> Task:
    with Session(engine) as session:
        found = session.get(Task, task_id)
        assert found is not None
        return found


def step_status(engine: Engine, cycle_id: int, key: str) -> str:
    with Session(engine) as session:
        return session.exec(select(Step.status).where(Step.cycle_id == cycle_id, Step.key == key)).one()


def listed_ids(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'<li class="task-row[^"]*" data-task-id="(\d+)"', html)}


def ledger_b(engine: Engine, world: World) -> Task:
    """The psychology teacher's open ledger task in the world's school (due today, 10-20)."""
    return task_of(engine, school_id=world.school_id, template="ledger_b")


# --- seeing ----------------------------------------------------------------------------------------------


def test_my_tasks_lists_the_assignees_tasks_grouped_and_the_api_says_the_same(
        client_for: ClientFor, world: World, world_engine: Engine) -> None:
    psych = client_for("psych")
    task = ledger_b(world_engine, world)
    page = psych.get("/tasks")
    assert page.status_code == 200
    assert f'data-task-id="{task.id}"' in page.text and "即将到期" in page.text
    assert 'data-testid="group-due_soon"' in page.text and "台账A–D更新" in page.text
    api = psych.get("/api/tasks").json()
    assert {t["id"] for t in api["tasks"]} == listed_ids(page.text)
    row = next(t for t in api["tasks"] if t["id"] == task.id)
    assert row["group"] == "due_soon" and row["status"] == "open" and row["due"] == "2026-10-20"
    assert row["step"] == "ledgers" and row["escalation_level"] == "none" and not row["carried_over"]
    assert all(t["assignee_id"] == world.accounts["psych"].person_id for t in api["tasks"])
    assert api["counts"]["due_soon"] >= 1 and sum(api["counts"].values()) == len(api["tasks"])


def test_on_saturday_a_task_due_friday_reads_past_due_not_due_soon(world: World, world_engine: Engine) -> None:
    """Overdue counts from the next working day (the chase waits for Monday), but the badge must not say the
    due date is still to come."""
    task = ledger_b(world_engine, world)
    with Session(world_engine) as session:
        stored = session.get(Task, task.id)
        assert stored is not None
        stored.due = date(2026, 10, 23)  # a Friday
        session.add(stored)
        session.commit()
    saturday = parse_at("2026-10-24T10:00")
    app = create_app(engine=world_engine, book=PackBook(world_engine), clock=lambda: saturday,
                     base_url="https://testserver")
    with TestClient(app, base_url="https://testserver") as psych:
        sign_in(psych, world.accounts["psych"].login)
        row = next(t for t in psych.get("/api/tasks").json()["tasks"] if t["id"] == task.id)
        assert (row["status"], row["group"], row["past_due"]) == ("open", "due_soon", True)
        page = psych.get("/tasks").text
        item = page[page.index(f'data-task-id="{task.id}"'):]
        badge = re.search(r'data-testid="task-status"[^>]*>([^<]+)<', item)
        assert badge and badge.group(1) == "已到期", item[:600]
        assert "<h2>已到期、即将到期（" in page  # the group's heading says so too


def test_the_leader_toggles_to_the_whole_school_and_sees_no_other_school(
        client_for: ClientFor, world: World, world_engine: Engine) -> None:
    leader = client_for("leader")
    mine = leader.get("/api/tasks").json()
    assert mine["scope"] == "mine" and mine["may_see_all"]
    everything = leader.get("/api/tasks", params={"scope": "all"}).json()
    assert everything["scope"] == "all" and len(everything["tasks"]) > len(mine["tasks"])
    assert {t["school_id"] for t in everything["tasks"]} == {world.school_id}
    page = leader.get("/tasks?scope=all")
    assert page.status_code == 200 and 'data-testid="scope-all"' in page.text and "全校" in page.text
    assert listed_ids(page.text) == {t["id"] for t in everything["tasks"]}
    # The crisis task (ledger C) is the handler's and the leader's.
    crisis = task_of(world_engine, kind="crisis", school_id=world.school_id)
    assert crisis.id in listed_ids(page.text)


def test_filters_by_status_step_class_and_month(client_for: ClientFor, world: World) -> None:
    leader = client_for("leader")
    done = leader.get("/api/tasks", params={"scope": "all", "status": "done"}).json()
    assert done["tasks"] and all(t["group"] == "done" for t in done["tasks"])
    assert done["counts"]["done"] == len(done["tasks"]) and done["counts"]["due_soon"] >= 1
    screening = leader.get("/api/tasks", params={"scope": "all", "step": "screening"}).json()["tasks"]
    assert screening and {t["step"] for t in screening} == {"screening"}
    class_id = world.accounts["homeroom"].class_id
    in_class = leader.get("/api/tasks", params={"scope": "all", "class": class_id}).json()
    assert in_class["tasks"] and {t["class_id"] for t in in_class["tasks"]} == {class_id}
    assert str(class_id) in {o["value"] for o in in_class["classes"]}
    october = leader.get("/api/tasks", params={"scope": "all", "month": "2026-10"}).json()
    assert {t["month"] for t in october["tasks"]} == {"2026-10"} and "2026-10" in october["months"]
    assert leader.get("/api/tasks", params={"scope": "all", "month": "2026-09"}).json()["tasks"] == []
    page = leader.get("/tasks", params={"scope": "all", "status": "done", "step": "screening", "class": "",
                                        "month": ""})
    assert page.status_code == 200 and listed_ids(page.text) == {
        t["id"] for t in done["tasks"] if t["step"] == "screening"}
    for bad in ({"month": "2026-13"}, {"status": "late"}, {"class": "abc"}, {"step": "Screening!"}):
        assert leader.get("/api/tasks", params=bad).status_code == 422, bad
        assert leader.get("/tasks", params=bad).status_code == 422, bad


def test_a_homeroom_teacher_sees_their_class_only(client_for: ClientFor, world: World, world_engine: Engine) -> None:
    homeroom = client_for("homeroom")
    everything = homeroom.get("/api/tasks", params={"scope": "all"}).json()
    assert everything["tasks"] and {t["class_id"] for t in everything["tasks"]} == {world.accounts["homeroom"].class_id}
    assert [o["value"] for o in everything["classes"]] == [str(world.accounts["homeroom"].class_id)]
    # Not the psychology teacher's ledger task, not the crisis task about a student of their own class.
    for task in (ledger_b(world_engine, world), task_of(world_engine, kind="crisis", school_id=world.school_id)):
        assert homeroom.get(f"/tasks/{task.id}").status_code == 404
        assert homeroom.get(f"/api/tasks/{task.id}").status_code == 404
    own = task_of(world_engine, assignee_id=world.accounts["homeroom"].person_id)
    assert homeroom.get(f"/tasks/{own.id}").status_code == 200


def test_officers_other_schools_and_other_districts_get_404(
        client_for: ClientFor, world: World, world_engine: Engine) -> None:
    task = ledger_b(world_engine, world)
    for role in ("officer", "foreign_officer", "other_leader", "other_homeroom", "foreign_leader"):
        client = client_for(role)
        assert client.get(f"/tasks/{task.id}").status_code == 404, role
        assert client.get(f"/api/tasks/{task.id}").status_code == 404, role
        assert task.id not in {t["id"] for t in client.get("/api/tasks", params={"scope": "all"}).json()["tasks"]}
    officer = client_for("officer")
    page = officer.get("/tasks")
    assert page.status_code == 200 and "督办收件箱" in page.text
    assert officer.get("/api/tasks").json()["tasks"] == []
    assert officer.get("/api/tasks/999999").status_code == 404
    assert officer.get("/api/tasks/99999999999").status_code == 422


def test_the_task_page_explains_the_due_date_and_shows_the_evidence_form(
        client_for: ClientFor, world: World, world_engine: Engine) -> None:
    psych = client_for("psych")
    task = ledger_b(world_engine, world)
    page = psych.get(f"/tasks/{task.id}")
    assert page.status_code == 200
    assert 'id="evidence-form"' in page.text and 'name="note"' in page.text and 'name="changed"' not in page.text
    assert 'data-testid="ledger-counts"' in page.text and "确认台账已核对并完成" in page.text  # counted, not typed
    assert "当前截止：2026-10-20" in page.text and "QD-2" in page.text and "台账A–D更新" in page.text
    assert 'id="ack-form"' in page.text and 'id="extension-form"' in page.text
    detail = psych.get(f"/api/tasks/{task.id}").json()
    assert [f["name"] for f in detail["fields"]] == ["note"]
    assert detail["ledger_counts"]["ledger"] == "B" and detail["ledger_counts"]["recorded"] is False
    assert detail["may_act"] and detail["may_ask"] and not detail["may_decide"] and detail["task"]["clause"] == "QD-2"
    assert any("当前截止：2026-10-20" in line for line in detail["due_explained"])
    # A finished task shows what was given and no form.
    done = task_of(world_engine, school_id=world.school_id, template="ledger_a")
    shown = psych.get(f"/tasks/{done.id}")
    assert 'data-testid="evidence-given"' in shown.text and 'id="evidence-form"' not in shown.text
    assert psych.get(f"/api/tasks/{done.id}").json()["evidence"]


# --- completing ------------------------------------------------------------------------------------------


def test_completing_through_the_form_writes_and_the_loop_moves_on(
        client_for: ClientFor, world: World, world_engine: Engine) -> None:
    psych = client_for("psych")
    task = ledger_b(world_engine, world)
    assert step_status(world_engine, task.cycle_id, "meeting") == "pending"
    token = form_token(psych.get(f"/tasks/{task.id}").text)
    response = psych.post(f"/tasks/{task.id}/complete", data={"csrf_token": token, "note": "新增两例"},
                          follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/tasks/{task.id}?ok=done"
    done = reload(world_engine, task.id or 0)
    assert done.status == "done" and done.evidence == {"note": "新增两例"}
    assert done.completed_by_id == world.accounts["psych"].person_id
    assert step_status(world_engine, task.cycle_id, "ledgers") == "done"
    assert step_status(world_engine, task.cycle_id, "meeting") == "open"
    shown = psych.get(response.headers["location"])
    assert "已提交，任务完成" in shown.text and "新增两例" in shown.text
    assert psych.get(f"/api/tasks/{task.id}").json()["task"]["status"] == "done"


def test_bad_evidence_is_refused_with_the_cores_message_and_nothing_is_written(
        client_for: ClientFor, world: World, world_engine: Engine) -> None:
    psych = client_for("psych")
    task = ledger_b(world_engine, world)
    token = form_token(psych.get(f"/tasks/{task.id}").text)
    # The month's count is not typed any more (QD-ANNEX: counted from the ledger's rows).
    api = psych.post(f"/api/tasks/{task.id}/complete", json={"values": {"changed": 25}})
    assert api.status_code == 400 and "没有字段 changed" in api.json()["detail"]
    api = psych.post(f"/api/tasks/{task.id}/complete", json={"values": {"note": "x", "colour": "red"}})
    assert api.status_code == 400 and "没有字段 colour" in api.json()["detail"]
    assert psych.post(f"/api/tasks/{task.id}/complete", json={"values": {"note": [1]}}).status_code == 422
    assert psych.post(f"/api/tasks/{task.id}/complete", json={"vals": {}}).status_code == 422
    unchanged = reload(world_engine, task.id or 0)
    assert unchanged.status == "open" and unchanged.evidence == {} and unchanged.completed_at is None
    assert step_status(world_engine, task.cycle_id, "ledgers") == "open"
    # The form has no field for it; a typed figure sent anyway is not what the review keeps.
    counted = psych.get(f"/api/tasks/{task.id}").json()["ledger_counts"]
    page = psych.post(f"/tasks/{task.id}/complete", data={"csrf_token": token, "changed": "25", "note": "已核"})
    assert page.status_code in (200, 303)
    with Session(world_engine) as session:
        review = session.exec(select(LedgerReview).where(LedgerReview.cycle_id == task.cycle_id,
                                                         LedgerReview.ledger == "B")).one()
    assert (review.added, review.updated, review.changed) == (
        counted["added"], counted["updated"], counted["added"] + counted["updated"]) and review.changed != 25


def test_a_write_without_the_csrf_token_is_refused(client_for: ClientFor, world: World, world_engine: Engine) -> None:
    psych = client_for("psych")
    task = ledger_b(world_engine, world)
    form = psych.post(f"/tasks/{task.id}/complete", data={"note": "3"}, headers={"X-CSRF-Token": ""})
    assert form.status_code == 403
    api = psych.post(f"/api/tasks/{task.id}/complete", json={"values": {}},
                     headers={"X-CSRF-Token": "forged"})
    assert api.status_code == 403
    for path in ("acknowledge", "extensions"):
        assert psych.post(f"/tasks/{task.id}/{path}", data={"days": "2", "reason": "x"},
                          headers={"X-CSRF-Token": ""}).status_code == 403
    assert reload(world_engine, task.id or 0).status == "open"
    assert reload(world_engine, task.id or 0).acknowledged_at is None


def test_the_api_completes_and_answers_with_the_updated_task(
        client_for: ClientFor, world: World, world_engine: Engine) -> None:
    psych = client_for("psych")
    task = ledger_b(world_engine, world)
    answer = psych.post(f"/api/tasks/{task.id}/complete", json={"values": {}})
    assert answer.status_code == 200
    body = answer.json()
    assert body["task"]["status"] == "done" and body["task"]["group"] == "done" and not body["may_act"]
    assert body["evidence"] == [] and body["ledger_counts"]["recorded"] is True
    again = psych.post(f"/api/tasks/{task.id}/complete", json={"values": {}})
    assert again.status_code == 403  # done: nothing more to do


def test_the_meeting_is_recorded_through_the_generic_form_and_others_may_not(
        client_for: ClientFor, world: World, world_engine: Engine) -> None:
    psych = client_for("psych")
    psych.post(f"/api/tasks/{ledger_b(world_engine, world).id}/complete", json={"values": {}})
    minutes = task_of(world_engine, school_id=world.school_id, template="minutes")
    # The psychology teacher sees the leader's task but may not complete it.
    page = psych.get(f"/tasks/{minutes.id}")
    assert page.status_code == 200 and 'id="evidence-form"' not in page.text
    refused = psych.post(f"/api/tasks/{minutes.id}/complete",
                         json={"values": {"held_on": "2026-10-20", "minutes": "x"}})
    assert refused.status_code == 403 and reload(world_engine, minutes.id or 0).status == "open"
    leader = client_for("leader")
    form = leader.get(f"/tasks/{minutes.id}").text
    assert 'type="date"' in form and 'name="decisions"' in form
    # A decision line the core cannot read is its error on the page, and nothing is recorded.
    bad = leader.post(f"/tasks/{minutes.id}/complete", data={
        "csrf_token": form_token(form), "held_on": "2026-10-20", "minutes": "纪要", "decisions": "只有事项"})
    assert bad.status_code == 400 and "会议决定无法登记" in bad.text and "只有事项" in bad.text
    assert reload(world_engine, minutes.id or 0).status == "open"
    with Session(world_engine) as session:
        assert session.exec(select(Meeting.minutes).where(Meeting.cycle_id == minutes.cycle_id)).first() is None
    response = leader.post(f"/tasks/{minutes.id}/complete", data={
        "csrf_token": form_token(form), "held_on": "2026-10-20", "minutes": "研究了本月筛查情况。",
        "decisions": "加强家校沟通｜班主任｜2026-10-30"}, follow_redirects=False)
    assert response.status_code == 303
    assert reload(world_engine, minutes.id or 0).status == "done"
    with Session(world_engine) as session:
        assert session.exec(select(Meeting.minutes).where(Meeting.cycle_id == minutes.cycle_id)).one() == \
            "研究了本月筛查情况。"
        decisions = session.exec(select(Task).where(Task.kind == "decision", Task.school_id == world.school_id)).all()
    assert len(decisions) == 4 and {d.role for d in decisions} == {"homeroom"}  # one per class
    homeroom = client_for("homeroom")
    mine = homeroom.get("/api/tasks").json()["tasks"]
    assert [t["title"] for t in mine if t["kind"] == "decision"] == ["会议决定：加强家校沟通"]
    again = leader.post(f"/api/tasks/{minutes.id}/complete", json={"values": {"held_on": "2026-10-20", "minutes": "x"}})
    assert again.status_code == 403  # already done


# --- acknowledging and extensions ------------------------------------------------------------------------


def test_acknowledge_marks_the_task_once(client_for: ClientFor, world: World, world_engine: Engine) -> None:
    psych = client_for("psych")
    task = ledger_b(world_engine, world)
    token = form_token(psych.get(f"/tasks/{task.id}").text)
    response = psych.post(f"/tasks/{task.id}/acknowledge", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].endswith("?ok=ack")
    assert reload(world_engine, task.id or 0).acknowledged_at is not None
    body = psych.post(f"/api/tasks/{task.id}/acknowledge").json()
    assert body["task"]["acknowledged"] and body["acknowledged_at"]
    assert 'id="ack-form"' not in psych.get(f"/tasks/{task.id}").text


def test_the_leader_completes_for_others_but_acknowledges_and_asks_only_for_their_own(
        client_for: ClientFor, world: World, world_engine: Engine) -> None:
    leader = client_for("leader")
    task = ledger_b(world_engine, world)
    detail = leader.get(f"/api/tasks/{task.id}").json()
    assert detail["may_act"] and not detail["may_ask"] and detail["may_decide"]
    page = leader.get(f"/tasks/{task.id}").text
    assert 'id="evidence-form"' in page and 'id="ack-form"' not in page and 'id="extension-form"' not in page
    assert leader.post(f"/api/tasks/{task.id}/acknowledge").status_code == 403
    assert leader.post(f"/api/tasks/{task.id}/extensions", json={"days": 1, "reason": "x"}).status_code == 403
    unchanged = reload(world_engine, task.id or 0)
    assert unchanged.acknowledged_at is None and unchanged.status == "open"


def test_text_the_database_cannot_hold_is_refused_not_a_crash(
        client_for: ClientFor, world: World, world_engine: Engine) -> None:
    psych = client_for("psych")
    task = ledger_b(world_engine, world)
    # A NUL or a bidi override is refused on both databases by the shared check (SQLite would store it).
    for reason in ("数据\x00未到", "数据\u202e未到", "数据\u2066未到"):
        asked = psych.post(f"/api/tasks/{task.id}/extensions", json={"days": 1, "reason": reason})
        assert asked.status_code == 400 and "延期理由含有不可见的控制字符" in asked.json()["detail"]
    with Session(world_engine) as session:
        assert session.exec(select(Extension).where(Extension.task_id == task.id)).first() is None
    token = form_token(psych.get(f"/tasks/{task.id}").text)
    page = psych.post(f"/tasks/{task.id}/complete", data={"csrf_token": token, "note": "已\u202e核"})
    assert page.status_code == 400 and "含有不可见的控制字符" in page.text
    # PostgreSQL refuses text longer than a column; SQLite keeps it. Never a 500.
    done = psych.post(f"/api/tasks/{task.id}/complete", json={"values": {"note": "x" * 4000}})
    assert done.status_code in (200, 400)
    assert reload(world_engine, task.id or 0).status == ("done" if done.status_code == 200 else "open")


def test_an_extension_is_asked_for_and_the_leader_decides(
        client_for: ClientFor, world: World, world_engine: Engine) -> None:
    psych = client_for("psych")
    task = ledger_b(world_engine, world)
    token = form_token(psych.get(f"/tasks/{task.id}").text)
    refused = psych.post(f"/tasks/{task.id}/extensions", data={"csrf_token": token, "days": "0", "reason": "x"})
    assert refused.status_code == 400 and "1–30" in refused.text
    no_reason = psych.post(f"/tasks/{task.id}/extensions", data={"csrf_token": token, "days": "2", "reason": " "})
    assert no_reason.status_code == 400 and "须说明理由" in no_reason.text
    assert psych.post(f"/api/tasks/{task.id}/extensions", json={"days": 0, "reason": "x"}).status_code == 422
    with Session(world_engine) as session:
        student = session.exec(select(Student.name).where(Student.school_id == world.school_id)).first()
    asked = psych.post(f"/tasks/{task.id}/extensions", data={
        "csrf_token": token, "days": "2", "reason": f"测评数据尚未导入，{student}请假"}, follow_redirects=False)
    assert asked.status_code == 303
    with Session(world_engine) as session:
        extension = session.exec(select(Extension).where(Extension.task_id == task.id)).one()
    assert extension.status == "requested" and extension.workdays == 2
    twice = psych.post(f"/api/tasks/{task.id}/extensions", json={"days": 1, "reason": "再延"})
    assert twice.status_code == 409 and "待审批" in twice.json()["detail"]
    # Only the leader decides; the psychology teacher sees no decision form and is refused.
    assert f'data-testid="decision-form-{extension.id}"' not in psych.get(f"/tasks/{task.id}").text
    assert psych.post(f"/api/tasks/{task.id}/extensions/{extension.id}/decision",
                      json={"approve": True}).status_code == 403
    leader = client_for("leader")
    waiting = leader.get("/api/tasks").json()["pending_extensions"]
    assert [(e["id"], e["task_id"], e["workdays"]) for e in waiting] == [(extension.id, task.id, 2)]
    assert f'data-extension-id="{extension.id}"' in leader.get("/tasks").text
    assert psych.get("/api/tasks").json()["pending_extensions"] == []
    page = leader.get(f"/tasks/{task.id}")
    assert f'data-testid="decision-form-{extension.id}"' in page.text and "测评数据尚未导入" in page.text
    assert "某同学请假" in page.text and f"{student}请假" not in page.text  # names in typed text replaced
    assert leader.post(f"/api/tasks/{task.id}/extensions/{(extension.id or 0) + 1000}/decision",
                       json={"approve": True}).status_code == 404
    decided = leader.post(f"/tasks/{task.id}/extensions/{extension.id}/decision",
                          data={"csrf_token": form_token(page.text), "decision": "approve", "note": "同意"},
                          follow_redirects=False)
    assert decided.status_code == 303 and decided.headers["location"].endswith("?ok=approved")
    moved = reload(world_engine, task.id or 0)
    assert moved.due > date(2026, 10, 20) and leader.get("/api/tasks").json()["pending_extensions"] == []
    again = leader.post(f"/api/tasks/{task.id}/extensions/{extension.id}/decision", json={"approve": False})
    assert again.status_code == 409 and reload(world_engine, task.id or 0).due == moved.due
    detail = psych.get(f"/api/tasks/{task.id}").json()
    assert detail["extensions"][0]["status"] == "approved" and detail["task"]["due"] == moved.due.isoformat()
    assert any("延期 2 个工作日" in line for line in detail["due_explained"])
    assert client_for("homeroom").post(f"/api/tasks/{task.id}/extensions",
                                       json={"days": 1, "reason": "x"}).status_code == 404


def test_work_carried_into_next_month_links_both_ways(
        client_for: ClientFor, world: World, world_engine: Engine, packs_dir_session: Path) -> None:
    task = ledger_b(world_engine, world)
    with Session(world_engine) as session:
        open_month(session, month="2026-11", now=parse_at("2026-11-02T00:10"), book=PackBook(world_engine),
                   school_ids=[world.school_id])
        session.commit()
        successor = session.exec(select(Task).where(Task.carried_from_id == task.id)).one()
    psych = client_for("psych")
    old = psych.get(f"/api/tasks/{task.id}").json()
    assert old["task"]["status"] == "carried" and old["carried_to_id"] == successor.id and not old["may_act"]
    new = psych.get(f"/api/tasks/{successor.id}").json()
    assert new["carried_from_id"] == task.id and new["task"]["carried_over"] and new["may_act"]
    assert new["task"]["month"] == "2026-11" and new["task"]["origin_month"] == "2026-10"
    assert 'data-testid="carried-to"' in psych.get(f"/tasks/{task.id}").text
    mine = psych.get("/api/tasks").json()["tasks"]  # the open month is November now: the carried copy is there
    assert successor.id in {t["id"] for t in mine} and task.id not in {t["id"] for t in mine}
    assert 'data-testid="task-carried"' in psych.get("/tasks").text
