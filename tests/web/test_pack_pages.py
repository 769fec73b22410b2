"""The Jinan and Heilongjiang packs on the web: tiers on the ledger page (JN-3), the hotline on crisis pages
(JN-5), the 隐形保护人 for the leader and psychology teachers only (JN-5), the return-to-class plan (HLJ-12)."""

import re
from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session, select

from models import CrisisCase, KeyStudentPlan, OutboxMessage, RecordRevision, School
from tests.web.app_fixtures import ClientFor, form_token
from tests.web.test_ledgers import SignIn, client_of, holder, students_of  # noqa: F401  (fixture)
from tests.web.world import NOW, World
from xinyu.roles import Role


def use_pack(engine: Engine, school_id: int, pack: str) -> None:
    with Session(engine) as session:
        school = session.get(School, school_id)
        assert school is not None
        school.pack = pack
        session.add(school)
        session.commit()


def test_a_jinan_school_sees_its_tiers_and_the_hotline(client_for: ClientFor, world: World,
                                                        world_engine: Engine) -> None:
    psych, sid = client_for("psych"), world.school_id
    before = psych.get(f"/schools/{sid}/ledgers").text
    assert "一级 发展" not in before
    assert "87-525-525" not in psych.get(f"/schools/{sid}/crisis/{world.crisis_case_id}").text
    use_pack(world_engine, sid, "jinan")
    ledgers = psych.get(f"/schools/{sid}/ledgers").text
    assert 'data-testid="ledger-tiers"' in ledgers
    assert "一级 发展 · A台账 心理测评与档案台账" in ledgers and "三级 干预 · C台账 心理危机干预与转介台账" in ledgers
    for path in (f"/schools/{sid}/crisis/{world.crisis_case_id}", f"/schools/{sid}/crisis/new",
                 f"/crisis-alerts/{world.crisis_case_id}"):
        page = psych.get(path)
        assert page.status_code == 200, path
        assert "24小时心理关爱热线：87-525-525（JN-5）" in re.sub(r"<[^>]+>", "", page.text), path


def test_a_heilongjiang_case_closes_as_returned_only_with_a_return_plan(client_for: ClientFor, world: World,
                                                                       world_engine: Engine) -> None:
    use_pack(world_engine, world.school_id, "heilongjiang")
    student = students_of(world_engine, world.accounts["homeroom"].class_id or 0)[2]
    with Session(world_engine) as session:
        case = CrisisCase(school_id=world.school_id, student_id=student.id or 0, level="一般",
                          handler_id=world.accounts["psych"].person_id, opened_at=NOW, updated_at=NOW)
        session.add(case)
        session.commit()
        case_id = case.id
    psych, url = client_for("psych"), f"/schools/{world.school_id}/crisis/{case_id}"
    page = psych.get(url).text
    assert 'data-testid="close-return-plan"' in page and "HLJ-12" in page
    refused = psych.post(f"{url}/close", data={"outcome": "返校复学", "csrf_token": form_token(page)},
                         follow_redirects=False)
    assert refused.status_code == 400 and "须填写复课衔接计划（HLJ-12" in refused.text
    with Session(world_engine) as session:
        row = session.get(CrisisCase, case_id)
        assert row is not None and row.closed_at is None and row.return_plan is None
    plan = "返校首月每周面谈一次，每两周与家长电话沟通"
    done = psych.post(f"{url}/close", data={"outcome": "返校复学", "return_plan": plan,
                                            "csrf_token": form_token(refused.text)}, follow_redirects=False)
    assert done.status_code == 303, done.text
    with Session(world_engine) as session:
        row = session.get(CrisisCase, case_id)
        assert row is not None and row.outcome == "返校复学" and row.return_plan == plan
        closed = session.exec(select(RecordRevision).where(RecordRevision.kind == "ledger_c",
                                                           RecordRevision.record_id == case_id)).all()
        assert any((r.after or {}).get("return_plan") == plan for r in closed)
    assert plan in psych.get(url).text


def test_the_protector_is_set_and_seen_by_the_leader_and_psychology_teachers_only(
        client_for: ClientFor, client_of: SignIn, world: World, world_engine: Engine) -> None:  # noqa: F811
    use_pack(world_engine, world.school_id, "jinan")
    student = students_of(world_engine, world.accounts["homeroom"].class_id or 0)[1]
    with Session(world_engine) as session:
        plan = KeyStudentPlan(school_id=world.school_id, student_id=student.id or 0, opened_on=date(2026, 10, 9),
                              created_at=NOW, updated_at=NOW)
        session.add(plan)
        session.commit()
        plan_id = plan.id
        messages = len(session.exec(select(OutboxMessage)).all())
    url = f"/schools/{world.school_id}/key-students/{plan_id}"
    psych = client_for("psych")
    page = psych.get(url).text
    assert 'data-testid="protector-form"' in page
    protector = world.accounts["homeroom"].person_id
    saved = psych.post(f"{url}/protector", data={"protector_id": str(protector), "csrf_token": form_token(page)},
                       follow_redirects=False)
    assert saved.status_code == 303, saved.text
    with Session(world_engine) as session:
        row = session.get(KeyStudentPlan, plan_id)
        assert row is not None and row.protector_id == protector
        assert len(session.exec(select(OutboxMessage)).all()) == messages  # never in a message
        history = session.exec(select(RecordRevision).where(RecordRevision.kind == "ledger_b_protector")).all()
        assert [(r.before, r.after) for r in history] == [({"protector_id": None}, {"protector_id": protector})]
    leader_page = client_for("leader").get(url).text
    assert 'data-testid="plan-protector"' in leader_page and 'data-testid="protector-name"' in leader_page
    deputy, _ = holder(world_engine, world.school_id, Role.deputy)
    deputy_client = client_of(deputy)
    deputy_page = deputy_client.get(url)
    assert deputy_page.status_code == 200 and "隐形保护人" not in deputy_page.text
    assert deputy_client.post(f"{url}/protector", data={"protector_id": "", "csrf_token": form_token(deputy_page.text)},
                              follow_redirects=False).status_code == 404
    homeroom_page = client_for("homeroom").get(url)
    assert homeroom_page.status_code == 200 and "隐形保护人" not in homeroom_page.text
    assert "隐形保护人" not in client_for("psych").get(f"/api/schools/{world.school_id}/key-students/{plan_id}").text
