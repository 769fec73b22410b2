"""The agenda's overdue and carried work: grouped by task, each once, with its classes named (issue 12 item 8)."""

from datetime import UTC, date, datetime

from models import LedgerReview, Task
from xinyu.meetings.agenda import SECTIONS, AgendaFacts, render_agenda, work_items


def _task(n: int, title: str, class_id: int | None, due: str, carried: bool = False) -> Task:
    return Task(id=n, cycle_id=1, origin_cycle_id=1, school_id=1, step_key="screening", template="t", key=f"k{n}",
                title=title, role="homeroom", class_id=class_id, clause="QD-T10", due=date.fromisoformat(due),
                carried_over=carried)


def test_work_is_grouped_by_task_with_its_classes_in_class_order() -> None:
    labels = {11: "初一1班", 12: "初一2班", 13: "初一3班"}
    late = [_task(1, "本班月度心理状况摸排", 13, "2026-10-09"), _task(2, "本班月度心理状况摸排", 11, "2026-10-09"),
            _task(3, "更新C台账：心理危机干预与转介", None, "2026-10-16")]
    carried = [_task(4, "本班月度心理状况摸排", 11, "2026-09-10", carried=True),
               _task(5, "本班假期心理疏导", 12, "2026-09-25", carried=True)]
    items = work_items([*late, *carried], {id(t) for t in late}, labels)
    assert [i.text() for i in items] == [
        "本班月度心理状况摸排：初一1班、初一3班（逾期、上月结转，截止 2026-09-10）",
        "本班假期心理疏导：初一2班（上月结转，截止 2026-09-25）",
        "更新C台账：心理危机干预与转介（逾期，截止 2026-10-16）",
    ]


def test_the_agenda_is_its_sections_in_order_numbered() -> None:
    facts = AgendaFacts(school="一中", month="2026-10", attention_students=0, class_reports=0, level_counts={},
                        students=0, screened_students=0, key_students_open=0, reviews=[], open_cases=[], classes=[],
                        late_tasks=[], carried_tasks=[], generated_on="2026-10-14", open_case_lines=[],
                        work_items=work_items([_task(1, "本班月度心理状况摸排", 11, "2026-10-09")], {id(None)},
                                              {11: "初一1班"}))
    text = render_agenda(facts)
    headings = [line[3:] for line in text.splitlines() if line.startswith("## ")]
    numerals = "一二三四五六七八九十"
    assert headings == [f"{numerals[n]}、{s.heading}" for n, s in enumerate(SECTIONS)]
    assert "- 本班月度心理状况摸排：初一1班（截止 2026-10-09）" in text.split("逾期与结转事项")[1]


def test_each_ledger_review_is_its_own_line_with_the_counted_or_the_typed_figure() -> None:
    reviews = [LedgerReview(cycle_id=1, ledger="A", reviewed_at=datetime(2026, 10, 12, tzinfo=UTC), entries=3,
                            changed=2, added=2, updated=0),
               LedgerReview(cycle_id=1, ledger="B", reviewed_at=datetime(2026, 10, 12, tzinfo=UTC), entries=5,
                            changed=25)]  # reviewed before the counts: the typed figure
    facts = AgendaFacts(school="一中", month="2026-10", attention_students=0, class_reports=0, level_counts={},
                        students=0, screened_students=0, key_students_open=0, reviews=reviews, open_cases=[],
                        classes=[], late_tasks=[], carried_tasks=[], generated_on="2026-10-14", open_case_lines=[])
    lines = render_agenda(facts).splitlines()
    assert "- A台账：2026-10-12 已更新，共 3 条，本月新增 2 条、更新 0 条" in lines
    assert "- B台账：2026-10-12 已更新，共 5 条，本月新增或更新 25 条（填报）" in lines
