"""The admin pages over HTTP: a 区县管理员 keeps the district's schools, a school's 组长 only their own school's
people, roles and accounts (404 elsewhere); every change writes an audit line; forms need the CSRF token."""

import json

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import AuditEntry, Person, RoleAssignment, School, WebSession
from tests.web.app_fixtures import ClientFor, form_token
from tests.web.world import World


def audit(engine: Engine, action: str) -> list[dict[str, object]]:
    with Session(engine) as session:
        return [json.loads(e.detail) for e in session.exec(select(AuditEntry).where(AuditEntry.action == action)
                                                           .order_by(col(AuditEntry.id)))]


def test_the_admin_starts_at_the_admin_page_and_keeps_only_her_district(client_for: ClientFor, world: World,
                                                                        world_engine: Engine) -> None:
    admin = client_for("admin")
    assert admin.get("/", follow_redirects=False).headers["location"] == "/admin"
    page = admin.get("/admin")
    assert page.status_code == 200 and "区县管理" in page.text and f'/admin/schools/{world.school_id}"' in page.text
    assert admin.get(f"/admin/schools/{world.foreign_school_id}").status_code == 404
    token = form_token(page.text)
    made = admin.post("/admin/schools", data={"district_id": world.district_id, "name": "新建实验学校", "stage": "小学",
                                              "pack": "qingdao", "csrf_token": token}, follow_redirects=False)
    assert made.status_code == 303
    refused = admin.post("/admin/schools", data={"district_id": world.district_id, "name": "新建实验学校",
                                                 "stage": "小学", "pack": "qingdao", "csrf_token": token})
    assert refused.status_code == 400 and "本区县已有学校 新建实验学校" in refused.text
    no_token = admin.post("/admin/schools", data={"district_id": world.district_id, "name": "另一所",
                                                  "stage": "小学", "pack": "qingdao"},
                          headers={"X-CSRF-Token": ""}, follow_redirects=False)  # no token, form or header
    assert no_token.status_code == 403
    with Session(world_engine) as session:
        assert session.exec(select(School).where(School.name == "另一所")).first() is None
    (created,) = audit(world_engine, "create_school")
    assert created["district_id"] == world.district_id


def test_a_leader_keeps_her_own_schools_people_and_accounts_only(client_for: ClientFor, world: World,
                                                                 world_engine: Engine) -> None:
    leader = client_for("leader")
    assert leader.get("/admin").status_code == 404
    assert leader.get(f"/admin/schools/{world.other_school_id}").status_code == 404
    page = leader.get(f"/admin/schools/{world.school_id}")
    assert page.status_code == 200 and "人员与账号" in page.text and "政策包" not in page.text.split("<main>")[1]
    token = form_token(page.text)
    added = leader.post(f"/admin/schools/{world.school_id}/people",
                        data={"name": "钱老师", "email": "", "phone": "13700000001", "role": "subject_teacher",
                              "csrf_token": token}, follow_redirects=False)
    assert added.status_code == 303
    with Session(world_engine) as session:
        qian = session.exec(select(Person).where(Person.identity == "13700000001")).one()
    assert qian.id is not None
    # a refused change keeps nothing and shows the school's page again with the reason (400)
    no_role = leader.post(f"/admin/schools/{world.school_id}/roles",
                          data={"person_id": qian.id, "role": "", "csrf_token": token})
    assert no_role.status_code == 400 and "请选择角色" in no_role.text and "人员与账号" in no_role.text
    with Session(world_engine) as session:
        assert len(session.exec(select(RoleAssignment).where(RoleAssignment.person_id == qian.id)).all()) == 1
    # her account: reset sends a code by SMS, disable and enable
    reset = leader.post(f"/admin/schools/{world.school_id}/people/{qian.id}/reset", data={"csrf_token": token},
                        follow_redirects=False)
    assert reset.headers["location"].endswith("?done=reset_sms")
    assert leader.post(f"/admin/schools/{world.school_id}/people/{qian.id}/disable", data={"csrf_token": token},
                       follow_redirects=False).status_code == 303
    # not someone of another school, not a move (that is the district's), not the district officer's account
    other = client_for("other_leader")
    assert other.get(f"/admin/schools/{world.other_school_id}").status_code == 200
    assert leader.post(f"/admin/schools/{world.school_id}/people/{world.accounts['other_homeroom'].person_id}/disable",
                       data={"csrf_token": token}).status_code == 404
    assert leader.post(f"/admin/schools/{world.school_id}/people/{qian.id}/move",
                       data={"to_school": world.other_school_id, "csrf_token": token}).status_code == 404
    assert [d["person_id"] for d in audit(world_engine, "disable_account")] == [qian.id]
    assert audit(world_engine, "reset_account")[0]["sent_by"] == "sms"


def test_withdrawing_a_role_ends_the_teachers_access_on_her_next_request(client_for: ClientFor, world: World,
                                                                         world_engine: Engine) -> None:
    psych = client_for("psych")
    assert psych.get(f"/schools/{world.school_id}/network").status_code == 200
    admin = client_for("admin")
    token = form_token(admin.get("/admin").text)
    with Session(world_engine) as session:
        rows = session.exec(select(RoleAssignment).where(
            RoleAssignment.person_id == world.accounts["psych"].person_id)).all()
    for row in rows:
        answer = admin.post(f"/admin/schools/{row.school_id}/roles/{row.id}/withdraw", data={"csrf_token": token},
                            follow_redirects=False)
        assert answer.status_code == 303
    assert psych.get(f"/schools/{world.school_id}/network", follow_redirects=False).status_code in (303, 404)
    with Session(world_engine) as session:  # no role left: no session is found for her
        assert session.exec(select(WebSession).where(
            WebSession.person_id == world.accounts["psych"].person_id)).first() is not None
    assert len(audit(world_engine, "withdraw_role")) == len(rows)
