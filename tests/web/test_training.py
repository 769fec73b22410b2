"""培训学时 pages (QD-T9): the leadership group and psychology teachers see each member of staff's hours against
the minimum of their role and record a training; a bad entry is refused with nothing written."""

from sqlalchemy import Engine
from sqlmodel import Session, select

from models import RecordRevision, TrainingRecord
from tests.web.app_fixtures import ClientFor, form_token
from tests.web.world import World


def test_the_leader_records_a_training_and_sees_the_progress(client_for: ClientFor, world: World,
                                                             world_engine: Engine) -> None:
    leader = client_for("leader")
    url = f"/schools/{world.school_id}/training"
    page = leader.get(url)
    assert page.status_code == 200 and "QD-T9" in page.text and "专职心理教师不少于40课时" in page.text
    twin = leader.get(f"/api/schools/{world.school_id}/training").json()
    assert twin["clause"] == "QD-T9" and twin["people"] and twin["reached"] == 0
    homeroom = world.accounts["homeroom"]
    person = next(p for p in twin["people"] if p["person"] == homeroom.name)
    assert (person["category"], person["minimum"], person["hours"]) == ("班主任", 16, 0)
    token = form_token(page.text)
    with Session(world_engine) as session:
        before = len(session.exec(select(TrainingRecord)).all())
    for values, message in (({"hours": "0"}, "课时应在"), ({"held_on": "2026-13-01"}, "培训日期应为"),
                            ({"topic": " "}, "培训主题不能为空"), ({"person_id": "999999"}, "只记教职工")):
        data = {"person_id": str(homeroom.person_id), "held_on": "2026-10-10", "hours": "16",
                "topic": "班主任心理健康教育", "csrf_token": token, **values}
        refused = leader.post(url, data=data, follow_redirects=False)
        assert refused.status_code == 400 and message in refused.text, values
    with Session(world_engine) as session:
        assert len(session.exec(select(TrainingRecord)).all()) == before
    done = leader.post(url, data={"person_id": str(homeroom.person_id), "held_on": "2026-10-10", "hours": "16",
                                  "topic": "班主任心理健康教育", "csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    twin = client_for("psych").get(f"/api/schools/{world.school_id}/training").json()
    person = next(p for p in twin["people"] if p["person"] == homeroom.name)
    assert (person["hours"], person["reached"], person["short"]) == (16, True, 0)
    with Session(world_engine) as session:
        revision = session.exec(select(RecordRevision).where(RecordRevision.kind == "training")).one()
        assert revision.by_id == world.accounts["leader"].person_id and revision.after["hours"] == 16


def test_others_get_404(client_for: ClientFor, world: World) -> None:
    for who, school in (("homeroom", world.school_id), ("officer", world.school_id),
                        ("other_leader", world.school_id), ("leader", world.other_school_id)):
        assert client_for(who).get(f"/schools/{school}/training").status_code == 404, who
        assert client_for(who).get(f"/api/schools/{school}/training").status_code == 404, who
