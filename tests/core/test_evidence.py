"""Evidence from a form or the CLI: typed values, required fields, unknown fields, all problems at once."""

from datetime import date
from typing import Any

import pytest

from xinyu.cycle.evidence import EvidenceError, parse_evidence
from xinyu.packs import EvidenceField

COUNT = EvidenceField(name="attention_students", label="本月需关注学生人数", type="int", required=True)
CONSULTED = EvidenceField(name="committee_consulted", label="已听取本班心理委员反馈", type="bool", required=True)
HELD_ON = EvidenceField(name="held_on", label="会议日期", type="date", required=True)
METHOD = EvidenceField(name="method", label="方式", type="choice", required=True, choices=("家访", "线上班会"))
NOTE = EvidenceField(name="note", label="情况说明", type="text")


def parse_one(field: EvidenceField, raw: Any) -> Any:
    return parse_evidence((field,), {field.name: raw})[field.name]


@pytest.mark.parametrize(("raw", "expected"), [("12", 12), (" 7 ", 7), (5, 5), ("0", 0)])
def test_int_accepts_whole_numbers(raw: Any, expected: int) -> None:
    assert parse_one(COUNT, raw) == expected


@pytest.mark.parametrize("raw", ["3.5", "十", "12人", True, "1e3"])
def test_int_refuses_anything_else(raw: Any) -> None:
    with pytest.raises(EvidenceError, match="应为整数"):
        parse_one(COUNT, raw)


@pytest.mark.parametrize("raw", ["是", "有", "已", "yes", "Y", "TRUE", "true", "1", "√", True])
def test_bool_true_words_in_chinese_and_english(raw: Any) -> None:
    assert parse_one(CONSULTED, raw) is True


@pytest.mark.parametrize("raw", ["否", "无", "未", "no", "N", "False", "0", "×", False])
def test_bool_false_words_in_chinese_and_english(raw: Any) -> None:
    assert parse_one(CONSULTED, raw) is False


@pytest.mark.parametrize("raw", ["也许", "ok", "2"])
def test_bool_refuses_other_words(raw: str) -> None:
    with pytest.raises(EvidenceError, match="应为 是/否"):
        parse_one(CONSULTED, raw)


@pytest.mark.parametrize("raw", ["2026-10-15", "2026/10/15", " 2026-10-15 ", date(2026, 10, 15)])
def test_date_is_stored_as_iso_text(raw: Any) -> None:
    assert parse_one(HELD_ON, raw) == "2026-10-15"


@pytest.mark.parametrize("raw", ["2026-13-01", "10月15日", "2026-02-30", "昨天"])
def test_date_refuses_what_is_not_a_calendar_date(raw: str) -> None:
    with pytest.raises(EvidenceError, match="应为日期 YYYY-MM-DD"):
        parse_one(HELD_ON, raw)


def test_choice_accepts_a_listed_value() -> None:
    assert parse_one(METHOD, "家访") == "家访"


def test_choice_refuses_an_unlisted_value_and_lists_the_choices() -> None:
    with pytest.raises(EvidenceError, match="应为 家访 / 线上班会 之一") as refused:
        parse_one(METHOD, "上门")
    assert "'上门'" in str(refused.value)


def test_text_is_trimmed() -> None:
    assert parse_one(NOTE, "  情况平稳  ") == "情况平稳"


@pytest.mark.parametrize("missing", [{}, {"attention_students": None}, {"attention_students": ""},
                                     {"attention_students": "   "}])
def test_a_required_field_left_empty_is_named(missing: dict[str, Any]) -> None:
    with pytest.raises(EvidenceError, match="缺少必填项“本月需关注学生人数”（attention_students）"):
        parse_evidence((COUNT, NOTE), missing)


def test_an_optional_field_left_empty_is_left_out() -> None:
    assert parse_evidence((COUNT, NOTE), {"attention_students": "2", "note": " "}) == {"attention_students": 2}


def test_an_unknown_field_is_refused_with_the_fields_the_task_has() -> None:
    with pytest.raises(EvidenceError) as refused:
        parse_evidence((COUNT, NOTE), {"attention_students": "2", "students_names": "张三"})
    message = str(refused.value)
    assert "此任务没有字段 students_names" in message
    assert "attention_students（本月需关注学生人数）" in message and "note（情况说明）" in message


def test_a_task_without_a_form_accepts_no_field() -> None:
    with pytest.raises(EvidenceError, match="可填写：无"):
        parse_evidence((), {"note": "x"})


def test_several_problems_are_reported_together() -> None:
    fields = (COUNT, CONSULTED, HELD_ON, METHOD, NOTE)
    with pytest.raises(EvidenceError) as refused:
        parse_evidence(fields, {"attention_students": "几个", "held_on": "下周", "method": "上门"})
    problems = str(refused.value).split("；")
    assert len(problems) == 4
    assert "“本月需关注学生人数”（attention_students）应为整数" in problems[0]
    assert "缺少必填项“已听取本班心理委员反馈”（committee_consulted）" in problems[1]
    assert "“会议日期”（held_on）应为日期" in problems[2]
    assert "“方式”（method）应为 家访 / 线上班会 之一" in problems[3]


def test_a_complete_form_parses_every_type() -> None:
    values = {"attention_students": "3", "committee_consulted": "是", "held_on": "2026/10/15",
              "method": "线上班会", "note": "无异常"}
    assert parse_evidence((COUNT, CONSULTED, HELD_ON, METHOD, NOTE), values) == {
        "attention_students": 3, "committee_consulted": True, "held_on": "2026-10-15", "method": "线上班会",
        "note": "无异常",
    }
