"""Students masked wherever typed text leaves the people who typed it (issue 11, item 7): the officer's course
pages and download, a notice's own page (the same text as its line in the list), the district's crisis item."""

from io import BytesIO
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import CourseRecord, Escalation, Student
from tests.web.app_fixtures import ClientFor, form_token
from tests.web.district_fixtures import raise_escalations, report_major_crises
from tests.web.world import TODAY, World
from xinyu.cycle import PackBook

NAME, GIVEN = "黄晨超", "晨超"
TYPED = ("关注黄 晨超的情绪", "关注黄　晨超的情绪", "关注黄\u200b晨超的情绪", "关注晨超的情绪")


def name_a_student(engine: Engine, world: World) -> str:
    """A student of the homeroom teacher's class is called 黄晨超; their 学号."""
    with Session(engine) as session:
        student = session.exec(select(Student).where(Student.class_id == world.accounts["homeroom"].class_id)
                               .order_by(col(Student.id))).first()
        assert student is not None and len(student.student_no) >= 6
        student.name = NAME
        session.commit()
        return student.student_no


def test_the_officer_never_reads_a_student_however_the_topic_spells_them(
        client_for: ClientFor, world: World, world_engine: Engine) -> None:
    number = name_a_student(world_engine, world)
    topics = (*TYPED, f"学号{number}的跟进", f"为{NAME}同学开展个别辅导")
    with Session(world_engine) as session:  # stored as they were typed, whatever the form allows today
        for topic in topics:
            session.add(CourseRecord(school_id=world.school_id, class_id=world.accounts["homeroom"].class_id or 0,
                                     held_on=TODAY, kind="lesson", topic=topic, periods=1,
                                     recorded_by_id=world.accounts["homeroom"].person_id))
        session.commit()
    officer = client_for("officer")
    page = officer.get(f"/schools/{world.school_id}/courses").text
    api = officer.get(f"/api/schools/{world.school_id}/courses", params={"limit": 2000}).json()
    book = load_workbook(BytesIO(officer.get(f"/schools/{world.school_id}/courses.xlsx").content))
    cells = [str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row]
    shown = [r["topic"] for r in api]
    for body in (page, "\n".join(shown), "\n".join(cells)):
        assert GIVEN not in body and number not in body and "某同学同学" not in body
    assert shown.count("关注某同学的情绪") == len(TYPED)
    assert "某学号的跟进" in shown and "为某同学开展个别辅导" in shown
    assert "关注某同学的情绪" in cells and "为某同学开展个别辅导" in cells
    own = client_for("homeroom").get(f"/api/schools/{world.school_id}/courses", params={"limit": 2000}).json()
    assert f"为{NAME}同学开展个别辅导" in [r["topic"] for r in own]  # inside the school: as typed


def test_a_notice_shows_the_same_masked_text_in_the_list_and_on_its_page(
        client_for: ClientFor, world: World, world_engine: Engine, packs_dir_session: Path) -> None:
    number = name_a_student(world_engine, world)
    raise_escalations(world_engine, PackBook(world_engine))
    with Session(world_engine) as session:
        target = session.exec(select(Escalation.id).where(Escalation.school_id == world.school_id)
                              .order_by(col(Escalation.id))).first()
    officer = client_for("officer")
    text = f"请督促黄 晨超同学（学号{number}）所在班补齐，晨超家长需面谈"
    done = officer.post("/district/inbox/bulk", data={
        "csrf_token": form_token(officer.get("/district/inbox").text), "action": "notice", "ids": [target],
        "days": "5", "text": text, "back": ""}, follow_redirects=False)
    assert done.status_code == 303
    with Session(world_engine) as session:
        task_id = session.get(Escalation, target).notice_task_id  # type: ignore[union-attr]
    masked = "落实区县督办：请督促某同学（某学号）所在班补齐，某同学家长需面谈"
    leader = client_for("leader")
    listed = next(t for t in leader.get("/api/tasks", params={"scope": "all"}).json()["tasks"]
                  if t["id"] == task_id)
    assert listed["title"] == masked
    page = leader.get(f"/tasks/{task_id}").text
    api = leader.get(f"/api/tasks/{task_id}").json()
    assert masked in page and api["task"]["title"] == masked
    for body in (page, str(api)):
        assert GIVEN not in body and number not in body and "某同学同学" not in body


def test_the_districts_crisis_item_carries_no_class(
        client_for: ClientFor, world: World, world_engine: Engine, packs_dir_session: Path) -> None:
    crisis = report_major_crises(world_engine, PackBook(world_engine), world)[0]
    officer = client_for("officer")
    item = next(i for i in officer.get("/api/district/inbox").json()["items"] if i["id"] == crisis)
    assert item["reason"] == "crisis" and item["class_label"] is None
    assert item["school"] and item["level"] and "C-" in item["summary"]  # school, case number and level only
    html = officer.get("/district/inbox").text
    row = html[html.index(f'<li id="e{crisis}"'):]
    row = row[:row.index("</li>")]
    assert "年级" not in row and "班 · " not in row  # no class, on its line or in its detail
