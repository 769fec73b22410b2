"""Keeping students' names inside the school (students are minors; REQUIREMENTS privacy rule).

Free text typed by staff (a meeting decision, a notice, a course topic, a reason) may name a student by
mistake. Before such text reaches staff mail, the district's pages and downloads or a notice's page, each
of the school's students is replaced:

- the full name, however it was typed: spaces, full-width spaces, tabs and zero-width or other invisible
  characters between its letters are ignored (黄 晨超, 黄　晨超, 黄\u200b晨超), and full-width letters and
  digits count as their plain forms;
- the given name alone (the name without its surname, compound surnames such as 欧阳 included) when it
  has at least two characters. A given name that is also an everyday word (阳光, 快乐, 一帆 …, see
  xinyu.privacy_words) is replaced only where it plainly names a person: followed by 同学, 家长, 妈妈 …
  or preceded by 同学 or 学生. A given name followed by 老师, 校长 or 主任 names staff and stays;
- the 学号: anywhere when it has 6 characters or more (standing alone, not inside a longer number), and
  after the word 学号 whatever its length; "学号：" goes with it.

A name becomes 某同学 and a following 同学 or 同学们 (or a preceding 同学) goes into it, so the text never
reads 某同学同学; a student number becomes 某学号.
"""

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from models import Student
from xinyu.privacy_words import COMMON_WORDS, COMPOUND_SURNAMES

PLACEHOLDER = "某同学"
NUMBER_PLACEHOLDER = "某学号"
NUMBER_ALONE = 6  # a 学号 this long is masked anywhere; a shorter one only right after the word 学号
PERSON_AFTER = ("同学们", "同学", "的家长", "家长", "的父母", "父母", "爸爸", "妈妈", "父亲", "母亲", "本人")
PERSON_BEFORE = ("同学", "学生")
STAFF_AFTER = ("老师", "校长", "主任", "书记")
NUMBER_BEFORE = ("学号：", "学号:", "学号为", "学号是", "学号")
_ALNUM = re.compile(r"[0-9a-z]+")

FULL, GIVEN, WORD = "full", "given", "word"  # how a name token may be masked (see the module's docstring)


def _is_gap(char: str) -> bool:
    """Characters a name may be typed with between its letters: spaces of every width, invisible marks."""
    return char.isspace() or unicodedata.category(char) in ("Cf", "Zs", "Zl", "Zp")


def _plain(char: str) -> str:
    """Full-width forms as their plain ones (２ → 2, Ａ → a); a character that would grow stays as it is."""
    folded = unicodedata.normalize("NFKC", char).casefold()
    return folded if len(folded) == 1 else char


_HAN = re.compile(r"[\u4e00-\u9fff]+")
_WORD = re.compile(r"[0-9a-z]+")


def normalise(text: str) -> str:
    if _HAN.fullmatch(text) or _WORD.fullmatch(text):  # most names and numbers: nothing to fold
        return text
    return "".join(_plain(c) for c in text if not _is_gap(c))


def given_name(name: str) -> str:
    """The name without its surname (a compound one such as 欧阳 included); '' for a non-Chinese name."""
    if not _HAN.fullmatch(name):
        return ""
    return name[2:] if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else name[1:]


@dataclass(frozen=True)
class _Span:
    start: int  # in the original text
    end: int  # exclusive
    placeholder: str


class StudentMasker:
    """Masks one school's students in any text; built from (name, 学号) pairs."""

    def __init__(self, students: Iterable[tuple[str, str]]) -> None:
        kinds: dict[str, str] = {}
        numbers: set[str] = set()
        for name, number in students:
            full = normalise(name or "")
            if len(full) >= 2:
                kinds[full] = FULL
            given = given_name(full)
            if len(given) >= 2 and kinds.get(given) != FULL:
                kinds[given] = WORD if given in COMMON_WORDS else GIVEN
            if number and normalise(number):
                numbers.add(normalise(number))
        self._numbers = numbers
        self._by_start: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for token, kind in sorted(kinds.items(), key=lambda item: -len(item[0])):  # 王小明 before 小明
            self._by_start[token[:2]].append((token, kind))

    def __bool__(self) -> bool:
        return bool(self._by_start or self._numbers)

    def mask(self, text: str) -> str:
        if not text or not self:
            return text
        kept = [i for i, c in enumerate(text) if not _is_gap(c)]  # normalised index → original index
        norm = "".join(_plain(text[i]) for i in kept)
        spans = self._name_spans(norm, kept) + self._number_spans(text, norm, kept)
        return _replace(text, spans)

    def _name_spans(self, norm: str, kept: list[int]) -> list[_Span]:
        spans, i, last = [], 0, 0
        while i < len(norm) - 1:
            found = next((token for token, kind in self._by_start.get(norm[i:i + 2], ())
                          if norm.startswith(token, i) and _applies(kind, norm, i, i + len(token))), None)
            if found is None:
                i += 1
                continue
            start, end = i, i + len(found)
            after = next((w for w in ("同学们", "同学") if norm.startswith(w, end)), "")
            end += len(after)
            before = next((w for w in ("某同学", "同学") if norm.endswith(w, 0, start)), "")
            if start - len(before) >= last:
                start -= len(before)
            spans.append(_Span(kept[start], kept[end - 1] + 1, PLACEHOLDER))
            i = last = end
        return spans

    def _number_spans(self, text: str, norm: str, kept: list[int]) -> list[_Span]:
        if not self._numbers:
            return []
        spans = []
        for run in _ALNUM.finditer(norm):
            # A run may join numbers the text kept apart with a space: try each stretch between such gaps.
            cuts = [run.start()] + [k for k in range(run.start() + 1, run.end())
                                    if any(c.isspace() for c in text[kept[k - 1] + 1:kept[k]])] + [run.end()]
            for a in range(len(cuts) - 1):
                for b in range(len(cuts) - 1, a, -1):
                    start, end = cuts[a], cuts[b]
                    if norm[start:end] not in self._numbers:
                        continue
                    label = next((w for w in NUMBER_BEFORE if norm.endswith(w, 0, start)), "")
                    if end - start >= NUMBER_ALONE or label:
                        spans.append(_Span(kept[start - len(label)], kept[end - 1] + 1, NUMBER_PLACEHOLDER))
                    break
        return spans


def _applies(kind: str, norm: str, start: int, end: int) -> bool:
    if kind == FULL:
        return True
    if norm.startswith(STAFF_AFTER, end):
        return False
    if kind == GIVEN:
        return True
    return norm.startswith(PERSON_AFTER, end) or any(norm.endswith(w, 0, start) for w in PERSON_BEFORE)


def _replace(text: str, spans: list[_Span]) -> str:
    """The text with the spans replaced; overlapping spans give way to the earlier one, and touching
    spans of the same placeholder become one (某同学某同学 would double a word)."""
    out, at, previous = [], 0, None
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if span.start < at:
            continue
        if previous == span.placeholder and span.start == at:
            at = span.end
            continue
        out.append(text[at:span.start])
        out.append(span.placeholder)
        at, previous = span.end, span.placeholder
    out.append(text[at:])
    return "".join(out)


def school_masker(session: Session, school_id: int) -> StudentMasker:
    """The school's students as a masker: one query of names and numbers (about 1,200 rows a school)."""
    rows = session.exec(select(col(Student.name), col(Student.student_no)).where(Student.school_id == school_id))
    return StudentMasker(rows)


def mask_texts(session: Session, texts: set[tuple[int, str]]) -> dict[tuple[int, str], str]:
    """(school id, text) → the text masked for that school's students; one roster query per school."""
    maskers: dict[int, StudentMasker] = {}
    masked = {}
    for school_id, text in texts:
        if school_id not in maskers:
            maskers[school_id] = school_masker(session, school_id)
        masked[(school_id, text)] = maskers[school_id].mask(text)
    return masked


def redact_student_names(session: Session, school_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """The same values with the school's students masked in every text value (see the module's docstring)."""
    if not any(isinstance(value, str) and value for value in values.values()):
        return dict(values)
    masker = school_masker(session, school_id)
    return {key: masker.mask(value) if isinstance(value, str) else value for key, value in values.items()}
