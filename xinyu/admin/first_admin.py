"""The first 区县管理员 (`xinyu account create-admin`): a person, a password, a district if none exists."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from models import District, Person, RoleAssignment
from xinyu.accounts import MIN_PASSWORD, set_password
from xinyu.admin.audit import audit
from xinyu.admin.errors import AdminError
from xinyu.roles import Role
from xinyu.roster.fields import parse_email

DEFAULT_DISTRICT = "本区县"


@dataclass(frozen=True)
class CreatedAdmin:
    person_id: int
    district_id: int
    district: str
    district_created: bool


def pick_district(session: Session, name: str | None) -> tuple[District, bool]:
    """The named district (created if absent); without a name the only one, or a new 本区县."""
    if name is not None:
        name = name.strip()
        if not name:
            raise AdminError("区县名称不能为空")
        found = session.exec(select(District).where(District.name == name)).first()
        if found is not None:
            return found, False
    else:
        districts = list(session.exec(select(District).order_by(col(District.id))))
        if len(districts) == 1:
            return districts[0], False
        if len(districts) > 1:
            raise AdminError(f"已有 {len(districts)} 个区县，请用 --district 指明："
                             + "、".join(d.name for d in districts))
        name = DEFAULT_DISTRICT
    district = District(name=name)
    session.add(district)
    session.flush()
    return district, True


def create_admin(session: Session, *, email: str, password: str, name: str | None, district: str | None,
                 now: datetime) -> CreatedAdmin:
    address = parse_email(email)
    if address is None:
        raise AdminError(f"电子邮箱格式不正确：{email}")
    if len(password) < MIN_PASSWORD:
        raise AdminError(f"密码至少 {MIN_PASSWORD} 位")
    person = session.exec(select(Person).where(func.lower(col(Person.email)) == address)
                          .order_by(col(Person.id))).first()
    if person is not None and person.id is not None:
        held = session.exec(select(RoleAssignment).where(RoleAssignment.person_id == person.id,
                                                         RoleAssignment.role == Role.district_admin.value)).first()
        if held is not None:
            raise AdminError(f"{address} 已是区县管理员")
    found, created = pick_district(session, district)
    assert found.id is not None
    if person is None:
        person = session.exec(select(Person).where(Person.identity == address)).first()
    if person is None:
        person = Person(identity=address, name=(name or address.split("@")[0]).strip()[:64], email=address)
        session.add(person)
        session.flush()
    elif name:
        person.name = name.strip()[:64]
    assert person.id is not None
    session.add(RoleAssignment(person_id=person.id, role=Role.district_admin.value, district_id=found.id,
                               scope_key=f"d{found.id}"))
    session.flush()
    set_password(session, person_id=person.id, password=password, now=now)
    audit(session, actor_id=None, action="create_admin", target=f"person:{person.id}", now=now,
          person_id=person.id, district_id=found.id, district_created=created, via="cli")
    return CreatedAdmin(person.id, found.id, found.name, created)
