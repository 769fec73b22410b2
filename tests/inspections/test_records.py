"""The inspection core without the CLI: a finding's task carried into next month still closes it; a pack without
`oversight:` sets no minimum; the district's views read the newest task of the carried chain."""

from sqlmodel import Session, select

from models import InspectionFinding, Task
from tests.factories import make_school
from xinyu.clock import parse_at
from xinyu.cycle import PackBook, advance, complete_task
from xinyu.inspections import FindingInput, open_findings, record_inspection, school_inspections


def test_a_carried_rectification_still_closes_its_finding(session: Session, book: PackBook) -> None:
    school = make_school(session)
    gz = make_school(session, name="章贡区第一小学", district_name="章贡区", pack="ganzhou")
    advance(session, now=parse_at("2026-10-08T09:00"), book=book)
    officer = school.people["district_officer"].id
    assert officer is not None
    _, (finding,) = record_inspection(
        session, district_id=school.school.district_id, held_on=parse_at("2026-10-27").date(), inspector_id=officer,
        findings=[FindingInput(school.id, "心理辅导室未按要求开放")], workdays=10, now=parse_at("2026-10-28T10:00"),
        book=book)
    advance(session, now=parse_at("2026-11-02T09:00"), book=book)  # October closes: the open task is carried
    carried = session.exec(select(Task).where(Task.lineage_id == finding.task_id)).one()
    assert carried.kind == "inspection" and carried.id != finding.task_id
    (shown,) = open_findings(session, today=parse_at("2026-11-02").date(), book=book,
                             district_ids={school.school.district_id})
    assert (shown.task_id, shown.overdue) == (carried.id, False)

    leader = school.people["leader"].id
    assert carried.id is not None
    complete_task(session, task_id=carried.id, values={"measures": "已按要求每日开放并公示开放时间"},
                  now=parse_at("2026-11-03T09:00"), book=book, by=leader)
    assert session.get(InspectionFinding, finding.id).status == "closed"  # type: ignore[union-attr]
    rows = {r.school: r for r in school_inspections(session, year=2026, book=book)}
    assert (rows[school.school.name].count, rows[school.school.name].open_findings) == (1, 0)
    assert (rows[gz.school.name].minimum, rows[gz.school.name].short) == (None, False)  # 赣州: no `oversight:`
