"""心理健康网络 pages (QD-T10, GZ-5.1, QD-T2): the school's page names its student role holders to the staff
who see the whole school; the leader keeps the dorm setting; the district sees counts and never a name."""

import json

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import Person, RecordRevision, RoleAssignment, School
from tests.web.app_fixtures import ClientFor, form_token
from tests.web.world import World
from xinyu.roles import STUDENT_ROLES


def _student_role_names(engine: Engine, school_id: int | None = None) -> set[str]:
    with Session(engine) as session:
        query = (select(Person.name).join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
                 .where(col(RoleAssignment.role).in_([r.value for r in STUDENT_ROLES])))
        if school_id is not None:
            query = query.where(RoleAssignment.school_id == school_id)
        return set(session.exec(query))


def test_the_leader_sees_each_class_with_its_members(client_for: ClientFor, world: World,
                                                    world_engine: Engine) -> None:
    names = _student_role_names(world_engine, world.school_id)
    assert names, "the demo roster names 心理委员"
    page = client_for("leader").get(f"/schools/{world.school_id}/network")
    assert page.status_code == 200
    assert "每班心理委员" in page.text and "QD-T10" in page.text and "QD-T2" in page.text
    assert any(name in page.text for name in names)
    assert 'data-testid="dorm-form"' in page.text
    twin = client_for("leader").get(f"/api/schools/{world.school_id}/network").json()
    assert twin["checked"] and twin["class_checks"]
    assert {h["name"] for c in twin["class_checks"] for h in c["holders"]} <= names
    assert all(c["grade"] >= 4 for c in twin["class_checks"])  # QD-T10: from grade 4


def test_the_psychology_teacher_sees_it_without_the_dorm_form(client_for: ClientFor, world: World) -> None:
    page = client_for("psych").get(f"/schools/{world.school_id}/network")
    assert page.status_code == 200
    assert 'data-testid="dorm-form"' not in page.text
    token = form_token(client_for("leader").get(f"/schools/{world.school_id}/network").text)
    refused = client_for("psych").post(f"/schools/{world.school_id}/network/dorms",
                                       data={"boarding": "1", "dorms": "4", "csrf_token": token})
    assert refused.status_code in (403, 404)


def test_others_get_404(client_for: ClientFor, world: World) -> None:
    for who, school in (("homeroom", world.school_id), ("officer", world.school_id),
                        ("other_leader", world.school_id), ("leader", world.other_school_id)):
        assert client_for(who).get(f"/schools/{school}/network").status_code == 404, who
        assert client_for(who).get(f"/api/schools/{school}/network").status_code == 404, who
    assert client_for("leader").get("/district/network").status_code == 404
    assert client_for("leader").get("/api/district/network").status_code == 404


def test_the_leader_sets_boarding_and_dorms(client_for: ClientFor, world: World, world_engine: Engine) -> None:
    leader = client_for("leader")
    url = f"/schools/{world.school_id}/network"
    token = form_token(leader.get(url).text)
    refused = leader.post(f"{url}/dorms", data={"boarding": "1", "dorms": "0", "csrf_token": token},
                          follow_redirects=False)
    assert refused.status_code == 400 and "宿舍间数应为" in refused.text
    with Session(world_engine) as session:
        school = session.get(School, world.school_id)
        assert school is not None and not school.boarding and school.dorms == 0
    done = leader.post(f"{url}/dorms", data={"boarding": "1", "dorms": "6", "csrf_token": token},
                       follow_redirects=False)
    assert done.status_code == 303
    twin = leader.get(f"/api/schools/{world.school_id}/network").json()
    assert (twin["boarding"], twin["dorms"], twin["dorms_short"]) == (True, 6, 6 - twin["dorm_informants"])
    with Session(world_engine) as session:
        revision = session.exec(select(RecordRevision).where(RecordRevision.kind == "school_network")).one()
        assert revision.after == {"boarding": True, "dorms": 6} and revision.before == {"boarding": False, "dorms": 0}
    district = client_for("officer").get("/api/district/network").json()
    ours = next(r for r in district if r["school_id"] == world.school_id)
    assert ours["dorms_short"] == twin["dorms_short"] and ours["dorms"] == 6


def test_the_district_sees_counts_and_never_a_name(client_for: ClientFor, world: World,
                                                   world_engine: Engine) -> None:
    officer = client_for("officer")
    page = officer.get("/district/network")
    twin = officer.get("/api/district/network")
    assert page.status_code == 200 and twin.status_code == 200
    rows = twin.json()
    assert {r["school_id"] for r in rows} == {world.school_id, world.other_school_id}
    assert all("class_checks" not in r and "teachers" not in r for r in rows)
    names = _student_role_names(world_engine) | set(world.student_names)
    text = page.text + json.dumps(rows, ensure_ascii=False)
    assert names and not [name for name in names if name in text]
    with Session(world_engine) as session:
        school = session.get(School, world.school_id)
        assert school is not None and school.name in page.text
