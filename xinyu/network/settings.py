"""The school's dorm setting (QD-T10 宿舍层面：寄宿制学校每间宿舍设心理信息员1名): boarding and how many dorms."""

from datetime import datetime

from sqlmodel import Session

from models import School
from xinyu.history import record_change, snapshot

MAX_DORMS = 10000
FIELDS = ("boarding", "dorms")


class DormSettingError(ValueError):
    """A setting that cannot be kept (the message says which and why)."""


def set_dorms(session: Session, school: School, *, boarding: bool, dorms: int | None, by: int | None,
              now: datetime) -> School:
    """Keep the setting; a boarding school needs its dorm count (1–10000), a day school keeps 0 dorms."""
    assert school.id is not None
    if boarding and dorms is None:
        dorms = school.dorms or None
    if boarding and (dorms is None or not 1 <= dorms <= MAX_DORMS):
        raise DormSettingError(f"宿舍间数应为 1–{MAX_DORMS}（寄宿制学校每间宿舍设心理信息员1名）")
    if not boarding and dorms:
        raise DormSettingError("非寄宿制学校不设宿舍间数（应不填或填 0）")
    before = snapshot(school, FIELDS)
    school.boarding, school.dorms = boarding, dorms if boarding and dorms else 0
    session.add(school)
    record_change(session, kind="school_network", record_id=school.id, school_id=school.id, by=by, now=now,
                  action="updated", before=before, after=snapshot(school, FIELDS))
    return school
