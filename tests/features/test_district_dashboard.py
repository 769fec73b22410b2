"""GZ-4.1 定期调度与年度考核: the district's on-time rate per school and month (xinyu/district_dashboard.py)."""

from datetime import date

from pytest_bdd import scenarios, then

from models import School
from tests.features.support import Db, SchoolRef, step_text
from xinyu.district_dashboard import on_time_table

scenarios("催办与督办/区县按时完成率看板.feature")

GRADES = {"ok": "达标", "warn": "偏低", "short": "不足", "thin": "样本不足", "none": "无"}


@then(step_text("{district}{year:d}年的按时完成率于 {today:Day} 为："))
def _(db: Db, school: SchoolRef, district: str, year: int, today: date, datatable: list[list[str]]) -> None:
    with db() as session:
        row = session.get(School, school.id)
        assert row is not None
        table = on_time_table(session, district_ids=frozenset({row.district_id}), year=year, today=today)
    actual = []
    for rates in table.schools:
        for month in table.months:
            rate = rates.month(month)
            actual.append([rates.name, month, str(rate.on_time), str(rate.due), f"{rate.percent}%",
                           GRADES[rate.grade]])
    assert actual == datatable[1:]
