"""Courses in the web app: the "1+1" grid, recording in a few taps, withdrawing, the export (QD-T5, QD-T5b)."""

import re
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from models import CourseRecord
from tests.web.app_fixtures import ClientFor, form_token
from tests.web.world import TODAY, World
from xinyu.courses.grid import short_classes
from xinyu.cycle import PackBook

OCTOBER = "2026-10"


def short_in_october(engine: Engine, world: World, packs_dir: Path) -> dict[int, list[str]]:
    """Classes of the world's school whose October cell is red today → the kinds they miss.

    The browser test relies on this: the homeroom account's class is short in October."""
    with Session(engine) as session:
        return {s.class_id: s.missing for s in short_classes(session, school_id=world.school_id, month=OCTOBER,
                                                             today=TODAY, book=PackBook(engine))}


def record_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(CourseRecord)).one()


def cell(html: str, class_id: int, month: str = OCTOBER) -> tuple[str, str]:
    """(status class, text) of a grid cell, found by its stable test id."""
    found = re.search(rf'<td class="cell cell-(\w+)"[^>]*data-testid="cell-{class_id}-{month}"[^>]*>([^<]*)</td>',
                      html)
    assert found, f"no cell for class {class_id} in {month}"
    return found.group(1), found.group(2)


def row_ids(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'data-testid="row-(\d+)"', html)}


def test_a_homeroom_teacher_records_what_is_missing_and_the_cell_turns_green(
        client_for: ClientFor, world: World, world_engine: Engine, packs_dir_session: Path) -> None:
    homeroom = world.accounts["homeroom"]
    class_id = homeroom.class_id or 0
    missing = short_in_october(world_engine, world, packs_dir_session)[class_id]
    client = client_for("homeroom")
    grid = client.get(f"/schools/{world.school_id}/courses")
    assert grid.status_code == 200
    assert row_ids(grid.text) == {class_id}  # only their class
    assert cell(grid.text, class_id)[0] == "short"
    assert f'href="/schools/{world.school_id}/courses/new"' in grid.text and 'data-testid="record-course"' in grid.text

    form = client.get(f"/schools/{world.school_id}/courses/new")
    assert form.status_code == 200
    assert f'<option value="{class_id}" data-missing="{" ".join(missing)}" selected>' in form.text
    assert re.search(rf'value="{missing[0]}" id="kind-{missing[0]}"[^>]*checked', form.text)  # what is missing
    assert f'value="{TODAY.isoformat()}"' in form.text and 'max="2026-10-20"' in form.text
    for kind in missing:
        sent = client.post(f"/schools/{world.school_id}/courses", follow_redirects=False, data={
            "csrf_token": form_token(form.text), "class_id": str(class_id), "kind": kind,
            "held_on": TODAY.isoformat(), "topic": "情绪小管家", "periods": "1"})
        assert sent.status_code == 303
        assert sent.headers["location"].startswith(f"/schools/{world.school_id}/courses?ok=recorded&class={class_id}")
    landed = client.get(sent.headers["location"])
    assert landed.status_code == 200 and "已记录" in landed.text and "本月“1+1”已达标" in landed.text
    status, text = cell(landed.text, class_id)
    assert status == "ok" and re.fullmatch(r"课[1-9]\d* 活[1-9]\d*", text)
    with Session(world_engine) as session:
        mine = session.exec(select(CourseRecord).where(CourseRecord.topic == "情绪小管家")).all()
    assert {r.kind for r in mine} == set(missing) and {r.recorded_by_id for r in mine} == {homeroom.person_id}


def test_whole_school_staff_see_every_class_grouped_by_grade(client_for: ClientFor, world: World) -> None:
    for role in ("leader", "psych"):
        page = client_for(role).get(f"/schools/{world.school_id}/courses")
        assert page.status_code == 200
        assert len(row_ids(page.text)) == 4 and page.text.count('class="grade-row"') == 4
        assert 'data-testid="record-course"' in page.text
        assert 'data-month="2027-01"' in page.text and "学期合计" in page.text


def test_officers_see_the_grid_without_names_and_cannot_record(
        client_for: ClientFor, world: World, world_engine: Engine) -> None:
    officer = client_for("officer")
    page = officer.get(f"/schools/{world.school_id}/courses")
    api = officer.get(f"/api/schools/{world.school_id}/courses/grid")
    records = officer.get(f"/api/schools/{world.school_id}/courses")
    export = officer.get(f"/schools/{world.school_id}/courses.xlsx")
    assert page.status_code == api.status_code == records.status_code == export.status_code == 200
    assert len(row_ids(page.text)) == 4 and 'data-testid="record-course"' not in page.text
    for body in (page.text, api.text, records.text, _xlsx_text(export.content)):
        assert not any(name in body for name in world.student_names)
    before = record_count(world_engine)
    assert officer.get(f"/schools/{world.school_id}/courses/new").status_code == 403
    assert officer.get(f"/api/schools/{world.school_id}/courses/options").status_code == 403
    class_id = api.json()["rows"][0]["class_id"]
    assert officer.post(f"/api/schools/{world.school_id}/courses", json={
        "class_id": class_id, "kind": "lesson", "held_on": "2026-10-20", "topic": "x"}).status_code == 403
    assert officer.post(f"/schools/{world.school_id}/courses", data={
        "csrf_token": form_token(page.text), "class_id": str(class_id), "kind": "lesson", "held_on": "2026-10-20",
        "topic": "x", "periods": "1"}).status_code == 403
    assert record_count(world_engine) == before


@pytest.mark.parametrize("role", ["foreign_officer", "foreign_leader", "other_homeroom", "other_leader"])
def test_outsiders_get_not_found(client_for: ClientFor, world: World, world_engine: Engine, role: str) -> None:
    client = client_for(role)
    before = record_count(world_engine)
    for url in (f"/schools/{world.school_id}/courses", f"/schools/{world.school_id}/courses/new",
                f"/schools/{world.school_id}/courses.xlsx", f"/api/schools/{world.school_id}/courses/grid",
                f"/api/schools/{world.school_id}/courses/options", f"/api/schools/{world.school_id}/courses"):
        assert client.get(url).status_code == 404, url
    sent = client.post(f"/api/schools/{world.school_id}/courses", json={
        "class_id": world.accounts["homeroom"].class_id, "kind": "lesson", "held_on": "2026-10-20", "topic": "x"})
    assert sent.status_code == 404 and record_count(world_engine) == before


def test_the_api_tells_the_same_facts(client_for: ClientFor, world: World) -> None:
    client = client_for("leader")
    page = client.get(f"/schools/{world.school_id}/courses?semester=2026-09").text
    grid = client.get(f"/api/schools/{world.school_id}/courses/grid", params={"semester": "2027-01"}).json()
    assert grid["semester"]["key"] == "2026-09" and grid["current_month"] == OCTOBER
    assert [m["month"] for m in grid["months"]] == ["2026-09", "2026-10", "2026-11", "2026-12", "2027-01"]
    assert grid["requirement"]["counts"] == {"lesson": 5, "activity": 5}
    for row in grid["rows"]:
        for item in row["cells"]:
            assert cell(page, row["class_id"], item["month"]) == (item["status"], item["text"])
    spring = client.get(f"/api/schools/{world.school_id}/courses/grid", params={"semester": "2026-03"}).json()
    assert spring["semester"]["label"] == "2026年春季学期"
    assert {m["month"] for m in spring["months"] if m["vacation"]} == {"2026-02", "2026-07", "2026-08"}


def test_recording_through_the_api_and_withdrawing_it(client_for: ClientFor, world: World,
                                                      world_engine: Engine) -> None:
    client = client_for("homeroom")
    class_id = world.accounts["homeroom"].class_id
    options = client.get(f"/api/schools/{world.school_id}/courses/options").json()
    assert [c["class_id"] for c in options["classes"]] == [class_id]
    assert [k["key"] for k in options["kinds"]] == ["lesson", "activity"]
    assert (options["earliest"], options["latest"]) == ("2026-09-01", "2026-10-20")
    sent = client.post(f"/api/schools/{world.school_id}/courses", json={
        "class_id": class_id, "kind": "activity", "held_on": "2026-10-19", "topic": "团体心理辅导", "periods": 2})
    assert sent.status_code == 201, sent.text
    made = sent.json()
    assert made["kind_label"] == "心理健康专题活动" and made["withdrawable"] and made["periods"] == 2
    listed = client.get(f"/api/schools/{world.school_id}/courses").json()
    assert listed[0]["id"] == made["id"]
    leader = client_for("leader")
    assert leader.delete(f"/api/schools/{world.school_id}/courses/{made['id']}").status_code == 403
    gone = client.delete(f"/api/schools/{world.school_id}/courses/{made['id']}")
    assert gone.status_code == 200 and gone.json()["id"] == made["id"]
    assert client.delete(f"/api/schools/{world.school_id}/courses/{made['id']}").status_code == 404
    with Session(world_engine) as session:
        assert session.get(CourseRecord, made["id"]) is None


def test_withdrawing_from_the_page(client_for: ClientFor, world: World, world_engine: Engine) -> None:
    client = client_for("homeroom")
    made = client.post(f"/api/schools/{world.school_id}/courses", json={
        "class_id": world.accounts["homeroom"].class_id, "kind": "lesson", "held_on": "2026-10-20",
        "topic": "录错了"}).json()
    page = client.get(f"/schools/{world.school_id}/courses")
    assert f'data-testid="withdraw-{made["id"]}"' in page.text
    done = client.post(f"/schools/{world.school_id}/courses/{made['id']}/withdraw",
                       data={"csrf_token": form_token(page.text)}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("ok=withdrawn")
    with Session(world_engine) as session:
        assert session.get(CourseRecord, made["id"]) is None


@pytest.mark.parametrize(("field", "value", "message"), [
    ("held_on", "2026-10-21", "日期不能晚于今天"),
    ("held_on", "2026-08-31", "不能早于本学年开始"),
    ("held_on", "", "请填写日期"),
    ("kind", "lecture", "类型应为"),
    ("class_id", "", "请选择班级"),
    ("periods", "two", "课时应为整数"),
    ("periods", "0", "课时应在 1 到"),
    ("topic", "情绪\u202e管理", "主题含有不可见的控制字符"),
    ("topic", " ", "请填写主题"),
])
def test_the_form_refuses_with_a_chinese_message_and_writes_nothing(
        client_for: ClientFor, world: World, world_engine: Engine, field: str, value: str, message: str) -> None:
    client = client_for("homeroom")
    other = next(r["class_id"] for r in client_for("leader").get(
        f"/api/schools/{world.school_id}/courses/grid").json()["rows"] if r["class_id"] !=
        world.accounts["homeroom"].class_id)
    form = client.get(f"/schools/{world.school_id}/courses/new")
    data = {"csrf_token": form_token(form.text), "class_id": str(world.accounts["homeroom"].class_id),
            "kind": "lesson", "held_on": "2026-10-20", "topic": "认识情绪", "periods": "1"}
    data[field] = str(other) if value == "other" else value
    before = record_count(world_engine)
    sent = client.post(f"/schools/{world.school_id}/courses", data=data)
    assert sent.status_code == 400 and message in sent.text and 'data-testid="course-form"' in sent.text
    assert record_count(world_engine) == before
    api = client.post(f"/api/schools/{world.school_id}/courses", json={
        "class_id": other, "kind": "lesson", "held_on": "2026-10-20", "topic": "x"})
    assert api.status_code == 403 and "只能为您负责的班级" in api.json()["detail"]  # another teacher's class
    valid = {"csrf_token": data["csrf_token"], "class_id": str(other), "kind": "lesson", "held_on": "2026-10-20",
             "topic": "认识情绪", "periods": "1"}
    assert client.post(f"/schools/{world.school_id}/courses", data=valid).status_code == 403
    assert record_count(world_engine) == before


def test_writes_need_the_form_token(client_for: ClientFor, world: World, world_engine: Engine) -> None:
    client = client_for("homeroom")
    before = record_count(world_engine)
    sent = client.post(f"/schools/{world.school_id}/courses", headers={"X-CSRF-Token": ""}, data={
        "class_id": str(world.accounts["homeroom"].class_id), "kind": "lesson", "held_on": "2026-10-20",
        "topic": "x", "periods": "1"})
    assert sent.status_code == 403 and record_count(world_engine) == before


def test_bad_parameters_are_refused_not_crashed(client_for: ClientFor, world: World) -> None:
    client = client_for("leader")
    assert client.get(f"/api/schools/{world.school_id}/courses/grid?semester=2026-13").status_code == 422
    assert client.get(f"/api/schools/{world.school_id}/courses/grid?semester=１２").status_code == 422
    assert client.get("/api/schools/999999/courses/grid").status_code == 404
    assert client.get("/api/schools/99999999999/courses/grid").status_code == 422
    assert client.post(f"/api/schools/{world.school_id}/courses", json={"class_id": 1}).status_code == 422
    assert client.post(f"/api/schools/{world.school_id}/courses", json={
        "class_id": 1, "kind": "lesson", "held_on": "2026-10-20", "topic": "x", "periods": 99}).status_code == 422
    assert client.post(f"/api/schools/{world.school_id}/courses", json={
        "class_id": 1, "kind": "lesson", "held_on": "2026-10-20", "topic": "x", "periods": 0}).status_code == 422
    assert client.delete(f"/api/schools/{world.school_id}/courses/999999").status_code == 404


def test_the_export_holds_the_grid_and_the_records(client_for: ClientFor, world: World) -> None:
    client = client_for("leader")
    response = client.get(f"/schools/{world.school_id}/courses.xlsx?semester=2026-10")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(BytesIO(response.content))
    grid, records = book.worksheets
    header = [c.value for c in grid[1]]
    assert header[:7] == ["班级", "学段", "9月", "10月", "11月", "12月", "1月"]
    assert "计入课时" in header and "学期最低课时" in header
    rows = list(grid.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 4 and any("（未达标）" in str(r[3]) for r in rows) and rows[0][8] is not None
    api = client.get(f"/api/schools/{world.school_id}/courses", params={"limit": 2000}).json()
    assert [c.value for c in records[1]] == ["日期", "班级", "类型", "主题", "课时", "记录人"]
    assert records.max_row - 1 == len(api) > 0


def _xlsx_text(content: bytes) -> str:
    book = load_workbook(BytesIO(content))
    return "\n".join(str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row)
