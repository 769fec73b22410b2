"""The State Council's yearly holiday schedule, imported as data (`xinyu calendar import`).

One table for every pack: a row per day the schedule names, a holiday (放假) or a make-up workday
(调休上班). A year with rows here wins over the chinesecalendar package (xinyu/statutory.py).
"""

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from models._types import aware_datetime


class CalendarDay(SQLModel, table=True):
    __tablename__ = "calendar_day"

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(unique=True, index=True)
    kind: str = Field(max_length=16, description="holiday | workday")
    name: str = Field(default="", max_length=50, description="the holiday's name, e.g. 春节")
    source: str = Field(max_length=200, description="the imported file's name")
    imported_at: datetime | None = aware_datetime()
