"""xinyu.history: a version per change, the unchanged update skipped, fields compared one by one."""

from datetime import UTC, date, datetime

from sqlmodel import Session

from models import District, School
from xinyu.history import record_change, revisions, snapshot

NOW = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)


def test_versions_keep_the_old_value(session: Session) -> None:
    district = District(name="史记区")
    session.add(district)
    session.flush()
    assert district.id is not None
    school = School(name="史记中学", district_id=district.id, stage="初中", pack="qingdao")
    session.add(school)
    session.flush()
    assert school.id is not None
    first = {"summary": "谈心", "held_on": date(2026, 12, 1)}
    second = {"summary": "谈心（更正）", "held_on": date(2026, 12, 1)}
    record_change(session, kind="ledger_d", record_id=7, school_id=school.id, by=None, now=NOW, action="created",
                  before=None, after=snapshot(first, first))
    assert record_change(session, kind="ledger_d", record_id=7, school_id=school.id, by=None, now=NOW,
                         action="updated", before=snapshot(first, first), after=snapshot(first, first)) is None
    record_change(session, kind="ledger_d", record_id=7, school_id=school.id, by=None, now=NOW, action="corrected",
                  before=snapshot(first, first), after=snapshot(second, second))
    session.flush()
    history = revisions(session, kind="ledger_d", record_id=7)
    assert [r.action for r in history] == ["created", "corrected"]
    assert history[1].changed == [("summary", "谈心", "谈心（更正）")]
    assert history[0].changed[1] == ("held_on", None, "2026-12-01")
