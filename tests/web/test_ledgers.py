"""Ledgers A–D: scope (school, class, ledger C), audit of crisis reads, XLSX export (one case: test_crisis_case)."""

from collections.abc import Callable
from datetime import date
from io import BytesIO

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import AuditEntry, CrisisCase, KeyStudentPlan, Person, RoleAssignment, Student, TalkRecord
from tests.web.app_fixtures import ClientFor, sign_in
from tests.web.world import NOW, PASSWORD, World
from xinyu.accounts import set_password
from xinyu.roles import Role

SignIn = Callable[[int], TestClient]


@pytest.fixture
def client_of(web_app: FastAPI, world_engine: Engine) -> SignIn:
    """A client signed in as any person of the world (a deputy, a second homeroom teacher…)."""
    def make(person_id: int) -> TestClient:
        with Session(world_engine) as session:
            person = session.get(Person, person_id)
            assert person is not None
            if not person.email:
                person.email = f"p{person_id}@school.example.cn"
            session.add(person)
            set_password(session, person_id=person_id, password=PASSWORD, now=NOW)
            login = person.email
            session.commit()
        client = TestClient(web_app, base_url="https://testserver")
        sign_in(client, login)
        return client
    return make


def holder(engine: Engine, school_id: int, role: Role, *, not_class: int | None = None) -> tuple[int, int | None]:
    """(person id, class id) of a holder of the role at the school (another class than `not_class`)."""
    with Session(engine) as session:
        query = select(RoleAssignment).where(RoleAssignment.school_id == school_id, RoleAssignment.role == role)
        if not_class is not None:
            query = query.where(col(RoleAssignment.class_id).is_not(None), RoleAssignment.class_id != not_class)
        found = session.exec(query.order_by(col(RoleAssignment.id))).first()
        assert found is not None
        return found.person_id, found.class_id


def students_of(engine: Engine, class_id: int) -> list[Student]:
    with Session(engine) as session:
        return list(session.exec(select(Student).where(Student.class_id == class_id).order_by(col(Student.id))))


@pytest.fixture
def plans_and_talks(world_engine: Engine, world: World) -> tuple[Student, Student]:
    """A 一生一案 plan and a talk for a student of the homeroom teacher's class and one of another class."""
    own = students_of(world_engine, world.accounts["homeroom"].class_id or 0)[1]
    _, other_class = holder(world_engine, world.school_id, Role.homeroom, not_class=world.accounts["homeroom"].class_id)
    other = students_of(world_engine, other_class or 0)[0]
    with Session(world_engine) as session:
        for student in (own, other):
            session.add(KeyStudentPlan(school_id=world.school_id, student_id=student.id or 0,
                                       opened_on=date(2026, 10, 9), difficulties="学业压力", growth_advice="每两周谈心",
                                       updated_at=NOW))
            session.add(TalkRecord(school_id=world.school_id, student_id=student.id or 0, kind="谈心",
                                   held_on=date(2026, 10, 12), summary="谈心，情绪平稳"))
        session.commit()
    return own, other


def crisis_reads(engine: Engine, actor_id: int) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.actor_id == actor_id,
                                                          col(AuditEntry.action).in_(["read_crisis", "update_crisis"]))
                                 .order_by(col(AuditEntry.id))))


def crisis_student(engine: Engine, case_id: int) -> Student:
    with Session(engine) as session:
        case = session.get(CrisisCase, case_id)
        assert case is not None
        student = session.get(Student, case.student_id)
        assert student is not None
        return student


# ---- the ledgers ----

def test_the_leader_sees_every_ledger_combined_per_student(client_for: ClientFor, world: World,
                                                           world_engine: Engine, plans_and_talks: tuple) -> None:
    leader = client_for("leader")
    own, other = plans_and_talks
    case_student = crisis_student(world_engine, world.crisis_case_id or 0)
    page = leader.get(f"/schools/{world.school_id}/ledgers")
    assert page.status_code == 200
    assert 'data-testid="ledger-table" data-view="all"' in page.text
    assert own.name in page.text and other.name in page.text and case_student.name in page.text
    assert f'href="/schools/{world.school_id}/crisis/{world.crisis_case_id}"' in page.text
    api = leader.get(f"/api/schools/{world.school_id}/ledgers/all").json()
    assert api["crisis_allowed"] is True and api["counts"]["C"] == 1 and api["counts"]["B"] == 2
    rows = {r["student_id"]: r for r in api["students"]}
    assert rows[own.id]["plan"] == "在案" and rows[own.id]["talks"] == 1 and rows[own.id]["latest_level"]
    assert rows[case_student.id]["crisis_open"] is True
    assert rows[case_student.id]["crisis_case_ids"] == [world.crisis_case_id]
    assert all(f'data-student="{sid}"' in page.text for sid in rows)


@pytest.mark.parametrize("letter", ["A", "B", "D"])
def test_each_ledger_on_its_own(client_for: ClientFor, world: World, plans_and_talks: tuple, letter: str) -> None:
    psych = client_for("psych")
    own, _ = plans_and_talks
    page = psych.get(f"/schools/{world.school_id}/ledgers?view={letter}")
    assert page.status_code == 200 and f'data-view="{letter}"' in page.text
    api = psych.get(f"/api/schools/{world.school_id}/ledgers/{letter}").json()
    rows = {"A": api["screening"], "B": api["key_students"], "D": api["talks"]}[letter]
    assert len(rows) == api["total"] == api["counts"][letter] > 0
    assert all(r["student_name"] in page.text for r in rows)
    if letter != "A":
        assert own.id in {r["student_id"] for r in rows}


def test_a_homeroom_teacher_sees_only_the_rows_of_their_class(client_for: ClientFor, world: World,
                                                              plans_and_talks: tuple) -> None:
    homeroom = client_for("homeroom")
    own, other = plans_and_talks
    for view in ("all", "A", "B", "D"):
        page = homeroom.get(f"/schools/{world.school_id}/ledgers?view={view}")
        assert page.status_code == 200
        assert other.name not in page.text
        api = homeroom.get(f"/api/schools/{world.school_id}/ledgers/{view}").json()
        rows = api["students"] + api["screening"] + api["key_students"] + api["talks"]
        assert rows and {r["class_id"] for r in rows} == {world.accounts["homeroom"].class_id}
    assert own.name in homeroom.get(f"/schools/{world.school_id}/ledgers?view=B").text
    assert homeroom.get(f"/schools/{world.school_id}/ledgers?class={other.class_id}").status_code == 404
    assert homeroom.get(f"/api/schools/{world.school_id}/ledgers/A?class={other.class_id}").status_code == 404


def test_a_homeroom_teacher_of_another_class_does_not_see_this_class(client_of: SignIn, world: World,
                                                                     world_engine: Engine,
                                                                     plans_and_talks: tuple) -> None:
    own, other = plans_and_talks
    person_id, class_id = holder(world_engine, world.school_id, Role.homeroom, not_class=own.class_id)
    teacher = client_of(person_id)
    names = {s.name for s in students_of(world_engine, own.class_id)}
    for view in ("all", "A", "B", "D"):
        page = teacher.get(f"/schools/{world.school_id}/ledgers?view={view}")
        assert page.status_code == 200 and not any(n in page.text for n in names)
    assert other.name in teacher.get(f"/schools/{world.school_id}/ledgers?view=B").text
    assert teacher.get(f"/schools/{world.school_id}/ledgers?class={own.class_id}").status_code == 404
    workbook = load_workbook(BytesIO(teacher.get(f"/schools/{world.school_id}/ledgers.xlsx").content))
    cells = {str(c.value) for ws in workbook.worksheets for row in ws.iter_rows() for c in row}
    assert not names & cells and other.name in cells


def test_a_class_filter_narrows_the_whole_school_view(client_for: ClientFor, world: World,
                                                      plans_and_talks: tuple) -> None:
    own, other = plans_and_talks
    page = client_for("psych").get(f"/schools/{world.school_id}/ledgers?view=B&class={own.class_id}")
    assert page.status_code == 200 and own.name in page.text and other.name not in page.text
    assert f'<option value="{own.class_id}" selected>' in page.text


def test_officers_and_other_schools_get_404_and_no_names(client_for: ClientFor, world: World) -> None:
    urls = [f"/schools/{world.school_id}/ledgers", f"/schools/{world.school_id}/ledgers?view=C",
            f"/api/schools/{world.school_id}/ledgers/A", f"/schools/{world.school_id}/ledgers.xlsx",
            f"/schools/{world.school_id}/crisis/{world.crisis_case_id}",
            f"/api/schools/{world.school_id}/crisis/{world.crisis_case_id}"]
    for role in ("officer", "foreign_officer", "other_leader", "foreign_leader", "other_homeroom"):
        client = client_for(role)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 404, (role, url)
            assert not any(name in response.text for name in world.student_names), (role, url)


# ---- ledger C ----

def test_ledger_c_is_hidden_from_staff_who_neither_handle_nor_lead(client_for: ClientFor, client_of: SignIn,
                                                                   world: World, world_engine: Engine) -> None:
    deputy, _ = holder(world_engine, world.school_id, Role.deputy)
    case_student = crisis_student(world_engine, world.crisis_case_id or 0)
    for client, actor in ((client_for("homeroom"), world.accounts["homeroom"].person_id), (client_of(deputy), deputy)):
        page = client.get(f"/schools/{world.school_id}/ledgers?view=C")
        assert page.status_code == 200
        assert 'data-testid="crisis-denied"' in page.text and "无权查看" in page.text
        assert 'data-testid="count-C">无权查看<' in page.text
        assert f"C-{world.crisis_case_id}" not in page.text and 'data-case="' not in page.text
        api = client.get(f"/api/schools/{world.school_id}/ledgers/C").json()
        assert api["crisis_allowed"] is False and api["crisis"] == [] and api["counts"]["C"] is None
        assert api["total"] is None
        review = next(r for r in api["reviews"] if r["ledger"] == "C")
        assert review["hidden"] and review["entries"] is None and review["changed"] is None and review["note"] is None
        combined = client.get(f"/api/schools/{world.school_id}/ledgers/all").json()
        assert all(r["crisis_open"] is None and r["crisis_case_ids"] is None for r in combined["students"])
        assert "危机个案" not in client.get(f"/schools/{world.school_id}/ledgers").text
        assert client.get(f"/schools/{world.school_id}/crisis/{world.crisis_case_id}").status_code == 404
        assert client.get(f"/api/schools/{world.school_id}/crisis/{world.crisis_case_id}").status_code == 404
        workbook = load_workbook(BytesIO(client.get(f"/schools/{world.school_id}/ledgers.xlsx").content))
        assert not any(ws.title.startswith("C") for ws in workbook.worksheets)
        assert "危机个案" not in [c.value for c in workbook.worksheets[0][1]]
        assert crisis_reads(world_engine, actor) == []  # nothing read, nothing audited
    deputy_page = client_of(deputy).get(f"/schools/{world.school_id}/ledgers?view=all")
    assert case_student.name in deputy_page.text  # the student is in A (whole school); only the flag is hidden


def test_every_read_of_a_crisis_record_is_audited_without_names(client_for: ClientFor, world: World,
                                                                world_engine: Engine) -> None:
    leader = client_for("leader")
    actor = world.accounts["leader"].person_id
    sid, case = world.school_id, world.crisis_case_id
    reads = [
        (f"/schools/{sid}/ledgers?view=C", f"ledger:C:school:{sid}"),
        (f"/api/schools/{sid}/ledgers/C", f"ledger:C:school:{sid}"),
        (f"/schools/{sid}/ledgers", f"ledger:C:school:{sid}"),  # the combined view shows the crisis flags
        (f"/schools/{sid}/crisis/{case}", f"crisis:{case}"),
        (f"/api/schools/{sid}/crisis/{case}", f"crisis:{case}"),
        (f"/schools/{sid}/ledgers.xlsx?view=C", f"ledger:C:school:{sid}"),
    ]
    for url, target in reads:
        before = len(crisis_reads(world_engine, actor))
        assert leader.get(url).status_code == 200, url
        new = crisis_reads(world_engine, actor)[before:]
        assert [e.target for e in new] == [target], url
        assert new[0].action == "read_crisis" and str(case) in new[0].detail
        assert not any(name in new[0].detail for name in world.student_names)
    psych = client_for("psych")
    assert psych.get(f"/api/schools/{sid}/crisis/{case}").status_code == 200
    assert [e.target for e in crisis_reads(world_engine, world.accounts["psych"].person_id)] == [f"crisis:{case}"]


# ---- export ----

def test_the_xlsx_export_opens_with_chinese_headers(client_for: ClientFor, world: World,
                                                    plans_and_talks: tuple) -> None:
    leader = client_for("leader")
    response = leader.get(f"/schools/{world.school_id}/ledgers.xlsx?view=all")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response.headers["content-disposition"]
    workbook = load_workbook(BytesIO(response.content))
    titles = [ws.title for ws in workbook.worksheets]
    assert titles[0].startswith("综合") and [t[0] for t in titles[1:]] == ["A", "B", "C", "D"]
    combined = [c.value for c in workbook.worksheets[0][1]]
    assert combined[:3] == ["学号", "姓名", "班级"] and "危机个案" in combined and "谈心谈话次数" in combined
    crisis = workbook["C 心理危机干预与转介"]
    assert crisis["A1"].value == "个案编号" and crisis["A2"].value == f"C-{world.crisis_case_id}"
    only_b = load_workbook(BytesIO(leader.get(f"/schools/{world.school_id}/ledgers.xlsx?view=B").content))
    assert [ws.title for ws in only_b.worksheets] == ["B 重点关爱学生"]
    assert only_b.worksheets[0].max_row == 3  # header + the two plans
    homeroom_c = load_workbook(BytesIO(client_for("homeroom").get(
        f"/schools/{world.school_id}/ledgers.xlsx?view=C").content))
    assert homeroom_c.worksheets[0]["A2"].value == "无权查看"


def test_bad_parameters_are_422_and_unknown_ids_404(client_for: ClientFor, world: World) -> None:
    leader = client_for("leader")
    assert leader.get(f"/api/schools/{world.school_id}/ledgers/E").status_code == 422
    assert leader.get(f"/api/schools/{world.school_id}/ledgers/A?page=0").status_code == 422
    assert leader.get(f"/schools/{world.school_id}/ledgers?view=X").status_code == 422
    assert leader.get("/api/schools/999999/ledgers/A").status_code == 404
    assert leader.get(f"/api/schools/{world.school_id}/ledgers/A?class=999999").status_code == 404
    assert leader.get(f"/api/schools/{world.school_id}/crisis/999999").status_code == 404
    far = leader.get(f"/api/schools/{world.school_id}/ledgers/A?page=500").json()
    assert far["screening"] == [] and far["page"] == 500


def test_the_menu_leads_homeroom_teachers_to_their_ledgers(client_for: ClientFor, world: World) -> None:
    page = client_for("homeroom").get("/tasks")
    assert f'href="/schools/{world.school_id}/ledgers"' in page.text
    assert f'href="/schools/{world.school_id}/meeting"' not in page.text
