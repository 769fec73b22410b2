"""Ledger C's dated action log (JL-6) and the district's list of designated hospitals (QD-4)."""

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from models._types import aware_datetime


class CrisisAction(SQLModel, table=True):
    """One dated step of a crisis case: 值班, 预约, 面谈, 转介, 重点反馈, 家长通报, 复学评估 (JL-6)."""

    __tablename__ = "crisis_action"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="ledger_c_crisis.id", index=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    kind: str = Field(max_length=8, description="值班 | 预约 | 面谈 | 转介 | 重点反馈 | 家长通报 | 复学评估")
    at: datetime | None = aware_datetime(index=True)  # when it happened (Asia/Shanghai on screen)
    by_id: int | None = Field(default=None, foreign_key="person.id")
    note: str = Field(default="", max_length=2000)
    hospital: str | None = Field(default=None, max_length=128, description="转介: the hospital referred to")
    method: str | None = Field(default=None, max_length=8, description="家长通报: 面谈 | 电话 | 微信")
    created_at: datetime | None = aware_datetime()


class DistrictHospital(SQLModel, table=True):
    """A hospital of the district's referral list (QD-4 转诊渠道; 青岛市心理危机转介绿色通道定点医疗机构)."""

    __tablename__ = "district_hospital"
    __table_args__ = (UniqueConstraint("district_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    district_id: int = Field(foreign_key="district.id", index=True)
    name: str = Field(max_length=128)
    created_at: datetime | None = aware_datetime()
