"""Ledger B 一生一案 on the web (QD-2): the keepers' form, history, closing; a homeroom teacher reads their class's
plans only and cannot edit; outsiders get 404; the class report's picks become proposals the psychology teacher
accepts or declines."""

import re

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import KeyStudentPlan, KeyStudentProposal, RecordRevision, Student, Task
from tests.web.app_fixtures import ClientFor, form_token
from tests.web.world import World

FULL = {"family_situation": "父母在外务工，随祖父母生活", "difficulties": "入学后情绪低落，少与同学交往",
        "study_plan": "语文阅读每周辅导一次", "growth_advice": "每两周谈心一次，鼓励参加合唱社团",
        "progression_path": "普通高中"}


def _students(engine: Engine, school_id: int, class_id: int | None, *, other_than: int | None = None
              ) -> list[Student]:
    """Students of the school without an open plan (of the class, if one is given)."""
    with Session(engine) as session:
        query = select(Student).where(Student.school_id == school_id).order_by(col(Student.student_no))
        if class_id is not None:
            query = query.where(Student.class_id == class_id)
        planned = set(session.exec(select(KeyStudentPlan.student_id).where(
            col(KeyStudentPlan.status).in_(["draft", "active"]))))
        found = [s for s in session.exec(query) if s.id not in planned]
        if other_than is not None:
            found = [s for s in found if s.class_id != other_than]
        return found


def test_the_psychology_teacher_keeps_a_plan_with_its_history(world: World, world_engine: Engine,
                                                               client_for: ClientFor) -> None:
    sid = world.school_id
    psych, leader = client_for("psych"), client_for("leader")
    tab = psych.get(f"/schools/{sid}/ledgers?view=B")
    assert 'data-testid="plan-new"' in tab.text and "班主任推荐" in tab.text
    student = _students(world_engine, sid, None)[0]
    new = psych.get(f"/schools/{sid}/key-students/new?class={student.class_id}")
    assert new.status_code == 200 and f'value="{student.id}"' in new.text and "成长导师" in new.text
    token = form_token(new.text)
    draft = {**FULL, "study_plan": "", "student_id": student.id, "class_id": student.class_id, "reason": "测评预警",
             "categories": ["留守", "单亲"], "parents_informed_on": "2026-10-19", "csrf_token": token}
    made = psych.post(f"/schools/{sid}/key-students", data=draft, follow_redirects=False)
    assert made.status_code == 303, made.text[:500]
    url = made.headers["location"].split("?")[0]
    plan_id = int(url.rsplit("/", 1)[1])
    page = psych.get(url)
    assert 'data-status="draft"' in page.text and "尚缺“学业规划”" in page.text
    saved = psych.post(url, data={**FULL, "reason": "测评预警", "categories": ["留守", "单亲"],
                                  "parents_informed_on": "2026-10-19", "csrf_token": form_token(page.text)},
                       follow_redirects=False)
    assert saved.status_code == 303
    plan = psych.get(f"/api/schools/{sid}/key-students/{plan_id}").json()
    assert plan["status"] == "active" and plan["categories"] == ["留守", "单亲"] and plan["reason"] == "测评预警"
    assert [r["action"] for r in plan["history"]] == ["created", "corrected"]  # the author, within the month
    history = leader.get(url)  # the leader reads the history
    assert "修改记录（2）" in history.text and "更正" in history.text and FULL["study_plan"] in history.text
    again = psych.post(f"/api/schools/{sid}/key-students", json={**FULL, "student_id": student.id})
    assert again.status_code == 400 and "已有在案的一生一案" in again.json()["detail"]
    closed = leader.post(f"/api/schools/{sid}/key-students/{plan_id}/close", json={"reason": "情况稳定，转入常规关注"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert [r["action"] for r in closed.json()["history"]][-1] == "closed"
    with Session(world_engine) as session:
        kept = session.get(KeyStudentPlan, plan_id)
        assert kept is not None and kept.created_at is not None and kept.updated_at is not None
        assert len(list(session.exec(select(RecordRevision).where(RecordRevision.kind == "ledger_b",
                                                                  RecordRevision.record_id == plan_id)))) == 3


def test_homeroom_reads_own_class_only_and_cannot_edit(world: World, world_engine: Engine,
                                                       client_for: ClientFor) -> None:
    sid, mine = world.school_id, world.accounts["homeroom"].class_id
    psych = client_for("psych")
    own, other = _students(world_engine, sid, mine)[0], _students(world_engine, sid, None, other_than=mine)[0]
    ids = {}
    for student in (own, other):
        response = psych.post(f"/api/schools/{sid}/key-students", json={**FULL, "student_id": student.id})
        assert response.status_code == 200, response.text
        ids[student.id] = response.json()["id"]
    homeroom = client_for("homeroom")
    page = homeroom.get(f"/schools/{sid}/key-students/{ids[own.id]}")
    assert page.status_code == 200 and 'data-testid="plan-readonly"' in page.text
    assert 'data-testid="plan-form"' not in page.text and "修改记录" not in page.text
    assert homeroom.get(f"/schools/{sid}/key-students/{ids[other.id]}").status_code == 404
    assert homeroom.get(f"/api/schools/{sid}/key-students/{ids[other.id]}").status_code == 404
    assert homeroom.post(f"/api/schools/{sid}/key-students/{ids[own.id]}", json=FULL).status_code == 404
    assert homeroom.post(f"/api/schools/{sid}/key-students/{ids[own.id]}/close",
                         json={"reason": "x"}).status_code == 404
    assert homeroom.get(f"/schools/{sid}/key-students/new").status_code == 404
    assert homeroom.post(f"/api/schools/{sid}/key-students", json={**FULL, "student_id": own.id}).status_code == 404
    tab = homeroom.get(f"/schools/{sid}/ledgers?view=B")
    assert 'data-testid="plan-new"' not in tab.text and "推荐本班学生" in tab.text
    for outsider in ("other_leader", "foreign_leader", "officer"):
        client = client_for(outsider)
        assert client.get(f"/schools/{sid}/key-students/{ids[own.id]}").status_code == 404
        assert client.get(f"/api/schools/{sid}/key-students/proposals").status_code == 404


@pytest.fixture
def open_report(world: World, world_engine: Engine) -> int:
    """The homeroom teacher's class report of October, still to do (the world's teachers did theirs early)."""
    with Session(world_engine) as session:
        task = session.exec(select(Task).where(Task.template == "class_report",
                                               Task.class_id == world.accounts["homeroom"].class_id)
                            .order_by(col(Task.id).desc())).first()
        assert task is not None and task.id is not None
        task.status, task.evidence, task.completed_at, task.completed_by_id = "open", {}, None, None
        session.add(task)
        session.commit()
        return task.id


def test_the_class_report_names_students_and_the_psychology_teacher_decides(
        world: World, world_engine: Engine, client_for: ClientFor, open_report: int) -> None:
    sid, mine = world.school_id, world.accounts["homeroom"].class_id
    homeroom, psych = client_for("homeroom"), client_for("psych")
    first, second = _students(world_engine, sid, mine)[:2]
    form = homeroom.get(f"/tasks/{open_report}")
    assert 'data-testid="student-picks-attention_students"' in form.text
    assert f'value="{first.student_no}"' in form.text and 'type="number" name="attention_students"' not in form.text
    stranger = _students(world_engine, sid, None, other_than=mine)[0]
    refused = homeroom.post(f"/tasks/{open_report}/complete", data={
        "attention_students": [first.student_no, stranger.student_no], "committee_consulted": "是",
        "csrf_token": form_token(form.text)}, follow_redirects=False)
    assert refused.status_code == 400 and f"{stranger.student_no} 不是本班学生的学号" in refused.text
    done = homeroom.post(f"/tasks/{open_report}/complete", data={
        "attention_students": [first.student_no, second.student_no], "committee_consulted": "是",
        "csrf_token": form_token(form.text)}, follow_redirects=False)
    assert done.status_code == 303, done.text[:800]
    shown = homeroom.get(f"/tasks/{open_report}")
    assert f"{first.student_no} {first.name}" in shown.text
    with Session(world_engine) as session:
        task = session.get(Task, open_report)
        assert task is not None and task.evidence["attention_students"] == [first.student_no, second.student_no]
        assert first.name not in str(task.evidence)  # numbers, never names, in the evidence
    listing = psych.get(f"/api/schools/{sid}/key-students/proposals").json()
    mine_pending = {p["student_id"]: p for p in listing["pending"] if p["student_id"] in (first.id, second.id)}
    assert set(mine_pending) == {first.id, second.id}
    assert {p["source"] for p in mine_pending.values()} == {"班级摸排"}
    tab = psych.get(f"/schools/{sid}/ledgers?view=B")
    assert re.search(r"班主任推荐（\d+ 条待处理）", tab.text)
    assert 'data-testid="pending-proposals"' in psych.get("/tasks").text  # on the task list too
    assert 'data-testid="pending-proposals"' not in homeroom.get("/tasks").text
    page = psych.get(f"/schools/{sid}/key-students/proposals")
    accept = psych.post(f"/schools/{sid}/key-students/proposals/{mine_pending[first.id]['id']}/accept",
                        data={"csrf_token": form_token(page.text)}, follow_redirects=False)
    assert accept.status_code == 303
    plan = psych.get("/api" + accept.headers["location"].split("?")[0]).json()
    assert (plan["status"], plan["reason"], plan["student_id"]) == ("draft", "班级摸排", first.id)
    assert homeroom.post(f"/api/schools/{sid}/key-students/proposals/{mine_pending[second.id]['id']}/decline",
                         json={"reason": "x"}).status_code == 404  # the homeroom teacher does not decide
    declined = psych.post(f"/api/schools/{sid}/key-students/proposals/{mine_pending[second.id]['id']}/decline",
                          json={"reason": "已由心理辅导室个别辅导，暂不列入"})
    assert declined.status_code == 200
    own = homeroom.get(f"/schools/{sid}/key-students/proposals")
    assert "已由心理辅导室个别辅导，暂不列入" in own.text and 'data-testid="propose-form"' in own.text
    assert stranger.name not in own.text
    with Session(world_engine) as session:
        statuses = {p.student_id: p.status for p in session.exec(select(KeyStudentProposal).where(
            col(KeyStudentProposal.student_id).in_([first.id, second.id])))}
    assert statuses == {first.id: "accepted", second.id: "declined"}


def test_a_homeroom_teacher_proposes_from_their_class_only(world: World, world_engine: Engine,
                                                           client_for: ClientFor) -> None:
    sid, mine = world.school_id, world.accounts["homeroom"].class_id
    homeroom = client_for("homeroom")
    own = _students(world_engine, sid, mine)[-1]
    stranger = _students(world_engine, sid, None, other_than=mine)[-1]
    made = homeroom.post(f"/api/schools/{sid}/key-students/proposals", json={"student_id": own.id,
                                                                            "note": "近两周常独自一人"})
    assert made.status_code == 200 and any(p["student_id"] == own.id and p["source"] == "教师推荐"
                                           for p in made.json()["pending"])
    again = homeroom.post(f"/api/schools/{sid}/key-students/proposals", json={"student_id": own.id})
    assert again.status_code == 400 and "已有待处理的推荐" in again.json()["detail"]
    assert homeroom.post(f"/api/schools/{sid}/key-students/proposals",
                         json={"student_id": stranger.id}).status_code == 404
