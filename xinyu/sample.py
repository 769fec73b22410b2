"""Realistic sample files for the demo, the tests and the benchmark: a district's staff roster,
student lists and screening results, deterministic for a seed, written as CSV (UTF-8 or GBK) or XLSX.

Every name, phone and e-mail here is invented; the domains are example.cn.
"""

import csv
import random
import re
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from xinyu.grades import STAGE_GRADES, class_name_in_grade, grade_label, parse_grade
from xinyu.roles import Role

Row = dict[str, Any]

# (surname, pinyin), the most frequent first; weights fall with the rank.
_SURNAMES = [
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"), ("赵", "zhao"),
    ("黄", "huang"), ("周", "zhou"), ("吴", "wu"), ("徐", "xu"), ("孙", "sun"), ("胡", "hu"), ("朱", "zhu"),
    ("高", "gao"), ("林", "lin"), ("何", "he"), ("郭", "guo"), ("马", "ma"), ("罗", "luo"), ("梁", "liang"),
    ("宋", "song"), ("郑", "zheng"), ("谢", "xie"), ("韩", "han"), ("唐", "tang"), ("冯", "feng"), ("于", "yu"),
    ("董", "dong"), ("萧", "xiao"), ("程", "cheng"), ("曹", "cao"), ("袁", "yuan"), ("邓", "deng"), ("许", "xu"),
    ("傅", "fu"), ("沈", "shen"), ("曾", "zeng"), ("彭", "peng"), ("吕", "lv"), ("苏", "su"), ("卢", "lu"),
    ("蒋", "jiang"), ("蔡", "cai"), ("贾", "jia"), ("丁", "ding"), ("魏", "wei"), ("薛", "xue"), ("叶", "ye"),
    ("姜", "jiang"), ("崔", "cui"), ("潘", "pan"), ("田", "tian"), ("任", "ren"), ("孔", "kong"), ("毛", "mao"),
    ("邱", "qiu"), ("秦", "qin"), ("江", "jiang"), ("史", "shi"), ("顾", "gu"), ("侯", "hou"), ("邵", "shao"),
    ("孟", "meng"), ("龙", "long"), ("万", "wan"), ("段", "duan"), ("雷", "lei"), ("钱", "qian"), ("汤", "tang"),
]
_SURNAME_WEIGHTS = [1 / (rank + 4) for rank in range(len(_SURNAMES))]
_GIVEN = [
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("强", "qiang"),
    ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"), ("杰", "jie"), ("娟", "juan"),
    ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("秀", "xiu"), ("霞", "xia"), ("平", "ping"), ("刚", "gang"),
    ("英", "ying"), ("华", "hua"), ("玉", "yu"), ("建", "jian"), ("文", "wen"), ("辉", "hui"), ("晓", "xiao"),
    ("红", "hong"), ("鹏", "peng"), ("海", "hai"), ("宇", "yu"), ("欣", "xin"), ("怡", "yi"), ("梓", "zi"),
    ("涵", "han"), ("浩", "hao"), ("轩", "xuan"), ("子", "zi"), ("睿", "rui"), ("雨", "yu"), ("博", "bo"),
    ("思", "si"), ("嘉", "jia"), ("佳", "jia"), ("雪", "xue"), ("琳", "lin"), ("婷", "ting"), ("晨", "chen"),
    ("阳", "yang"), ("瑞", "rui"), ("航", "hang"), ("一", "yi"), ("诺", "nuo"), ("可", "ke"), ("馨", "xin"),
    ("彤", "tong"), ("泽", "ze"), ("宁", "ning"), ("凯", "kai"), ("琪", "qi"), ("悦", "yue"), ("昊", "hao"),
    ("然", "ran"), ("安", "an"), ("乐", "le"), ("逸", "yi"), ("铭", "ming"), ("俊", "jun"), ("萱", "xuan"),
]
_ROADS = [
    "宁夏", "大学", "嘉峪关", "香港", "南京", "江苏", "福州", "太平", "湛山", "金门", "徐州", "延安", "银川",
    "东海", "山东", "上海", "四川", "贵州", "芝泉", "莱阳", "镇江", "辽宁", "济南", "广州", "浮山", "新湛",
    "观海", "天山", "泰州", "龙山", "鞍山", "台东", "海泊", "德平", "宁德", "李村", "长沙", "无棣", "重庆",
]
_TRADES = ["旅游", "商务", "电子信息", "交通", "艺术", "财经", "卫生", "机电工程", "烹饪", "海洋"]
# Stages of the sample schools, in a repeating pattern: about half primary, a third junior, the rest senior.
_STAGE_CYCLE = ["小学", "小学", "初中", "小学", "高中", "初中", "小学", "初中", "高中", "小学", "小学", "初中"]
_PHONE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
                   "155", "156", "157", "158", "159", "177", "180", "182", "183", "185", "186", "187", "188", "189"]
_DIGITS = "零一二三四五六七八九"

STAFF_COLUMNS = ("区县", "学校", "学段", "年级", "班级", "姓名", "角色", "邮箱", "手机")
STUDENT_COLUMNS = ("区县", "学校", "年级", "班级", "学号", "姓名", "性别")
SCREENING_COLUMNS = ("学校", "学号", "测评日期", "量表", "总分", "预警等级")


def chinese_number(n: int) -> str:
    """1 → 一, 26 → 二十六, 105 → 一百零五, 1000 → 一千 (up to 9999), as school names write them."""
    if n < 10:
        return _DIGITS[n]
    if n < 20:
        return "十" + (_DIGITS[n % 10] if n % 10 else "")
    units = [(1000, "千"), (100, "百"), (10, "十")]
    out, zero = "", False
    for size, unit in units:
        digit = n // size % 10
        if digit:
            out += ("零" if zero and out else "") + _DIGITS[digit] + unit
            zero = False
        elif out:
            zero = True
    if n % 10:
        out += ("零" if zero else "") + _DIGITS[n % 10]
    return out


class _People:
    """Invented people: names, unique phones and e-mails, deterministic for the random generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.count = 0
        self.mailboxes: dict[str, int] = {}
        self.offset = rng.randrange(10**8)

    def name(self, *, modern: bool = False) -> tuple[str, str]:
        surname, surname_py = self.rng.choices(_SURNAMES, _SURNAME_WEIGHTS)[0]
        size = 2 if modern or self.rng.random() < 0.6 else 1
        chars = self.rng.sample(_GIVEN, size)
        return surname + "".join(c for c, _ in chars), surname_py + "".join(p for _, p in chars)

    def phone(self) -> str:
        # 7919 is prime to 10^8, so the last eight digits never repeat within a roster.
        self.count += 1
        return self.rng.choice(_PHONE_PREFIXES) + f"{(self.count * 7919 + self.offset) % 10**8:08d}"

    def email(self, pinyin: str, domain: str) -> str:
        seen = self.mailboxes.get(pinyin, 0)
        self.mailboxes[pinyin] = seen + 1
        return f"{pinyin}{seen if seen else ''}@{domain}"

    def staff(self, *, domain: str = "school.example.cn", email_rate: float = 0.9) -> tuple[str, str, str]:
        name, pinyin = self.name()
        email = self.email(pinyin, domain) if self.rng.random() < email_rate else ""
        return name, email, self.phone()


def _school_names(district: str, stages: list[str], rng: random.Random) -> Iterator[str]:
    city = district[: district.index("市") + 1] if "市" in district else district
    short = city.removesuffix("市")
    numbers = list(range(1, sum(stage != "小学" for stage in stages) + 10))
    rng.shuffle(numbers)
    middle, primary, roads, trades = iter(numbers), 0, iter(_ROADS), iter(_TRADES)
    for stage in stages:
        if stage == "小学":
            primary += 1
            road = None if primary == 1 else next(roads, None)
            if primary == 1:
                yield f"{city}实验小学"
            else:
                yield f"{short}{road}路小学" if road else f"{short}第{chinese_number(primary)}小学"
        elif stage == "中职":
            trade = next(trades, None)
            yield f"{short}{trade}职业学校" if trade else f"{short}第{chinese_number(next(middle))}职业中等专业学校"
        else:
            yield f"{city if stage == '初中' else short}第{chinese_number(next(middle))}中学"


def _spell_grade(grade: int, stage: str, style: int) -> str:
    if style == 1:
        return str(grade - STAGE_GRADES[stage].start + 1)
    if style == 2 and stage in ("小学", "初中"):
        return f"{chinese_number(grade)}年级"
    return grade_label(grade)


def _spell_class(number: int, style: int) -> str:
    return (f"{number}班", f"（{number}）班", str(number))[style]


def _classes_by_grade(stage: str, classes: int) -> list[tuple[int, int]]:
    grades = list(STAGE_GRADES[stage])
    out: list[tuple[int, int]] = []
    for index, grade in enumerate(grades):
        count = classes // len(grades) + (1 if index < classes % len(grades) else 0)
        out.extend((grade, number) for number in range(1, count + 1))
    return out


def sample_roster_rows(
    *, district: str = "青岛市市南区", schools: int = 5, classes_per_school: int = 8, seed: int = 0
) -> list[Row]:
    """A district's staff roster as schools send it: one row per person and role (QD-T10)."""
    rng = random.Random(seed)
    people = _People(rng)
    rows: list[Row] = []

    def add(school: str, stage: str, grade: str, klass: str, person: tuple[str, str, str], role: str) -> None:
        name, email, phone = person
        rows.append(dict(zip(STAFF_COLUMNS, (district, school, stage, grade, klass, name, role, email, phone),
                             strict=True)))

    for _ in range(1 + (schools >= 3)):
        add("", "", "", "", people.staff(domain="edu.example.cn", email_rate=1.0), Role.district_officer.label)
    stages = ["中职" if i % 40 == 39 else _STAGE_CYCLE[i % len(_STAGE_CYCLE)] for i in range(schools)]
    for index, (school, stage) in enumerate(zip(_school_names(district, stages, rng), stages, strict=True)):
        grade_style, class_style = rng.randrange(3), rng.randrange(3)
        for role in (Role.leader, Role.deputy, Role.health_vice_principal):
            add(school, stage, "", "", people.staff(), role.label)
        add(school, stage, "", "", people.staff(), "政教处主任")
        for _ in range(2 if index % 5 == 0 or classes_per_school >= 24 else 1):
            add(school, stage, "", "", people.staff(), Role.psych_teacher.label)
        classes = _classes_by_grade(stage, classes_per_school)
        heads = {grade: people.staff() for grade in sorted({g for g, _ in classes})}
        for grade, head in heads.items():
            add(school, stage, _spell_grade(grade, stage, grade_style), "", head, Role.grade_head.label)
        used_names: set[str] = set()
        for grade, number in classes:
            spelled = (_spell_grade(grade, stage, grade_style), _spell_class(number, class_style))
            # Some grade heads also teach a class of their own: the same person in two rows.
            homeroom = heads[grade] if number == 1 and rng.random() < 0.3 else people.staff()
            add(school, stage, *spelled, homeroom, Role.homeroom.label)
            if grade >= 4:
                for _ in range(rng.choice((1, 2))):
                    name = _unique_name(people, used_names)
                    add(school, stage, *spelled, (name, "", ""), Role.class_psych_member.label)
    return rows


def _unique_name(people: _People, used: set[str]) -> str:
    """Student role holders have no phone: their identity is school/name, so names must differ in a school."""
    while True:
        name, _ = people.name(modern=True)
        if name not in used:
            used.add(name)
            return name


def _classes_of(staff_rows: Sequence[Row]) -> Iterator[tuple[Row, int, str]]:
    seen: set[tuple[str, str, int, str]] = set()
    for row in staff_rows:
        if row.get("角色") != Role.homeroom.label:
            continue
        grade = parse_grade(str(row["年级"]), row["学段"] or None)
        if grade is None:
            continue
        name = class_name_in_grade(str(row["班级"]), grade, row["学段"] or None)
        key = (row["区县"], row["学校"], grade, name)
        if key not in seen:
            seen.add(key)
            yield row, grade, name


def sample_student_rows(staff_rows: Sequence[Row], *, per_class: int = 5, seed: int = 0) -> list[Row]:
    """A student list for the classes of a staff roster; a class's 心理委员 are among its students."""
    rng = random.Random(seed + 1)
    people = _People(rng)
    members: dict[tuple[str, str, int, str], list[str]] = {}
    for row in staff_rows:
        if row.get("角色") == Role.class_psych_member.label:
            grade = parse_grade(str(row["年级"]), row["学段"] or None)
            if grade is not None:
                name = class_name_in_grade(str(row["班级"]), grade, row["学段"] or None)
                members.setdefault((row["区县"], row["学校"], grade, name), []).append(row["姓名"])
    rows: list[Row] = []
    used: dict[str, set[str]] = {}
    for staff_row, grade, class_name in _classes_of(staff_rows):
        district, school = staff_row["区县"], staff_row["学校"]
        names = list(members.get((district, school, grade, class_name), []))
        school_names = used.setdefault(school, set(names))
        while len(names) < per_class:
            names.append(_unique_name(people, school_names))
        number = int(re.sub(r"\D", "", class_name) or 0)
        entry_year = 2026 - (grade - STAGE_GRADES[staff_row["学段"]].start)
        for seat, name in enumerate(names, start=1):
            student_no = f"{entry_year}{grade:02d}{number:02d}{seat:02d}"
            gender = rng.choice(("男", "女"))
            rows.append(dict(zip(STUDENT_COLUMNS, (district, school, grade_label(grade), class_name, student_no,
                                                   name, gender), strict=True)))
    return rows


# (scale, lowest total, cut-offs for 轻度/中度/重度, highest total) by who answers it (QD-3).
_SCALES = {
    "rating": ("儿童心理健康他评量表", 0, (30, 45, 60), 80),
    "junior": ("MHT", 0, (56, 65, 75), 100),
    "senior": ("SCL-90", 90, (160, 200, 250), 450),
}
_LEVEL_WORDS = ("正常", "轻度预警", "中度预警", "重度预警")


def sample_screening_rows(student_rows: Sequence[Row], *, seed: int = 0, year: int = 2026) -> list[Row]:
    """Results as a provider sends them: primary by 30 Sep, junior and senior by 31 Oct (QD-3)."""
    rng = random.Random(seed + 2)
    rows: list[Row] = []
    for student in student_rows:
        grade = parse_grade(str(student["年级"])) or 1
        scale, low, cuts, high = _SCALES["rating" if grade <= 3 else "junior" if grade <= 9 else "senior"]
        level = rng.choices(range(4), (85, 10, 4, 1))[0]
        bounds = (low, *cuts, high)
        score = rng.randint(bounds[level], bounds[level + 1] - 1)
        first = date(year, 9, 8) if grade <= 6 else date(year, 10, 9)
        taken = first + timedelta(days=rng.randrange(14))
        rows.append(dict(zip(SCREENING_COLUMNS, (student["学校"], student["学号"], taken, scale, score,
                                                 _LEVEL_WORDS[level]), strict=True)))
    return rows


def _columns(rows: Sequence[Row]) -> list[str]:
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    return list(columns)


def write_csv(path: Path, rows: Sequence[Row], encoding: str = "utf-8") -> Path:
    """encoding "utf-8", "utf-8-sig" (with BOM, as Excel saves) or "gbk" (as older Excel saves)."""
    columns = _columns(rows)
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, rows: Sequence[Row]) -> Path:
    from openpyxl import Workbook

    columns = _columns(rows)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Sheet1")
    sheet.append(columns)
    for row in rows:
        sheet.append([row.get(column) for column in columns])
    workbook.save(path)
    return path
