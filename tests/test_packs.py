"""Policy packs: the shipped packs load and cite real clause IDs; bad packs are refused precisely.

Each bad pack is the parsed qingdao.yaml with exactly one change, written back as YAML, so the
error must come from that one place and name it: the file and the dotted path of the field.
"""

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.policy_texts import requirements_file
from xinyu.packs import Pack, PackError, available_packs, load_pack, load_pack_file

REQUIREMENTS = requirements_file()
CLAUSE_ID = re.compile(r"\b(?:QD|JL|GZ|HLJ|JN)-[A-Za-z0-9]+(?:\.[A-Za-z0-9]+)*")
SHIPPED = ("ganzhou", "heilongjiang", "jinan", "qingdao")


def requirement_ids(text: str) -> set[str]:
    """Clause IDs from the first column of the tables in REQUIREMENTS.md ("QD-T7, QD-T11" gives two)."""
    ids: set[str] = set()
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        first = line.strip("|").split("|")[0]
        ids.update(CLAUSE_ID.findall(first))
    return ids


def cited_clauses(pack: Pack) -> list[tuple[str, str]]:
    """(where, clause) for the course rule, every step and every task template of the pack."""
    cited = [("course_rule", pack.course_rule.clause)]
    if pack.course_rule.semester:
        cited.append(("course_rule.semester", pack.course_rule.semester.clause))
    for name, variant in pack.variants.items():
        for step in variant.steps:
            cited.append((f"variants.{name}.{step.key}", step.clause))
            cited.extend((f"variants.{name}.{step.key}.{t.key}", t.clause) for t in step.tasks)
    cited.extend((f"extra_tasks.{e.key}", e.clause) for e in pack.extra_tasks)
    cited.extend(("network", clause) for clause in (pack.network.clauses() if pack.network else []))
    return cited


# --- the shipped packs ------------------------------------------------------------------------


def test_both_packs_are_shipped(packs_dir: Path) -> None:
    assert set(SHIPPED) <= set(available_packs(packs_dir))


@pytest.mark.parametrize("pack_id", SHIPPED)
def test_shipped_pack_loads(pack_id: str, packs_dir: Path) -> None:
    pack = load_pack(pack_id, packs_dir)
    assert pack.id == pack_id
    assert "regular" in pack.variants
    for month in range(1, 13):
        steps = pack.steps_for(month)
        assert steps, month
        for step in steps:
            assert pack.templates_for(month, step.key)


@pytest.mark.parametrize("pack_id", SHIPPED)
def test_every_clause_exists_in_requirements(pack_id: str, packs_dir: Path) -> None:
    known = requirement_ids(REQUIREMENTS.read_text(encoding="utf-8"))
    assert {"QD-G4", "QD-T7", "QD-T11", "GZ-3.2", "GZ-A2.2.4", "HLJ-all"} <= known  # the parser works
    unknown = [(where, clause) for where, clause in cited_clauses(load_pack(pack_id, packs_dir))
               if clause not in known]
    assert not unknown


def test_ganzhou_course_rhythm(packs_dir: Path) -> None:
    """GZ-3.2: 每两周1课时心理活动课 + 每月1课时心理班会课; no per-semester minimum in the text."""
    rule = load_pack("ganzhou", packs_dir).course_rule
    assert rule.clause == "GZ-3.2"
    assert set(rule.kinds) == {"activity_lesson", "class_meeting", "theme_activity"}
    monthly = {(r.kind, r.min, r.per) for r in rule.monthly}
    assert monthly == {("activity_lesson", 1, "fortnight"), ("class_meeting", 1, "month")}
    assert rule.semester is None


def test_ganzhou_extra_tasks_by_month(packs_dir: Path) -> None:
    pack = load_pack("ganzhou", packs_dir)

    def extras(month: int) -> set[str]:
        return {e.key for e in pack.extra_tasks if month in e.months}

    assert {"term_start_activity", "key_person_screening"} <= extras(9)
    assert {"term_start_activity", "key_person_screening"} <= extras(3)
    assert "pre_exam_activity" in extras(1) & extras(6)
    assert "theme_month_may" in extras(5)
    assert "theme_month_oct" in extras(10)
    key_person = next(e for e in pack.extra_tasks if e.key == "key_person_screening")
    assert key_person.clause == "GZ-A2.2.4"
    assert any(f.required and "家人或监护人" in f.label for f in key_person.evidence)


def test_ganzhou_class_report_names_the_health_committee(packs_dir: Path) -> None:
    """GZ-5.1: the class warning is the 班主任's together with the 健康委员 (2 boys + 2 girls)."""
    pack = load_pack("ganzhou", packs_dir)
    report = pack.template(4, "screening", "class_report")
    assert report.role == "homeroom" and report.per == "class" and report.clause == "GZ-5.1"
    assert "健康委员" in report.title
    assert any(f.required and "健康委员" in f.label for f in report.evidence)
    # The agenda counts this field's picks over the class reports (xinyu/meetings/agenda.py); each pick
    # proposes a ledger B entry (issue 12 item 4).
    assert any(f.name == "attention_students" and f.type == "students" and f.proposes == "B"
               for f in report.evidence)


@pytest.mark.parametrize("pack_id", SHIPPED)
def test_vacation_months_use_the_vacation_variant(pack_id: str, packs_dir: Path) -> None:
    pack = load_pack(pack_id, packs_dir)
    for month in range(1, 13):
        keys = {s.key for s in pack.steps_for(month)}
        if month in pack.calendar.vacation_months:
            assert "holiday_guidance" in keys and "course_check" not in keys
        else:
            assert "course_check" in keys and "holiday_guidance" not in keys


# --- bad packs ---------------------------------------------------------------------------------


def unshared(node: Any) -> Any:
    """A deep copy without the shared objects YAML aliases produce, so one change stays one change."""
    if isinstance(node, dict):
        return {key: unshared(value) for key, value in node.items()}
    if isinstance(node, list):
        return [unshared(value) for value in node]
    return node


@pytest.fixture(scope="module")
def qingdao_raw() -> dict[str, Any]:
    path = Path(__file__).resolve().parent.parent / "packs" / "qingdao.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(raw, dict)
    return raw


def write_pack(raw: dict[str, Any], directory: Path, name: str = "qingdao") -> Path:
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def step(raw: dict[str, Any], variant: str, index: int) -> dict[str, Any]:
    result: dict[str, Any] = raw["variants"][variant]["steps"][index]
    return result


def _set_role(raw: dict[str, Any]) -> None:
    step(raw, "regular", 0)["tasks"][0]["role"] = "janitor"


def _set_evidence_type(raw: dict[str, Any]) -> None:
    step(raw, "regular", 0)["tasks"][0]["evidence"][0]["type"] = "float"


def _drop_choices(raw: dict[str, Any]) -> None:
    del step(raw, "vacation", 3)["tasks"][0]["evidence"][0]["choices"]


def _choices_on_int(raw: dict[str, Any]) -> None:
    step(raw, "regular", 0)["tasks"][0]["evidence"][0]["choices"] = ["一", "二"]


def _after_missing(raw: dict[str, Any]) -> None:
    step(raw, "regular", 0)["tasks"][1]["after"] = "no_such_task"


def _drop_ledger_d_review(raw: dict[str, Any]) -> None:
    tasks = step(raw, "regular", 1)["tasks"]
    assert tasks[3]["ledger"] == "D"
    del tasks[3]


def _ledger_without_review(raw: dict[str, Any]) -> None:
    step(raw, "regular", 2)["tasks"][0]["ledger"] = "A"


def _due_too_late(raw: dict[str, Any]) -> None:
    step(raw, "regular", 0)["due"] = 24


def _due_too_early(raw: dict[str, Any]) -> None:
    step(raw, "regular", 4)["due"] = -24


def _due_zero(raw: dict[str, Any]) -> None:
    step(raw, "regular", 0)["due"] = 0


def _no_tasks(raw: dict[str, Any]) -> None:
    step(raw, "regular", 2)["tasks"] = []


def _unknown_course_kind(raw: dict[str, Any]) -> None:
    raw["course_rule"]["monthly"][1]["kind"] = "yoga"


def _unknown_semester_kind(raw: dict[str, Any]) -> None:
    raw["course_rule"]["semester"]["kinds"] = ["yoga"]


def _bad_per(raw: dict[str, Any]) -> None:
    raw["course_rule"]["monthly"][0]["per"] = "week"


def _drop_regular(raw: dict[str, Any]) -> None:
    del raw["variants"]["regular"]


def _drop_vacation(raw: dict[str, Any]) -> None:
    del raw["variants"]["vacation"]


def _extra_missing_step(raw: dict[str, Any]) -> None:
    raw["extra_tasks"][1]["step"] = "no_such_step"


def _extra_step_not_in_vacation(raw: dict[str, Any]) -> None:
    extra = raw["extra_tasks"][0]
    extra["step"], extra["months"] = "course_check", [5, 7]   # July is a vacation month: no course check


def _extra_month_13(raw: dict[str, Any]) -> None:
    raw["extra_tasks"][2]["months"] = [9, 13]


def _duplicate_task_key(raw: dict[str, Any]) -> None:
    step(raw, "regular", 0)["tasks"][1]["key"] = "class_report"


def _duplicate_step_key(raw: dict[str, Any]) -> None:
    step(raw, "regular", 3)["key"] = "meeting"


def _extra_key_nested(raw: dict[str, Any]) -> None:
    step(raw, "regular", 0)["tasks"][0]["colour"] = "blue"


def _extra_key_top(raw: dict[str, Any]) -> None:
    raw["owner"] = "someone"


def _bad_semester_date(raw: dict[str, Any]) -> None:
    raw["semesters"][0]["start"] = "9-1"


def _extra_key_collides(raw: dict[str, Any]) -> None:
    raw["extra_tasks"][1]["key"] = "class_report"   # mental_health_day sits in October's screening step


def _extra_after_missing(raw: dict[str, Any]) -> None:
    raw["extra_tasks"][1]["after"] = "no_such_task"


def _unknown_stage(raw: dict[str, Any]) -> None:
    raw["extra_tasks"][1]["stages"] = ["小学", "大学"]


def _earliest_after_due(raw: dict[str, Any]) -> None:
    step(raw, "regular", 1)["earliest"] = 9   # due on the 8th working day


def _ledger_c_to_health_vice_principal(raw: dict[str, Any]) -> None:
    """The Qingdao pack before issue 12: 心理健康副校长 reviewed ledger C, which that role cannot read (GZ-5.3)."""
    review = step(raw, "regular", 1)["tasks"][2]
    assert review["ledger"] == "C"
    review["role"] = "health_vice_principal"


def _class_role_reads_ledger_c(raw: dict[str, Any]) -> None:
    raw["ledger_readers"]["C"] = ["leader", "homeroom"]


def _network_adult_role(raw: dict[str, Any]) -> None:
    raw["network"]["class_roles"][0]["role"] = "homeroom"


def _network_max_below_min(raw: dict[str, Any]) -> None:
    raw["network"]["class_roles"][0].update(min=3, max=2)


def _network_grades_backwards(raw: dict[str, Any]) -> None:
    raw["network"]["class_roles"][0]["grades"] = [9, 4]


def _network_gender_typo(raw: dict[str, Any]) -> None:
    raw["network"]["class_roles"][0]["per_gender"] = {"难": 2}


def _network_genders_above_min(raw: dict[str, Any]) -> None:
    raw["network"]["class_roles"][0].update(min=2, max=4, per_gender={"男": 2, "女": 2})


def _network_zero_dorm(raw: dict[str, Any]) -> None:
    raw["network"]["dorms"]["per_dorm"] = 0


def _network_bad_ratio_due(raw: dict[str, Any]) -> None:
    raw["network"]["staffing"]["ratio_due"] = "2025年底"


def _network_duplicate_role(raw: dict[str, Any]) -> None:
    raw["network"]["class_roles"].append(dict(raw["network"]["class_roles"][0]))


def _network_unquoted_clause(raw: dict[str, Any]) -> None:
    del raw["clauses"]["QD-T2"]


BAD_PACKS: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    # (case, the one change, dotted path of the bad field, a word the message must carry)
    ("unknown role", _set_role, "variants.regular.steps.0.tasks.0.role", "leader"),
    ("bad evidence type", _set_evidence_type, "variants.regular.steps.0.tasks.0.evidence.0.type", "choice"),
    ("choice without choices", _drop_choices, "variants.vacation.steps.3.tasks.0.evidence.0.choices", "choice"),
    ("choices on an int field", _choices_on_int, "variants.regular.steps.0.tasks.0.evidence.0.choices",
     "choice"),
    ("after names a missing task", _after_missing, "variants.regular.steps.0.tasks.1.after", "no_such_task"),
    ("ledgers_required without review", _drop_ledger_d_review, "variants.regular.steps.1.ledgers_required",
     "D"),
    ("ledger without ledger_review", _ledger_without_review, "variants.regular.steps.2.tasks.0.ledger",
     "ledger_review"),
    ("step due after 23", _due_too_late, "variants.regular.steps.0.due", "23"),
    ("step due before -23", _due_too_early, "variants.regular.steps.4.due", "-23"),
    ("step due zero", _due_zero, "variants.regular.steps.0.due", "0"),
    ("step without tasks", _no_tasks, "variants.regular.steps.2.tasks", "at least 1"),
    ("unknown course kind in monthly", _unknown_course_kind, "course_rule.monthly.1.kind", "yoga"),
    ("unknown course kind in semester", _unknown_semester_kind, "course_rule.semester.kinds.0", "yoga"),
    ("unknown course period", _bad_per, "course_rule.monthly.0.per", "fortnight"),
    ("missing variants.regular", _drop_regular, "variants.regular", "regular"),
    ("vacation months without vacation variant", _drop_vacation, "variants.vacation", "vacation_months"),
    ("extra task names a missing step", _extra_missing_step, "extra_tasks.1.step", "no_such_step"),
    ("extra task step missing in a vacation month", _extra_step_not_in_vacation, "extra_tasks.0.step", "7"),
    ("extra task month 13", _extra_month_13, "extra_tasks.2.months", "12"),
    ("duplicate task key", _duplicate_task_key, "variants.regular.steps.0.tasks.1.key", "class_report"),
    ("duplicate step key", _duplicate_step_key, "variants.regular.steps.3.key", "meeting"),
    ("unknown key in a task", _extra_key_nested, "variants.regular.steps.0.tasks.0.colour", "Extra inputs"),
    ("unknown top-level key", _extra_key_top, "owner", "Extra inputs"),
    ("semester date not MM-DD", _bad_semester_date, "semesters.0.start", "pattern"),
    ("extra task key collides with a step task", _extra_key_collides, "extra_tasks.1.key", "class_report"),
    ("extra task after names a missing task", _extra_after_missing, "extra_tasks.1.after", "no_such_task"),
    ("unknown stage", _unknown_stage, "extra_tasks.1.stages.1", "大学"),
    ("earliest after due", _earliest_after_due, "variants.regular.steps.1.earliest", "9"),
    ("ledger C review by a role that cannot read C", _ledger_c_to_health_vice_principal,
     "variants.regular.steps.1.tasks.2.role", "心理健康副校长无权查看C台账"),
    ("a class role as a whole-school ledger reader", _class_role_reads_ledger_c, "ledger_readers.C", "全校范围"),
    ("network: an adult role as a class student role", _network_adult_role, "network.class_roles.0.role",
     "不是班级学生角色"),
    ("network: max below min", _network_max_below_min, "network.class_roles.0.max", "小于 min"),
    ("network: grades backwards", _network_grades_backwards, "network.class_roles.0.grades", "起始年级"),
    ("network: unknown gender", _network_gender_typo, "network.class_roles.0.per_gender.难.[key]",
     "男"),
    ("network: genders above min", _network_genders_above_min, "network.class_roles.0.min", "各性别人数之和"),
    ("network: no informant per dorm", _network_zero_dorm, "network.dorms.per_dorm", "greater than or equal"),
    ("network: ratio due not a date", _network_bad_ratio_due, "network.staffing.ratio_due", "date"),
    ("network: a role twice", _network_duplicate_role, "network.class_roles.1.role", "重复"),
    ("network: a clause not quoted", _network_unquoted_clause, "network.staffing.clause", "QD-T2"),
]


def message_paths(message: str) -> list[str]:
    """The dotted paths the message reports, one per line: '  a.b.0.c: what is wrong'."""
    return [line.strip().split(":", 1)[0] for line in message.splitlines()[1:] if ":" in line]


@pytest.mark.parametrize(("change", "path", "word"), [case[1:] for case in BAD_PACKS],
                         ids=[case[0] for case in BAD_PACKS])
def test_bad_pack_is_refused_with_file_and_path(
    change: Callable[[dict[str, Any]], None], path: str, word: str,
    qingdao_raw: dict[str, Any], tmp_path: Path,
) -> None:
    write_pack(unshared(qingdao_raw), tmp_path)
    load_pack("qingdao", tmp_path)  # the unchanged copy is valid: the one change below is the cause

    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    raw = unshared(qingdao_raw)
    change(raw)
    file = write_pack(raw, bad_dir)
    with pytest.raises(PackError) as info:
        load_pack("qingdao", bad_dir)
    message = str(info.value)
    assert str(file) in message
    assert message_paths(message) == [path], message
    assert word in message


def test_id_must_match_the_file_name(qingdao_raw: dict[str, Any], tmp_path: Path) -> None:
    raw = unshared(qingdao_raw)
    raw["id"] = "laoshan"
    file = write_pack(raw, tmp_path)
    with pytest.raises(PackError) as info:
        load_pack("qingdao", tmp_path)
    message = str(info.value)
    assert str(file) in message
    assert message_paths(message) == ["id"]
    assert "laoshan" in message


def test_yaml_syntax_error_names_the_file_and_line(qingdao_raw: dict[str, Any], tmp_path: Path) -> None:
    file = write_pack(unshared(qingdao_raw), tmp_path)
    text = file.read_text(encoding="utf-8")
    assert "name: 青岛市\n" in text
    file.write_text(text.replace("name: 青岛市\n", "name: [青岛市\n", 1), encoding="utf-8")
    with pytest.raises(PackError) as info:
        load_pack("qingdao", tmp_path)
    message = str(info.value)
    assert str(file) in message
    assert "第 3 行第 8 列" in message and "\n" not in message  # where, on one line


def test_a_pack_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "qingdao.yaml"
    file.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(PackError) as info:
        load_pack("qingdao", tmp_path)
    assert str(file) in str(info.value)


def test_unknown_pack_lists_the_known_ones(packs_dir: Path) -> None:
    with pytest.raises(PackError) as info:
        load_pack("atlantis", packs_dir)
    assert "atlantis" in str(info.value) and "qingdao" in str(info.value)


def test_calendar_overrides_reach_the_work_calendar(qingdao_raw: dict[str, Any], tmp_path: Path) -> None:
    raw = unshared(qingdao_raw)
    raw["calendar"]["extra_holidays"] = [date(2026, 9, 21)]   # a Monday
    raw["calendar"]["extra_workdays"] = [date(2026, 10, 11)]  # a Sunday after National Day
    write_pack(raw, tmp_path)
    work = load_pack("qingdao", tmp_path).work_calendar()
    assert not work.is_workday(date(2026, 9, 21))
    assert work.is_workday(date(2026, 10, 11))
    assert work.is_workday(date(2026, 9, 22))


def test_a_pack_without_network_checks_nothing(qingdao_raw: dict[str, Any], tmp_path: Path) -> None:
    raw = unshared(qingdao_raw)
    del raw["network"]
    write_pack(raw, tmp_path)
    assert load_pack("qingdao", tmp_path).network is None


def test_shipped_network_rules(packs_dir: Path) -> None:
    qingdao = load_pack("qingdao", packs_dir).network
    assert qingdao is not None and qingdao.staffing is not None and qingdao.dorms is not None
    (members,) = qingdao.class_roles
    assert (members.role, members.grades, members.min, members.max) == ("class_psych_member", (4, 12), 1, 2)
    assert (qingdao.staffing.full_time_min, qingdao.staffing.classes_per_teacher) == (1, 10)
    assert str(qingdao.staffing.ratio_due) == "2025-12-31"
    ganzhou = load_pack("ganzhou", packs_dir).network
    assert ganzhou is not None
    (committee,) = ganzhou.class_roles
    assert (committee.role, committee.min, committee.max, committee.per_gender) == (
        "health_committee", 4, 4, {"男": 2, "女": 2})


def test_shipped_packs_quote_their_clauses_verbatim(packs_dir: Path) -> None:
    """Each quoted clause is policy text: every passage between “……” occurs in a policy file."""
    from tests.policy_texts import policy_dir
    policy = "".join(p.read_text(encoding="utf-8") for p in sorted(policy_dir().glob("*.txt")))
    for pack_id in ("qingdao", "ganzhou"):
        pack = load_pack(pack_id, packs_dir)
        assert pack.clauses
        for clause_id, text in pack.clauses.items():
            for passage in text.split("……"):
                assert passage and passage in policy, f"{pack_id} {clause_id}: 不是政策原文：{passage}"


def test_pack_citing_an_unquoted_clause_is_refused(tmp_path: Path, packs_dir: Path) -> None:
    data = yaml.safe_load((packs_dir / "qingdao.yaml").read_text(encoding="utf-8"))
    del data["clauses"]["QD-P1"]
    path = tmp_path / "qingdao.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(PackError) as error:
        load_pack_file(path)
    index = next(i for i, e in enumerate(data["extra_tasks"]) if e["key"] == "parent_push")
    assert f"extra_tasks.{index}.clause: 条款 QD-P1 未在 clauses 中引用原文" in str(error.value)
