"""What completing a task does besides marking it done: the "1+1" check, the meeting's decisions,
the monthly report to the district (without student names) and the file sink that delivers it."""

import re
from datetime import date, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import NamedTuple

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import (
    Cycle,
    District,
    KeyStudentPlan,
    Meeting,
    MonthlyReport,
    OutboxMessage,
    Person,
    Student,
    TalkRecord,
    Task,
)
from notifications.dispatcher import dispatch_to_files
from tests.core.helpers import (
    add_course_records,
    add_crisis_cases,
    at,
    cycle_of,
    drive_to,
    snapshot,
    steps_of,
    tasks_of,
)
from tests.factories import SchoolFixture, add_person, make_school
from xinyu.cycle import CompletionError, PackBook, advance, complete_task
from xinyu.cycle.actions.course_check import check_courses
from xinyu.cycle.actions.meeting import Decision, parse_decisions
from xinyu.cycle.actions.report import file_monthly_report
from xinyu.cycle.evidence import EvidenceError
from xinyu.cycle.org_index import load_org_index
from xinyu.db import transaction
from xinyu.roles import Role

OCTOBER = "2026-10"
NAMES = ["张小明", "李小红"]


def only_task(session: Session, cycle_id: int | None, template: str) -> Task:
    (task,) = tasks_of(session, cycle_id, template=template, status="open")
    return task


# --- "1+1" course check (QD-T5) ---------------------------------------------------------------------------


@pytest.fixture
def three_classes(session: Session) -> SchoolFixture:
    school = make_school(session, classes_per_grade=3)
    full, lesson_only, nothing = school.classes
    add_course_records(session, school.id, full.id, "lesson", "activity")
    add_course_records(session, school.id, lesson_only.id, "lesson", "lesson")
    return school


def run_course_check(session: Session, book: PackBook, school: SchoolFixture) -> tuple[Cycle, datetime]:
    """October driven to the course check, and the check confirmed: the rectifications are made."""
    now = drive_to(session, book, school.id, OCTOBER, "course_check")
    cycle = cycle_of(session, school.id, OCTOBER)
    complete_task(session, task_id=only_task(session, cycle.id, "check").id or 0, values={"confirmed": "是"},
                  now=now, book=book)
    return cycle, now


def test_the_course_check_gives_each_short_class_a_rectification_task(
    session: Session, book: PackBook, three_classes: SchoolFixture,
) -> None:
    school = three_classes
    cycle, now = run_course_check(session, book, school)

    _, lesson_only, nothing = school.classes
    rectifications = tasks_of(session, cycle.id, kind="rectification")
    assert [(t.class_id, t.title) for t in rectifications] == [
        (lesson_only.id, "四年级2班“1+1”整改：10月缺心理健康专题活动"),
        (nothing.id, "四年级3班“1+1”整改：10月缺心理健康教育课、心理健康专题活动"),
    ]
    for task in rectifications:
        # Due 5 working days after the check on 28 October: 29, 30 October, 2, 3, 4 November.
        assert (task.role, task.assignee_id, task.due, task.blocks_step, task.step_id, task.origin_cycle_id) == (
            "homeroom", school.people[f"homeroom:{task.class_id}"].id, date(2026, 11, 4), False, None, cycle.id)
    assert steps_of(session, cycle.id)["course_check"].status == "done"


def test_running_the_course_check_again_creates_no_duplicate(
    session: Session, book: PackBook, three_classes: SchoolFixture,
) -> None:
    school = three_classes
    cycle, now = run_course_check(session, book, school)
    before = len(tasks_of(session, cycle.id))
    check_courses(session, origin=cycle, current=cycle, now=at("2026-10-29"), book=book,
                  org=load_org_index(session, [school.id]))
    session.flush()
    assert len(tasks_of(session, cycle.id)) == before
    assert len(tasks_of(session, cycle.id, kind="rectification")) == 2


def test_a_compliant_school_gets_no_rectification(session: Session, book: PackBook) -> None:
    school = make_school(session)
    for school_class in school.classes:
        add_course_records(session, school.id, school_class.id, "lesson", "activity")
    cycle, now = run_course_check(session, book, school)
    assert tasks_of(session, cycle.id, kind="rectification") == []


def test_a_check_carried_into_november_checks_octobers_records(
    session: Session, book: PackBook, three_classes: SchoolFixture,
) -> None:
    school = three_classes
    drive_to(session, book, school.id, OCTOBER, "course_check")
    add_course_records(session, school.id, school.classes[2].id, "lesson", "activity", held_on=date(2026, 11, 2))
    advance(session, now=at("2026-11-02"), book=book)
    october, november = cycle_of(session, school.id, OCTOBER), cycle_of(session, school.id, "2026-11")
    carried_check = next(t for t in tasks_of(session, november.id, template="check") if t.carried_over)
    complete_task(session, task_id=carried_check.id or 0, values={"confirmed": "是"}, now=at("2026-11-03"),
                  book=book)
    rectifications = tasks_of(session, november.id, kind="rectification")
    # November's records of class 3 do not make up October's shortfall.
    assert [t.class_id for t in rectifications] == [school.classes[1].id, school.classes[2].id]
    assert {(t.origin_cycle_id, t.due) for t in rectifications} == {(october.id, date(2026, 11, 10))}


def test_a_rectification_needs_its_measure_and_the_make_up_date(
    session: Session, book: PackBook, three_classes: SchoolFixture,
) -> None:
    school = three_classes
    cycle, now = run_course_check(session, book, school)
    task = tasks_of(session, cycle.id, kind="rectification")[0]
    with pytest.raises(CompletionError, match="缺少必填项“补开日期”"):
        complete_task(session, task_id=task.id or 0, values={"measure": "补开专题活动"}, now=now, book=book)
    complete_task(session, task_id=task.id or 0, values={"measure": "补开专题活动", "made_up_on": "2026-11-03"},
                  now=at("2026-11-03"), book=book)
    assert (task.status, task.evidence["made_up_on"]) == ("done", "2026-11-03")


# --- meeting minutes and decisions (QD-S1b) ---------------------------------------------------------------


def test_decision_lines_are_read_with_either_bar_and_blank_lines_skipped() -> None:
    text = "开展家长心理健康讲座｜副组长｜2026-10-30\n\n 组织心理委员培训 | 心理老师 | 2026/11/05 \n"
    assert parse_decisions(text, held_on=date(2026, 10, 15)) == [
        Decision("开展家长心理健康讲座", Role.deputy, date(2026, 10, 30)),
        Decision("组织心理委员培训", Role.psych_teacher, date(2026, 11, 5)),
    ]


@pytest.mark.parametrize(("line", "problem"), [
    ("开展家长讲座，副组长，月底前", "第1行应为“事项｜负责角色｜截止日期”"),
    ("开展家长讲座｜家长委员会｜2026-10-30", "第1行负责角色“家长委员会”不是学校教职工角色"),
    ("开展家长讲座｜心理委员｜2026-10-30", "第1行负责角色“心理委员”不是学校教职工角色"),
    ("开展家长讲座｜副组长｜月底", "第1行截止日期应为 YYYY-MM-DD，实为 '月底'"),
    ("开展家长讲座｜副组长｜2026-10-14", "第1行截止日期 2026-10-14 早于会议日期 2026-10-15"),
])
def test_a_bad_decision_line_is_refused_with_its_number(line: str, problem: str) -> None:
    with pytest.raises(EvidenceError, match=problem):
        parse_decisions(line, held_on=date(2026, 10, 15))


def test_every_bad_decision_line_is_reported_at_once() -> None:
    text = "开展家长讲座｜副组长｜2026-10-30\n只有一段话\n组织培训｜门卫｜2026-10-30"
    with pytest.raises(EvidenceError) as refused:
        parse_decisions(text, held_on=date(2026, 10, 15))
    assert "第2行" in str(refused.value) and "第3行" in str(refused.value) and "第1行" not in str(refused.value)


def test_recorded_minutes_turn_each_decision_into_a_task(session: Session, book: PackBook) -> None:
    school = make_school(session)
    drive_to(session, book, school.id, OCTOBER, "meeting")
    cycle = cycle_of(session, school.id, OCTOBER)
    minutes = only_task(session, cycle.id, "minutes")
    complete_task(session, task_id=minutes.id or 0, now=at("2026-10-15", 17), book=book, values={
        "held_on": "2026-10-15", "minutes": "研判本月学生心理状况",
        "decisions": "开展家长心理健康讲座｜副组长｜2026-10-30\n组织心理委员培训｜专职心理教师｜2026-11-05",
    })
    decisions = tasks_of(session, cycle.id, kind="decision")
    assert [(t.title, t.role, t.assignee_id, t.due, t.step_key, t.blocks_step) for t in decisions] == [
        ("会议决定：开展家长心理健康讲座", "deputy", school.people["deputy"].id, date(2026, 10, 30), "meeting", False),
        ("会议决定：组织心理委员培训", "psych_teacher", school.people["psych_teacher"].id, date(2026, 11, 5),
         "meeting", False),
    ]
    meeting = session.exec(select(Meeting).where(Meeting.cycle_id == cycle.id)).one()
    assert (meeting.held_on, meeting.minutes, meeting.recorded_at) == (date(2026, 10, 15), "研判本月学生心理状况",
                                                                        at("2026-10-15", 17))
    assert meeting.agenda.startswith("# 青岛市实验小学 心理健康工作领导小组 2026年10月专题会议议程")


def test_a_decision_for_homeroom_teachers_goes_to_each_class_and_only_its_teacher_may_complete_it(
    session: Session, book: PackBook,
) -> None:
    school = make_school(session)
    drive_to(session, book, school.id, OCTOBER, "meeting")
    cycle = cycle_of(session, school.id, OCTOBER)
    complete_task(session, task_id=only_task(session, cycle.id, "minutes").id or 0, now=at("2026-10-15"),
                  book=book, values={"held_on": "2026-10-15", "minutes": "研判",
                                     "decisions": "完成重点学生家访｜班主任｜2026-10-30"})
    decisions = tasks_of(session, cycle.id, kind="decision")
    teachers = {c.id: school.people[f"homeroom:{c.id}"] for c in school.classes}
    assert sorted((t.class_id, t.assignee_id, t.title) for t in decisions) == sorted(
        (class_id, person.id, "会议决定：完成重点学生家访") for class_id, person in teachers.items())
    first, second = sorted(decisions, key=lambda t: t.class_id or 0)
    other_teacher = teachers[second.class_id or 0]
    with pytest.raises(CompletionError, match=f"{other_teacher.name} 不是任务 #{first.id} 的负责人"):
        complete_task(session, task_id=first.id or 0, values={"result": "已家访"}, now=at("2026-10-16"),
                      book=book, by=other_teacher.id)
    complete_task(session, task_id=first.id or 0, values={"result": "已家访"}, now=at("2026-10-16"), book=book)
    assert (first.status, first.completed_by_id) == ("done", teachers[first.class_id or 0].id)


def test_minutes_with_a_bad_decision_line_are_refused_and_nothing_is_written(engine: Engine, book: PackBook) -> None:
    with transaction(engine) as session:
        school = make_school(session)
        drive_to(session, book, school.id, OCTOBER, "meeting")
        minutes_id = only_task(session, cycle_of(session, school.id, OCTOBER).id, "minutes").id
    rows = snapshot(engine)
    with pytest.raises(CompletionError) as refused, transaction(engine) as session:
        complete_task(session, task_id=minutes_id or 0, now=at("2026-10-15", 17), book=book, values={
            "held_on": "2026-10-15", "minutes": "研判",
            "decisions": "开展家长心理健康讲座｜副组长｜2026-10-30\n组织培训，心理老师，下周",
        })
    message = str(refused.value)
    assert message.startswith(f"任务 #{minutes_id}「召开心理健康工作领导小组月度专题会议并录入纪要」：会议决定无法登记")
    assert "第2行应为“事项｜负责角色｜截止日期”，实为 '组织培训，心理老师，下周'" in message
    assert snapshot(engine) == rows  # the task is not done, no minutes, no decision task


# --- the monthly report to the district, without student names (DESIGN principle 7) ----------------------


class NamedMonth(NamedTuple):
    school: SchoolFixture
    case_ids: list[int]
    officers: list[Person]  # of the school's own district


def month_with_named_students(session: Session, book: PackBook) -> NamedMonth:
    """A month run to its end in a school whose ledgers hold named students and open crisis cases."""
    school = make_school(session)
    district = session.exec(select(District).where(District.id == school.school.district_id)).one()
    second_officer = add_person(session, name="市南区第二负责人", role=Role.district_officer, district=district)
    elsewhere = District(name="崂山区")
    session.add(elsewhere)
    session.flush()
    add_person(session, name="崂山区负责人", role=Role.district_officer, district=elsewhere)
    cases = add_crisis_cases(session, school, NAMES)
    student_id = session.exec(select(Student.id).where(Student.name == NAMES[0])).one() or 0
    session.add(KeyStudentPlan(school_id=school.id, student_id=student_id, opened_on=date(2026, 9, 26),
                               difficulties=f"{NAMES[0]}近期情绪低落"))
    session.add(TalkRecord(school_id=school.id, student_id=student_id, kind="谈心", held_on=date(2026, 10, 9),
                           summary=f"与{NAMES[0]}谈心"))
    advance(session, now=at("2026-10-08"), book=book)
    cycle = cycle_of(session, school.id, OCTOBER)
    for report in tasks_of(session, cycle.id, template="class_report"):
        picked = session.exec(select(Student.student_no).where(Student.class_id == report.class_id)
                              .order_by(col(Student.student_no))).all()[:2]  # picks: ledger B proposals too
        complete_task(session, task_id=report.id or 0, now=at("2026-10-08", 16), book=book, values={
            "attention_students": ",".join(picked), "committee_consulted": "是", "note": f"{NAMES[1]}与同学发生矛盾"})
    now = drive_to(session, book, school.id, OCTOBER, "feedback")
    complete_task(session, task_id=only_task(session, cycle.id, "report").id or 0, now=now, book=book,
                  values={"summary": "本月闭环工作按期完成"})
    return NamedMonth(school, [c.id or 0 for c in cases], [school.people["district_officer"], second_officer])


def test_the_feedback_files_a_report_and_queues_it_once_for_each_district_officer(session: Session,
                                                                                  book: PackBook) -> None:
    school, _, officers = month_with_named_students(session, book)
    cycle = cycle_of(session, school.id, OCTOBER)
    report = session.exec(select(MonthlyReport)).one()
    assert (report.cycle_id, report.school_id, report.month) == (cycle.id, school.id, OCTOBER)
    assert "本月闭环工作按期完成" in report.body and "本月已更新台账：A、B、C、D" in report.body

    messages = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.recipient_id))).all()
    assert [(m.recipient_id, m.address) for m in messages] == [(p.id, p.email) for p in officers]
    for message in messages:
        assert (message.status, message.channel, message.body_text) == ("queued", "email", report.body)
        assert message.subject == "【心育月报】青岛市实验小学 2026年10月工作报告"
        assert message.dedupe_key == f"monthly-report:{cycle.id}:p{message.recipient_id}:email"


def test_filing_the_report_again_replaces_it_and_queues_nothing_new(session: Session, book: PackBook) -> None:
    school, _, _ = month_with_named_students(session, book)
    cycle = cycle_of(session, school.id, OCTOBER)
    task = tasks_of(session, cycle.id, template="report")[0]
    file_monthly_report(session, task=task, origin=cycle, evidence={"summary": "更正后的小结"},
                        now=at("2026-10-30"), book=book)
    session.flush()
    report = session.exec(select(MonthlyReport)).one()
    assert "更正后的小结" in report.body
    assert len(session.exec(select(OutboxMessage)).all()) == 2


def test_no_student_name_reaches_the_report_the_emails_or_the_agenda(session: Session, book: PackBook) -> None:
    school, case_ids, _ = month_with_named_students(session, book)
    cycle = cycle_of(session, school.id, OCTOBER)
    report = session.exec(select(MonthlyReport)).one().body
    agenda = session.exec(select(Meeting).where(Meeting.cycle_id == cycle.id)).one().agenda
    messages = session.exec(select(OutboxMessage)).all()
    # The documents do speak of these students, by count and case number.
    assert "\n  未结案危机个案：严重 2 例\n  “一生一谈一案一反馈”" in report  # each on its own line
    assert all(re.search(rf"个案 C-{case_id}（严重，已 \d+ 天）：下一步 ", agenda) for case_id in case_ids)
    assert "重度 2 人" in agenda and "各班摸排需关注学生合计 2 人" in agenda
    # QD-2 coverage: counts in the report and a line on the agenda, never names
    assert "重点关爱学生 1 人，成长方案已确立 0 人，家庭已反馈 0 人" in report and "已谈心 1/" in report
    assert "“一生一谈一案一反馈”（2026年秋季学期，QD-2）：已谈心 1/" in agenda
    texts = [report, agenda] + [m.subject for m in messages] + [m.body_text for m in messages] + [
        m.body_html or "" for m in messages]
    for name in NAMES:
        assert not [text for text in texts if name in text], name


def test_a_student_named_by_mistake_in_the_report_text_is_replaced_before_it_leaves(
    session: Session, book: PackBook
) -> None:
    school, _, _ = month_with_named_students(session, book)
    cycle = cycle_of(session, school.id, OCTOBER)
    task = tasks_of(session, cycle.id, template="report")[0]
    typed = {"summary": f"{NAMES[0]}已转介，{NAMES[1]}情况稳定", "issues": f"{NAMES[0]}复学需医院证明"}
    file_monthly_report(session, task=task, origin=cycle, evidence=typed, now=at("2026-10-30"), book=book)
    session.flush()
    report = session.exec(select(MonthlyReport)).one().body
    assert "某同学已转介，某同学情况稳定" in report and "某同学复学需医院证明" in report
    assert not [name for name in NAMES if name in report]


def test_the_file_sink_writes_one_eml_per_queued_email_once(engine: Engine, book: PackBook, tmp_path: Path) -> None:
    with transaction(engine) as session:
        month_with_named_students(session, book)
    folder = tmp_path / "outbox"
    assert dispatch_to_files(engine, folder=folder, now=at("2026-10-29", 18)).sent == 2
    files = sorted(folder.glob("*.eml"))
    with Session(engine) as session:
        messages = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
    assert [f.name for f in files] == [f"{m.id:08d}.eml" for m in messages]
    for path, message in zip(files, messages, strict=True):
        email = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert (email["To"], email["Subject"]) == (message.address, message.subject)
        assert (message.status, message.sent_at, message.attempts) == ("sent", at("2026-10-29", 18), 1)
        assert not any(name in path.read_bytes().decode() for name in NAMES)
    written = {f.name: f.read_bytes() for f in files}

    assert dispatch_to_files(engine, folder=folder, now=at("2026-10-29", 19)).sent == 0
    assert {f.name: f.read_bytes() for f in folder.glob("*.eml")} == written
    with Session(engine) as session:
        assert [m.attempts for m in session.exec(select(OutboxMessage))] == [1, 1]
