"""Roster files for the import tests: a small hand-written district, written as CSV or XLSX."""

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlmodel import Session, SQLModel

DISTRICT = "青岛市市南区"
STAFF_HEADERS = ["区县", "学校", "学段", "年级", "班级", "姓名", "角色", "邮箱", "手机"]
STAFF_HEADERS_EN = [" District", "SCHOOL", "stage ", "Grade", "Class", "Name", "Role", "E-mail", "Phone"]
STUDENT_HEADERS = ["学校", "年级", "班级", "学号", "姓名", "性别"]
SCREENING_HEADERS = ["学号", "测评日期", "量表", "总分", "预警等级"]

# Rows 2–10: a district officer, a senior school, a primary school and a junior school.
STAFF_ROWS: list[list[Any]] = [
    [DISTRICT, "", "", "", "", "王主任", "区县负责人", "wang@edu.example.cn", "13800000001"],
    [DISTRICT, "青岛第五十八中学", "高中", "", "", "李校长", "组长", "li@school.example.cn", "13800000002"],
    [DISTRICT, "青岛第五十八中学", "高中", "高一", "", "赵年级", "年级主任", "", "13800000003"],
    [DISTRICT, "青岛第五十八中学", "高中", "高一", "1班", "赵年级", "班主任", "", "138-0000-0003"],
    [DISTRICT, "青岛第五十八中学", "高中", "1", "（2）班", "钱老师", "班主任", "Qian@School.example.cn",
     "138 0000 0004"],
    [DISTRICT, "青岛第五十八中学", "高中", "高一", "1", "孙同学", "心理委员", "", ""],
    [DISTRICT, "青岛市实验小学", "小学", "三年级", "(3)班", "周老师", "班主任", "", "13800000005"],
    [DISTRICT, "青岛市实验小学", "小学", "5", "1班", "吴同学", "心理委员", "", ""],
    [DISTRICT, "第二十六中学", "初中", "", "", "郑老师", "专职心理教师", "zheng@school.example.cn", ""],
]

# Students of the classes above; 孙同学 is a 心理委员 and a student.
STUDENT_ROWS: list[list[Any]] = [
    ["青岛第五十八中学", "高一", "1班", "S5801", "孙同学", "男"],
    ["青岛第五十八中学", "高一", "(1)班", "S5802", "林小雨", "女"],
    ["青岛第五十八中学", "1", "2", "S5803", "陈一鸣", "M"],
    ["青岛市实验小学", "三年级", "3班", "P0301", "何乐乐", "female"],
    ["青岛市实验小学", "5", "1班", "P0501", "吴同学", "Male"],
]


def write_table(path: Path, headers: Sequence[str], rows: Sequence[Sequence[Any]], encoding: str = "utf-8") -> Path:
    """A CSV in the given encoding, or the first sheet of an XLSX when the name ends in .xlsx."""
    if path.suffix == ".xlsx":
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.append(list(headers))
        for row in rows:
            sheet.append(list(row))
        workbook.save(path)
        return path
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def staff_file(folder: Path, rows: Sequence[Sequence[Any]] | None = None, *, name: str = "staff.csv",
               headers: Sequence[str] = STAFF_HEADERS, encoding: str = "utf-8") -> Path:
    return write_table(folder / name, headers, STAFF_ROWS if rows is None else rows, encoding)


def with_row(base: list[list[Any]], row: int, **changes: Any) -> list[list[Any]]:
    """The rows with spreadsheet row `row` (header = 1) changed: with_row(STAFF_ROWS, 4, 角色="班主人")."""
    rows = [list(r) for r in base]
    for column, value in changes.items():
        rows[row - 2][STAFF_HEADERS.index(column)] = value
    return rows


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table: the whole database's state, to prove a failed import wrote nothing."""
    with Session(engine) as session:
        return {
            table.name: session.execute(select(func.count()).select_from(table)).scalar_one()
            for table in SQLModel.metadata.sorted_tables
        }
