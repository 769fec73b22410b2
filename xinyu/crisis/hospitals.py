"""The district's designated hospitals for referrals (QD-4 畅通……转诊渠道): a district setting.

While a district has no list, any named hospital is accepted; once it has one, a referral names one of them.
"""

from datetime import datetime

from sqlmodel import Session, col, select

from models import DistrictHospital
from xinyu.text_input import check_text


class HospitalError(ValueError):
    """A hospital that cannot be added, removed or referred to; nothing was written."""


def district_hospitals(session: Session, district_id: int) -> list[str]:
    return list(session.exec(select(DistrictHospital.name).where(DistrictHospital.district_id == district_id)
                             .order_by(col(DistrictHospital.id))))


def add_hospital(session: Session, *, district_id: int, name: str, now: datetime) -> DistrictHospital:
    name = check_text(name, "医院名称", error=HospitalError).strip()
    if not name or len(name) > 128:
        raise HospitalError("医院名称应为 1–128 个字")
    if name in district_hospitals(session, district_id):
        raise HospitalError(f"本区县的转介医院名单中已有 {name}")
    row = DistrictHospital(district_id=district_id, name=name, created_at=now)
    session.add(row)
    session.flush()
    return row


def remove_hospital(session: Session, *, district_id: int, name: str) -> None:
    row = session.exec(select(DistrictHospital).where(DistrictHospital.district_id == district_id,
                                                      DistrictHospital.name == name.strip())).first()
    if row is None:
        raise HospitalError(f"本区县的转介医院名单中没有 {name}")
    session.delete(row)
    session.flush()


def check_referral_hospital(session: Session, district_id: int, name: str) -> str:
    """The hospital of a referral: named, and on the district's list when the district keeps one."""
    name = check_text(name or "", "转介医院", error=HospitalError).strip()
    if not name:
        raise HospitalError("转介须填写医院（hospital）")
    known = district_hospitals(session, district_id)
    if known and name not in known:
        raise HospitalError(f"{name} 不在本区县的转介医院名单中（{'、'.join(known)}）")
    if len(name) > 128:
        raise HospitalError("医院名称不超过 128 个字")
    return name
