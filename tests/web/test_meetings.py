"""The leadership meeting: agenda (or its preview), the minutes form that completes the step and turns
decisions into tasks, the printable page and the .ics invitation."""

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import Meeting, Person, SchoolClass, Step, Task
from tests.web.app_fixtures import ClientFor, form_token, sign_in
from tests.web.world import NOW, World
from web.app import create_app
from xinyu.clock import parse_at
from xinyu.cycle import PackBook, complete_task
from xinyu.meetings.invite import escape_text, fold

MONTH = "2026-10"
DECISIONS = "为新增重点关爱学生制定成长指导方案｜专职心理教师｜2026-10-30\n各班开展一次心理主题班会|班主任|2026-11-06"


@pytest.fixture
def meeting_open(world_engine: Engine, world: World, packs_dir_session: Path) -> int:
    """The ledger step finished at the world's evening, so the meeting step opens; the minutes task's id."""
    book = PackBook(world_engine)
    with Session(world_engine) as session:
        open_ledger_tasks = session.exec(select(Task.id).where(Task.school_id == world.school_id,
                                                               Task.step_key == "ledgers", Task.status == "open")).all()
        for task_id in open_ledger_tasks:
            complete_task(session, task_id=task_id or 0, values={}, now=NOW, book=book)
        session.commit()
        task = session.exec(select(Task).where(Task.school_id == world.school_id, Task.step_key == "meeting",
                                               Task.template == "minutes")).one()
        assert task.status == "open" and task.id is not None
        return task.id


def meeting_state(engine: Engine, school_id: int) -> tuple[str, str | None, list[Task]]:
    """(meeting step status, minutes, decision tasks) of the school's October."""
    with Session(engine) as session:
        step = session.exec(select(Step).join(Task, col(Task.step_id) == col(Step.id))
                            .where(Task.school_id == school_id, Task.template == "minutes")).one()
        meeting = session.exec(select(Meeting).where(Meeting.cycle_id == step.cycle_id)).first()
        decisions = list(session.exec(select(Task).where(Task.school_id == school_id, Task.kind == "decision")
                                      .order_by(col(Task.id))))
        return step.status, meeting.minutes if meeting else None, decisions


def test_before_the_step_opens_the_page_shows_a_preview_and_no_form(client_for: ClientFor, world: World) -> None:
    leader = client_for("leader")
    page = leader.get(f"/schools/{world.school_id}/meeting?month={MONTH}")
    assert page.status_code == 200
    assert 'data-testid="meeting-not-open"' in page.text and "预览" in page.text
    assert "一、学生心理健康问题" in page.text and 'data-testid="minutes-form"' not in page.text
    api = leader.get(f"/api/schools/{world.school_id}/meetings/{MONTH}").json()
    assert api["step_status"] == "pending" and api["agenda_preview"] is True and api["may_record"] is False
    assert any(b["kind"] == "h2" for b in api["agenda_blocks"])
    assert leader.get(f"/schools/{world.school_id}/meeting").status_code == 200  # this month by default
    refused = leader.post(f"/api/schools/{world.school_id}/meetings/{MONTH}/minutes",
                          json={"held_on": "2026-10-20", "minutes": "纪要"})
    assert refused.status_code == 409 and "尚未开启" in refused.json()["detail"]


def test_once_open_the_agenda_is_the_generated_one_and_the_leader_has_the_form(
        client_for: ClientFor, world: World, meeting_open: int) -> None:
    leader = client_for("leader")
    page = leader.get(f"/schools/{world.school_id}/meeting?month={MONTH}")
    assert 'data-testid="meeting-not-open"' not in page.text and 'data-testid="minutes-form"' in page.text
    assert 'data-testid="decision-rows"' in page.text and page.text.count('name="decision_what"') == 2
    assert "｜" not in page.text.split('data-testid="minutes-form"')[1].split("</form>")[0]  # rows, no separator
    assert f'href="/tasks/{meeting_open}"' in page.text
    api = leader.get(f"/api/schools/{world.school_id}/meetings/{MONTH}").json()
    assert api["step_status"] == "open" and api["agenda_preview"] is False and api["may_record"] is True
    assert api["minutes_task_id"] == meeting_open and {m["roles"][0] for m in api["members"]} >= {"组长"}
    psych = client_for("psych")
    shown = psych.get(f"/schools/{world.school_id}/meeting?month={MONTH}").text
    assert 'data-testid="minutes-form"' not in shown and 'data-testid="meeting-record-hint"' in shown
    assert psych.get(f"/api/schools/{world.school_id}/meetings/{MONTH}").json()["may_record"] is False


def test_the_form_records_the_minutes_completes_the_step_and_creates_decision_tasks(
        client_for: ClientFor, world: World, world_engine: Engine, meeting_open: int) -> None:
    leader = client_for("leader")
    url = f"/schools/{world.school_id}/meeting?month={MONTH}"
    page = leader.get(url)
    response = leader.post(url, data={
        "csrf_token": form_token(page.text), "held_on": "2026-10-20",
        "other_attendees": "丙老师、丁老师", "minutes": "一、通报本月筛查情况。\n二、研究危机个案 C-2 的处置。",
        "decision_what": ["为新增重点关爱学生制定成长指导方案", "各班开展一次心理主题班会", ""],
        "decision_owner": ["专职心理教师", "班主任", ""], "decision_due": ["2026-10-30", "2026-11-06", ""]},
        follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"{url}&ok=1"
    status, minutes, decisions = meeting_state(world_engine, world.school_id)
    assert status == "done" and minutes is not None
    assert minutes.startswith("参会人员：丙老师、丁老师") and "研究危机个案" in minutes
    with Session(world_engine) as session:
        classes = len(session.exec(select(SchoolClass.id).where(SchoolClass.school_id == world.school_id)).all())
        task = session.get(Task, meeting_open)
        assert task is not None and task.status == "done" and task.completed_by_id == world.accounts["leader"].person_id
    assert len(decisions) == 1 + classes  # the homeroom decision goes to each class's teacher
    assert {d.role for d in decisions} == {"psych_teacher", "homeroom"}
    shown = leader.get(response.headers["location"]).text
    assert 'data-testid="meeting-ok"' in shown and 'data-testid="meeting-minutes"' in shown
    for decision in decisions:
        assert f'href="/tasks/{decision.id}"' in shown and f'data-task="{decision.id}"' in shown
    assert "为新增重点关爱学生制定成长指导方案" in shown and 'data-testid="minutes-form"' not in shown
    api = leader.get(f"/api/schools/{world.school_id}/meetings/{MONTH}").json()
    assert api["held_on"] == "2026-10-20" and api["step_status"] == "done" and len(api["decisions"]) == len(decisions)
    assert api["decisions_text"] == DECISIONS.replace("|", "｜") and api["recorded_by"] == world.accounts["leader"].name


def test_a_bad_decision_line_is_400_with_the_message_and_nothing_is_written(
        client_for: ClientFor, world: World, world_engine: Engine, meeting_open: int) -> None:
    leader = client_for("leader")
    url = f"/schools/{world.school_id}/meeting?month={MONTH}"
    token = form_token(leader.get(url).text)
    bad = leader.post(url, data={"csrf_token": token, "held_on": "2026-10-20", "minutes": "纪要",
                                 "decision_what": ["只有事项没有负责和日期"], "decision_owner": [""],
                                 "decision_due": [""]})
    assert bad.status_code == 400 and 'data-testid="meeting-error"' in bad.text
    assert "第1项会议决定缺少负责、截止日期" in bad.text
    assert "只有事项没有负责和日期" in bad.text  # the form keeps what was typed
    wrong_role = leader.post(url, data={"csrf_token": token, "held_on": "2026-10-20", "minutes": "纪要",
                                        "decision_what": ["开展活动"], "decision_owner": ["门卫"],
                                        "decision_due": ["2026-10-30"]})
    assert wrong_role.status_code == 400 and "不是学校教职工角色" in wrong_role.text
    bar = leader.post(url, data={"csrf_token": token, "held_on": "2026-10-20", "minutes": "纪要",
                                 "decision_what": ["甲｜乙"], "decision_owner": ["组长"],
                                 "decision_due": ["2026-10-30"]})
    assert bar.status_code == 400 and "不能含竖线" in bar.text
    future = leader.post(url, data={"csrf_token": token, "held_on": "2026-10-25", "minutes": "纪要"})
    assert future.status_code == 400 and "晚于今天" in future.text
    empty = leader.post(url, data={"csrf_token": token, "held_on": "2026-10-20", "minutes": ""})
    assert empty.status_code == 400
    api = leader.post(f"/api/schools/{world.school_id}/meetings/{MONTH}/minutes",
                      json={"held_on": "2026-10-20", "minutes": "纪要", "decisions": "事项｜组长｜2026-10-01"})
    assert api.status_code == 400 and "早于会议日期" in api.json()["detail"]
    status, minutes, decisions = meeting_state(world_engine, world.school_id)
    assert status == "open" and minutes is None and decisions == []


def test_only_the_leader_or_the_tasks_role_may_record(client_for: ClientFor, world: World, world_engine: Engine,
                                                      meeting_open: int) -> None:
    psych = client_for("psych")
    url = f"/schools/{world.school_id}/meeting?month={MONTH}"
    refused = psych.post(url, data={"csrf_token": form_token(psych.get(url).text), "held_on": "2026-10-20",
                                    "minutes": "纪要"})
    assert refused.status_code == 403
    api = psych.post(f"/api/schools/{world.school_id}/meetings/{MONTH}/minutes",
                     json={"held_on": "2026-10-20", "minutes": "纪要"})
    assert api.status_code == 403
    for role in ("homeroom", "officer", "other_leader"):
        client = client_for(role)
        assert client.post(f"/api/schools/{world.school_id}/meetings/{MONTH}/minutes",
                           json={"held_on": "2026-10-20", "minutes": "纪要"}).status_code == 404
    assert meeting_state(world_engine, world.school_id)[:2] == ("open", None)


def test_the_api_records_once_then_409(client_for: ClientFor, world: World, world_engine: Engine,
                                       meeting_open: int) -> None:
    leader = client_for("leader")
    url = f"/api/schools/{world.school_id}/meetings/{MONTH}/minutes"
    body = {"held_on": "2026-10-19", "attendees": ["甲老师"], "minutes": "纪要正文",
            "decisions": "为新增重点关爱学生制定成长指导方案｜专职心理教师｜2026-10-30"}
    first = leader.post(url, json=body)
    assert first.status_code == 200
    recorded = first.json()
    assert recorded["step_status"] == "done" and recorded["minutes"].endswith("纪要正文")
    assert [d["role"] for d in recorded["decisions"]] == ["psych_teacher"]
    assert recorded["decisions"][0]["assignee"] == world.accounts["psych"].name
    again = leader.post(url, json=body)
    assert again.status_code == 409 and "已于此前录入" in again.json()["detail"]
    assert leader.post(url, json={"held_on": "不是日期", "minutes": "x"}).status_code == 422
    assert len(meeting_state(world_engine, world.school_id)[2]) == 1


def test_officers_and_homeroom_teachers_get_404_without_names(client_for: ClientFor, world: World,
                                                              meeting_open: int) -> None:
    sid = world.school_id
    urls = [f"/schools/{sid}/meeting?month={MONTH}", f"/api/schools/{sid}/meetings/{MONTH}",
            f"/schools/{sid}/meeting/print?month={MONTH}", f"/schools/{sid}/meeting.ics?month={MONTH}"]
    for role in ("officer", "foreign_officer", "homeroom", "other_leader", "foreign_leader"):
        client = client_for(role)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 404, (role, url)
            assert not any(name in response.text for name in world.student_names)


def test_months_without_a_cycle_are_404_and_bad_months_422(client_for: ClientFor, world: World) -> None:
    leader = client_for("leader")
    assert leader.get(f"/schools/{world.school_id}/meeting?month=2026-03").status_code == 404
    assert leader.get(f"/api/schools/{world.school_id}/meetings/2026-03").status_code == 404
    assert leader.get(f"/api/schools/{world.school_id}/meetings/2026-13").status_code == 422
    assert leader.get(f"/schools/{world.school_id}/meeting?month=10").status_code == 422


def test_the_printable_page_has_no_navigation(client_for: ClientFor, world: World, meeting_open: int) -> None:
    leader = client_for("leader")
    leader.post(f"/api/schools/{world.school_id}/meetings/{MONTH}/minutes",
                json={"held_on": "2026-10-20", "minutes": "纪要正文第一段", "decisions": DECISIONS})
    printable = leader.get(f"/schools/{world.school_id}/meeting/print?month={MONTH}")
    assert printable.status_code == 200
    text = printable.text
    assert 'data-testid="meeting-printable"' in text and 'class="top"' not in text and "<nav" not in text
    assert "一、学生心理健康问题" in text and "纪要正文第一段" in text and "为新增重点关爱学生制定成长指导方案" in text
    assert '<script src="/static/meetings.js"></script>' in text and "<script>" not in text


# ---- the invitation ----

def unfold(body: str) -> list[str]:
    return body.replace("\r\n ", "").split("\r\n")


def test_the_ics_invitation_is_well_formed(client_for: ClientFor, world: World, world_engine: Engine,
                                           meeting_open: int) -> None:
    leader = client_for("leader")
    response = leader.get(f"/schools/{world.school_id}/meeting.ics?month={MONTH}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert response.headers["content-disposition"].startswith("attachment") and ".ics" in response.headers[
        "content-disposition"]
    raw = response.content
    body = raw.decode("utf-8")
    assert body.endswith("\r\n") and "\n" not in body.replace("\r\n", "")  # CRLF only
    physical = raw.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in physical)
    assert any(line.startswith(b" ") for line in physical)  # something long was folded
    lines = unfold(body)[:-1]
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR" and "VERSION:2.0" in lines
    begins = [ln[6:] for ln in lines if ln.startswith("BEGIN:")]
    ends = [ln[4:] for ln in lines if ln.startswith("END:")]
    assert sorted(begins) == sorted(ends) and "VEVENT" in begins and "VTIMEZONE" in begins
    props = {ln.split(":", 1)[0].split(";", 1)[0]: ln for ln in lines if ":" in ln}
    assert props["UID"] == next(ln for ln in unfold(leader.get(
        f"/schools/{world.school_id}/meeting.ics?month={MONTH}").text) if ln.startswith("UID:"))  # stable
    assert re.fullmatch(r"DTSTART;TZID=Asia/Shanghai:202610\d\dT153000", props["DTSTART"])
    assert re.fullmatch(r"DTSTAMP:\d{8}T\d{6}Z", props["DTSTAMP"])
    assert "领导小组" in props["SUMMARY"] and "10月专题会议" in props["SUMMARY"]
    assert "一、学生心理健康问题" in props["DESCRIPTION"] and "\\n" in props["DESCRIPTION"]
    attendees = [ln for ln in lines if ln.startswith("ATTENDEE")]
    with Session(world_engine) as session:
        leader_email = session.get(Person, world.accounts["leader"].person_id).email  # type: ignore[union-attr]
    assert any(ln.endswith(f":mailto:{leader_email}") for ln in attendees)
    assert not any(name in body for name in world.student_names)
    psych = client_for("psych").get(f"/schools/{world.school_id}/meeting.ics?month={MONTH}")
    assert psych.status_code == 200


def test_folding_never_splits_a_character_and_text_is_escaped() -> None:
    line = "DESCRIPTION:" + escape_text("议程;一、学生心理健康问题, 二\\三\n" + "心理健康" * 40)
    folded = fold(line)
    pieces = folded.encode("utf-8").split(b"\r\n")
    assert all(len(p) <= 75 for p in pieces) and all(p.startswith(b" ") for p in pieces[1:])
    assert all(p.decode("utf-8") for p in pieces)  # each piece is whole UTF-8
    assert folded.replace("\r\n ", "") == line
    assert "\\;" in line and "\\," in line and "\\\\" in line and "\\n" in line


@pytest.mark.parametrize("body, message", [
    ({"minutes": "纪要\x00"}, "控制字符"),
    ({"minutes": "纪要\u202e"}, "纪要含有不可见的控制字符"),
    ({"decisions": "家访\u2066｜组长｜2026-10-30"}, "会议决定含有不可见的控制字符"),
    ({"decisions": "很长的事项" * 40 + "｜组长｜2026-10-30"}, "过长"),
    ({"decisions": "远期事项｜组长｜2099-10-30"}, "超过一年"),
    ({"held_on": "2026-09-30"}, "早于 2026-10 月初"),
])
def test_what_the_database_or_the_chase_could_not_hold_is_400(client_for: ClientFor, world: World,
                                                              world_engine: Engine, meeting_open: int,
                                                              body: dict, message: str) -> None:
    response = client_for("leader").post(f"/api/schools/{world.school_id}/meetings/{MONTH}/minutes",
                                         json={"held_on": "2026-10-20", "minutes": "纪要", **body})
    assert response.status_code == 400 and message in response.json()["detail"]
    assert meeting_state(world_engine, world.school_id)[:2] == ("open", None)


# ---- the meeting as held (issue 12 item 8) ----

def setup_data(client: TestClient, page: str, **extra: object) -> dict[str, object]:
    invited = re.findall(r'name="invited" value="(\d+)"', page)
    return {"csrf_token": form_token(page), "starts_at": "2026-10-21T15:00", "place": "行政楼三楼会议室",
            "invited": invited, **extra}


def test_the_leader_sets_time_place_and_attendees_and_the_invitation_and_printout_carry_them(
        client_for: ClientFor, world: World, world_engine: Engine, meeting_open: int) -> None:
    leader, psych = client_for("leader"), client_for("psych")
    url = f"/schools/{world.school_id}/meeting?month={MONTH}"
    page = leader.get(url).text
    assert 'data-testid="setup-form"' in page and 'data-testid="setup-form"' not in psych.get(url).text
    api = leader.get(f"/api/schools/{world.school_id}/meetings/{MONTH}").json()
    invited = {a["person_id"]: a for a in api["attendees"]}
    # By default: the whole leadership group and the psychology teachers of the school.
    assert world.accounts["leader"].person_id in invited and world.accounts["psych"].person_id in invited
    assert world.accounts["homeroom"].person_id not in invited
    with Session(world_engine) as session:
        homeroom = session.get(Person, world.accounts["homeroom"].person_id)
        psych_person = session.get(Person, world.accounts["psych"].person_id)
        assert homeroom is not None and psych_person is not None
    # Remove the psychology teacher, add a homeroom teacher.
    kept = [str(p) for p in invited if p != world.accounts["psych"].person_id]
    data = setup_data(leader, page, invited=kept, add_person=str(homeroom.id), recorder_id=str(psych_person.id))
    saved = leader.post(f"/schools/{world.school_id}/meeting/setup?month={MONTH}", data=data, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"].endswith("&ok=2")
    assert 'data-testid="meeting-ok"' in leader.get(saved.headers["location"]).text
    api = leader.get(f"/api/schools/{world.school_id}/meetings/{MONTH}").json()
    names = [a["name"] for a in api["attendees"]]
    assert homeroom.name in names and psych_person.name not in names
    assert api["place"] == "行政楼三楼会议室" and api["starts_at"].startswith("2026-10-21T07:00")  # 15:00 Beijing
    assert api["host"] == world.accounts["leader"].name and api["recorder"] == psych_person.name
    lines = unfold(leader.get(f"/schools/{world.school_id}/meeting.ics?month={MONTH}").text)
    props = {ln.split(":", 1)[0].split(";", 1)[0]: ln for ln in lines if ":" in ln}
    assert props["DTSTART"] == "DTSTART;TZID=Asia/Shanghai:20261021T150000"
    assert props["DTEND"] == "DTEND;TZID=Asia/Shanghai:20261021T163000"
    assert props["LOCATION"] == "LOCATION:行政楼三楼会议室"
    assert "主持人：" in props["DESCRIPTION"] and f"记录人：{psych_person.name}" in props["DESCRIPTION"]
    attendees = [ln for ln in lines if ln.startswith("ATTENDEE")]
    assert any(f"mailto:{homeroom.email}" in ln for ln in attendees) if homeroom.email else True
    assert not any(f"mailto:{psych_person.email}" in ln for ln in attendees)
    printable = leader.get(f"/schools/{world.school_id}/meeting/print?month={MONTH}").text
    assert "2026-10-21 15:00" in printable and "行政楼三楼会议室" in printable
    assert 'data-testid="sign-in"' in printable and homeroom.name in printable.split('data-testid="sign-in"')[1]
    assert f'data-testid="print-recorder">{psych_person.name}<' in printable
    # Only the leader sets it; a bad time or an empty list is refused with a message.
    refused = psych.post(f"/api/schools/{world.school_id}/meetings/{MONTH}/setup",
                         json={"starts_at": "2026-10-21T15:00:00+08:00", "place": "x"})
    assert refused.status_code == 403
    early = leader.post(f"/api/schools/{world.school_id}/meetings/{MONTH}/setup",
                        json={"starts_at": "2026-09-21T15:00:00+08:00", "place": "x"})
    assert early.status_code == 400 and "早于 2026-10 月初" in early.json()["detail"]
    stranger = leader.post(f"/api/schools/{world.school_id}/meetings/{MONTH}/setup",
                           json={"starts_at": "2026-10-21T15:00:00+08:00", "place": "x", "attendee_ids": [999999]})
    assert stranger.status_code == 400 and "不是本校教职工" in stranger.json()["detail"]


def test_decision_rows_name_a_role_or_a_person_and_attendance_is_recorded(
        client_for: ClientFor, world: World, world_engine: Engine, meeting_open: int) -> None:
    leader = client_for("leader")
    url = f"/schools/{world.school_id}/meeting?month={MONTH}"
    page = leader.get(url).text
    more = leader.post(url, data={"csrf_token": form_token(page), "add_row": "1", "minutes": "草稿",
                                  "decision_what": ["一", "二"], "decision_owner": ["", ""],
                                  "decision_due": ["", ""]})
    assert more.status_code == 200 and more.text.count('name="decision_what"') == 3 and "草稿" in more.text
    assert meeting_state(world_engine, world.school_id)[0] == "open"  # adding a row writes nothing
    psych_name = world.accounts["psych"].name
    attended = [str(world.accounts["leader"].person_id)]
    done = leader.post(url, data={"csrf_token": form_token(page), "held_on": "2026-10-20", "minutes": "纪要",
                                  "attended": attended,
                                  "decision_what": ["约谈重点学生家长", "复核A台账"],
                                  "decision_owner": [psych_name, "副组长"],
                                  "decision_due": ["2026-10-28", "2026-10-30"]}, follow_redirects=False)
    assert done.status_code == 303
    _, _, decisions = meeting_state(world_engine, world.school_id)
    assert [(d.title, d.role, d.due.isoformat()) for d in decisions] == [
        ("会议决定：约谈重点学生家长", "psych_teacher", "2026-10-28"), ("会议决定：复核A台账", "deputy", "2026-10-30")]
    assert decisions[0].assignee_id == world.accounts["psych"].person_id
    api = leader.get(f"/api/schools/{world.school_id}/meetings/{MONTH}").json()
    came = {a["person_id"]: a["attended"] for a in api["attendees"]}
    assert came[world.accounts["leader"].person_id] is True and came[world.accounts["psych"].person_id] is False
    printable = leader.get(f"/schools/{world.school_id}/meeting/print?month={MONTH}").text
    assert "缺席" in printable and "✓" in printable


def test_the_author_corrects_the_minutes_within_the_month_and_the_leader_reads_the_history(
        client_for: ClientFor, world: World, world_engine: Engine, meeting_open: int,
        packs_dir_session: Path) -> None:
    leader = client_for("leader")
    recorded = leader.post(f"/api/schools/{world.school_id}/meetings/{MONTH}/minutes",
                           json={"held_on": "2026-10-20", "minutes": "原纪要",
                                 "decision_rows": [{"what": "复核A台账", "owner": "副组长", "due": "2026-10-30"}]})
    assert recorded.status_code == 200
    decision = recorded.json()["decisions"][0]
    number = recorded.json()["decision_numbers"][str(decision["id"])]
    url = f"/schools/{world.school_id}/meeting?month={MONTH}"
    page = leader.get(url).text
    assert 'data-testid="correct-form"' in page
    fixed = leader.post(f"/schools/{world.school_id}/meeting/correct?month={MONTH}",
                        data={"csrf_token": form_token(page), "minutes": "更正后的纪要",
                              f"what_{number}": "复核A、B台账", f"due_{number}": "2026-10-31"},
                        follow_redirects=False)
    assert fixed.status_code == 303 and fixed.headers["location"].endswith("&ok=3")
    assert "纪要已更正" in leader.get(fixed.headers["location"]).text
    with Session(world_engine) as session:
        task = session.get(Task, decision["id"])
        assert task is not None and task.title == "会议决定：复核A、B台账" and task.due.isoformat() == "2026-10-31"
    shown = leader.get(url).text
    history = shown.split('data-testid="meeting-history"')[1]
    assert "<del>原纪要</del>" in history and "<ins>更正后的纪要</ins>" in history and "更正" in history
    assert "复核A台账｜2026-10-30" in history
    # Others may neither correct nor read the history.
    psych = client_for("psych")
    assert 'data-testid="meeting-history"' not in psych.get(url).text
    refused = psych.post(f"/schools/{world.school_id}/meeting/correct?month={MONTH}",
                         data={"csrf_token": form_token(psych.get(url).text), "minutes": "改"})
    assert refused.status_code == 403
    # The next month, the author may not correct any more.
    november = create_app(engine=world_engine, book=PackBook(world_engine),
                          clock=lambda: parse_at("2026-11-03T10:00"), base_url="https://testserver")
    with TestClient(november, base_url="https://testserver") as client:
        sign_in(client, world.accounts["leader"].login)
        later = client.get(url).text
        assert 'data-testid="correct-form"' not in later
        late = client.post(f"/schools/{world.school_id}/meeting/correct?month={MONTH}",
                           data={"csrf_token": form_token(later), "minutes": "再改"})
        assert late.status_code == 403
    with Session(world_engine) as session:
        meeting = session.exec(select(Meeting).where(Meeting.minutes == "更正后的纪要")).one()
        assert meeting.id is not None

