"""An operator's or an administrator's hand on accounts: set a password, disable, re-enable, reset, list.

A login is an email or a phone (xinyu.accounts.find_login); student role holders never have an account.
Ending a person's sessions is one UPDATE: the next request of that browser finds no live session.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, func, or_, select

from models import Account, Person, RoleAssignment, School, WebSession
from xinyu.accounts import NO_PASSWORD, may_have_account, set_password
from xinyu.admin.audit import audit
from xinyu.admin.errors import AdminError
from xinyu.roles import STUDENT_ROLES, role_label


def person_by_login(session: Session, login: str) -> Person:
    """The person a login names; refused for an unknown login and for a student role holder."""
    text = login.strip()
    person = session.exec(
        select(Person).where(or_(func.lower(col(Person.email)) == text.lower(), col(Person.phone) == text))
        .order_by(col(Person.id))
    ).first() if text else None
    if person is None or person.id is None:
        raise AdminError(f"没有登录名为 {text or '（空）'} 的人员")
    if not may_have_account(session, person.id):
        raise AdminError(f"{text} 只担任学生角色（心理委员等），不能有账号")
    return person


def end_sessions(session: Session, person_id: int, now: datetime) -> int:
    result = session.execute(update(WebSession).where(col(WebSession.person_id) == person_id,
                                                      col(WebSession.ended_at).is_(None)).values(ended_at=now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def operator_set_password(session: Session, *, login: str, password: str, now: datetime,
                          actor_id: int | None = None) -> Person:
    person = person_by_login(session, login)
    assert person.id is not None
    set_password(session, person_id=person.id, password=password, now=now)  # also ends every session
    audit(session, actor_id=actor_id, action="set_password", target=f"person:{person.id}", now=now,
          person_id=person.id, via="cli" if actor_id is None else "web")
    return person


def set_disabled(session: Session, *, person_id: int, disabled: bool, now: datetime,
                 actor_id: int | None = None) -> bool:
    """Disable (every session ends at once) or re-enable; False when it was so already."""
    if not may_have_account(session, person_id):
        raise AdminError("此人只担任学生角色，不能有账号")
    account = session.get(Account, person_id)
    if account is None:
        if not disabled:
            return False
        # No password yet: a disabled row with an unusable hash keeps the links and codes refused.
        account = Account(person_id=person_id, password_hash=NO_PASSWORD, disabled=True)
        session.add(account)
    elif account.disabled == disabled:
        return False
    account.disabled = disabled
    ended = end_sessions(session, person_id, now) if disabled else 0
    audit(session, actor_id=actor_id, action="disable_account" if disabled else "enable_account",
          target=f"person:{person_id}", now=now, person_id=person_id, sessions_ended=ended)
    session.flush()
    return True


@dataclass(frozen=True)
class AccountRow:
    person_id: int
    name: str
    email: str | None
    phone: str | None
    schools: list[str]
    roles: list[str]
    has_password: bool
    disabled: bool


def list_accounts(session: Session, *, school_ids: list[int] | None = None,
                  district_ids: list[int] | None = None) -> list[AccountRow]:
    """Staff and officers (who may have an account), with their roles; optionally of some schools."""
    query = select(RoleAssignment.person_id, RoleAssignment.role, School.name).outerjoin(  # type: ignore[call-overload]
        School, col(School.id) == col(RoleAssignment.school_id)
    ).where(col(RoleAssignment.role).not_in([r.value for r in STUDENT_ROLES]))
    if school_ids is not None:
        query = query.where(col(RoleAssignment.school_id).in_(school_ids))
    if district_ids is not None:
        query = query.where(col(RoleAssignment.district_id).in_(district_ids))
    roles: dict[int, list[str]] = {}
    schools: dict[int, list[str]] = {}
    for person_id, role, school in session.exec(query.order_by(col(RoleAssignment.id))):
        label = role_label(role)
        if label not in roles.setdefault(person_id, []):
            roles[person_id].append(label)
        if school and school not in schools.setdefault(person_id, []):
            schools[person_id].append(school)
    if not roles:
        return []
    people = session.exec(select(Person).where(col(Person.id).in_(list(roles))).order_by(col(Person.id)))
    accounts = {a.person_id: a for a in session.exec(select(Account).where(col(Account.person_id).in_(list(roles))))}
    rows = []
    for person in people:
        assert person.id is not None
        account = accounts.get(person.id)
        rows.append(AccountRow(person.id, person.name, person.email, person.phone, schools.get(person.id, []),
                               roles[person.id], account is not None and account.password_hash != NO_PASSWORD,
                               account is not None and account.disabled))
    return rows


def reset_account(session: Session, *, person_id: int, now: datetime, base_url: str, actor_id: int) -> str:
    """Every session of the person ends and a fresh one-time way in goes out: a link by email, else a code
    by SMS. Returns how (邮件 / 短信); refused for a disabled account or one without email and phone."""
    from xinyu.accounts import issue_login_link
    from xinyu.login_codes import request_login_code

    person = session.get(Person, person_id)
    if person is None or not may_have_account(session, person_id):
        raise AdminError("此人不能有账号")
    account = session.get(Account, person_id)
    if account is not None and account.disabled:
        raise AdminError("账号已停用，请先启用")
    ended = end_sessions(session, person_id, now)
    if person.email:
        issue_login_link(session, person_id=person_id, now=now, base_url=base_url)
        how = "邮件"
    elif person.phone:
        if request_login_code(session, phone=person.phone, now=now) is None:
            raise AdminError("15 分钟内已发送 3 次验证码，请稍后再试")
        how = "短信"
    else:
        raise AdminError("此人没有登记电子邮箱或手机号")
    audit(session, actor_id=actor_id, action="reset_account", target=f"person:{person_id}", now=now,
          person_id=person_id, sessions_ended=ended, sent_by="email" if how == "邮件" else "sms")
    return how
