"""The Jilin pack (吉林省): it loads, quotes every clause it cites verbatim from its own text, and its date
window (JL-3 宣传月 05-25 to 06-25) is checked against its months with the dotted path."""

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.policy_texts import policy_dir
from tests.test_packs import cited_clauses, message_paths, unshared, write_pack
from xinyu.cycle.schedule import opens_on, task_due
from xinyu.packs import ExtraTask, Pack, PackError, load_pack

JILIN_TEXT = "001_e0fefc51299b47b7.txt"


@pytest.fixture(scope="module")
def jilin() -> Pack:
    return load_pack("jilin", Path(__file__).resolve().parent.parent / "packs")


@pytest.fixture(scope="module")
def jilin_raw() -> dict[str, Any]:
    raw = yaml.safe_load((Path(__file__).resolve().parent.parent / "packs" / "jilin.yaml").read_text("utf-8"))
    assert isinstance(raw, dict)
    return raw


def all_cited(pack: Pack) -> list[tuple[str, str]]:
    cited = cited_clauses(pack)
    cited.append(("screening", pack.screening.clause))
    cited.append(("talk_coverage", pack.talk_coverage.clause))
    cited.append(("key_students.categories_clause", pack.key_students.categories_clause))
    if pack.mentors:
        cited.append(("mentors", pack.mentors.clause))
    if pack.crisis:
        cited += [("crisis", pack.crisis.clause), ("crisis.relay", pack.crisis.relay_clause),
                  ("crisis.referral", pack.crisis.referral_clause)]
    if pack.chase:
        cited.append(("chase", pack.chase.clause))
        cited += [(f"chase.{name}.{r.key}", r.clause) for name, rungs in pack.chase.ladders.items() for r in rungs]
    return cited


def test_jilin_is_found_by_its_name(jilin: Pack) -> None:
    assert (jilin.id, jilin.name) == ("jilin", "吉林省")


def test_every_cited_clause_is_quoted(jilin: Pack) -> None:
    assert [(where, clause) for where, clause in all_cited(jilin) if clause not in jilin.clauses] == []


def test_every_quote_is_verbatim_from_a_policy_text(jilin: Pack) -> None:
    texts = {p.name: p.read_text("utf-8") for p in policy_dir().glob("*.txt")}
    for clause, words in jilin.clauses.items():
        source = texts[JILIN_TEXT] if clause.startswith("JL-") else "".join(texts.values())
        assert words in source, clause


def test_every_task_names_its_responsible_unit(jilin: Pack) -> None:
    for variant in jilin.variants.values():
        for step in variant.steps:
            assert all(t.responsible for t in step.tasks), step.key
    assert all(e.responsible for e in jilin.extra_tasks)


def test_yearly_screening_and_its_methods(jilin: Pack) -> None:
    """JL-5 每年面向小学高年级、初中、高中开展一次心理健康测评: once a year (October), grades 5–12 online."""
    yearly = [e for e in jilin.extra_tasks if e.key == "annual_screening"]
    assert [(e.months, e.stages, e.clause) for e in yearly] == [((10,), ("小学", "初中", "高中"), "JL-5")]
    assert [jilin.screening.method_for(g) for g in (4, 5, 9, 12)] == ["rating", "online", "online", "online"]


def test_the_publicity_month_window(jilin: Pack) -> None:
    """JL-3: the May part opens 25 May, due 31 May; the June part opens with June, due 25 June."""
    (task,) = [e for e in jilin.extra_tasks if e.window]
    assert isinstance(task, ExtraTask) and task.clause == "JL-3"
    step_due = date(2027, 5, 10)
    assert (opens_on(task, "2027-05"), task_due(task, step_due, "2027-05")) == (date(2027, 5, 25), date(2027, 5, 31))
    assert (opens_on(task, "2027-06"), task_due(task, step_due, "2027-06")) == (date(2027, 6, 1), date(2027, 6, 25))
    assert opens_on(jilin.template(10, "screening", "annual_screening"), "2026-10") is None


def test_the_crisis_relay_is_the_four_level_network(jilin: Pack) -> None:
    """JL-5 学校、年级、班级、家庭: class → grade → school at once; the family by the handler's same-day task."""
    assert jilin.crisis is not None
    assert [r.value for r in jilin.crisis.relay] == ["homeroom", "grade_head", "leader"]
    assert jilin.crisis.district_levels == ()
    assert jilin.chase is not None and jilin.chase.ladder("crisis")[0].at == 0


def _window(index: int, **window: str) -> Any:
    def change(raw: dict[str, Any]) -> None:
        raw["extra_tasks"][index]["window"] = window
    return change


def _months(index: int, months: list[int]) -> Any:
    def change(raw: dict[str, Any]) -> None:
        raw["extra_tasks"][index]["months"] = months
    return change


def _both(*changes: Any) -> Any:
    def change(raw: dict[str, Any]) -> None:
        for one in changes:
            one(raw)
    return change


def _set(index: int, key: str, value: Any) -> Any:
    def change(raw: dict[str, Any]) -> None:
        raw["extra_tasks"][index][key] = value
    return change


# The publicity month's index among the pack's extra tasks: each bad pack below changes that one task.
W = [e["key"] for e in yaml.safe_load((Path(__file__).resolve().parent.parent / "packs" / "jilin.yaml")
                                      .read_text("utf-8"))["extra_tasks"]].index("publicity_month")
BAD_WINDOWS = [
    ("a month outside the window", _months(W, [5, 7]), f"extra_tasks.{W}.months.1", "不在窗口"),
    ("a month of the window not listed", _months(W, [5]), f"extra_tasks.{W}.window", "[6]"),
    ("window across the new year", _window(W, start="12-20", end="01-10"), f"extra_tasks.{W}.window.end", "跨年"),
    ("not a day", _window(W, start="05-25", end="06-31"), f"extra_tasks.{W}.window.end", "有效的日期"),
    ("due_day with a window", _set(W, "due_day", 20), f"extra_tasks.{W}.due_day", "due_day"),
    ("a window that blocks its step", _set(W, "blocks_step", True), f"extra_tasks.{W}.blocks_step", "blocks_step"),
    ("a window over the wrong month", _both(_window(W, start="10-10", end="10-20"), _months(W, [9])),
     f"extra_tasks.{W}.months.0", "9 月"),
]


@pytest.mark.parametrize(("change", "path", "word"), [c[1:] for c in BAD_WINDOWS], ids=[c[0] for c in BAD_WINDOWS])
def test_a_window_that_does_not_fit_its_months_is_refused(
    change: Any, path: str, word: str, jilin_raw: dict[str, Any], tmp_path: Path,
) -> None:
    write_pack(unshared(jilin_raw), tmp_path, "jilin")
    load_pack("jilin", tmp_path)  # the unchanged copy is valid: the one change below is the cause
    bad = tmp_path / "bad"
    bad.mkdir()
    raw = unshared(jilin_raw)
    change(raw)
    file = write_pack(raw, bad, "jilin")
    with pytest.raises(PackError) as info:
        load_pack("jilin", bad)
    assert str(file) in str(info.value)
    assert message_paths(str(info.value)) == [path], str(info.value)
    assert word in str(info.value)


def test_a_case_conference_in_september(jilin: Pack) -> None:
    """JL-9 研判 and 干预方案告知家长: a September task whose form records that the parents were told."""
    task = jilin.template(9, "screening", "enrolment_case_conference")
    assert (task.role, task.clause, task.blocks_step) == ("psych_teacher", "JL-9", False)
    assert any(f.name == "parents_told" and f.required for f in task.evidence)
