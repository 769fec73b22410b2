"""A roster uploaded on the web, kept between its preview and its confirmation (several web workers serve)."""

from datetime import datetime

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from models._types import aware_datetime


class RosterUpload(SQLModel, table=True):
    """The file as uploaded; removed once old (web/routes/roster_upload.py). Applied once at most."""

    __tablename__ = "roster_upload"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, description="who uploaded it")
    district_id: int = Field(foreign_key="district.id")
    school_id: int | None = Field(default=None, foreign_key="school.id", description="None: a whole-district file")
    filename: str = Field(max_length=200)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha256: str = Field(max_length=64)
    created_at: datetime | None = aware_datetime(index=True)
    applied_at: datetime | None = aware_datetime()
