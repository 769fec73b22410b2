"""District inspections on the web (QD-S2): an officer records one on a phone-sized form, a finding per school;
each school's leader gets the notice and opens the rectification task from its link; the dashboard counts the
inspections against the pack's minimum and the inbox lists the open findings. No student is named anywhere."""

import re

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from models import Inspection, InspectionFinding, OutboxMessage, School, Task
from tests.web.app_fixtures import ClientFor, form_token
from tests.web.world import World


def leaks(world: World, text: str) -> list[str]:
    return [name for name in world.student_names if name and name in text]


def counts(engine: Engine) -> tuple[int, int, int, int]:
    with Session(engine) as session:
        return tuple(session.exec(select(func.count()).select_from(m)).one()  # type: ignore[return-value]
                     for m in (Inspection, InspectionFinding, Task, OutboxMessage))


def post_form(client, fields: dict[str, str]):  # type: ignore[no-untyped-def]
    page = client.get("/district/inspections/new")
    assert page.status_code == 200
    return client.post("/district/inspections", data={"csrf_token": form_token(page.text), **fields},
                       follow_redirects=False)


def test_an_inspection_of_two_schools_reaches_each_leader_and_closes_with_the_task(
        client_for: ClientFor, world_engine: Engine, world: World) -> None:
    officer = client_for("officer")
    form = officer.get("/district/inspections/new")
    assert 'name="school_3"' in form.text and "崂山区第一中学" not in form.text  # only the officer's district
    done = post_form(officer, {
        "held_on": "2026-10-19", "inspector": "", "days": "3",
        "school_1": str(world.school_id), "finding_1": "专职心理教师配备不足",
        "school_2": str(world.other_school_id), "finding_2": "心理辅导室未按要求开放",
        "school_3": "", "finding_3": ""})
    assert done.status_code == 400 and "请填写巡查人" in done.text  # the form keeps what was typed
    assert "专职心理教师配备不足" in done.text and counts(world_engine)[0] == 0
    inspector = re.search(r'<select name="inspector"[^>]*>\s*<option value="(\d+)"', done.text)
    assert inspector
    done = post_form(officer, {
        "held_on": "2026-10-19", "inspector": inspector.group(1), "days": "3",
        "school_1": str(world.school_id), "finding_1": "专职心理教师配备不足",
        "school_2": str(world.other_school_id), "finding_2": "心理辅导室未按要求开放",
        "school_3": "", "finding_3": ""})
    assert done.status_code == 303 and done.headers["location"].startswith("/district/inspections?ok=")
    with Session(world_engine) as session:
        findings = list(session.exec(select(InspectionFinding).order_by(col(InspectionFinding.id))))
        tasks = {f.school_id: session.get(Task, f.task_id) for f in findings}
        mails = {f.school_id: list(session.exec(select(OutboxMessage).where(
            col(OutboxMessage.dedupe_key).startswith(f"inspection:{f.id}:")))) for f in findings}
    assert [f.school_id for f in findings] == [world.school_id, world.other_school_id]
    for school_id, task in tasks.items():
        assert task is not None and (task.kind, task.role, task.escalation_level) == ("inspection", "leader", "none")
        assert str(task.due) == "2026-10-23"  # three working days from Tuesday 20 October, no escalation first
        assert mails[school_id] and all(f"/tasks/{task.id}" in m.body_text for m in mails[school_id])
        assert not any(leaks(world, m.subject + m.body_text) for m in mails[school_id])

    # Every message's link opens for its recipient (and only there): the school's leader sees the task,
    # its clause with the pack's words, its responsible unit and the finding; the officer may not open it.
    mine, theirs = tasks[world.school_id], tasks[world.other_school_id]
    assert mine is not None and theirs is not None
    leader, other_leader = client_for("leader"), client_for("other_leader")
    page = leader.get(f"/tasks/{mine.id}")
    assert page.status_code == 200 and "专职心理教师配备不足" in page.text and "专项巡查整改" in page.text
    assert 'data-clause="QD-S2"' in page.text and "学校（心理健康教育工作领导小组组长）" in page.text
    assert other_leader.get(f"/tasks/{theirs.id}").status_code == 200
    assert other_leader.get(f"/tasks/{mine.id}").status_code == 404
    assert officer.get(f"/tasks/{mine.id}").status_code == 404
    twin = leader.get(f"/api/tasks/{mine.id}").json()
    assert twin["responsible"] == "学校（心理健康教育工作领导小组组长）" and "clause_text" in twin

    listed = officer.get("/api/district/inspections").json()
    rows = {s["school_id"]: s for s in listed["schools"]}
    assert (rows[world.school_id]["count"], rows[world.school_id]["minimum"], rows[world.school_id]["short"]) == (
        1, 3, True)
    assert {f["text"] for f in listed["open_findings"]} == {"专职心理教师配备不足", "心理辅导室未按要求开放"}
    inbox_twin = officer.get("/api/district/inbox").json()["open_findings"]
    assert [f["text"] for f in inbox_twin] == [f["text"] for f in listed["open_findings"]]
    for path in ("/district/inbox", "/district/dashboard", "/district/inspections"):
        shown = officer.get(path)
        assert shown.status_code == 200 and not leaks(world, shown.text)
        assert ("专职心理教师配备不足" in shown.text) == (path != "/district/dashboard")
    dashboard = officer.get("/district/dashboard").text
    assert re.search(rf'data-school-id="{world.school_id}" data-count="1" data-minimum="3" data-open="1"', dashboard)

    finished = leader.post(f"/api/tasks/{mine.id}/complete", json={"values": {"measures": "已补配专职心理教师一名"}})
    assert finished.status_code == 200, finished.text
    open_now = officer.get("/api/district/inspections").json()["open_findings"]
    assert [f["text"] for f in open_now] == ["心理辅导室未按要求开放"]
    assert "专职心理教师配备不足" not in officer.get("/district/inbox").text


def test_refusals_write_nothing(client_for: ClientFor, world_engine: Engine, world: World) -> None:
    officer = client_for("officer")
    before = counts(world_engine)
    row = {"held_on": "2026-10-19", "days": "5", "school_1": str(world.school_id), "finding_1": "台账不全"}
    me = re.search(r'<select name="inspector"[^>]*>\s*<option value="(\d+)"',
                   officer.get("/district/inspections/new").text)
    assert me
    row["inspector"] = me.group(1)
    for change, message in [({"finding_1": f"{world.student_names[0]}的谈心记录缺失"}, "学生姓名"),
                            ({"finding_1": "  "}, "巡查发现不能为空"),
                            ({"school_1": "", "finding_1": ""}, "请至少填写"),
                            ({"school_1": ""}, "第 1 行：请选择学校"),
                            ({"days": "31"}, "整改期限"), ({"held_on": "2026-10-21"}, "晚于今天"),
                            ({"held_on": "10/19"}, "巡查日期")]:
        answer = post_form(officer, {**row, **change})
        assert answer.status_code == 400 and message in answer.text, (change, answer.text[-400:])
    with Session(world_engine) as session:
        foreign = session.get(School, world.foreign_school_id)
        assert foreign is not None
    assert post_form(officer, {**row, "school_1": str(world.foreign_school_id)}).status_code == 404
    api = officer.post("/api/district/inspections", json={"held_on": "2026-10-19", "findings": [
        {"school_id": world.foreign_school_id, "text": "台账不全"}]})
    assert api.status_code == 404
    assert client_for("leader").get("/district/inspections/new").status_code == 404
    assert client_for("foreign_officer").post("/api/district/inspections", json={
        "held_on": "2026-10-19", "findings": [{"school_id": world.school_id, "text": "台账不全"}]}).status_code == 404
    more = post_form(officer, {**row, "add_row": "1", "school_2": "", "finding_2": "", "school_3": "",
                               "finding_3": ""})
    assert more.status_code == 200 and 'name="school_4"' in more.text and "台账不全" in more.text
    assert counts(world_engine) == before


def test_the_api_records_an_inspection(client_for: ClientFor, world_engine: Engine, world: World) -> None:
    officer = client_for("officer")
    made = officer.post("/api/district/inspections", json={"held_on": "2026-10-20", "days": 5, "findings": [
        {"school_id": world.school_id, "text": "心理健康教育课程开课不足"},
        {"school_id": world.school_id, "text": "专题活动记录不全"}]})
    assert made.status_code == 200, made.text
    body = made.json()
    assert [f["text"] for f in body["findings"]] == ["心理健康教育课程开课不足", "专题活动记录不全"]
    rows = {s["school_id"]: s for s in officer.get("/api/district/inspections").json()["schools"]}
    assert (rows[world.school_id]["count"], rows[world.school_id]["open_findings"]) == (1, 2)  # one visit
