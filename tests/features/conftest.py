"""Steps every feature uses: the school, the clock, advancing the loop, completing and refusing tasks.

Each action is one transaction through the real core (`xinyu.cycle`) on the `engine` fixture; each
step reads what it needs again from the database.
"""

from datetime import date, datetime, time

import pytest
from pytest_bdd import given, then, when
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import CourseRecord, Cycle, District, Meeting, School, SchoolClass, Step, Task
from tests.factories import add_person, make_school
from tests.features.support import (
    STATUS_LABELS,
    AdvanceOutcome,
    Attempt,
    Db,
    SchoolRef,
    attempt,
    class_id,
    course_kind,
    cycle_of,
    default_evidence,
    describe_holder,
    evidence_values,
    find_task,
    holder,
    snapshot,
    step_of,
    step_text,
)
from xinyu.clock import SHANGHAI, as_local
from xinyu.cycle import PackBook, advance, complete_task
from xinyu.cycle.schedule import month_parts, step_dates
from xinyu.db import transaction
from xinyu.grades import parse_grade
from xinyu.roles import Role


@pytest.fixture
def db(engine: Engine) -> Db:
    """`with db() as session:` — one transaction, committed when the block ends."""
    return lambda: transaction(engine)


# --- the school ---------------------------------------------------------------------------------


def _make(db: Db, district: str, name: str, grades: str, n: int, pack: str) -> SchoolRef:
    numbers = []
    for text in grades.removesuffix("各").split("、"):
        grade = parse_grade(text)
        assert grade is not None, f"无法识别年级 {text!r}"
        numbers.append(grade)
    with db() as session:
        fixture = make_school(session, name=name, district_name=district, grades=tuple(numbers),
                              classes_per_grade=n, pack=pack)
        return SchoolRef(id=fixture.id, name=name, pack=pack)


@given(step_text("{district}有一所学校“{name}”，{grades}有{n:d}个班"), target_fixture="school")
def _(db: Db, district: str, name: str, grades: str, n: int) -> SchoolRef:
    return _make(db, district, name, grades, n, "qingdao")


@given(step_text("{district}有一所执行{pack_name}政策的学校“{name}”，{grades}有{n:d}个班"), target_fixture="school")
def _(db: Db, book: PackBook, district: str, pack_name: str, name: str, grades: str, n: int) -> SchoolRef:
    by_name = {book.pack(p).name: p for p in book.pack_ids()}  # the installed packs
    assert pack_name in by_name, f"没有“{pack_name}”政策包（有：{'、'.join(by_name)}）"
    return _make(db, district, name, grades, n, by_name[pack_name])


@given(step_text("每班设有{n:d}名学生心理委员"))
def _(db: Db, school: SchoolRef, n: int) -> None:
    with db() as session:
        school_row = session.get(School, school.id)
        assert school_row is not None
        district = session.get(District, school_row.district_id)
        assert district is not None
        for school_class in session.exec(select(SchoolClass).where(SchoolClass.school_id == school.id)):
            for number in range(1, n + 1):
                add_person(session, name=f"{school.name}{school_class.grade}-{school_class.name}心理委员{number}",
                           role=Role.class_psych_member, district=district, school=school_row,
                           school_class=school_class)


@given(step_text("{month:Month}各班登记了以下心理课程和活动："))
def _(db: Db, book: PackBook, school: SchoolRef, month: str, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    pack = book.pack(school.pack)
    with db() as session:
        for row in rows:
            record = dict(zip(header, row, strict=True))
            held_on = date.fromisoformat(record["日期"])
            session.add(CourseRecord(school_id=school.id, class_id=class_id(session, school, record["班级"]),
                                     held_on=held_on, kind=course_kind(pack, record["类型"]),
                                     topic=record.get("主题", record["类型"]), periods=int(record.get("课时", "1"))))


# --- the clock and the loop ---------------------------------------------------------------------


def _advance(db: Db, book: PackBook, school: SchoolRef, at: datetime) -> AdvanceOutcome:
    with db() as session:
        before = snapshot(session, school)
    with db() as session:
        result = advance(session, now=at, book=book, school_ids=[school.id])
    with db() as session:
        after = snapshot(session, school)
    return AdvanceOutcome(result=result, before=before, after=after)


@given(step_text("系统已在 {at:At} 推进月度闭环"), target_fixture="advance_outcome")
def _(db: Db, book: PackBook, school: SchoolRef, at: datetime) -> AdvanceOutcome:
    return _advance(db, book, school, at)


@when(step_text("系统在 {at:At} 推进月度闭环"), target_fixture="advance_outcome")
@when(step_text("系统在 {at:At} 再次推进月度闭环"), target_fixture="advance_outcome")
def _(db: Db, book: PackBook, school: SchoolRef, at: datetime) -> AdvanceOutcome:
    return _advance(db, book, school, at)


def complete_step_tasks(db: Db, book: PackBook, school: SchoolRef, step_id: int, at: datetime) -> None:
    """Every task the step waits for, done by its assignee with a complete form; later phases too."""
    for _round in range(5):
        with db() as session:
            ids = list(session.exec(select(Task.id).where(Task.step_id == step_id, Task.status == "open",
                                                          col(Task.blocks_step)).order_by(col(Task.id))))
        if not ids:
            return
        for task_id in ids:
            with db() as session:
                task = session.get(Task, task_id)
                assert task is not None and task_id is not None
                complete_task(session, task_id=task_id, values=default_evidence(session, book, task, at.date()),
                              now=at, book=book)
    raise AssertionError("步骤的任务在五轮之后仍未完成")


@given(step_text("“{label}”步骤的任务已于 {at:At} 全部完成"))
@when(step_text("“{label}”步骤的任务于 {at:At} 全部完成"))
def _(db: Db, book: PackBook, school: SchoolRef, label: str, at: datetime) -> None:
    with db() as session:
        step = step_of(session, book, school, label)
        assert step.status == "open", f"“{label}”步骤应已开启，实为{STATUS_LABELS[step.status]}"
        step_id = step.id
    assert step_id is not None
    complete_step_tasks(db, book, school, step_id, at)


@given(step_text("{month:Month}的闭环已按时推进到“{label}”步骤，该步骤于 {day:Day} 开启"))
def _(db: Db, book: PackBook, school: SchoolRef, month: str, label: str, day: date) -> None:
    """Each earlier step opens on its earliest day at 09:00 and its tasks are done at once."""
    year, number = month_parts(month)
    pack, work = book.pack(school.pack), book.calendar(school.pack)
    at = datetime(year, number, 1, tzinfo=SHANGHAI)
    for rule in pack.steps_for(number):
        earliest, _ = step_dates(rule, month, work)
        at = max(at, datetime.combine(earliest, time(9), tzinfo=SHANGHAI))
        _advance(db, book, school, at)
        with db() as session:
            step = step_of(session, book, school, rule.label, month)
            assert step.status == "open", f"“{rule.label}”应于 {at} 开启，实为{STATUS_LABELS[step.status]}"
            step_id, opened_at = step.id, step.opened_at
        assert step_id is not None and opened_at is not None
        if rule.label == label:
            assert as_local(opened_at).date() == day, f"“{label}”于 {as_local(opened_at).date()} 开启"
            return
        complete_step_tasks(db, book, school, step_id, at)
    raise AssertionError(f"{month}的周期没有“{label}”步骤")


# --- completing tasks ---------------------------------------------------------------------------


def _complete(db: Db, book: PackBook, school: SchoolRef, who: str, task_title: str, at: datetime,
              table: list[list[str]], *, carried: bool | None = None) -> None:
    with db() as session:
        person = holder(session, school, who)
        task = find_task(session, school, task_title, who=person, carried=carried)
        assert task.id is not None
        complete_task(session, task_id=task.id, values=evidence_values(session, book, task, table), now=at,
                      book=book, by=person.person_id)


@given(step_text("{who}于 {at:At} 完成“{task}”，填写："))
@when(step_text("{who}于 {at:At} 完成“{task}”，填写："))
def _(db: Db, book: PackBook, school: SchoolRef, who: str, at: datetime, task: str,
      datatable: list[list[str]]) -> None:
    _complete(db, book, school, who, task, at, datatable)


@given(step_text("{who}于 {at:At} 完成上月结转的“{task}”，填写："))
@when(step_text("{who}于 {at:At} 完成上月结转的“{task}”，填写："))
def _(db: Db, book: PackBook, school: SchoolRef, who: str, at: datetime, task: str,
      datatable: list[list[str]]) -> None:
    _complete(db, book, school, who, task, at, datatable, carried=True)


@when(step_text("{who}于 {at:At} 提交“{task}”，填写："), target_fixture="attempt")
@when(step_text("{who}于 {at:At} 提交{klass}的“{task}”，填写："), target_fixture="attempt")
def _(db: Db, book: PackBook, school: SchoolRef, who: str, at: datetime, task: str,
      datatable: list[list[str]], klass: str | None = None) -> Attempt:
    def action(session: Session) -> None:
        person = holder(session, school, who)
        target = class_id(session, school, klass) if klass else None
        found = find_task(session, school, task, who=person, class_id_=target)
        assert found.id is not None
        complete_task(session, task_id=found.id, values=evidence_values(session, book, found, datatable), now=at,
                      book=book, by=person.person_id)

    return attempt(db, school, action)


@then(step_text("系统拒绝，提示“{text}”"))
def _(attempt: Attempt, text: str) -> None:
    assert attempt.error is not None, "系统应拒绝，却接受了"
    assert text in attempt.error, f"提示应含“{text}”，实为：{attempt.error}"


@then("学校的记录没有任何变化")
def _(attempt: Attempt) -> None:
    assert attempt.after == attempt.before


# --- what the school sees -----------------------------------------------------------------------


@then(step_text("“{label}”步骤已开启，截止日期为 {day:Day}"))
def _(db: Db, book: PackBook, school: SchoolRef, label: str, day: date) -> None:
    with db() as session:
        step = step_of(session, book, school, label)
        assert (step.status, step.due) == ("open", day), (STATUS_LABELS[step.status], step.due)


@then(step_text("“{label}”步骤按日历应于 {day:Day} 截止"))
def _(db: Db, book: PackBook, school: SchoolRef, label: str, day: date) -> None:
    with db() as session:
        assert step_of(session, book, school, label).calendar_due == day


def _step_status(db: Db, book: PackBook, school: SchoolRef, label: str, expected: str) -> None:
    with db() as session:
        step = step_of(session, book, school, label)
        assert step.status == expected, f"“{label}”应为{STATUS_LABELS[expected]}，实为{STATUS_LABELS[step.status]}"


@then(step_text("“{label}”步骤尚未开启"))
def _(db: Db, book: PackBook, school: SchoolRef, label: str) -> None:
    _step_status(db, book, school, label, "pending")


@then(step_text("“{label}”步骤仍在进行中"))
def _(db: Db, book: PackBook, school: SchoolRef, label: str) -> None:
    _step_status(db, book, school, label, "open")


@then(step_text("“{label}”步骤已完成"))
def _(db: Db, book: PackBook, school: SchoolRef, label: str) -> None:
    _step_status(db, book, school, label, "done")


@then(step_text("{who}收到任务“{task}”，截止日期为 {day:Day}"))
def _(db: Db, school: SchoolRef, who: str, task: str, day: date) -> None:
    with db() as session:
        person = holder(session, school, who)
        found = find_task(session, school, task, who=person)
        assert found.status == "open", f"任务“{found.title}”应待办，实为{STATUS_LABELS[found.status]}"
        assert found.assignee_id == person.person_id, f"任务交给了{describe_holder(session, found.assignee_id)}"
        assert found.due == day, f"截止日期为 {found.due}"


@then(step_text("{who}没有收到“{task}”任务"))
def _(db: Db, school: SchoolRef, who: str, task: str) -> None:
    with db() as session:
        person = holder(session, school, who)
        cycle = cycle_of(session, school)
        titles = [t.title for t in session.exec(select(Task).where(
            Task.cycle_id == cycle.id, Task.assignee_id == person.person_id)) if task in t.title]
        assert not titles, f"{who}收到了：{titles}"


@then(step_text("“{label}”步骤有以下任务："))
def _(db: Db, book: PackBook, school: SchoolRef, label: str, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    with db() as session:
        step = step_of(session, book, school, label)
        actual = [
            {"任务": t.title, "负责人": describe_holder(session, t.assignee_id), "截止日期": t.due.isoformat(),
             "状态": STATUS_LABELS[t.status]}
            for t in session.exec(select(Task).where(Task.step_id == step.id).order_by(col(Task.id)))
        ]
    assert [[a[h] for h in header] for a in actual] == rows


@then(step_text("{month:Month}的周期依次为以下步骤："))
def _(db: Db, book: PackBook, school: SchoolRef, month: str, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    with db() as session:
        cycle = cycle_of(session, school, month)
        pack = book.pack(cycle.pack, cycle.pack_version)
        labels = {r.key: r.label for r in pack.steps_for(int(month[5:]))}
        actual = [
            {"步骤": labels[s.key], "状态": STATUS_LABELS[s.status], "最早开启": s.earliest.isoformat(),
             "截止日期": (s.due or s.calendar_due).isoformat()}
            for s in session.exec(select(Step).where(Step.cycle_id == cycle.id).order_by(col(Step.order)))
        ]
    assert [[a[h] for h in header] for a in actual] == rows


@then(step_text("{month:Month}的周期已结束"))
def _(db: Db, school: SchoolRef, month: str) -> None:
    with db() as session:
        cycle = session.exec(select(Cycle).where(Cycle.school_id == school.id, Cycle.month == month)).one()
        assert cycle.status == "closed", STATUS_LABELS[cycle.status]


@then(step_text("本月专题会议议程列出“{text}”"))
def _(db: Db, school: SchoolRef, text: str) -> None:
    with db() as session:
        cycle = cycle_of(session, school)
        meeting = session.exec(select(Meeting).where(Meeting.cycle_id == cycle.id)).first()
        assert meeting is not None, f"{cycle.month}还没有生成专题会议议程"
        assert text in meeting.agenda, f"议程中没有“{text}”：\n{meeting.agenda}"


@then(step_text("{who}的“{task}”任务已完成"))
def _(db: Db, school: SchoolRef, who: str, task: str) -> None:
    with db() as session:
        person = holder(session, school, who)
        found = find_task(session, school, task, who=person)
        assert found.status == "done", STATUS_LABELS[found.status]
        assert found.completed_by_id == person.person_id


@then(step_text("本月专题会议议程没有列出“{text}”"))
def _(db: Db, school: SchoolRef, text: str) -> None:
    with db() as session:
        cycle = cycle_of(session, school)
        meeting = session.exec(select(Meeting).where(Meeting.cycle_id == cycle.id)).one()
        assert text not in meeting.agenda, f"议程中不应有“{text}”：\n{meeting.agenda}"


from tests.web.app_fixtures import (  # noqa: E402, F401  (the web app's world, for features driving the web app)
    client_for,
    packs_dir_session,
    web_app,
    world,
    world_engine,
    world_template,
)
