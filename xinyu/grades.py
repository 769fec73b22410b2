"""School stages and grades as rosters write them: 1–12, 一年级…六年级, 初一/七年级, 高一…高三."""

import re

STAGES = ("小学", "初中", "高中", "中职")
STAGE_GRADES = {"小学": range(1, 7), "初中": range(7, 10), "高中": range(10, 13), "中职": range(10, 13)}
STAGE_RANK = {"小学": 1, "初中": 2, "高中": 3, "中职": 3}
_STAGE_ALIASES = {
    "小学": "小学", "primary": "小学",
    "初中": "初中", "初级中学": "初中", "junior": "初中", "juniorhigh": "初中",
    "高中": "高中", "高级中学": "高中", "普通高中": "高中", "senior": "高中", "seniorhigh": "高中",
    "中职": "中职", "中职学校": "中职", "中等职业学校": "中职", "vocational": "中职",
}

_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_NAMED = {
    "初一": 7, "初二": 8, "初三": 9,
    "高一": 10, "高二": 11, "高三": 12,
    "中职一年级": 10, "中职二年级": 11, "中职三年级": 12,
}


def _cn_number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if text in _DIGITS:
        return _DIGITS[text]
    if text.startswith("十") and len(text) == 2 and text[1] in _DIGITS:
        return 10 + _DIGITS[text[1]]
    return None


def parse_grade(text: str, stage: str | None = None) -> int | None:
    """Grade 1–12, or None when the text is not a grade. 一年级 in a 高中 roster means 高一, in a 初中 roster 初一.

    Also read: 初1/高2, a stage prefix (初中二年级, 小学3年级, 高中一年级) and English "Grade 3".
    """
    raw = text.strip().replace(" ", "").replace("\u3000", "")
    if raw in _NAMED:
        return _NAMED[raw]
    english = re.fullmatch(r"(?i)(?:grade|g)(\d{1,2})", raw)
    if english:
        raw = english.group(1)
    short = re.fullmatch(r"([初高])([1-3])(年级)?", raw)
    if short:
        return _NAMED[short.group(1) + "一二三"[int(short.group(2)) - 1]]
    for prefix in STAGES:
        if raw.startswith(prefix) and len(raw) > len(prefix):
            raw, stage = raw[len(prefix):], prefix
            break
    match = re.fullmatch(r"(\d{1,2}|[一二三四五六七八九十]{1,2})(年级)?", raw)
    if not match:
        return None
    number = _cn_number(match.group(1))
    if number is None or not 1 <= number <= 12:
        return None
    if stage in ("高中", "中职") and number <= 3:
        return number + 9
    if stage == "初中" and number <= 3:
        return number + 6
    return number


def stage_of_grade(grade: int) -> str:
    return "小学" if grade <= 6 else "初中" if grade <= 9 else "高中"


def grade_label(grade: int) -> str:
    if grade <= 6:
        return f"{'一二三四五六'[grade - 1]}年级"
    if grade <= 9:
        return f"初{'一二三'[grade - 7]}"
    return f"高{'一二三'[grade - 10]}"


def normalise_class_name(text: str) -> str:
    """'3', '3班', '（3）班', '三班' all mean 3班."""
    raw = text.strip().replace("（", "(").replace("）", ")").strip("()")
    raw = raw.replace("(", "").replace(")", "")
    digits = raw[:-1] if raw.endswith("班") else raw
    number = _cn_number(digits)
    return f"{number}班" if number is not None else raw


def parse_stage(text: str) -> str | None:
    """小学/初中/高中/中职 from the spellings rosters use (also English), or None."""
    key = re.sub(r"[\s_\-]", "", text).casefold()
    return _STAGE_ALIASES.get(key)


def grade_in_stage(grade: int, stage: str) -> bool:
    return grade in STAGE_GRADES.get(stage, range(0))


def stage_grade_labels(stage: str) -> str:
    """The grades of a stage as a reader expects them: 一年级…六年级, 初一…初三, 高一…高三."""
    grades = STAGE_GRADES[stage]
    return "、".join(grade_label(g) for g in grades)


def class_name_in_grade(text: str, grade: int, stage: str | None = None) -> str:
    """Like normalise_class_name, but '初一(3)班' or '七年级3班' in grade 7 also mean 3班."""
    name = normalise_class_name(text)
    if re.fullmatch(r"\d+班", name):
        return name
    raw = text.strip()
    for cut in range(1, min(len(raw), 8)):
        rest = normalise_class_name(raw[cut:])
        if parse_grade(raw[:cut], stage) == grade and re.fullmatch(r"\d+班", rest):
            return rest
    return name
