"""Cell values as rosters and providers write them: phones, emails, genders, dates, scores, warning levels."""

import math
import re
from datetime import date, datetime, timedelta

from xinyu.roster.tables import Cell, cell_text

_PHONE = re.compile(r"1[3-9]\d{9}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


def parse_phone(text: str) -> str | None:
    """Mainland mobile number, 11 digits; spaces, dashes and a +86 prefix are dropped. None if invalid."""
    digits = re.sub(r"[\s\-()（）]", "", text)
    digits = re.sub(r"^(\+?86)(?=1\d{10}$)", "", digits)
    return digits if _PHONE.fullmatch(digits) else None


def parse_email(text: str) -> str | None:
    address = text.strip().lower()
    return address if len(address) <= 254 and _EMAIL.fullmatch(address) else None


_GENDERS = {"男": "男", "女": "女", "m": "男", "f": "女", "male": "男", "female": "女", "男性": "男", "女性": "女"}


def parse_gender(text: str) -> str | None:
    return _GENDERS.get(text.strip().lower())


# Excel counts days from 1899-12-30 (its 1900 leap-year bug folded in); 20000–80000 is 1954–2119.
_EXCEL_EPOCH = date(1899, 12, 30)


def parse_date(cell: Cell) -> date | None:
    """YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD, YYYY年M月D日, an Excel date cell or an Excel day number."""
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return _EXCEL_EPOCH + timedelta(days=int(cell)) if 20000 <= cell <= 80000 else None
    text = cell_text(cell)
    if re.fullmatch(r"\d{5}", text):
        return parse_date(int(text))
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?", text)
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


# A screening total: no scale in use scores below 0, none near 1000 (SCL-90 tops at 450, MHT at 100).
SCORE_MIN, SCORE_MAX = 0, 1000


def parse_score(cell: Cell) -> float | None:
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        value = float(cell)
    else:
        try:
            value = float(cell_text(cell))
        except ValueError:
            return None
    return value if math.isfinite(value) else None


LEVELS = ("无", "轻度", "中度", "重度")

# Providers name the warning level in many ways; all map onto ledger A's four levels.
#   无:   无、正常、无风险、无预警、未见异常、none、normal
#   轻度: 轻度、轻、轻度预警、低风险、低、一级、1级、黄色（预警）、mild、low
#   中度: 中度、中、中度预警、中风险、二级、2级、橙色（预警）、moderate、medium
#   重度: 重度、重、重度预警、高风险、高、严重、三级、3级、红色（预警）、severe、high
# 一级/二级/三级 are read in ascending severity, as the Jinan text's 一级/二级/三级 tiers are (JN-3).
# A provider that uses 一级 for the most severe level must have its file re-labelled before import.
_LEVEL_WORDS = {
    "无": ("无", "正常", "无风险", "无预警", "未见异常", "none", "normal"),
    "轻度": ("轻度", "轻", "轻度预警", "低风险", "低", "一级", "1级", "一级预警", "黄色", "黄色预警", "mild", "low"),
    "中度": ("中度", "中", "中度预警", "中风险", "二级", "2级", "二级预警", "橙色", "橙色预警", "moderate", "medium"),
    "重度": (
        "重度", "重", "重度预警", "高风险", "高", "严重", "三级", "3级", "三级预警", "红色", "红色预警",
        "severe", "high",
    ),
}
_LEVELS = {word: level for level, words in _LEVEL_WORDS.items() for word in words}


def parse_level(text: str) -> str | None:
    return _LEVELS.get(re.sub(r"\s", "", text).lower())
