"""The district and its schools as an administrator keeps them: rename, create, set a school's pack."""

from datetime import datetime

from sqlmodel import Session, select

from models import District, School
from xinyu.admin.audit import audit
from xinyu.admin.errors import AdminError
from xinyu.policy.store import pack_ids

STAGES = ("小学", "初中", "高中", "中职")


def _name(text: str, limit: int, what: str) -> str:
    name = " ".join(text.split())
    if not name:
        raise AdminError(f"{what}名称不能为空")
    if len(name) > limit:
        raise AdminError(f"{what}名称最多 {limit} 字")
    return name


def rename_district(session: Session, *, district_id: int, name: str, actor_id: int, now: datetime) -> None:
    district = session.get(District, district_id)
    if district is None:
        raise AdminError("没有该区县")
    name = _name(name, 64, "区县")
    if session.exec(select(District).where(District.name == name, District.id != district_id)).first():
        raise AdminError(f"已有区县 {name}")
    district.name = name
    audit(session, actor_id=actor_id, action="rename_district", target=f"district:{district_id}", now=now,
          district_id=district_id)
    session.flush()


def _check_pack(session: Session, pack: str) -> str:
    known = pack_ids(session)
    if pack not in known:
        raise AdminError(f"没有政策包 {pack}（已安装：{'、'.join(known) or '无'}）")
    return pack


def create_school(session: Session, *, district_id: int, name: str, stage: str, pack: str, actor_id: int,
                  now: datetime) -> School:
    name = _name(name, 128, "学校")
    if stage not in STAGES:
        raise AdminError(f"学段应为 {'、'.join(STAGES)} 之一")
    if session.exec(select(School).where(School.district_id == district_id, School.name == name)).first():
        raise AdminError(f"本区县已有学校 {name}")
    school = School(district_id=district_id, name=name, stage=stage, pack=_check_pack(session, pack))
    session.add(school)
    session.flush()
    audit(session, actor_id=actor_id, action="create_school", target=f"school:{school.id}", now=now,
          school_id=school.id, district_id=district_id, pack=pack)
    return school


def rename_school(session: Session, *, school: School, name: str, actor_id: int, now: datetime) -> None:
    name = _name(name, 128, "学校")
    if session.exec(select(School).where(School.district_id == school.district_id, School.name == name,
                                         School.id != school.id)).first():
        raise AdminError(f"本区县已有学校 {name}")
    school.name = name
    audit(session, actor_id=actor_id, action="rename_school", target=f"school:{school.id}", now=now,
          school_id=school.id)
    session.flush()


def set_school_pack(session: Session, *, school: School, pack: str, actor_id: int, now: datetime) -> None:
    """The pack of the months opened from now on (an open month keeps the version it began with)."""
    before = school.pack
    school.pack = _check_pack(session, pack)
    audit(session, actor_id=actor_id, action="set_school_pack", target=f"school:{school.id}", now=now,
          school_id=school.id, before=before, after=pack)
    session.flush()
