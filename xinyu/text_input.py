"""User text at the door: the one check every place where people's text enters goes through (evidence, forms,
reasons, notes, roster and screening imports), so no store, page, email or export ever holds a NUL, a bidi
override that reverses what a reader sees, or another invisible control character.

Refused: C0 controls (tab, line feed and carriage return only where the text may span lines), DEL, C1
controls, the bidi embeddings and overrides U+202A–U+202E, the isolates U+2066–U+2069, the marks U+200E,
U+200F and U+061C, and the line/paragraph separators U+2028/U+2029.
"""

import re
import unicodedata

_NAMES = {
    0x00: "空字符", 0x09: "制表符", 0x0A: "换行符", 0x0D: "回车符", 0x7F: "删除符",
    0x200E: "从左至右标记", 0x200F: "从右至左标记", 0x061C: "阿拉伯字母标记",
    0x202A: "从左至右嵌入", 0x202B: "从右至左嵌入", 0x202C: "方向格式结束", 0x202D: "从左至右覆盖",
    0x202E: "从右至左覆盖", 0x2066: "从左至右隔离", 0x2067: "从右至左隔离", 0x2068: "首字符方向隔离",
    0x2069: "方向隔离结束", 0x2028: "行分隔符", 0x2029: "段分隔符",
}
_SINGLE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_MULTI_LINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
                         "\u2028\u2029]")


class TextInputError(ValueError):
    """Text with a character no field may hold; the message names the field, the character and where."""


def unsafe_character(text: str, *, multiline: bool = False) -> tuple[int, str] | None:
    """(1-based position, description) of the first refused character, or None."""
    found = (_MULTI_LINE if multiline else _SINGLE_LINE).search(text)
    if found is None:
        return None
    code = ord(found.group())
    name = _NAMES.get(code) or ("控制字符" if unicodedata.category(found.group()) == "Cc" else "格式字符")
    return found.start() + 1, f"U+{code:04X} {name}"


def check_text(text: str, what: str, *, multiline: bool = False,
               error: type[ValueError] = TextInputError) -> str:
    """The text unchanged, or `error`: “{what}含有不可见的控制字符（U+202E 从右至左覆盖，第 3 个字符）…”
    (`error`: the caller's own refusal class, so its page or API answers as for its other checks)."""
    bad = unsafe_character(text, multiline=multiline)
    if bad is not None:
        position, name = bad
        raise error(f"{what}含有不可见的控制字符（{name}，第 {position} 个字符），请删除后重新输入")
    return text
