"""Administration without the web: schools, roles, a move (access ends at once), accounts, SMS login codes."""

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import Account, AuditEntry, District, LoginCode, OutboxMessage, Person, RoleAssignment, WebSession
from notifications.channels.sms_http import HttpSmsGateway
from notifications.dispatcher import dispatch
from tests.notifications.servers import HttpServer
from xinyu.access import load_viewer
from xinyu.accounts import AccountError, RateLimited, find_session, open_session, set_password
from xinyu.admin.accounts import reset_account, set_disabled
from xinyu.admin.errors import AdminError
from xinyu.admin.own_password import change_own_password, needs_current_password
from xinyu.admin.people import add_staff, assign_role, move_person, withdraw_role
from xinyu.admin.schools import create_school, rename_district, set_school_pack
from xinyu.login_codes import redeem_login_code, request_login_code
from xinyu.roles import Role

NOW = datetime(2026, 10, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def http_server() -> Iterator[HttpServer]:
    with HttpServer() as server:
        yield server


def district_with_admin(session: Session) -> tuple[int, int]:
    district = District(name="本区县")
    admin = Person(identity="admin@edu.cn", name="赵管理", email="admin@edu.cn")
    session.add_all([district, admin])
    session.flush()
    assert district.id is not None and admin.id is not None
    session.add(RoleAssignment(person_id=admin.id, role=Role.district_admin.value, district_id=district.id,
                               scope_key=f"d{district.id}"))
    session.flush()
    return district.id, admin.id


def audit_actions(session: Session) -> list[str]:
    return [e.action for e in session.exec(select(AuditEntry).order_by(col(AuditEntry.id)))]


def test_schools_roles_and_a_move_that_ends_the_old_schools_access_at_once(session: Session) -> None:
    district_id, admin = district_with_admin(session)
    rename_district(session, district_id=district_id, name="青岛市崂山区", actor_id=admin, now=NOW)
    one = create_school(session, district_id=district_id, name="一中", stage="高中", pack="qingdao", actor_id=admin,
                        now=NOW)
    two = create_school(session, district_id=district_id, name="二中", stage="初中", pack="qingdao", actor_id=admin,
                        now=NOW)
    with pytest.raises(AdminError, match="没有政策包 nowhere"):
        set_school_pack(session, school=two, pack="nowhere", actor_id=admin, now=NOW)
    set_school_pack(session, school=two, pack="jinan", actor_id=admin, now=NOW)
    with pytest.raises(AdminError, match="本区县已有学校 一中"):
        create_school(session, district_id=district_id, name="一中", stage="高中", pack="qingdao", actor_id=admin,
                      now=NOW)
    teacher = add_staff(session, school=one, name="王老师", email="wang@edu.cn", phone="", role=Role.psych_teacher,
                        actor_id=admin, now=NOW)
    assert teacher.id is not None and one.id is not None and two.id is not None
    grade = assign_role(session, school=one, person_id=teacher.id, role=Role.grade_head, grade=7, actor_id=admin,
                        now=NOW)
    with pytest.raises(AdminError, match="已担任该角色"):
        assign_role(session, school=one, person_id=teacher.id, role=Role.grade_head, grade=7, actor_id=admin, now=NOW)
    viewer = load_viewer(session, teacher.id)
    assert viewer is not None and viewer.sees_whole_school(one.id) and not viewer.sees_school_as_staff(two.id)

    assert move_person(session, person_id=teacher.id, source=one, target=two, actor_id=admin, now=NOW) == 2
    viewer = load_viewer(session, teacher.id)
    assert viewer is not None
    assert not viewer.sees_school_as_staff(one.id) and viewer.sees_whole_school(two.id)
    assert (two.id, 7) in viewer.grade_scopes
    moved = session.exec(select(RoleAssignment).where(RoleAssignment.person_id == teacher.id)).all()
    assert {(r.role, r.school_id, r.scope_key) for r in moved} == {
        ("psych_teacher", two.id, f"s{two.id}"), ("grade_head", two.id, f"s{two.id}/g7")}
    with pytest.raises(AdminError, match="没有该角色记录"):
        withdraw_role(session, school=one, assignment_id=grade.id or 0, actor_id=admin, now=NOW)
    for row in moved:
        withdraw_role(session, school=two, assignment_id=row.id or 0, actor_id=admin, now=NOW)
    assert load_viewer(session, teacher.id) is None  # no role left: nobody to sign in as
    assert audit_actions(session) == ["rename_district", "create_school", "create_school", "set_school_pack",
                                      "add_person", "assign_role", "assign_role", "move_person",
                                      "withdraw_role", "withdraw_role"]
    move = session.exec(select(AuditEntry).where(AuditEntry.action == "move_person")).one()
    assert json.loads(move.detail) == {"person_id": teacher.id, "from_school_id": one.id, "to_school_id": two.id,
                                       "roles_ended": 2, "roles_given": 2}
    assert "王老师" not in "".join(e.detail for e in session.exec(select(AuditEntry)))


def test_disable_ends_sessions_and_reset_sends_a_link_or_a_code(session: Session) -> None:
    district_id, admin = district_with_admin(session)
    school = create_school(session, district_id=district_id, name="一中", stage="高中", pack="qingdao",
                           actor_id=admin, now=NOW)
    wang = add_staff(session, school=school, name="王老师", email="wang@edu.cn", phone="", role=Role.homeroom,
                     actor_id=admin, now=NOW)
    li = add_staff(session, school=school, name="李老师", email="", phone="139 1234 5678", role=Role.homeroom,
                   actor_id=admin, now=NOW)
    assert wang.id is not None and li.id is not None and li.phone == "13912345678"
    set_password(session, person_id=wang.id, password="wang-password", now=NOW)
    opened = open_session(session, person_id=wang.id, now=NOW)
    assert set_disabled(session, person_id=wang.id, disabled=True, now=NOW, actor_id=admin)
    assert find_session(session, opened.token, NOW) is None
    with pytest.raises(AdminError, match="账号已停用"):
        reset_account(session, person_id=wang.id, now=NOW, base_url="https://x", actor_id=admin)
    assert set_disabled(session, person_id=wang.id, disabled=False, now=NOW, actor_id=admin)
    opened = open_session(session, person_id=wang.id, now=NOW)
    assert reset_account(session, person_id=wang.id, now=NOW, base_url="https://x", actor_id=admin) == "邮件"
    assert find_session(session, opened.token, NOW) is None
    assert reset_account(session, person_id=li.id, now=NOW, base_url="https://x", actor_id=admin) == "短信"
    channels = [m.channel for m in session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))]
    assert channels == ["email", "sms"]
    # a person without a password yet can be disabled too: links and codes are then refused
    assert set_disabled(session, person_id=li.id, disabled=True, now=NOW, actor_id=admin)
    assert request_login_code(session, phone="13912345678", now=NOW + timedelta(minutes=20)) is None


def test_a_code_by_sms_signs_in_once_five_wrong_tries_end_it_three_an_hour(engine: Engine, http_server: HttpServer
                                                                           ) -> None:
    with Session(engine) as session:
        district_id, admin = district_with_admin(session)
        school = create_school(session, district_id=district_id, name="一中", stage="高中", pack="qingdao",
                               actor_id=admin, now=NOW)
        li = add_staff(session, school=school, name="李老师", email="", phone="13912345678", role=Role.homeroom,
                       actor_id=admin, now=NOW)
        li_id = li.id
        assert li_id is not None
        assert request_login_code(session, phone="13800000000", now=NOW) is None  # unknown: nothing sent
        code = request_login_code(session, phone="+86 139-1234-5678", now=NOW)
        assert code is not None and len(code) == 6 and code.isdigit()
        stored = session.exec(select(LoginCode)).one()
        assert code not in stored.code_hash
        session.commit()
    # the SMS goes through the configured gateway (a real HTTP server here): the code and its lifetime only
    result = dispatch(engine, now=NOW, channels={"sms": HttpSmsGateway(f"{http_server.base}/sms")})
    assert result.sent == 1
    [request] = http_server.requests
    body = request.json()
    assert body["phone"] == "13912345678" and body["template"] == "login_code"
    assert body["params"] == {"code": code, "minutes": "10"}
    assert code in body["text"] and "李老师" not in body["text"]

    with Session(engine) as session:
        wrong = "000000" if code != "000000" else "111111"
        with pytest.raises(AccountError, match="验证码不正确"):
            redeem_login_code(session, phone="13912345678", code=wrong, address="a1", now=NOW)
        assert redeem_login_code(session, phone="13912345678", code=code, address="a1", now=NOW) == li_id
        session.commit()
        with pytest.raises(AccountError):  # spent
            redeem_login_code(session, phone="13912345678", code=code, address="a1", now=NOW)
        # a fresh code, five wrong tries: it is spent even for the right code afterwards
        later = NOW + timedelta(minutes=1)
        code2 = request_login_code(session, phone="13912345678", now=later)
        session.commit()
        assert code2 is not None
        for _ in range(3):
            with pytest.raises(AccountError):
                redeem_login_code(session, phone="13912345678", code=wrong if wrong != code2 else "222222",
                                  address="a2", now=later)
        with pytest.raises(RateLimited):  # 2 + 3 wrong in the window, then the person's limit (5) holds
            redeem_login_code(session, phone="13912345678", code=code2, address="a3", now=later)
        # the third code in 15 minutes is sent, the fourth is not
        assert request_login_code(session, phone="13912345678", now=later) is not None
        assert request_login_code(session, phone="13912345678", now=later) is None
        # expired after 10 minutes
        fresh = request_login_code(session, phone="13912345678", now=NOW + timedelta(minutes=40))
        session.commit()
        assert fresh is not None
        with pytest.raises(AccountError, match="已过期"):
            redeem_login_code(session, phone="13912345678", code=fresh, address="a4", now=NOW + timedelta(minutes=51))


def test_five_wrong_tries_spend_a_code(session: Session) -> None:
    district_id, admin = district_with_admin(session)
    school = create_school(session, district_id=district_id, name="一中", stage="高中", pack="qingdao",
                           actor_id=admin, now=NOW)
    add_staff(session, school=school, name="李老师", email="", phone="13912345678", role=Role.homeroom,
              actor_id=admin, now=NOW)
    code = request_login_code(session, phone="13912345678", now=NOW)
    assert code is not None
    wrong = "000000" if code != "000000" else "111111"
    for i in range(5):  # from five addresses: the code's own count ends it
        with pytest.raises(AccountError):
            redeem_login_code(session, phone="13912345678", code=wrong, address=f"b{i}", now=NOW)
    row = session.exec(select(LoginCode)).one()
    assert row.failures == 5 and row.used_at is not None


def test_changing_ones_password_ends_the_other_sessions(session: Session) -> None:
    district_id, admin = district_with_admin(session)
    set_password(session, person_id=admin, password="first-password", now=NOW)
    here = open_session(session, person_id=admin, now=NOW)
    there = open_session(session, person_id=admin, now=NOW)
    web_session = find_session(session, here.token, NOW)
    assert web_session is not None and needs_current_password(session, web_session, NOW)
    with pytest.raises(AccountError, match="当前密码不正确"):
        change_own_password(session, web_session=web_session, current="nope", new="second-password",
                            again="second-password", now=NOW)
    with pytest.raises(AccountError, match="不一致"):
        change_own_password(session, web_session=web_session, current="first-password", new="second-password",
                            again="second-passwor", now=NOW)
    assert change_own_password(session, web_session=web_session, current="first-password", new="second-password",
                               again="second-password", now=NOW) == 1
    assert find_session(session, here.token, NOW) is not None and find_session(session, there.token, NOW) is None
    assert session.get(Account, admin) is not None
    assert audit_actions(session) == ["change_password"]
    assert session.exec(select(WebSession).where(col(WebSession.ended_at).is_not(None))).one().id != web_session.id
