"""Day one in a real browser (Debian Chromium via Playwright) on a phone (390×844):

1. the 区县管理员 made by `xinyu account create-admin` signs in, creates two schools, adds a teacher and gives her
   a role; the teacher signs in; the admin moves her to the other school, and her old school's page answers
   404 to her on the next click (roles are read on every request);
2. a teacher with a phone and no email signs in by the code the SMS carries (`xinyu dispatch` writes it to the
   outbox folder, read as the recipient would), sets a password, then signs in with it;
3. the admin changes her password: her other browser is signed out.
Screenshots go to the suite's screenshot folder.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from models import Person, School
from tests.web.browser import PHONE, LiveServer, screenshot_dir
from tests.web.conftest import PageFactory
from tests.web.test_browser_scenarios import Console, _AppOnceListening, console  # noqa: F401  (fixture)
from web.app import create_app
from xinyu.cli import main
from xinyu.cycle import PackBook
from xinyu.db import make_engine

ROOT = Path(__file__).resolve().parents[2]
ADMIN, ADMIN_PASSWORD = "admin@laoshan.edu.cn", "admin-first-pass"


@dataclass
class Day:
    url: str
    database_url: str
    outbox: Path


def cli(monkeypatch: pytest.MonkeyPatch, *argv: str, stdin: str = "") -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    assert main(list(argv)) == 0


@pytest.fixture
def day(cli_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Day]:
    """An empty database (migrated, the shipped packs), its first admin made from the command line, served."""
    cli(monkeypatch, "account", "create-admin", "--email", ADMIN, "--name", "赵管理", "--district", "青岛市崂山区",
        stdin=ADMIN_PASSWORD + "\n")
    engine = make_engine(cli_db)
    # As in production: the code leaves as the request ends (no waiting for the scheduler's dispatch), to files.
    monkeypatch.setenv("XINYU_SEND_LOGINS_AT_ONCE", "true")
    monkeypatch.setenv("XINYU_OUTBOX_DIR", str(tmp_path / "outbox"))
    shim = _AppOnceListening()
    with LiveServer(shim, lifespan="off") as live:
        shim.app = create_app(engine=engine, book=PackBook(engine), base_url=live.url)
        yield Day(live.url, cli_db, tmp_path / "outbox")
    engine.dispose()


def shot(page: Page, name: str) -> None:
    page.wait_for_function("() => document.documentElement.scrollWidth <= window.innerWidth", timeout=5000)
    page.screenshot(path=screenshot_dir() / name, full_page=True)


def sign_in(page: Page, day: Day, login: str, password: str) -> None:
    page.goto(day.url + "/login")
    form = page.locator("form[action='/login']")
    form.locator("input[name=login]").fill(login)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


def school_id(day: Day, name: str) -> int:
    engine = make_engine(day.database_url)
    with Session(engine) as session:
        found = session.exec(select(School.id).where(School.name == name)).one()
    engine.dispose()
    assert found is not None
    return found


def person_id(day: Day, identity: str) -> int:
    engine = make_engine(day.database_url)
    with Session(engine) as session:
        found = session.exec(select(Person.id).where(Person.identity == identity)).one()
    engine.dispose()
    assert found is not None
    return found


def new_school(page: Page, day: Day, name: str, stage: str) -> int:
    page.goto(day.url + "/admin")
    form = page.get_by_test_id("new-school")
    form.locator("input[name=name]").fill(name)
    form.locator("select[name=stage]").select_option(stage)
    form.locator("button[type=submit]").click()
    expect(page.get_by_role("status")).to_contain_text("学校已创建")
    return school_id(day, name)


def add_person(page: Page, name: str, role: str, *, email: str = "", phone: str = "") -> None:
    form = page.get_by_test_id("add-person")
    form.locator("input[name=name]").fill(name)
    form.locator("input[name=email]").fill(email)
    form.locator("input[name=phone]").fill(phone)
    form.locator("select[name=role]").select_option(role)
    form.locator("button[type=submit]").click()
    expect(page.get_by_role("status")).to_have_text("已添加教职工。")


def xinyu(day: Day, *argv: str, stdin: str = "") -> str:
    """The `xinyu` command in its own process (Playwright's loop runs in this one)."""
    env = {**os.environ, "XINYU_DATABASE_URL": day.database_url, "XINYU_OUTBOX_DIR": str(day.outbox),
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "xinyu.cli", *argv], input=stdin, capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_admin_sets_up_schools_and_a_move_closes_the_old_school_at_once(
        page_factory: PageFactory, console: Console, day: Day, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    admin = console.watch(page_factory(viewport=PHONE))
    sign_in(admin, day, ADMIN, ADMIN_PASSWORD)
    assert admin.url.endswith("/admin")  # an admin with no school starts at the district's admin page
    expect(admin.get_by_test_id("schools")).to_contain_text("还没有学校")
    shot(admin, "accounts-admin-home-phone.png")
    one = new_school(admin, day, "崂山一中", "高中")
    two = new_school(admin, day, "崂山二中", "初中")
    admin.goto(f"{day.url}/admin/schools/{one}")
    add_person(admin, "王老师", "psych_teacher", email="wang@laoshan.edu.cn")
    wang = person_id(day, "wang@laoshan.edu.cn")
    expect(admin.get_by_test_id(f"person-{wang}")).to_contain_text("专职心理教师")
    admin.get_by_test_id(f"person-{wang}").locator("summary").click()
    assign = admin.get_by_test_id(f"assign-{wang}")
    assign.locator("select[name=role]").select_option("grade_head")
    assign.locator("input[name=grade]").fill("10")
    assign.locator("button[type=submit]").click()
    expect(admin.get_by_role("status")).to_have_text("已分配角色。")
    expect(admin.get_by_test_id(f"person-{wang}")).to_contain_text("年级主任")
    shot(admin, "accounts-school-admin-phone.png")

    assert "已为 wang@laoshan.edu.cn 设置新密码" in xinyu(day, "account", "set-password", "wang@laoshan.edu.cn",
                                                           stdin="wang-password-1\n")
    teacher = page_factory(viewport=PHONE)  # not watched: the 404s she meets are the point (console errors)
    sign_in(teacher, day, "wang@laoshan.edu.cn", "wang-password-1")
    assert teacher.goto(f"{day.url}/schools/{one}/network").status == 200
    assert teacher.goto(f"{day.url}/schools/{two}/network").status == 404

    admin.get_by_test_id(f"person-{wang}").locator("summary").click()
    move = admin.get_by_test_id(f"move-{wang}")
    move.locator("select[name=to_school]").select_option(str(two))
    move.locator("button[type=submit]").click()
    expect(admin.get_by_role("status")).to_contain_text("已调往新学校")
    expect(admin.get_by_test_id("staff")).not_to_contain_text("王老师")

    old = teacher.goto(f"{day.url}/schools/{one}/network")  # the same browser, the next click
    assert old is not None and old.status == 404
    shot(teacher, "accounts-old-school-404-phone.png")
    assert teacher.goto(f"{day.url}/schools/{two}/network").status == 200
    admin.goto(f"{day.url}/admin/schools/{two}")
    expect(admin.get_by_test_id(f"person-{wang}")).to_contain_text("专职心理教师")
    expect(admin.get_by_test_id(f"person-{wang}")).to_contain_text("年级主任")
    # a teacher is no admin: the admin pages are not there for her
    assert teacher.goto(f"{day.url}/admin").status == 404
    assert teacher.goto(f"{day.url}/admin/schools/{two}").status == 404


def test_a_phone_only_teacher_signs_in_by_sms_code_and_sets_a_password(
        page_factory: PageFactory, console: Console, day: Day) -> None:  # noqa: F811
    admin = console.watch(page_factory(viewport=PHONE))
    sign_in(admin, day, ADMIN, ADMIN_PASSWORD)
    one = new_school(admin, day, "崂山一中", "高中")
    admin.goto(f"{day.url}/admin/schools/{one}")
    add_person(admin, "李老师", "homeroom", phone="13912345678")

    teacher = console.watch(page_factory(viewport=PHONE))
    teacher.goto(day.url + "/login")
    teacher.get_by_role("link", name="没有登记邮箱？用手机短信验证码登录").click()
    teacher.locator("input[name=phone]").fill("13912345678")
    teacher.get_by_role("button", name="发送验证码").click()
    expect(teacher.get_by_role("status")).to_have_text("如果该手机号已登记在本系统，验证码已发出，10 分钟内有效。")
    shot(teacher, "accounts-sms-code-phone.png")

    # Sent as the request ended, without waiting for a dispatch run; no gateway configured: a file in the outbox.
    deadline = time.monotonic() + 30
    while not list(day.outbox.glob("*.sms.json")) and time.monotonic() < deadline:
        time.sleep(0.1)
    (sms_file,) = day.outbox.glob("*.sms.json")
    xinyu(day, "dispatch")
    assert len(list(day.outbox.glob("*.sms.json"))) == 1  # the scheduled dispatch sends it no second time
    sms = json.loads(sms_file.read_text(encoding="utf-8"))
    assert sms["to"] == "13912345678" and sms["template"] == "login_code"
    code = sms["params"]["code"]
    assert f"验证码为{code}" in sms["text"] and "李老师" not in sms["text"]

    teacher.locator("input[name=code]").fill(code)
    teacher.get_by_role("button", name="登录").click()
    teacher.wait_for_url(lambda url: url.endswith("/account/password"))
    expect(teacher.locator("h1")).to_have_text("设置密码")  # no current password asked: she has none
    expect(teacher.locator("header .who")).to_have_text("李老师")
    shot(teacher, "accounts-set-password-phone.png")
    teacher.locator("input[name=password]").fill("li-password-1")
    teacher.locator("input[name=password2]").fill("li-password-1")
    teacher.get_by_role("button", name="保存密码").click()
    expect(teacher.get_by_role("status")).to_contain_text("密码已更新")

    again = console.watch(page_factory(viewport=PHONE))
    sign_in(again, day, "13912345678", "li-password-1")
    expect(again.locator("header .who")).to_have_text("李老师")


def test_the_admin_changes_her_password_and_her_other_browser_is_signed_out(
        page_factory: PageFactory, console: Console, day: Day) -> None:  # noqa: F811
    elsewhere = console.watch(page_factory(viewport=PHONE))
    sign_in(elsewhere, day, ADMIN, ADMIN_PASSWORD)
    page = page_factory(viewport=PHONE)  # not watched: a wrong current password is a 400 (a console error)
    sign_in(page, day, ADMIN, ADMIN_PASSWORD)
    page.locator("header nav").get_by_role("link", name="修改密码").click()
    page.locator("input[name=current]").fill("not-my-password")
    page.locator("input[name=password]").fill("admin-second-pass")
    page.locator("input[name=password2]").fill("admin-second-pass")
    page.get_by_role("button", name="保存密码").click()
    expect(page.get_by_role("alert")).to_have_text("当前密码不正确")
    page.locator("input[name=current]").fill(ADMIN_PASSWORD)
    page.locator("input[name=password]").fill("admin-second-pass")
    page.locator("input[name=password2]").fill("admin-second-pass")
    page.get_by_role("button", name="保存密码").click()
    expect(page.get_by_role("status")).to_contain_text("您在其他设备上的登录已结束")
    shot(page, "accounts-change-password-phone.png")
    page.goto(day.url + "/admin")
    assert page.url.endswith("/admin")  # this browser stays signed in
    elsewhere.goto(day.url + "/admin")
    assert "/login" in elsewhere.url  # the other one is signed out
    sign_in(elsewhere, day, ADMIN, "admin-second-pass")
    assert elsewhere.url.endswith("/admin")
