"""A staff roster as the whole roster of its schools (`xinyu import FILE --replace`): plan → preview → apply."""

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import AuditEntry, Cycle, Person, RoleAssignment, School, SchoolClass, Task
from tests.roster_files import DISTRICT, STAFF_ROWS, STUDENT_HEADERS, STUDENT_ROWS, row_counts, staff_file, write_table
from xinyu.access import load_viewer
from xinyu.db import transaction
from xinyu.roster import RosterError, Within, import_file
from xinyu.roster.replace import apply_replace, preview_replace

AT = datetime.fromisoformat("2026-09-01T09:00+08:00")
SENIOR = "青岛第五十八中学"

# The district of tests.roster_files, and 钱老师 also heads a department at 第二十六中学.
BASE: list[list[Any]] = [*STAFF_ROWS,
                         [DISTRICT, "第二十六中学", "初中", "", "", "钱老师", "部门负责人", "", "13800000004"]]
# 58中's whole roster now: 赵年级 no longer teaches 1班, 钱老师 has left, 冯老师 takes 1班 and 2班.
SENIOR_NOW: list[list[Any]] = [
    [DISTRICT, SENIOR, "高中", "", "", "李校长", "组长", "li@school.example.cn", "13800000002"],
    [DISTRICT, SENIOR, "高中", "高一", "", "赵年级", "年级主任", "", "13800000003"],
    [DISTRICT, SENIOR, "高中", "高一", "1班", "冯老师", "班主任", "", "13800000009"],
    [DISTRICT, SENIOR, "高中", "高一", "2班", "冯老师", "班主任", "", "13800000009"],
    [DISTRICT, SENIOR, "高中", "高一", "1", "孙同学", "心理委员", "", ""],
]


@pytest.fixture
def district(engine: Engine, tmp_path: Path) -> Engine:
    import_file(engine, staff_file(tmp_path, BASE, name="base.csv"), now=AT)
    return engine


def roles_of(engine: Engine, phone: str) -> set[tuple[str, str]]:
    with Session(engine) as session:
        rows = session.exec(select(RoleAssignment.role, School.name)  # type: ignore[call-overload]
                            .join(Person, col(Person.id) == col(RoleAssignment.person_id))
                            .join(School, col(School.id) == col(RoleAssignment.school_id))
                            .where(Person.phone == phone))
        return set(rows)


def person_id(engine: Engine, phone: str) -> int:
    with Session(engine) as session:
        person = session.exec(select(Person).where(Person.phone == phone)).one()
        assert person.id is not None
        return person.id


def snapshot(engine: Engine) -> tuple[dict[str, int], list[tuple[Any, ...]]]:
    with Session(engine) as session:
        roles = sorted(session.exec(select(RoleAssignment.id, RoleAssignment.person_id,  # type: ignore[call-overload]
                                           RoleAssignment.role, RoleAssignment.scope_key)))
    return row_counts(engine), roles


def test_replace_adds_changes_and_withdraws_only_at_the_schools_it_names(district: Engine, tmp_path: Path) -> None:
    path = staff_file(tmp_path, SENIOR_NOW, name="58中名册.csv")
    qian = person_id(district, "13800000004")
    with transaction(district) as session:
        report = apply_replace(session, path, now=AT)
    (school,) = report.schools
    assert (school.school, len(school.added), len(school.changed), len(school.withdrawn), school.unchanged) == (
        SENIOR, 1, 1, 1, 2)
    assert [p.line for p in school.added] == ["冯老师：班主任（高一1班）、班主任（高一2班）"]
    assert [p.line for p in school.changed] == ["赵年级：年级主任（高一）、班主任（高一1班） → 年级主任（高一）"]
    assert [p.line for p in school.withdrawn] == ["钱老师：班主任（高一2班）"]
    assert school.roles_lost == 2
    text = "\n".join(report.lines())
    assert "已整体替换 58中名册.csv" in text and "撤销 钱老师：班主任（高一2班）" in text
    assert "孙同学" not in text  # a student role holder is 某同学 in what goes out

    assert roles_of(district, "13800000004") == {("department_head", "第二十六中学")}  # her other school stays
    assert roles_of(district, "13800000003") == {("grade_head", SENIOR)}
    assert roles_of(district, "13800000009") == {("homeroom", SENIOR)}
    assert roles_of(district, "13800000005") == {("homeroom", "青岛市实验小学")}  # another school untouched
    with Session(district) as session:
        assert session.get(Person, qian) is not None  # the person stays
        viewer = load_viewer(session, qian)
        senior_id = session.exec(select(School.id).where(School.name == SENIOR)).one()
        assert viewer is not None and senior_id not in viewer.school_ids  # her access to 58中 ends at once
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "roster_replace")).one()
    detail = json.loads(entry.detail)
    assert detail["schools"] == [senior_id] and detail["withdrawn_people"] == [qian]
    assert len(detail["withdrawn_roles"]) == 2 and detail["added"] == 1 and detail["changed"] == 1
    assert "钱老师" not in entry.detail and "孙同学" not in entry.detail

    with transaction(district) as session:  # the same file again: nothing left to change
        again = apply_replace(session, path, now=AT)
    assert (again.roles_lost, again.schools[0].unchanged, again.schools[0].added) == (0, 4, [])


def test_preview_changes_nothing_and_shows_what_apply_does(district: Engine, tmp_path: Path) -> None:
    path = staff_file(tmp_path, SENIOR_NOW, name="58中名册.csv")
    before = snapshot(district)
    with Session(district) as session:
        preview = preview_replace(session, path)
    assert snapshot(district) == before
    assert preview.lines()[0].startswith("预览（未做任何修改）")
    assert preview.lines()[-1] == "确认无误后，去掉 --preview 再运行一次即执行替换"
    with transaction(district) as session:
        applied = apply_replace(session, path, now=AT, expected=preview.digest())
    assert [p.line for p in applied.schools[0].withdrawn] == [p.line for p in preview.schools[0].withdrawn]


def test_a_bad_row_changes_nothing(district: Engine, tmp_path: Path) -> None:
    rows = [list(r) for r in SENIOR_NOW]
    rows[2][6] = "班主人"
    before = snapshot(district)
    with pytest.raises(RosterError) as raised, transaction(district) as session:
        apply_replace(session, staff_file(tmp_path, rows, name="坏名册.csv"), now=AT)
    assert [str(e) for e in raised.value.errors] == [
        "坏名册.csv 第4行 “角色”列：“班主人”不是已知角色（应为：" + "、".join(
            __import__("xinyu.roles", fromlist=["role_labels"]).role_labels()) + "）"]
    assert snapshot(district) == before


def test_a_confirmation_applies_only_what_was_previewed(district: Engine, tmp_path: Path) -> None:
    path = staff_file(tmp_path, SENIOR_NOW, name="58中名册.csv")
    with Session(district) as session:
        digest = preview_replace(session, path).digest()
    import_file(district, staff_file(tmp_path, [[DISTRICT, SENIOR, "高中", "", "", "何老师", "副组长", "",
                                                 "13800000010"]], name="补充.csv"), now=AT)
    before = snapshot(district)
    with pytest.raises(RosterError, match="在预览之后已有变化"), transaction(district) as session:
        apply_replace(session, path, now=AT, expected=digest)
    assert snapshot(district) == before


def test_a_student_list_is_refused(district: Engine, tmp_path: Path) -> None:
    path = write_table(tmp_path / "students.csv", STUDENT_HEADERS, STUDENT_ROWS)
    with pytest.raises(RosterError, match="只有教职工名单可以作为完整名册整体替换"), Session(district) as session:
        preview_replace(session, path)


def test_a_file_naming_another_school_is_refused_where_one_school_may_be_named(district: Engine,
                                                                              tmp_path: Path) -> None:
    rows = [*SENIOR_NOW, [DISTRICT, "青岛市实验小学", "小学", "三年级", "3班", "周老师", "班主任", "", "13800000005"]]
    with pytest.raises(RosterError) as raised, Session(district) as session:
        preview_replace(session, staff_file(tmp_path, rows), within=Within(DISTRICT, SENIOR))
    assert [str(e) for e in raised.value.errors] == [
        f"staff.csv 第7行 “学校”列：“青岛市实验小学”不是本校（此处只能导入“{SENIOR}”的名单）"]


def open_task(session: Session, school_id: int, assignee: int, role: str, class_id: int | None, key: str,
              status: str = "open") -> int:
    cycle = session.exec(select(Cycle).where(Cycle.school_id == school_id)).first()
    if cycle is None:
        cycle = Cycle(school_id=school_id, month="2026-09", pack="qingdao", pack_version="1", variant="regular")
        session.add(cycle)
        session.flush()
    assert cycle.id is not None
    task = Task(cycle_id=cycle.id, origin_cycle_id=cycle.id, school_id=school_id, step_key="screening",
                template="class_report", key=key, title="班级测评情况", role=role, assignee_id=assignee,
                class_id=class_id, clause="QD-3", due=date(2026, 9, 15), status=status)
    session.add(task)
    session.flush()
    assert task.id is not None
    return task.id


def test_open_tasks_of_someone_withdrawn_go_to_the_new_holder_or_back_to_the_role(district: Engine,
                                                                                 tmp_path: Path) -> None:
    qian, zhao = person_id(district, "13800000004"), person_id(district, "13800000003")
    with transaction(district) as session:
        senior = session.exec(select(School.id).where(School.name == SENIOR)).one()
        classes = {c.name: c.id for c in session.exec(select(SchoolClass).where(SchoolClass.school_id == senior))}
        class_task = open_task(session, senior, qian, "homeroom", classes["2班"], "a")
        done_task = open_task(session, senior, qian, "homeroom", classes["2班"], "b", status="done")
        orphan = open_task(session, senior, qian, "psych_teacher", None, "c")  # nobody holds it in the new file
        kept = open_task(session, senior, zhao, "grade_head", None, "d")  # he still holds it
        moved = open_task(session, senior, zhao, "homeroom", classes["1班"], "e")  # 1班 went to 冯老师
    rows = [*SENIOR_NOW]
    with Session(district) as session:
        preview = preview_replace(session, staff_file(tmp_path, rows))
    assert sorted(preview.schools[0].task_ids) == sorted([class_task, orphan, moved])
    with transaction(district) as session:
        report = apply_replace(session, staff_file(tmp_path, rows), now=AT)
    feng = person_id(district, "13800000009")
    assert report.reassigned == {class_task: feng, orphan: None, moved: feng}
    with Session(district) as session:
        assignees = {t.id: t.assignee_id for t in session.exec(select(Task))}
    assert assignees == {class_task: feng, done_task: qian, orphan: None, kept: zhao, moved: feng}


def test_a_schools_leader_may_not_set_its_policy_pack(district: Engine, tmp_path: Path) -> None:
    headers = ["区县", "学校", "学段", "年级", "班级", "姓名", "角色", "邮箱", "手机", "政策包"]
    rows = [[*SENIOR_NOW[0], "jinan"]]
    path = write_table(tmp_path / "pack.csv", headers, rows)
    with pytest.raises(RosterError) as raised, Session(district) as session:
        preview_replace(session, path, within=Within(DISTRICT, SENIOR, sets_pack=False))
    assert [str(e) for e in raised.value.errors] == [
        "pack.csv 第2行 “政策包”列：“jinan”应留空（学校的政策包由区县管理员设置）"]
    with Session(district) as session:
        assert preview_replace(session, path, within=Within(DISTRICT, SENIOR)).schools[0].school == SENIOR
