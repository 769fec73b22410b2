"""The pages only messages link to: a district inbox item, and the crisis alert the relay opens.

Who may open them is the point: the alert is for the people the relay told (homeroom teacher, grade
head, leader) and the handler, and shows no student and nothing of ledger C; an inbox item is for the
officers of its district.
"""

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import CrisisCase, Escalation, RoleAssignment, SchoolClass, Student
from tests.web.app_fixtures import ClientFor
from tests.web.district_fixtures import raise_escalations, report_major_crises
from tests.web.test_ledgers import SignIn, client_of  # noqa: F401  (fixture)
from tests.web.world import World
from xinyu.cycle import PackBook
from xinyu.roles import Role


def relay_of_case(engine: Engine, case_id: int) -> dict[str, list[int]]:
    """The people of each relay role for the case's class (homeroom), grade (grade head), school (leader)."""
    with Session(engine) as session:
        case = session.get(CrisisCase, case_id)
        assert case is not None
        student = session.get(Student, case.student_id)
        assert student is not None
        klass = session.get(SchoolClass, student.class_id)
        assert klass is not None
        found: dict[str, list[int]] = {}
        grade = (RoleAssignment.school_id == case.school_id) & (RoleAssignment.grade == klass.grade)
        for role, where in ((Role.homeroom, RoleAssignment.class_id == student.class_id),
                            (Role.grade_head, grade),
                            (Role.leader, RoleAssignment.school_id == case.school_id),
                            (Role.deputy, RoleAssignment.school_id == case.school_id)):
            found[role.value] = sorted(set(session.exec(select(RoleAssignment.person_id)
                                                        .where(RoleAssignment.role == role, where))))
        found["other_homerooms"] = sorted(set(session.exec(select(RoleAssignment.person_id).where(
            RoleAssignment.role == Role.homeroom, RoleAssignment.school_id == case.school_id,
            col(RoleAssignment.class_id) != student.class_id))) - set(found["homeroom"]))
        return found


def test_the_relay_opens_the_alert_and_sees_no_student(client_for: ClientFor, client_of: SignIn,  # noqa: F811
                                                       world: World, world_engine: Engine) -> None:
    case_id = world.crisis_case_id or 0
    relay = relay_of_case(world_engine, case_id)
    readers = [client_for("homeroom"), client_for("leader"), client_for("psych")]  # relay ×2 and the handler
    assert relay["homeroom"] and relay["grade_head"], relay
    readers += [client_of(relay["grade_head"][0])]
    for client in readers:
        page = client.get(f"/crisis-alerts/{case_id}")
        assert page.status_code == 200, client.get("/api/me").text
        assert f'data-case="{case_id}"' in page.text and f"C-{case_id}" in page.text
        assert not any(name in page.text for name in world.student_names)
    with Session(world_engine) as session:
        case = session.get(CrisisCase, case_id)
        assert case is not None
        case.referral_hospital, case.outcome = "青岛市精神卫生中心", "已转介，家长陪同就诊"
        session.add(case)
        session.commit()
    homeroom = client_for("homeroom").get(f"/crisis-alerts/{case_id}").text
    assert "青岛市精神卫生中心" not in homeroom and "家长陪同就诊" not in homeroom  # nothing of ledger C's fields
    assert "青岛市精神卫生中心" in client_for("leader").get(f"/schools/{world.school_id}/crisis/{case_id}").text
    assert 'data-testid="alert-task"' not in homeroom  # the handler's task is not theirs to open
    assert 'data-testid="alert-task"' in client_for("psych").get(f"/crisis-alerts/{case_id}").text


def test_the_alert_is_404_for_anyone_the_relay_did_not_tell(client_for: ClientFor, client_of: SignIn,  # noqa: F811
                                                           world: World, world_engine: Engine) -> None:
    case_id = world.crisis_case_id or 0
    relay = relay_of_case(world_engine, case_id)
    assert relay["other_homerooms"], relay
    others = [client_for(k) for k in ("other_homeroom", "other_leader", "officer", "foreign_leader")]
    others += [client_of(p) for p in relay["deputy"][:1] if p not in relay["leader"]]
    others += [client_of(p) for p in relay["other_homerooms"][:1]]  # same school, another class
    for client in others:
        assert client.get(f"/crisis-alerts/{case_id}").status_code == 404
    assert client_for("homeroom").get("/crisis-alerts/999999").status_code == 404


@pytest.fixture
def escalated(world_engine: Engine, packs_dir_session: Path, world: World) -> list[int]:
    book = PackBook(world_engine)
    return raise_escalations(world_engine, book) + report_major_crises(world_engine, book, world)


def test_an_inbox_item_opens_for_its_districts_officers_only(client_for: ClientFor, world: World,
                                                            world_engine: Engine, escalated: list[int]) -> None:
    with Session(world_engine) as session:
        ours = list(session.exec(select(Escalation.id).where(Escalation.district_id == world.district_id)
                                 .order_by(col(Escalation.id))))
        theirs = list(session.exec(select(Escalation.id).where(Escalation.district_id != world.district_id)))
    assert ours and theirs
    officer = client_for("officer")
    for item in ours:
        page = officer.get(f"/district/inbox/{item}")
        assert page.status_code == 200
        assert [int(i) for i in re.findall(r'data-escalation-id="(\d+)"', page.text)] == [item]
        assert 'data-testid="inbox-single"' in page.text
        assert not any(name in page.text for name in world.student_names)
    for item in theirs:
        assert officer.get(f"/district/inbox/{item}").status_code == 404
    assert client_for("foreign_officer").get(f"/district/inbox/{ours[0]}").status_code == 404
    assert client_for("leader").get(f"/district/inbox/{ours[0]}").status_code == 404
