"""Day one from the command line: `xinyu account create-admin`, `set-password`, `disable`/`enable`, `accounts`;
each refusal one line and exit 1, each change an audit line (ids only)."""

import io
import json

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import Account, AuditEntry, District, Person, RoleAssignment, WebSession
from xinyu.access import load_viewer
from xinyu.accounts import authenticate, open_session
from xinyu.cli import main
from xinyu.clock import now
from xinyu.roles import Role


def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *argv: str,
        stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_first_admin_gets_a_district_a_password_and_an_audit_line(
        cli_db: str, engine: Engine, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(capsys, monkeypatch, "init")[0] == 0
    code, out, err = run(capsys, monkeypatch, "account", "create-admin", "--email", "Admin@Edu.cn", "--name", "赵管理",
                         stdin="correct horse\n")
    assert code == 0, err
    assert "本区县" in out
    with Session(engine) as session:
        (district,) = session.exec(select(District)).all()
        assert district.name == "本区县"
        person = session.exec(select(Person).where(Person.identity == "admin@edu.cn")).one()
        assert (person.name, person.email) == ("赵管理", "admin@edu.cn")
        (role,) = session.exec(select(RoleAssignment).where(RoleAssignment.person_id == person.id)).all()
        assert (role.role, role.scope_key, role.district_id) == (Role.district_admin.value, f"d{district.id}",
                                                                   district.id)
        viewer = load_viewer(session, person.id or 0)
        assert viewer is not None and viewer.administers(district.id or 0) and not viewer.school_ids
        assert authenticate(session, login="admin@edu.cn", password="correct horse", address="t",
                            now=now()) == person.id
        (entry,) = session.exec(select(AuditEntry).where(AuditEntry.action == "create_admin")).all()
        assert json.loads(entry.detail) == {"person_id": person.id, "district_id": district.id,
                                            "district_created": True, "via": "cli"}


def test_create_admin_refuses_a_short_password_a_bad_email_and_a_second_time(
        cli_db: str, engine: Engine, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(capsys, monkeypatch, "init")[0] == 0
    code, _, err = run(capsys, monkeypatch, "account", "create-admin", "--email", "a@b.cn", stdin="short\n")
    assert (code, err) == (1, "错误：密码至少 8 位\n")
    code, _, err = run(capsys, monkeypatch, "account", "create-admin", "--email", "not-an-email", stdin="longenough\n")
    assert (code, err) == (1, "错误：电子邮箱格式不正确：not-an-email\n")
    with Session(engine) as session:
        assert session.exec(select(Person)).all() == [] and session.exec(select(District)).all() == []
    code, out, err = run(capsys, monkeypatch, "account", "create-admin", "--email", "a@b.cn",
                         "--district", "青岛市市南区", stdin="longenough\n")
    assert code == 0 and "青岛市市南区，新建区县" in out, err
    code, _, err = run(capsys, monkeypatch, "account", "create-admin", "--email", "A@B.cn", stdin="longenough2\n")
    assert (code, err) == (1, "错误：a@b.cn 已是区县管理员\n")
    # without --district the one district there is is used
    code, out, err = run(capsys, monkeypatch, "account", "create-admin", "--email", "c@b.cn", stdin="longenough\n")
    assert code == 0 and "（青岛市市南区）" in out, err
    with Session(engine) as session:
        assert len(session.exec(select(District)).all()) == 1
        assert len(session.exec(select(AuditEntry).where(AuditEntry.action == "create_admin")).all()) == 2


def test_set_password_ends_every_session_and_refuses_unknown_logins_and_students(
        cli_db: str, engine: Engine, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(capsys, monkeypatch, "init")[0] == 0
    assert run(capsys, monkeypatch, "account", "create-admin", "--email", "a@b.cn", stdin="first-password\n")[0] == 0
    with Session(engine) as session:
        person_id = session.exec(select(Person.id)).one()
        assert person_id is not None
        district_id = session.exec(select(District.id)).one()
        student = Person(identity="s1", name="某学生", phone="13900000001")
        session.add(student)
        session.flush()
        session.add(RoleAssignment(person_id=student.id or 0, role=Role.class_psych_member.value,
                                   district_id=district_id or 0, scope_key="x1"))
        open_session(session, person_id=person_id, now=now())
        session.commit()
    code, out, err = run(capsys, monkeypatch, "account", "set-password", "a@b.cn", stdin="second-password\n")
    assert code == 0 and "已为 a@b.cn 设置新密码" in out, err
    with Session(engine) as session:
        assert session.exec(select(WebSession).where(col(WebSession.ended_at).is_(None))).all() == []
        assert authenticate(session, login="a@b.cn", password="second-password", address="t", now=now()) == person_id
        assert session.exec(select(AuditEntry).where(AuditEntry.action == "set_password")).one().actor_id is None
    code, _, err = run(capsys, monkeypatch, "account", "set-password", "nobody@b.cn", stdin="whatever-pass\n")
    assert (code, err) == (1, "错误：没有登录名为 nobody@b.cn 的人员\n")
    code, _, err = run(capsys, monkeypatch, "account", "set-password", "13900000001", stdin="whatever-pass\n")
    assert code == 1 and "只担任学生角色" in err
    code, _, err = run(capsys, monkeypatch, "account", "set-password", "a@b.cn", stdin="short\n")
    assert (code, err) == (1, "错误：密码至少 8 位\n")


def test_disable_enable_and_the_listing(
        cli_db: str, engine: Engine, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(capsys, monkeypatch, "init")[0] == 0
    assert run(capsys, monkeypatch, "account", "create-admin", "--email", "a@b.cn", stdin="first-password\n")[0] == 0
    assert run(capsys, monkeypatch, "account", "disable", "a@b.cn")[1] == "已停用 a@b.cn 的账号\n"
    with Session(engine) as session:
        account = session.exec(select(Account)).one()
        assert account.disabled
    code, out, _ = run(capsys, monkeypatch, "accounts", "--json")
    (row,) = json.loads(out)
    assert (row["email"], row["roles"], row["disabled"], row["has_password"]) == ("a@b.cn", ["区县管理员"], True, True)
    assert run(capsys, monkeypatch, "account", "enable", "a@b.cn")[1] == "已启用 a@b.cn 的账号\n"
    assert run(capsys, monkeypatch, "account", "enable", "a@b.cn")[1] == "a@b.cn 的账号本已启用\n"
    code, out, _ = run(capsys, monkeypatch, "accounts")
    assert "a@b.cn" in out and "已设密码" in out and "共 1 人" in out
    code, _, err = run(capsys, monkeypatch, "accounts", "--school", "没有的学校")
    assert (code, err) == (1, "错误：没有学校 没有的学校\n")
    with Session(engine) as session:
        actions = [e.action for e in session.exec(select(AuditEntry).order_by(col(AuditEntry.id)))]
        assert actions == ["create_admin", "disable_account", "enable_account"]
