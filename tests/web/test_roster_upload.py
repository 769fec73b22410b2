"""The roster page: a school's leader uploads the school's roster, a 区县管理员 any school's of the district
(or a whole-district file); errors as a table, nothing half-imported; replacing shows a preview first, the file
waits in the database for the confirmation (which another worker process may serve), applied once."""

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from models import AuditEntry, District, Person, RoleAssignment, RosterUpload, School, SchoolClass, Task
from tests.roster_files import row_counts
from tests.web.app_fixtures import ClientFor, form_token, sign_in
from tests.web.roster_helpers import as_csv, school_roster
from tests.web.world import NOW, PASSWORD, World
from web.app import create_app
from xinyu.accounts import set_password
from xinyu.cycle import PackBook
from xinyu.roles import Role
from xinyu.roster.uploads import MAX_BYTES


def upload(client: TestClient, url: str, name: str, data: bytes, *, replace: bool = False) -> Any:
    token = form_token(client.get(url if url.startswith("/schools/") else "/roster").text)
    form = {"csrf_token": token, **({"replace": "1"} if replace else {})}
    return client.post(url, data=form, files={"file": (name, data, "text/csv")})


def confirm(client: TestClient, url: str, preview_html: str) -> Any:
    upload_id = re.search(r'name="upload" value="(\d+)"', preview_html)
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', preview_html)
    assert upload_id and digest, preview_html
    return client.post(f"{url}/confirm", data={"csrf_token": form_token(preview_html), "upload": upload_id.group(1),
                                               "digest": digest.group(1)})


def without(rows: list[list[Any]], name: str) -> list[list[Any]]:
    return [r for r in rows if r[5] != name]


def make_admin(engine: Engine, district_id: int) -> str:
    with Session(engine) as session:
        person = Person(identity="admin@edu.example.cn", name="区县管理员甲", email="admin@edu.example.cn")
        session.add(person)
        session.flush()
        assert person.id is not None
        session.add(RoleAssignment(person_id=person.id, role=Role.district_admin, district_id=district_id,
                                   scope_key=f"d{district_id}"))
        set_password(session, person_id=person.id, password=PASSWORD, now=NOW)
        session.commit()
    return "admin@edu.example.cn"


def also_teaches_at(engine: Engine, person_id: int, school_id: int) -> None:
    """She moved: she teaches a class at the other school too, so she still signs in."""
    with Session(engine) as session:
        school = session.get(School, school_id)
        klass = session.exec(select(SchoolClass).where(SchoolClass.school_id == school_id)).first()
        assert school is not None and klass is not None
        session.add(RoleAssignment(person_id=person_id, role=Role.subject_teacher, district_id=school.district_id,
                                   school_id=school_id, grade=klass.grade, class_id=klass.id,
                                   scope_key=f"c{klass.id}"))
        session.commit()


def test_only_the_leader_and_the_districts_administrator_reach_a_schools_roster(
        client_for: ClientFor, world: World, web_app: FastAPI, world_engine: Engine) -> None:
    sid, other = world.school_id, world.other_school_id
    leader = client_for("leader")
    page = leader.get(f"/schools/{sid}/roster")
    assert page.status_code == 200 and "作为本校完整名册（替换）" in page.text
    assert f'href="/schools/{sid}/roster"' in page.text  # in the leader's menu
    assert leader.get(f"/schools/{other}/roster").status_code == 404
    assert leader.get(f"/districts/{world.district_id}/roster").status_code == 405  # a district's forms post here
    assert leader.get("/roster", follow_redirects=False).headers["location"] == f"/schools/{sid}/roster"
    assert leader.get(f"/roster?district={world.district_id}").status_code == 404
    for role in ("psych", "homeroom", "officer"):
        assert client_for(role).get(f"/schools/{sid}/roster").status_code == 404, role
    rows = school_roster(world_engine, other)
    refused = upload(client_for("other_leader"), f"/schools/{other}/roster", "x.csv", as_csv(rows))
    assert refused.status_code == 200  # their own school: fine
    token = form_token(leader.get(f"/schools/{sid}/roster").text)
    posted = leader.post(f"/schools/{other}/roster", data={"csrf_token": token},
                         files={"file": ("x.csv", as_csv(rows), "text/csv")})
    assert posted.status_code == 404

    admin = TestClient(web_app, base_url="https://testserver")
    sign_in(admin, make_admin(world_engine, world.district_id))
    assert admin.get(f"/schools/{sid}/roster").status_code == 200
    district_page = admin.get("/roster")
    assert 'href="/roster"' in district_page.text  # in the administrator's menu
    assert district_page.status_code == 200 and f'href="/schools/{other}/roster"' in district_page.text
    assert admin.get(f"/schools/{world.foreign_school_id}/roster").status_code == 404
    with Session(world_engine) as session:
        foreign = session.get(School, world.foreign_school_id)
        assert foreign is not None
    assert admin.get(f"/roster?district={foreign.district_id}").status_code == 404
    assert client_for("officer").get("/roster").status_code == 404


def test_a_wrong_row_is_shown_in_a_table_and_nothing_is_imported(client_for: ClientFor, world: World,
                                                                  world_engine: Engine) -> None:
    sid = world.school_id
    rows = school_roster(world_engine, sid)
    rows[3][6] = "班主人"
    with Session(world_engine) as session:
        other = session.get(School, world.other_school_id)
        assert other is not None
    rows.append([rows[0][0], other.name, "初中", "", "", "外校老师", "组长", "", "13900000001", ""])
    leader = client_for("leader")
    before = row_counts(world_engine)
    response = upload(leader, f"/schools/{sid}/roster", "名册.csv", as_csv(rows, "gbk"))
    assert response.status_code == 400
    assert "名册.csv 有 2 处错误，未导入任何数据" in response.text
    cells = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td>", response.text)
    assert ("5", "角色", "班主人") in cells and (str(len(rows) + 1), "学校", other.name) in cells
    assert row_counts(world_engine) == before


def test_too_large_a_file_is_refused_clearly(client_for: ClientFor, world: World, world_engine: Engine) -> None:
    leader = client_for("leader")
    before = row_counts(world_engine)
    response = upload(leader, f"/schools/{world.school_id}/roster", "大.csv", b"a" * (MAX_BYTES + 1))
    assert response.status_code == 400 and "过大（上限 5 MB" in response.text
    assert row_counts(world_engine) == before


def test_replace_previews_then_confirms_once_and_the_withdrawn_teacher_loses_the_school(
        client_for: ClientFor, world: World, world_engine: Engine, packs_dir_session: Any) -> None:
    sid, homeroom = world.school_id, world.accounts["homeroom"]
    also_teaches_at(world_engine, homeroom.person_id, world.other_school_id)
    teacher = client_for("homeroom")
    assert teacher.get(f"/schools/{sid}/talks").status_code == 200
    with Session(world_engine) as session:
        her_tasks = {t.id: t.status for t in session.exec(select(Task).where(Task.assignee_id == homeroom.person_id,
                                                                             Task.school_id == sid))}
    assert her_tasks
    url = f"/schools/{sid}/roster"
    leader = client_for("leader")
    rows = without(school_roster(world_engine, sid), homeroom.name)
    before = row_counts(world_engine)
    preview = upload(leader, url, "全校名册.csv", as_csv(rows), replace=True)
    assert preview.status_code == 200, preview.text
    assert "预览：尚未做任何修改" in preview.text
    assert re.search(rf"<td>撤销</td><td>{homeroom.name}</td>\s*<td class=\"text\">班主任（", preview.text)
    assert "撤销 1 人（共撤销角色任命 1 项）" in preview.text
    after_preview = row_counts(world_engine)
    assert after_preview == {**before, "roster_upload": before["roster_upload"] + 1}  # only the file is kept

    # The confirmation reaches another worker process: another app on the same database.
    other_worker = create_app(engine=world_engine, book=PackBook(world_engine), clock=lambda: NOW,
                              base_url="https://testserver")
    with TestClient(other_worker, base_url="https://testserver", cookies=leader.cookies) as second:
        done = confirm(second, url, preview.text)
    assert done.status_code == 200, done.text
    assert "已整体替换名册：全校名册.csv（教职工名单" in done.text
    assert teacher.get(f"/schools/{sid}/talks").status_code == 404  # at once, in her open session
    assert teacher.get(f"/schools/{sid}/ledgers?class={homeroom.class_id}").status_code == 404
    assert teacher.get(f"/tasks/{min(her_tasks)}").status_code == 404
    assert teacher.get(f"/schools/{world.other_school_id}/board").status_code == 200  # her other school stays
    with Session(world_engine) as session:
        assert session.get(Person, homeroom.person_id) is not None
        now_with = {t.id: t.assignee_id for t in session.exec(select(Task).where(col(Task.id).in_(her_tasks)))}
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "roster_replace")).one()
        kept = session.exec(select(RosterUpload)).one()
    # Work she did stays hers; open work goes back to the role (nobody else holds her class; the leader stands in).
    assert now_with == {i: None if status == "open" else homeroom.person_id for i, status in her_tasks.items()}
    assert entry.actor_id == world.accounts["leader"].person_id
    assert json.loads(entry.detail)["withdrawn_people"] == [homeroom.person_id]
    assert kept.applied_at is not None and kept.filename == "全校名册.csv"

    again = confirm(leader, url, preview.text)
    assert again.status_code == 409 and "只能确认一次" in again.text


def test_an_old_preview_cannot_be_confirmed(client_for: ClientFor, world: World, world_engine: Engine) -> None:
    url = f"/schools/{world.school_id}/roster"
    leader = client_for("leader")
    rows = without(school_roster(world_engine, world.school_id), world.accounts["homeroom"].name)
    preview = upload(leader, url, "名册.csv", as_csv(rows), replace=True)
    with Session(world_engine) as session:
        session.execute(update(RosterUpload).values(created_at=NOW - timedelta(hours=3)))
        session.commit()
    before = row_counts(world_engine)
    response = confirm(leader, url, preview.text)
    assert response.status_code == 409 and "预览已过期" in response.text
    assert row_counts(world_engine) == before


def test_a_student_list_cannot_replace(client_for: ClientFor, world: World, world_engine: Engine) -> None:
    with Session(world_engine) as session:
        school = session.get(School, world.school_id)
        assert school is not None
    data = "学校,年级,班级,学号,姓名,性别\n".encode() + f"{school.name},初一,1班,X1,张三,男\n".encode()
    response = upload(client_for("leader"), f"/schools/{world.school_id}/roster", "学生.csv", data, replace=True)
    assert response.status_code == 400 and "只有教职工名单可以作为完整名册整体替换" in response.text


def test_the_administrator_uploads_a_whole_district_file_that_creates_a_school(
        web_app: FastAPI, world: World, world_engine: Engine) -> None:
    admin = TestClient(web_app, base_url="https://testserver")
    sign_in(admin, make_admin(world_engine, world.district_id))
    with Session(world_engine) as session:
        district = session.get(District, world.district_id)
        assert district is not None
    rows = [[district.name, "新建实验学校", "小学", "一年级", "1班", "新老师", "班主任", "", "13900000077", ""],
            [district.name, "新建实验学校", "小学", "", "", "新校长", "组长", "", "13900000078", ""]]
    response = upload(admin, f"/districts/{world.district_id}/roster", "新校.xlsx.csv", as_csv(rows))
    assert "作为所列各校的完整名册（替换）" in admin.get("/roster").text
    assert response.status_code == 200 and "学校 新增 1" in response.text
    foreign = [["青岛市崂山区", "崂山区第一中学", "初中", "", "", "某老师", "组长", "", "13900000079", ""]]
    refused = upload(admin, f"/districts/{world.district_id}/roster", "外区.csv", as_csv(foreign))
    assert refused.status_code == 400 and "不是本区县" in refused.text
    with Session(world_engine) as session:
        assert session.exec(select(School).where(School.name == "新建实验学校")).one().district_id == district.id
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "import")
                             .order_by(col(AuditEntry.id).desc())).first()
        assert entry is not None and entry.actor_id is not None


@pytest.mark.parametrize("replace", [False, True])
def test_reimporting_the_schools_own_roster_changes_no_role(client_for: ClientFor, world: World,
                                                            world_engine: Engine, replace: bool) -> None:
    url = f"/schools/{world.school_id}/roster"
    leader = client_for("leader")
    with Session(world_engine) as session:
        before = sorted(session.exec(select(RoleAssignment.id)))
    response = upload(leader, url, "名册.csv", as_csv(school_roster(world_engine, world.school_id)), replace=replace)
    assert response.status_code == 200, response.text
    if replace:
        assert "撤销 0 人（共撤销角色任命 0 项）" in response.text
        assert confirm(leader, url, response.text).status_code == 200
    with Session(world_engine) as session:
        assert sorted(session.exec(select(RoleAssignment.id))) == before


def test_only_the_uploader_confirms_and_only_on_its_page(client_for: ClientFor, world: World,
                                                          world_engine: Engine, web_app: FastAPI) -> None:
    url = f"/schools/{world.school_id}/roster"
    leader = client_for("leader")
    rows = without(school_roster(world_engine, world.school_id), world.accounts["homeroom"].name)
    preview = upload(leader, url, "名册.csv", as_csv(rows), replace=True)
    other = client_for("other_leader")
    other_page = other.get(f"/schools/{world.other_school_id}/roster").text
    upload_id = re.search(r'name="upload" value="(\d+)"', preview.text)
    assert upload_id
    posted = other.post(f"/schools/{world.other_school_id}/roster/confirm",
                        data={"csrf_token": form_token(other_page), "upload": upload_id.group(1), "digest": "x"})
    assert posted.status_code == 404
    admin = TestClient(web_app, base_url="https://testserver")
    sign_in(admin, make_admin(world_engine, world.district_id))
    admin_page = admin.get(url).text
    posted = admin.post(f"{url}/confirm", data={"csrf_token": form_token(admin_page), "upload": upload_id.group(1),
                                                "digest": "x"})
    assert posted.status_code == 404  # not the uploader
    tampered = leader.post(f"{url}/confirm", data={"csrf_token": form_token(preview.text),
                                                   "upload": upload_id.group(1), "digest": "0" * 32})
    assert tampered.status_code == 409 and "请重新预览" in tampered.text
    with Session(world_engine) as session:
        assert session.exec(select(RosterUpload)).one().applied_at is None
    assert confirm(leader, url, preview.text).status_code == 200
