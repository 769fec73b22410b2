"""One crisis case on the web (ledger C): opened by a reader or raised as a concern, its dated log (JL-6),
closing (JN-4, QD-4, GZ-6.2), history, audit; the relay's links open for every recipient; crisis tasks."""

import re

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import (
    AuditEntry,
    CrisisAction,
    CrisisCase,
    DistrictHospital,
    Escalation,
    OutboxMessage,
    RecordRevision,
    Student,
    Task,
)
from tests.web.app_fixtures import ClientFor, form_token
from tests.web.test_ledgers import SignIn, client_of, holder, students_of  # noqa: F401  (fixture)
from tests.web.world import NOW, World
from xinyu.roles import Role


def case_row(engine: Engine, case_id: int) -> CrisisCase:
    with Session(engine) as session:
        case = session.get(CrisisCase, case_id)
        assert case is not None
        return case


def revisions_of(engine: Engine, case_id: int) -> list[RecordRevision]:
    with Session(engine) as session:
        return list(session.exec(select(RecordRevision).where(RecordRevision.kind == "ledger_c",
                                                              RecordRevision.record_id == case_id)))


def a_student(engine: Engine, world: World, index: int = 3) -> Student:
    return students_of(engine, world.accounts["homeroom"].class_id or 0)[index]


def test_every_psychology_teacher_and_the_leader_read_ledger_c_a_handler_only_theirs(
        client_for: ClientFor, client_of: SignIn, world: World, world_engine: Engine) -> None:  # noqa: F811
    deputy, _ = holder(world_engine, world.school_id, Role.deputy)
    with Session(world_engine) as session:
        other = CrisisCase(school_id=world.school_id, student_id=a_student(world_engine, world).id or 0, level="一般",
                           handler_id=deputy, opened_at=NOW, updated_at=NOW)
        session.add(other)
        session.commit()
        other_id = other.id
    for role in ("psych", "leader"):
        ids = {r["id"] for r in client_for(role).get(f"/api/schools/{world.school_id}/ledgers/C").json()["crisis"]}
        assert {world.crisis_case_id, other_id} <= ids, role
        assert client_for(role).get(f"/schools/{world.school_id}/crisis/{other_id}").status_code == 200
    handler = client_of(deputy)  # a deputy is no reader of ledger C: their own case only
    assert [r["id"] for r in handler.get(f"/api/schools/{world.school_id}/ledgers/C").json()["crisis"]] == [other_id]
    assert handler.get(f"/schools/{world.school_id}/crisis/{world.crisis_case_id}").status_code == 404
    assert handler.get(f"/schools/{world.school_id}/crisis/{other_id}").status_code == 200


def test_the_psychology_teacher_opens_a_case_on_the_web(client_for: ClientFor, world: World,
                                                        world_engine: Engine) -> None:
    psych = client_for("psych")
    form = psych.get(f"/schools/{world.school_id}/crisis/new")
    assert form.status_code == 200 and 'data-testid="crisis-new-form"' in form.text
    student = a_student(world_engine, world)
    response = psych.post(f"/schools/{world.school_id}/crisis/new", follow_redirects=False,
                          data={"csrf_token": form_token(form.text), "student_id": str(student.id), "level": "一般"})
    assert response.status_code == 303
    case_id = int(re.search(r"/crisis/(\d+)", response.headers["location"]).group(1))  # type: ignore[union-attr]
    case = case_row(world_engine, case_id)
    assert (case.student_id, case.level, case.opened_by_id) == (student.id, "一般", world.accounts["psych"].person_id)
    assert case.handler_id is not None  # the school's psychology teacher by default
    page = psych.get(response.headers["location"])
    assert f"C-{case_id}" in page.text and 'data-testid="crisis-log-form"' in page.text
    assert [r.action for r in revisions_of(world_engine, case_id)] == ["created"]
    bad = psych.post(f"/schools/{world.school_id}/crisis/new",
                     data={"csrf_token": form_token(form.text), "student_id": str(student.id), "level": "很严重"})
    assert bad.status_code == 400 and "危机等级应为" in bad.text


def test_a_homeroom_teacher_raises_a_concern_that_goes_to_the_handler(client_for: ClientFor, client_of: SignIn,  # noqa: F811
                                                                      world: World, world_engine: Engine) -> None:
    homeroom = client_for("homeroom")
    form = homeroom.get(f"/schools/{world.school_id}/crisis/new")
    assert form.status_code == 200 and "报告学生心理危机" in form.text
    student = a_student(world_engine, world, 4)
    other_student = students_of(world_engine, holder(world_engine, world.school_id, Role.homeroom,
                                                     not_class=world.accounts["homeroom"].class_id)[1] or 0)[0]
    assert other_student.name not in form.text  # only the students of their class are offered
    raised = homeroom.post(f"/schools/{world.school_id}/crisis/new",
                           data={"csrf_token": form_token(form.text), "student_id": str(student.id), "level": "一般"})
    assert raised.status_code == 200 and 'data-testid="crisis-raised"' in raised.text
    case_id = int(re.search(r'data-case="(\d+)"', raised.text).group(1))  # type: ignore[union-attr]
    case = case_row(world_engine, case_id)
    with Session(world_engine) as session:
        told = session.exec(select(OutboxMessage).where(
            col(OutboxMessage.dedupe_key).startswith(f"crisis:{case_id}:handler"))).all()
    assert case.handler_id is not None and {m.recipient_id for m in told} == {case.handler_id}
    assert all(student.name not in m.subject + m.body_text for m in told)
    assert homeroom.get(f"/schools/{world.school_id}/crisis/{case_id}").status_code == 404  # not a reader
    assert client_for("psych").get(f"/schools/{world.school_id}/crisis/{case_id}").status_code == 200
    refused = homeroom.post(f"/schools/{world.school_id}/crisis/new", data={
        "csrf_token": form_token(form.text), "student_id": str(other_student.id), "level": "一般"})
    assert refused.status_code == 404
    deputy, _ = holder(world_engine, world.school_id, Role.deputy)
    assert client_of(deputy).get(f"/schools/{world.school_id}/crisis/new").status_code == 404


def test_a_referral_then_closing_as_returned_needs_the_certificate(client_for: ClientFor, world: World,
                                                                  world_engine: Engine) -> None:
    psych = client_for("psych")
    url = f"/schools/{world.school_id}/crisis/{world.crisis_case_id}"
    token = form_token(psych.get(url).text)
    no_referral = psych.post(f"{url}/close", data={"csrf_token": token, "outcome": "风险解除"})
    assert no_referral.status_code == 400 and "须先转介至医院（QD-4）" in no_referral.text  # a 严重 case
    logged = psych.post(f"{url}/actions", follow_redirects=False, data={
        "csrf_token": token, "kind": "转介", "at": "2026-10-20T09:30", "hospital": "青岛市精神卫生中心",
        "note": "家长陪同"})
    assert logged.status_code == 303
    before = len(revisions_of(world_engine, world.crisis_case_id or 0))
    refused = psych.post(f"{url}/close", data={"csrf_token": token, "outcome": "返校复学"})
    assert refused.status_code == 400 and "GZ-6.2" in refused.text and 'data-state="open"' in refused.text
    after = case_row(world_engine, world.crisis_case_id or 0)
    assert after.closed_at is None and after.outcome is None and after.referral_hospital == "青岛市精神卫生中心"
    assert len(revisions_of(world_engine, world.crisis_case_id or 0)) == before
    closed = psych.post(f"{url}/close", follow_redirects=False, data={
        "csrf_token": token, "outcome": "返校复学", "certificate_on": "2026-10-20",
        "certificate_by": "青岛市精神卫生中心"})
    assert closed.status_code == 303
    case = case_row(world_engine, world.crisis_case_id or 0)
    assert case.closed_at == NOW and (case.outcome, case.certificate_by) == ("返校复学", "青岛市精神卫生中心")
    page = psych.get(url).text
    assert 'data-state="closed"' in page and 'data-kind="转介"' in page and "修改记录（3）" in page
    assert [r.action for r in revisions_of(world_engine, world.crisis_case_id or 0)] == ["created", "updated", "closed"]


def test_the_api_logs_and_closes_and_refuses_bad_input(client_for: ClientFor, world: World,
                                                       world_engine: Engine) -> None:
    leader = client_for("leader")
    base = f"/api/schools/{world.school_id}/crisis/{world.crisis_case_id}"
    assert leader.post(f"{base}/close", json={"outcome": "结果"}).status_code == 400
    assert leader.post(f"{base}/actions", json={"kind": "面谈", "note": "x\x00"}).status_code == 400
    assert leader.post(f"{base}/actions", json={"kind": "转介", "hospital": "市\u202e医院"}).status_code == 400
    assert leader.post(f"{base}/actions", json={"kind": "面谈", "extra": 1}).status_code == 422
    assert leader.post(f"{base}/actions", content=b'{"kind": "x"}', headers={"Content-Type": "text/plain"}
                       ).status_code == 422
    detail = leader.post(f"{base}/actions", json={"kind": "面谈", "at": "2026-10-20T10:00", "note": "情绪平稳"}).json()
    assert [a["kind"] for a in detail["actions"]] == ["面谈"] and detail["actions"][0]["by"]
    assert client_for("homeroom").post(f"{base}/actions", json={"kind": "面谈"}).status_code == 404
    assert client_for("officer").post(f"{base}/close", json={"outcome": "其他"}).status_code == 404
    with Session(world_engine) as session:
        assert len(session.exec(select(CrisisAction)).all()) == 1


def test_a_district_list_of_hospitals_is_a_pick_list_and_is_enforced(client_for: ClientFor, world: World,
                                                                     world_engine: Engine) -> None:
    with Session(world_engine) as session:
        session.add(DistrictHospital(district_id=world.district_id, name="青岛市精神卫生中心", created_at=NOW))
        session.commit()
    psych = client_for("psych")
    url = f"/schools/{world.school_id}/crisis/{world.crisis_case_id}"
    page = psych.get(url).text
    assert '<option value="青岛市精神卫生中心"' in page
    refused = psych.post(f"{url}/actions", data={"csrf_token": form_token(page), "kind": "转介", "at": "",
                                                 "hospital": "某私立诊所"})
    assert refused.status_code == 400 and "不在本区县的转介医院名单中" in refused.text
    assert case_row(world_engine, world.crisis_case_id or 0).referral_hospital is None


def test_a_major_case_stays_in_the_district_inbox_until_closed(client_for: ClientFor, world: World,
                                                              world_engine: Engine) -> None:
    psych = client_for("psych")
    opened = psych.post(f"/api/schools/{world.school_id}/crisis",
                        json={"student_id": a_student(world_engine, world).id, "level": "重大"}).json()
    base = f"/api/schools/{world.school_id}/crisis/{opened['id']}"
    assert psych.post(f"{base}/actions", json={"kind": "家长通报", "method": "电话"}).status_code == 200
    with Session(world_engine) as session:
        task = session.get(Task, opened["task_id"])
        item = session.exec(select(Escalation).where(Escalation.task_id == opened["task_id"],
                                                     Escalation.reason == "crisis")).one()
        assert task is not None and task.status == "done" and item.status == "new"  # parents told: still open
    assert psych.post(f"{base}/actions", json={"kind": "转介", "hospital": "青岛市精神卫生中心"}).status_code == 200
    assert psych.post(f"{base}/close", json={"outcome": "继续就医"}).status_code == 200
    with Session(world_engine) as session:
        item = session.exec(select(Escalation).where(Escalation.task_id == opened["task_id"])).one()
        assert (item.status, item.resolution) == ("resolved", "case_closed")


def test_every_recipient_of_the_fast_path_opens_their_link(client_for: ClientFor, client_of: SignIn,  # noqa: F811
                                                           world: World, world_engine: Engine) -> None:
    psych = client_for("psych")
    student = a_student(world_engine, world, 2)
    opened = psych.post(f"/api/schools/{world.school_id}/crisis",
                        json={"student_id": student.id, "level": "重大"}).json()
    with Session(world_engine) as session:
        messages = list(session.exec(select(OutboxMessage).where(
            col(OutboxMessage.dedupe_key).startswith(f"crisis:{opened['id']}:"))))
    recipients = {m.recipient_id for m in messages}
    assert len(recipients) >= 4 and world.accounts["officer"].person_id in recipients  # class → … → district
    for message in messages:
        found = re.search(r"https?://[^/\s]+(/\S+)", message.body_text)
        assert found, message.body_text
        link = found.group(1).rstrip("。）)")
        assert message.recipient_id is not None
        page = client_of(message.recipient_id).get(link)
        assert page.status_code == 200, (message.dedupe_key, link)
        assert f"C-{opened['id']}" in page.text
        if "crisis-alerts" in link:  # the relay: a summary that names the case by number and says what is asked
            assert student.name not in page.text and 'data-testid="alert-asked"' in page.text
        else:  # the handler: the case itself (ledger C)
            assert message.recipient_id == opened_case_handler(world_engine, opened["id"])
    officer = client_for("officer").get(f"/crisis-alerts/{opened['id']}").text
    assert "督办箱" in officer and "班级</dt>" not in officer  # what is asked of the district; no class


def opened_case_handler(engine: Engine, case_id: int) -> int | None:
    return case_row(engine, case_id).handler_id


def test_a_crisis_task_takes_a_time_offers_no_extension_and_shows_urgency(client_for: ClientFor, world: World,
                                                                        world_engine: Engine) -> None:
    with Session(world_engine) as session:
        task_id = session.exec(select(Task.id).where(Task.crisis_case_id == world.crisis_case_id)).one()
    psych = client_for("psych")
    page = psych.get(f"/tasks/{task_id}").text
    assert 'type="datetime-local" name="informed_at"' in page
    assert 'data-testid="extension-form"' not in page and 'data-testid="crisis-urgent"' in page
    assert 'data-testid="task-urgent"' in psych.get("/tasks").text
    refused = psych.post(f"/api/tasks/{task_id}/extensions", json={"days": 2, "reason": "忙"})
    assert refused.status_code == 400 and "不可申请延期" in refused.text
    done = psych.post(f"/tasks/{task_id}/complete", follow_redirects=False, data={
        "csrf_token": form_token(page), "informed_at": "2026-10-20T11:30", "method": "电话"})
    assert done.status_code == 303
    informed = case_row(world_engine, world.crisis_case_id or 0).parents_informed_at
    assert informed is not None and informed.isoformat().startswith("2026-10-20T03:30")
    with Session(world_engine) as session:  # the same record in the case's log and history
        logged = session.exec(select(CrisisAction).where(CrisisAction.case_id == world.crisis_case_id)).one()
        assert (logged.kind, logged.method, logged.at) == ("家长通报", "电话", informed)
    assert [r.action for r in revisions_of(world_engine, world.crisis_case_id or 0)] == ["created", "updated"]


def test_every_read_is_audited(client_for: ClientFor, world: World, world_engine: Engine) -> None:
    psych = client_for("psych")
    before = _reads(world_engine, world.accounts["psych"].person_id)
    psych.get(f"/schools/{world.school_id}/crisis/{world.crisis_case_id}")
    psych.get(f"/api/schools/{world.school_id}/crisis/{world.crisis_case_id}")
    assert _reads(world_engine, world.accounts["psych"].person_id) == before + 2


def _reads(engine: Engine, person_id: int) -> int:
    with Session(engine) as session:
        return len(session.exec(select(AuditEntry).where(AuditEntry.actor_id == person_id,
                                                         AuditEntry.action == "read_crisis")).all())
