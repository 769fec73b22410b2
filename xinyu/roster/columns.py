"""The columns of the three kinds of file, their Chinese and English headers, and which kind a file is."""

import re
from dataclasses import dataclass
from enum import StrEnum

from xinyu.roster.errors import ErrorList, RosterError, RowError
from xinyu.roster.tables import Cell, Table


class Kind(StrEnum):
    staff = "staff"
    students = "students"
    screening = "screening"

    @property
    def label(self) -> str:
        return {"staff": "教职工名单", "students": "学生名单", "screening": "测评结果"}[self.value]


# The first spelling is the one error messages use when the file lacks the column.
HEADERS: dict[str, tuple[str, ...]] = {
    "district": ("区县", "区/县", "区(县)", "区（县）", "所属区县", "district"),
    "school": ("学校", "学校名称", "school"),
    "stage": ("学段", "stage"),
    "grade": ("年级", "grade"),
    "class": ("班级", "班", "class"),
    "name": ("姓名", "name"),
    "role": ("角色", "职务", "role"),
    "email": ("邮箱", "电子邮箱", "电子邮件", "email", "e-mail", "mail"),
    "phone": ("手机", "手机号", "手机号码", "phone", "mobile"),
    "pack": ("政策包", "pack"),
    "student_no": ("学号", "student_no", "student number", "student id"),
    "gender": ("性别", "gender", "sex"),
    "tenure": ("专兼职", "专职/兼职", "任职方式", "tenure"),
    "date": ("测评日期", "日期", "date"),
    "scale": ("量表", "量表名称", "scale"),
    "score": ("总分", "得分", "score"),
    "level": ("预警等级", "风险等级", "level"),
}
LABELS = {key: names[0] for key, names in HEADERS.items()}

REQUIRED: dict[Kind, tuple[str, ...]] = {
    Kind.staff: ("district", "school", "stage", "grade", "class", "name", "role", "email", "phone"),
    Kind.students: ("school", "grade", "class", "student_no", "name", "gender"),
    Kind.screening: ("student_no", "date", "scale", "score", "level"),
}
OPTIONAL: dict[Kind, tuple[str, ...]] = {
    Kind.staff: ("pack", "gender", "tenure"),
    Kind.students: ("district",),
    Kind.screening: ("school", "district"),
}


def _key(text: str) -> str:
    return re.sub(r"[\s*＊_\-./:：]", "", text).casefold()


_BY_SPELLING = {_key(name): key for key, names in HEADERS.items() for name in names}


def column_key(header: str) -> str | None:
    """'角色', ' Role ', '*姓名', '手机（必填）' → their column key; None for a column we do not read."""
    found = _BY_SPELLING.get(_key(header))
    if found is None:
        found = _BY_SPELLING.get(_key(re.sub(r"[（(][^（()）]*[）)]$", "", header)))
    return found


def kind_of_headers(headers: list[str]) -> Kind | None:
    keys = {column_key(h) for h in headers}
    if keys & {"date", "scale", "score", "level"}:
        return Kind.screening
    if "role" in keys:  # a staff roster may carry 性别 for its student role holders (GZ-5.1)
        return Kind.staff
    if keys & {"gender", "student_no"}:
        return Kind.students
    if keys & {"role", "stage", "email", "phone", "pack", "name"}:
        return Kind.staff
    return None


@dataclass(frozen=True)
class Columns:
    """Where each known column sits in the file, and its header as written there."""

    file: str
    kind: Kind
    index: dict[str, int]
    written: dict[str, str]

    def errors(self) -> ErrorList:
        return ErrorList(self.file, self.written, LABELS)

    def records(self, table: Table) -> list[tuple[int, dict[str, Cell]]]:
        out = []
        for number, cells in table.rows:
            out.append((number, {k: cells[i] if i < len(cells) else None for k, i in self.index.items()}))
        return out


def map_columns(table: Table, *, kind: Kind | None = None) -> Columns:
    """Find the kind and the known columns; a missing or doubled header is an error in row 1."""
    kind = kind or kind_of_headers(table.headers)
    if kind is None:
        expected = (
            "无法识别文件类型（教职工名单应有“角色”列，学生名单应有“学号”“性别”列，"
            "测评结果应有“总分”“预警等级”列）"
        )
        raise RosterError([RowError(table.file, 1, "（表头）", "", expected)])
    index: dict[str, int] = {}
    written: dict[str, str] = {}
    errors = ErrorList(table.file, {}, LABELS)
    for position, header in enumerate(table.headers):
        key = column_key(header)
        if key is None or key not in REQUIRED[kind] + OPTIONAL[kind]:
            continue
        if key in index:
            errors.add(1, key, header, f"与第{index[key] + 1}列重复（同一列只能出现一次）")
            continue
        index[key], written[key] = position, header
    for key in REQUIRED[kind]:
        if key not in index:
            spellings = "”或“".join(HEADERS[key][:1] + HEADERS[key][-1:])
            errors.add(1, key, "", f"缺少必填列（{kind.label}应有“{spellings}”列）")
    errors.raise_if_any()
    return Columns(file=table.file, kind=kind, index=index, written=written)
