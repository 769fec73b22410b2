"""Import of staff rosters, student lists and screening results (QD-T10, QD-3)."""

import json
import logging
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, event
from sqlmodel import Session, col, select

from models import AuditEntry, Person, RoleAssignment, School, SchoolClass, ScreeningRecord, Student
from tests.roster_files import (
    DISTRICT,
    SCREENING_HEADERS,
    STAFF_HEADERS,
    STAFF_HEADERS_EN,
    STAFF_ROWS,
    STUDENT_HEADERS,
    STUDENT_ROWS,
    row_counts,
    staff_file,
    with_row,
    write_table,
)
from xinyu import sample
from xinyu.policy.install import install_pack
from xinyu.roster import Kind, RosterError, detect_kind, import_file, run_import
from xinyu.roster.errors import MAX_ERRORS

AT = datetime.fromisoformat("2026-09-01T09:00+08:00")


def _import(engine: Engine, path: Path, packs_dir: Path, **kwargs: str) -> dict[str, list[int]]:
    result = import_file(engine, path, now=AT, **kwargs)
    return {entity: counts.as_list() for entity, counts in result.counts.items()}


def _errors(excinfo: pytest.ExceptionInfo[RosterError]) -> list[str]:
    return [str(error) for error in excinfo.value.errors]


def _load_org(engine: Engine, tmp_path: Path, packs_dir: Path) -> None:
    _import(engine, staff_file(tmp_path), packs_dir)
    _import(engine, write_table(tmp_path / "students.csv", STUDENT_HEADERS, STUDENT_ROWS), packs_dir)


# --- staff roster -------------------------------------------------------------------------------------


def test_staff_roster_creates_district_schools_classes_people_and_roles(
    engine: Engine, tmp_path: Path, packs_dir: Path
) -> None:
    counts = _import(engine, staff_file(tmp_path), packs_dir)
    assert counts == {
        "districts": [1, 0, 0], "schools": [3, 0, 0], "classes": [4, 0, 0], "persons": [8, 0, 0], "roles": [9, 0, 0],
    }
    with Session(engine) as session:
        schools = {s.name: s for s in session.exec(select(School))}
        assert {name: (s.stage, s.pack) for name, s in schools.items()} == {
            "青岛第五十八中学": ("高中", "qingdao"), "青岛市实验小学": ("小学", "qingdao"),
            "第二十六中学": ("初中", "qingdao"),
        }
        classes = {(c.school_id, c.grade, c.name, c.stage) for c in session.exec(select(SchoolClass))}
        senior, primary = schools["青岛第五十八中学"].id, schools["青岛市实验小学"].id
        assert classes == {(senior, 10, "1班", "高中"), (senior, 10, "2班", "高中"),
                           (primary, 3, "3班", "小学"), (primary, 5, "1班", "小学")}
        people = {p.identity: p for p in session.exec(select(Person))}
        assert people["13800000004"].email == "qian@school.example.cn"  # phone wins; spaces dropped
        assert "zheng@school.example.cn" in people  # no phone: the e-mail, lowercased
        assert f"{DISTRICT}/青岛第五十八中学/孙同学" in people  # neither: district/school/name
        roles = {(people_by_id.name, r.role, r.scope_key) for r, people_by_id in session.exec(
            select(RoleAssignment, Person).join(Person, col(Person.id) == col(RoleAssignment.person_id)))}
        class_id = session.exec(select(SchoolClass.id).where(SchoolClass.school_id == senior,
                                                             SchoolClass.grade == 10, SchoolClass.name == "1班")).one()
        district_id = session.exec(select(RoleAssignment.district_id)).first()
    assert ("王主任", "district_officer", f"d{district_id}") in roles
    assert ("李校长", "leader", f"s{senior}") in roles
    assert ("赵年级", "grade_head", f"s{senior}/g10") in roles
    assert ("赵年级", "homeroom", f"c{class_id}") in roles  # one person, two roles
    assert ("孙同学", "class_psych_member", f"c{class_id}") in roles


@pytest.mark.parametrize(
    ("name", "encoding"),
    [("staff.csv", "utf-8"), ("staff.csv", "utf-8-sig"), ("staff.csv", "gbk"), ("staff.xlsx", "")],
    ids=["utf-8", "utf-8-bom", "gbk", "xlsx"],
)
def test_staff_roster_reads_every_encoding_and_xlsx(
    engine: Engine, tmp_path: Path, packs_dir: Path, name: str, encoding: str
) -> None:
    path = staff_file(tmp_path, name=name, encoding=encoding or "utf-8")
    assert detect_kind(path) is Kind.staff
    assert _import(engine, path, packs_dir)["persons"] == [8, 0, 0]
    with Session(engine) as session:
        assert set(session.exec(select(School.name))) == {"青岛第五十八中学", "青岛市实验小学", "第二十六中学"}


def test_english_headers_in_any_case_with_spaces(engine: Engine, tmp_path: Path, packs_dir: Path) -> None:
    path = staff_file(tmp_path, headers=STAFF_HEADERS_EN)
    assert _import(engine, path, packs_dir)["roles"] == [9, 0, 0]


def test_extra_columns_and_blank_rows_are_ignored(engine: Engine, tmp_path: Path, packs_dir: Path) -> None:
    rows = [[*row, "备注"] for row in STAFF_ROWS[:3]] + [[""] * 10] + [[*STAFF_ROWS[3], ""]]
    path = staff_file(tmp_path, rows, headers=[*STAFF_HEADERS, "备注"])
    assert _import(engine, path, packs_dir)["roles"] == [4, 0, 0]


@pytest.mark.parametrize(
    ("stage", "grade", "klass", "expected"),
    [
        ("初中", "3", "1班", (9, "1班")),
        ("初中", "初一", "（2）班", (7, "2班")),
        ("初中", "八年级", "3", (8, "3班")),
        ("初中", "初2", "初二(4)班", (8, "4班")),
        ("小学", "三年级", "三班", (3, "3班")),
        ("小学", "6", "6班", (6, "6班")),
        ("高中", "高二", "1班", (11, "1班")),
        ("高中", "1", "1班", (10, "1班")),
        ("中职", "二年级", "1班", (11, "1班")),
        ("", "初三", "1班", (9, "1班")),
        ("", "十一年级", "1班", (11, "1班")),
    ],
)
def test_grade_and_class_spellings(
    engine: Engine, tmp_path: Path, packs_dir: Path, stage: str, grade: str, klass: str, expected: tuple[int, str]
) -> None:
    row = [DISTRICT, "青岛第二中学", stage, grade, klass, "冯老师", "班主任", "", "13900000001"]
    _import(engine, staff_file(tmp_path, [row]), packs_dir)
    with Session(engine) as session:
        school_class = session.exec(select(SchoolClass)).one()
        assert (school_class.grade, school_class.name) == expected
        assert session.exec(select(School.stage)).one() == (stage or ("初中" if expected[0] <= 9 else "高中"))


def test_school_stage_is_the_highest_of_its_rows(engine: Engine, tmp_path: Path, packs_dir: Path) -> None:
    rows = [[DISTRICT, "青岛嘉峪关学校", "小学", "六年级", "1班", "冯老师", "班主任", "", "13900000001"],
            [DISTRICT, "青岛嘉峪关学校", "初中", "初一", "1班", "褚老师", "班主任", "", "13900000002"],
            [DISTRICT, "青岛嘉峪关学校", "", "", "", "卫校长", "组长", "", "13900000003"]]
    _import(engine, staff_file(tmp_path, rows), packs_dir)
    with Session(engine) as session:
        assert session.exec(select(School.stage)).one() == "初中"


def test_pack_from_column_then_argument_then_default(engine: Engine, tmp_path: Path, packs_dir: Path) -> None:
    text = (packs_dir / "qingdao.yaml").read_text(encoding="utf-8").replace("id: qingdao", "id: jilin", 1)
    (tmp_path / "copy.yaml").write_text(text, encoding="utf-8")
    install_pack(engine, tmp_path / "copy.yaml", "测试")  # a pack the school may be given: an installed one
    rows = [[*row, "jilin" if row[1] == "第二十六中学" else ""] for row in STAFF_ROWS]
    path = staff_file(tmp_path, rows, headers=[*STAFF_HEADERS, "政策包"])
    import_file(engine, path, pack="ganzhou")
    with Session(engine) as session:
        assert {name: pack for name, pack in session.exec(select(School.name, School.pack))} == {
            "青岛第五十八中学": "ganzhou", "青岛市实验小学": "ganzhou", "第二十六中学": "jilin"}
    plain = staff_file(tmp_path, [[DISTRICT, "青岛第九中学", "高中", "", "", "蒋校长", "组长", "", "13900000009"]],
                       name="more.csv")
    import_file(engine, plain)
    with Session(engine) as session:
        assert session.exec(select(School.pack).where(School.name == "青岛第九中学")).one() == "qingdao"


def test_unknown_pack_is_refused(engine: Engine, tmp_path: Path, packs_dir: Path) -> None:
    rows = [[*STAFF_ROWS[1], "shanghai"]]
    with pytest.raises(RosterError) as excinfo:
        import_file(engine, staff_file(tmp_path, rows, headers=[*STAFF_HEADERS, "政策包"]))
    assert _errors(excinfo)[0].startswith("staff.csv 第2行 “政策包”列：“shanghai”不是已有的政策包（应为：")
    with pytest.raises(RosterError, match="参数 “政策包”列：“shanghai”不是已有的政策包"):
        import_file(engine, staff_file(tmp_path), pack="shanghai")


# --- errors: each kind, all of them, nothing written -----------------------------------------------------


@pytest.mark.parametrize(
    ("row", "changes", "expected"),
    [
        (4, {"角色": "班主人"}, "staff.csv 第4行 “角色”列：“班主人”不是已知角色（应为：组长、副组长、心理健康副校长、"),
        (4, {"年级": "高四"}, "staff.csv 第4行 “年级”列：“高四”不是可识别的年级（应为：1–12、一年级…六年级"),
        (8, {"年级": "初一"},
         "staff.csv 第8行 “年级”列：“初一”不属于小学学段（应为：一年级、二年级、三年级、四年级、五年级、六年级）"),
        (9, {"年级": "八年级"}, "staff.csv 第9行 “年级”列：“八年级”不属于小学学段（应为：一年级"),
        (5, {"班级": ""}, "staff.csv 第5行 “班级”列：不能为空（“班主任”是班级角色，应填写年级和班级）"),
        (7, {"年级": "", "班级": ""}, "staff.csv 第7行 “班级”列：不能为空（“心理委员”是班级角色，应填写年级和班级）"),
        (4, {"年级": ""}, "staff.csv 第4行 “年级”列：不能为空（“年级主任”应填写年级）"),
        (3, {"手机": "1380000000"}, "staff.csv 第3行 “手机”列：“1380000000”不是有效的手机号（应为 11 位大陆手机号"),
        (3, {"手机": "12800000002"}, "staff.csv 第3行 “手机”列：“12800000002”不是有效的手机号"),
        (3, {"邮箱": "li@school"}, "staff.csv 第3行 “邮箱”列：“li@school”不是有效的邮箱地址（应形如"),
        (3, {"学段": "大学"}, "staff.csv 第3行 “学段”列：“大学”不是已知学段（应为：小学、初中、高中、中职）"),
        (3, {"学校": ""}, "staff.csv 第3行 “学校”列：不能为空（应填写学校名称）"),
        (2, {"学校": "青岛第五十八中学"},
         "staff.csv 第2行 “学校”列：“青岛第五十八中学”应留空（区县负责人属于区县，不属于学校）"),
        (3, {"姓名": "", "区县": ""}, "staff.csv 第3行 “区县”列：不能为空（应填写区县名称）"),
        (5, {"姓名": "赵主任"}, "staff.csv 第5行 “姓名”列：“赵主任”与第4行是同一人（手机 13800000003），但姓名不一致"),
        (4, {"手机": "13800000002", "姓名": "李校长", "邮箱": "other@school.example.cn"},
         "staff.csv 第4行 “邮箱”列：“other@school.example.cn”与第3行是同一人（手机 13800000002），"
         "但邮箱不一致（第3行为“li@school.example.cn”）"),
    ],
    ids=["unknown-role", "bad-grade", "grade-not-in-stage", "grade-7-9-in-primary", "class-role-without-class",
         "student-role-without-class", "grade-head-without-grade", "short-phone", "bad-phone", "bad-email",
         "bad-stage", "no-school", "district-officer-with-school", "no-district", "conflicting-name",
         "conflicting-email"],
)
def test_each_staff_error_names_file_row_column_and_expectation(
    engine: Engine, tmp_path: Path, packs_dir: Path, row: int, changes: dict[str, str], expected: str
) -> None:
    before = row_counts(engine)
    with pytest.raises(RosterError) as excinfo:
        import_file(engine, staff_file(tmp_path, with_row(STAFF_ROWS, row, **changes)))
    assert any(message.startswith(expected) for message in _errors(excinfo)), _errors(excinfo)
    assert row_counts(engine) == before


def test_conflicting_email_row_reports_4_then_5(engine: Engine, tmp_path: Path, packs_dir: Path) -> None:
    rows = with_row(with_row(STAFF_ROWS, 4, 邮箱="zhao@school.example.cn"), 5, 邮箱="zhao2@school.example.cn")
    with pytest.raises(RosterError) as excinfo:
        import_file(engine, staff_file(tmp_path, rows))
    error = excinfo.value.errors[0]
    assert (error.file, error.row, error.column, error.value) == ("staff.csv", 5, "邮箱", "zhao2@school.example.cn")


def test_error_names_the_column_as_the_file_writes_it(engine: Engine, tmp_path: Path, packs_dir: Path) -> None:
    path = staff_file(tmp_path, with_row(STAFF_ROWS, 4, 角色="班主人"), headers=STAFF_HEADERS_EN)
    with pytest.raises(RosterError) as excinfo:
        import_file(engine, path)
    assert _errors(excinfo)[0].startswith("staff.csv 第4行 “Role”列：“班主人”不是已知角色")


def test_missing_column_is_an_error_in_row_1(engine: Engine, tmp_path: Path, packs_dir: Path) -> None:
    headers = [h for h in STAFF_HEADERS if h not in ("角色", "手机")]
    rows = [[v for h, v in zip(STAFF_HEADERS, row, strict=True) if h in headers] for row in STAFF_ROWS]
    with pytest.raises(RosterError) as excinfo:
        import_file(engine, write_table(tmp_path / "staff.csv", headers, rows))
    assert _errors(excinfo) == [
        "staff.csv 第1行 “角色”列：缺少必填列（教职工名单应有“角色”或“role”列）",
        "staff.csv 第1行 “手机”列：缺少必填列（教职工名单应有“手机”或“mobile”列）",
    ]


def test_unrecognised_file_names_what_each_kind_needs(engine: Engine, tmp_path: Path, packs_dir: Path) -> None:
    path = write_table(tmp_path / "what.csv", ["编号", "备注"], [["1", "x"]])
    with pytest.raises(RosterError, match="what.csv 第1行 .*无法识别文件类型"):
        detect_kind(path)
    with pytest.raises(RosterError, match="无法识别文件类型"):
        import_file(engine, path)


def test_a_file_with_several_errors_lists_them_all(engine: Engine, tmp_path: Path, packs_dir: Path) -> None:
    rows = with_row(STAFF_ROWS, 3, 手机="123")
    rows = with_row(rows, 6, 角色="班长", 邮箱="qian@")
    rows = with_row(rows, 9, 年级="高一")
    with pytest.raises(RosterError) as excinfo:
        import_file(engine, staff_file(tmp_path, rows))
    where = [(e.row, e.column) for e in excinfo.value.errors]
    assert where == [(3, "手机"), (6, "角色"), (6, "邮箱"), (9, "年级")]
    message = str(excinfo.value)
    assert message.startswith("staff.csv 有 4 处错误，未导入任何数据：")
    assert all(str(e) in message for e in excinfo.value.errors)


def test_errors_are_capped_at_200_but_counted(engine: Engine, tmp_path: Path, packs_dir: Path) -> None:
    rows = [[DISTRICT, "青岛第二中学", "高中", "高一", f"{n}班", f"老师{n}", "班主人", "", ""] for n in range(250)]
    with pytest.raises(RosterError) as excinfo:
        import_file(engine, staff_file(tmp_path, rows))
    assert len(excinfo.value.errors) == MAX_ERRORS
    assert excinfo.value.total == 250
    assert "有 250 处错误，未导入任何数据（仅列出前 200 处）" in str(excinfo.value)


def test_failed_import_after_a_good_one_changes_nothing(engine: Engine, tmp_path: Path, packs_dir: Path) -> None:
    _import(engine, staff_file(tmp_path), packs_dir)
    before = row_counts(engine)
    rows = [*STAFF_ROWS, [DISTRICT, "青岛第九中学", "高中", "高一", "1班", "蒋老师", "班主任", "", "13900000009"],
            [DISTRICT, "青岛第九中学", "高中", "高一", "2班", "沈老师", "班主人", "", "13900000010"]]
    with pytest.raises(RosterError):
        import_file(engine, staff_file(tmp_path, with_row(rows, 3, 姓名="李新校长")))
    assert row_counts(engine) == before


# --- idempotence, updates, audit --------------------------------------------------------------------------


def test_importing_the_same_files_twice_changes_nothing(engine: Engine, tmp_path: Path, packs_dir: Path) -> None:
    _load_org(engine, tmp_path, packs_dir)
    screening = write_table(tmp_path / "scores.csv", ["学校", *SCREENING_HEADERS],
                            [["青岛第五十八中学", "S5801", "2026-10-12", "SCL-90", "150", "正常"]])
    _import(engine, screening, packs_dir)
    before = row_counts(engine)
    for path in (tmp_path / "staff.csv", tmp_path / "students.csv", screening):
        counts = _import(engine, path, packs_dir)
        assert all(created == updated == 0 for created, updated, _ in counts.values()), counts
    after = row_counts(engine)
    assert after.pop("audit_log") == before.pop("audit_log") + 3
    assert after == before


def test_changed_rows_are_updated_not_duplicated(engine: Engine, tmp_path: Path, packs_dir: Path) -> None:
    _import(engine, staff_file(tmp_path), packs_dir)
    rows = with_row(STAFF_ROWS, 3, 姓名="李新", 邮箱="lixin@school.example.cn")
    counts = _import(engine, staff_file(tmp_path, rows), packs_dir)
    assert counts["persons"] == [0, 1, 7]
    assert counts["roles"] == [0, 0, 9]
    with Session(engine) as session:
        person = session.exec(select(Person).where(Person.identity == "13800000002")).one()
        assert (person.name, person.email) == ("李新", "lixin@school.example.cn")


def test_each_import_leaves_one_audit_row_with_counts_only(engine: Engine, tmp_path: Path, packs_dir: Path) -> None:
    _load_org(engine, tmp_path, packs_dir)
    with Session(engine) as session:
        entries = session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()
    assert [(e.action, e.target) for e in entries] == [("import", "staff.csv"), ("import", "students.csv")]
    detail = json.loads(entries[1].detail)
    assert detail == {"kind": "students", "rows": 5, "students": [5, 0, 0]}
    assert not any(row[4] in entries[1].detail for row in STUDENT_ROWS)


def test_run_import_uses_the_callers_transaction(engine: Engine, tmp_path: Path, packs_dir: Path) -> None:
    before = row_counts(engine)
    with Session(engine) as session:
        result = run_import(session, staff_file(tmp_path), now=AT)
        assert result.created > 0
        session.rollback()
    assert row_counts(engine) == before


# --- students -------------------------------------------------------------------------------------------


def test_students_join_existing_classes(engine: Engine, tmp_path: Path, packs_dir: Path) -> None:
    _load_org(engine, tmp_path, packs_dir)
    with Session(engine) as session:
        found = session.exec(select(Student.student_no, Student.gender, SchoolClass.grade, SchoolClass.name)
                             .join(SchoolClass, col(SchoolClass.id) == col(Student.class_id))).all()
    assert sorted(found) == [("P0301", "女", 3, "3班"), ("P0501", "男", 5, "1班"), ("S5801", "男", 10, "1班"),
                             ("S5802", "女", 10, "1班"), ("S5803", "男", 10, "2班")]


def test_moving_a_student_updates_the_class(engine: Engine, tmp_path: Path, packs_dir: Path) -> None:
    _load_org(engine, tmp_path, packs_dir)
    rows = [list(r) for r in STUDENT_ROWS]
    rows[1][2] = "2班"
    counts = _import(engine, write_table(tmp_path / "students.csv", STUDENT_HEADERS, rows), packs_dir)
    assert counts == {"students": [0, 1, 4]}


@pytest.mark.parametrize(
    ("row", "column", "value", "expected"),
    [
        (2, 0, "青岛第一百中学",
         "students.csv 第2行 “学校”列：“青岛第一百中学”不存在（应先导入教职工名单，建立学校和班级）"),
        (2, 2, "9班", "students.csv 第2行 “班级”列：“9班”在学校“青岛第五十八中学”高一中不存在（已有：1班、2班；"),
        (2, 1, "高三", "students.csv 第2行 “年级”列：“高三”在学校“青岛第五十八中学”中没有班级（已有年级：高一）"),
        (3, 3, "S5801", "students.csv 第3行 “学号”列：“S5801”与第2行重复（同一学校的学号应唯一）"),
        (2, 5, "未知", "students.csv 第2行 “性别”列：“未知”不是有效的性别（应为：男、女）"),
    ],
    ids=["unknown-school", "unknown-class", "unknown-grade", "duplicate-student-no", "bad-gender"],
)
def test_student_file_errors(
    engine: Engine, tmp_path: Path, packs_dir: Path, row: int, column: int, value: str, expected: str
) -> None:
    _import(engine, staff_file(tmp_path), packs_dir)
    rows = [list(r) for r in STUDENT_ROWS]
    rows[row - 2][column] = value
    before = row_counts(engine)
    with pytest.raises(RosterError) as excinfo:
        import_file(engine, write_table(tmp_path / "students.csv", STUDENT_HEADERS, rows))
    assert any(message.startswith(expected) for message in _errors(excinfo)), _errors(excinfo)
    assert row_counts(engine) == before


def test_same_school_name_in_two_districts_needs_the_district_column(
    engine: Engine, tmp_path: Path, packs_dir: Path
) -> None:
    other = ["青岛市市北区", "青岛第五十八中学", "高中", "高一", "1班", "褚老师", "班主任", "", "13900000011"]
    rows = [*STAFF_ROWS, other]
    _import(engine, staff_file(tmp_path, rows), packs_dir)
    student = ["青岛第五十八中学", "高一", "1班", "S1", "韩梅", "女"]
    with pytest.raises(RosterError, match="在多个区县都有同名学校（应增加“区县”列"):
        import_file(engine, write_table(tmp_path / "s.csv", STUDENT_HEADERS, [student]))
    path = write_table(tmp_path / "s.csv", ["区县", *STUDENT_HEADERS], [["青岛市市北区", *student]])
    assert _import(engine, path, packs_dir) == {"students": [1, 0, 0]}


def test_student_names_stay_out_of_logs_and_errors(
    engine: Engine, tmp_path: Path, packs_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="xinyu")
    _load_org(engine, tmp_path, packs_dir)
    rows = [list(r) for r in STUDENT_ROWS]
    rows[0][4] = "孙" * 70  # too long: the error must not echo it
    rows[1][5] = "?"
    with pytest.raises(RosterError) as excinfo:
        import_file(engine, write_table(tmp_path / "bad.csv", STUDENT_HEADERS, rows))
    assert "students.csv" in caplog.text
    for row in STUDENT_ROWS:
        assert row[4] not in caplog.text
    assert "孙孙" not in str(excinfo.value)


# --- screening ------------------------------------------------------------------------------------------


def test_screening_results_land_in_ledger_a(engine: Engine, tmp_path: Path, packs_dir: Path) -> None:
    _load_org(engine, tmp_path, packs_dir)
    rows = [["S5801", "2026-10-12", "SCL-90", "150", "正常"],
            ["S5802", "2026/10/12", "SCL-90", "210.5", "高风险"],
            ["S5803", "2026.10.13", "SCL-90", "170", "二级"]]
    path = write_table(tmp_path / "scores.csv", SCREENING_HEADERS, rows)
    assert detect_kind(path) is Kind.screening
    assert _import(engine, path, packs_dir, school="青岛第五十八中学") == {"screenings": [3, 0, 0]}
    primary = write_table(tmp_path / "primary.xlsx", ["学校", *SCREENING_HEADERS],
                          [["青岛市实验小学", "P0301", date(2026, 9, 20), "他评量表", 12, "无风险"],
                           ["青岛市实验小学", "P0501", 46287, "MHT", 70, "一级"]])
    assert _import(engine, primary, packs_dir) == {"screenings": [2, 0, 0]}
    with Session(engine) as session:
        query = select(ScreeningRecord, Student.student_no)
        records = session.exec(query.join(Student, col(Student.id) == col(ScreeningRecord.student_id))).all()
    found = [(no, r.screened_on, r.total_score, r.level, r.method) for r, no in records]
    assert sorted(found) == [
        ("P0301", date(2026, 9, 20), 12.0, "无", "rating"),  # grades 1–3: teacher/parent rating (QD-3)
        ("P0501", date(1899, 12, 30) + timedelta(days=46287), 70.0, "轻度", "online"),
        ("S5801", date(2026, 10, 12), 150.0, "无", "online"),
        ("S5802", date(2026, 10, 12), 210.5, "重度", "online"),
        ("S5803", date(2026, 10, 13), 170.0, "中度", "online"),
    ]


@pytest.mark.parametrize(
    ("words", "level"),
    [(("正常", "无风险", "无"), "无"), (("轻度", "低风险", "一级", "1级"), "轻度"),
     (("中度", "中风险", "二级"), "中度"), (("重度", "高风险", "三级"), "重度")],
)
def test_warning_levels_are_normalised(words: tuple[str, ...], level: str) -> None:
    from xinyu.roster.fields import parse_level

    assert {parse_level(word) for word in words} == {level}


def test_rescreening_updates_the_record(engine: Engine, tmp_path: Path, packs_dir: Path) -> None:
    _load_org(engine, tmp_path, packs_dir)
    path = write_table(tmp_path / "scores.csv", SCREENING_HEADERS, [["S5801", "2026-10-12", "SCL-90", "150", "正常"]])
    _import(engine, path, packs_dir, school="青岛第五十八中学")
    write_table(path, SCREENING_HEADERS, [["S5801", "2026-10-12", "SCL-90", "180", "轻度"]])
    assert _import(engine, path, packs_dir, school="青岛第五十八中学") == {"screenings": [0, 1, 0]}


@pytest.mark.parametrize(
    ("row", "school", "expected"),
    [
        (["S9999", "2026-10-12", "SCL-90", "150", "正常"], "青岛第五十八中学",
         "scores.csv 第2行 “学号”列：“S9999”在学校“青岛第五十八中学”中不存在（应先导入学生名单）"),
        (["S5801", "2026-13-12", "SCL-90", "150", "正常"], "青岛第五十八中学",
         "scores.csv 第2行 “测评日期”列：“2026-13-12”不是有效的日期（应为 YYYY-MM-DD 或 YYYY/MM/DD）"),
        (["S5801", "2026-10-12", "SCL-90", "很多", "正常"], "青岛第五十八中学",
         "scores.csv 第2行 “总分”列：“很多”不是有效的数字（应填写总分）"),
        (["S5801", "2026-10-12", "SCL-90", "150", "黑色"], "青岛第五十八中学",
         "scores.csv 第2行 “预警等级”列：“黑色”不是已知的预警等级（应为：无、轻度、中度、重度"),
        (["S5801", "2026-10-12", "SCL-90", "150", "正常"], "",
         "scores.csv 第1行 “学校”列：缺少此列且导入时未指定学校（应在文件中加“学校”列，或用 --school 指定学校）"),
        (["S5801", "2026-10-12", "SCL-90", "150", "正常"], "青岛第一百中学",
         "scores.csv 参数 “学校”列：“青岛第一百中学”不存在"),
    ],
    ids=["unknown-student", "bad-date", "bad-score", "bad-level", "no-school", "unknown-school-option"],
)
def test_screening_file_errors(
    engine: Engine, tmp_path: Path, packs_dir: Path, row: list[str], school: str, expected: str
) -> None:
    _load_org(engine, tmp_path, packs_dir)
    before = row_counts(engine)
    path = write_table(tmp_path / "scores.csv", SCREENING_HEADERS, [row])
    with pytest.raises(RosterError) as excinfo:
        import_file(engine, path, school=school or None)
    assert any(message.startswith(expected) for message in _errors(excinfo)), _errors(excinfo)
    assert row_counts(engine) == before


def test_screening_school_column_names_unknown_school(engine: Engine, tmp_path: Path, packs_dir: Path) -> None:
    _load_org(engine, tmp_path, packs_dir)
    path = write_table(tmp_path / "scores.csv", ["学校", *SCREENING_HEADERS],
                       [["青岛第一百中学", "S5801", "2026-10-12", "SCL-90", "150", "正常"]])
    with pytest.raises(RosterError, match="第2行 “学校”列：“青岛第一百中学”不存在"):
        import_file(engine, path)


# --- the sample district and scale ---------------------------------------------------------------------


def test_sample_district_imports_cleanly_and_is_deterministic(engine: Engine, tmp_path: Path, packs_dir: Path) -> None:
    staff = sample.sample_roster_rows(schools=6, classes_per_school=8, seed=3)
    assert staff == sample.sample_roster_rows(schools=6, classes_per_school=8, seed=3)
    students = sample.sample_student_rows(staff, seed=3)
    screening = sample.sample_screening_rows(students, seed=3)
    files = [sample.write_csv(tmp_path / "staff.csv", staff, encoding="gbk"),
             sample.write_csv(tmp_path / "students.csv", students, encoding="utf-8-sig"),
             sample.write_xlsx(tmp_path / "screening.xlsx", screening)]
    counts = [_import(engine, path, packs_dir) for path in files]
    assert counts[0]["schools"] == [6, 0, 0] and counts[0]["classes"] == [48, 0, 0]
    assert counts[1] == {"students": [len(students), 0, 0]}
    assert counts[2] == {"screenings": [len(screening), 0, 0]}
    roles = [row["角色"] for row in staff]
    assert roles.count("组长") == 6 and roles.count("班主任") == 48 and roles.count("区县负责人") == 2


def test_sample_scales_to_a_large_district() -> None:
    staff = sample.sample_roster_rows(schools=300, classes_per_school=30, seed=1)
    schools = {row["学校"] for row in staff if row["学校"]}
    assert len(schools) == 300
    phones = {row["手机"]: row["姓名"] for row in staff if row["手机"]}
    assert all(len(phone) == 11 for phone in phones)
    assert len(phones) == len({(row["手机"], row["姓名"]) for row in staff if row["手机"]})  # one name per phone


def test_statements_do_not_grow_with_the_rows(engine: Engine, tmp_path: Path, packs_dir: Path) -> None:
    """No per-row SELECT: a 20-school roster takes as many statements as a 2-school one."""
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    counts = []
    for schools in (2, 20):
        district = f"青岛市区{schools}"
        rows = sample.sample_roster_rows(district=district, schools=schools, classes_per_school=8, seed=schools)
        for row in rows:  # each district's invented people their own mailboxes: one email belongs to one person
            row["邮箱"] = row["邮箱"].replace(".example.cn", f"{schools}.example.cn")
        path = sample.write_csv(tmp_path / f"staff{schools}.csv", rows)
        statements.clear()
        _import(engine, path, packs_dir)
        counts.append(len(statements))
    assert counts[1] <= counts[0] + 2, counts
    assert counts[1] < 30, counts


def test_partial_roster_for_a_school_on_record_needs_no_stage(engine: Engine, tmp_path: Path, packs_dir: Path) -> None:
    _import(engine, staff_file(tmp_path), packs_dir)
    rows = [[DISTRICT, "青岛第五十八中学", "", "", "", "褚副组长", "副组长", "", "13900000020"]]
    assert _import(engine, staff_file(tmp_path, rows, name="more.csv"), packs_dir)["roles"] == [1, 0, 0]
    with Session(engine) as session:
        assert session.exec(select(School.stage).where(School.name == "青岛第五十八中学")).one() == "高中"
    rows.append([DISTRICT, "青岛第九中学", "", "", "", "蒋校长", "组长", "", "13900000021"])
    with pytest.raises(RosterError, match="第3行 “学段”列：不能为空（新学校“青岛第九中学”没有一行写明学段或年级）"):
        import_file(engine, staff_file(tmp_path, rows, name="more.csv"))


def test_bare_grade_number_in_a_school_of_two_stages_is_ambiguous(
    engine: Engine, tmp_path: Path, packs_dir: Path
) -> None:
    rows = [[DISTRICT, "青岛嘉峪关学校", "小学", "三年级", "1班", "冯老师", "班主任", "", "13900000001"],
            [DISTRICT, "青岛嘉峪关学校", "初中", "初三", "1班", "褚老师", "班主任", "", "13900000002"]]
    _import(engine, staff_file(tmp_path, rows), packs_dir)
    student = ["青岛嘉峪关学校", "3", "1班", "J1", "韩梅", "女"]
    with pytest.raises(RosterError, match="第2行 “年级”列：“3”有歧义（该校有多个学段，应写作：三年级、初三）"):
        import_file(engine, write_table(tmp_path / "s.csv", STUDENT_HEADERS, [student]))
    student[1] = "初三"
    assert _import(engine, write_table(tmp_path / "s.csv", STUDENT_HEADERS, [student]), packs_dir) == {
        "students": [1, 0, 0]}


def test_role_assignments_are_written_in_roster_order(engine: Engine, tmp_path: Path, packs_dir: Path) -> None:
    """With two holders of a role the first row's gets the tasks: the same person on every run."""
    rows = sample.sample_roster_rows(district="青岛市市南区", schools=2, classes_per_school=4, seed=5)
    import_file(engine, sample.write_csv(tmp_path / "staff.csv", rows))
    with Session(engine) as session:
        people = dict(session.exec(select(Person.id, Person.name)).all())
        written = [(people[a.person_id], a.role) for a in session.exec(
            select(RoleAssignment).order_by(col(RoleAssignment.id)))]
    assert [name for name, _ in written] == [row["姓名"] for row in rows]


# --- one email, one phone, one person (issue 11, item 6) ----------------------------------------------------


def test_a_row_taking_another_persons_email_on_record_is_refused(
    engine: Engine, tmp_path: Path, packs_dir: Path
) -> None:
    """李校长's row given 钱老师's email would send his mail to her: an error naming the row, nothing written."""
    _import(engine, staff_file(tmp_path), packs_dir)
    before = row_counts(engine)
    rows = with_row(STAFF_ROWS, 3, 邮箱="QIAN@school.example.cn")
    rows = rows[:4] + rows[5:]  # 钱老师's own row (row 6) is not in this file: she is on record only
    with pytest.raises(RosterError) as excinfo:
        import_file(engine, staff_file(tmp_path, rows))
    assert _errors(excinfo) == ["staff.csv 第3行 “邮箱”列：“qian@school.example.cn”已登记为另一人员的邮箱"
                                "（同一邮箱只能属于一人；若是同一人，请沿用上次导入的手机号）"]
    assert row_counts(engine) == before
    with Session(engine) as session:
        assert session.exec(select(Person.email).where(Person.identity == "13800000002")).one() == \
            "li@school.example.cn"


def test_a_row_taking_an_email_of_an_earlier_row_is_refused(engine: Engine, tmp_path: Path, packs_dir: Path) -> None:
    rows = with_row(STAFF_ROWS, 10, 邮箱="li@school.example.cn", 手机="13800000009")
    with pytest.raises(RosterError) as excinfo:
        import_file(engine, staff_file(tmp_path, rows))
    assert _errors(excinfo) == ["staff.csv 第10行 “邮箱”列：“li@school.example.cn”与第3行（另一人）的邮箱相同"
                                "（同一邮箱只能属于一人）"]
    assert row_counts(engine)["person"] == 0


def test_a_row_taking_another_persons_phone_on_record_is_refused(
    engine: Engine, tmp_path: Path, packs_dir: Path
) -> None:
    """郑老师 is on record by her email, with a phone added later; a new person with that phone is refused."""
    _import(engine, staff_file(tmp_path), packs_dir)
    with Session(engine) as session:
        zheng = session.exec(select(Person).where(Person.identity == "zheng@school.example.cn")).one()
        zheng.phone = "13800000010"
        session.commit()
    before = row_counts(engine)
    rows = [*STAFF_ROWS, [DISTRICT, "第二十六中学", "初中", "", "", "冯老师", "专职心理教师", "", "13800000010"]]
    with pytest.raises(RosterError) as excinfo:
        import_file(engine, staff_file(tmp_path, rows))
    assert _errors(excinfo) == ["staff.csv 第11行 “手机”列：“13800000010”已登记为另一人员的手机号"
                                "（同一手机号只能属于一人）"]
    assert row_counts(engine) == before
