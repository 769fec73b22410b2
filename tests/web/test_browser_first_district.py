"""Day one of a new district, as its first administrator lives it on a phone (390×844), in Debian's Chromium.

From nothing: `xinyu init` and `xinyu account create-admin` (the `day` fixture, password on standard input);
she signs in, creates two schools, uploads the district's staff roster with a wrong row (the error table names
row and column, nothing is imported), fixes it and uploads it again; a homeroom teacher signs in and works at
her school; the admin moves her to the other school and her old school's pages close at her next click; a
teacher with a phone and no email signs in by the code the SMS carries. Screenshots: test-output/screenshots/.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from playwright.sync_api import expect

from tests.roster_files import row_counts
from tests.web.browser import PHONE
from tests.web.conftest import PageFactory
from tests.web.roster_helpers import as_csv
from tests.web.test_browser_accounts import (  # noqa: F401  (the `day` fixture)
    ADMIN,
    ADMIN_PASSWORD,
    Day,
    day,
    new_school,
    person_id,
    shot,
    sign_in,
    xinyu,
)
from tests.web.test_browser_crisis import fits_the_phone
from tests.web.test_browser_scenarios import Console, console  # noqa: F401
from xinyu.db import make_engine

DISTRICT = "青岛市崂山区"
ONE, TWO = "崂山一中", "崂山二中"


def district_roster() -> list[list[str]]:
    """The file the district collects from its schools: leaders, a psychology teacher, homeroom teachers."""
    return [
        [DISTRICT, ONE, "高中", "", "", "孙校长", "组长", "sun@laoshan.edu.cn", ""],
        [DISTRICT, ONE, "高中", "", "", "周老师", "专职心理教师", "zhou@laoshan.edu.cn", ""],
        [DISTRICT, ONE, "高中", "高一", "1班", "陈老师", "班主任", "chen@laoshan.edu.cn", "13700000001"],
        [DISTRICT, TWO, "初中", "", "", "钱校长", "组长", "qian@laoshan.edu.cn", ""],
        [DISTRICT, TWO, "初中", "初一", "2班", "李老师", "班主任", "", "13912345678"],
        [DISTRICT, TWO, "初中", "初二", "1班", "吴老师", "任课教师", "wu@laoshan.edu.cn", ""],
    ]


def test_a_new_district_is_set_up_from_nothing_by_its_first_administrator(
        page_factory: PageFactory, console: Console, day: Day, tmp_path: Path) -> None:  # noqa: F811
    admin = console.watch(page_factory(viewport=PHONE))
    sign_in(admin, day, ADMIN, ADMIN_PASSWORD)
    assert admin.url.endswith("/admin")
    one = new_school(admin, day, ONE, "高中")
    two = new_school(admin, day, TWO, "初中")

    # The roster, with the homeroom teacher's phone cut short in row 4 (row 1 is the header).
    admin.locator("header nav").get_by_role("link", name="名册").click()
    rows = district_roster()
    wrong = [list(r) for r in rows]
    wrong[2][8] = "1370000"
    path = tmp_path / "崂山区教职工名册.csv"
    path.write_bytes(as_csv([r + [""] for r in wrong], "gbk"))
    engine = make_engine(day.database_url)
    before = row_counts(engine)
    admin.get_by_test_id("roster-file").set_input_files(path)
    admin.get_by_test_id("roster-submit").click()
    expect(admin.get_by_test_id("roster-error")).to_contain_text("崂山区教职工名册.csv 有 1 处错误，未导入任何数据")
    error = admin.get_by_test_id("roster-errors").locator("tbody tr")
    expect(error).to_have_count(1)
    expect(error.locator("td").nth(0)).to_have_text("4")
    expect(error.locator("td").nth(1)).to_have_text("手机")
    expect(error.locator("td").nth(2)).to_have_text("1370000")
    fits_the_phone(admin)
    shot(admin, "first-district-roster-error-phone.png")
    assert row_counts(engine) == before  # nothing half-imported
    refused = "status of 400 (Bad Request)"  # the refused upload's page answers 400, which Chromium logs
    console.problems[:] = [p for p in console.problems if refused not in p]

    path.write_bytes(as_csv([r + [""] for r in rows], "gbk"))  # fixed, uploaded again
    admin.get_by_test_id("roster-file").set_input_files(path)
    admin.get_by_test_id("roster-submit").click()
    expect(admin.get_by_test_id("roster-imported")).to_contain_text("已导入")
    shot(admin, "first-district-roster-imported-phone.png")
    engine.dispose()

    # The homeroom teacher gets a password from the operator and works at her school.
    xinyu(day, "account", "set-password", "chen@laoshan.edu.cn", stdin="chen-password-1\n")
    chen = page_factory(viewport=PHONE)  # not watched: the 404s she meets are the point
    sign_in(chen, day, "chen@laoshan.edu.cn", "chen-password-1")
    assert (ok := chen.goto(f"{day.url}/schools/{one}/talks")) is not None and ok.status == 200

    # She moves to the other school: the admin moves her, and the old school closes at her next click.
    chen_id = person_id(day, "13700000001")  # a person is known by phone first (Person.identity)
    admin.goto(f"{day.url}/admin/schools/{one}")
    admin.get_by_test_id(f"person-{chen_id}").locator("summary").click()
    move = admin.get_by_test_id(f"move-{chen_id}")
    move.locator("select[name=to_school]").select_option(str(two))
    move.locator("button[type=submit]").click()
    expect(admin.get_by_role("status")).to_contain_text("已调往新学校")
    shot(admin, "first-district-moved-phone.png")
    for page in ("talks", "board", "network"):
        closed = chen.goto(f"{day.url}/schools/{one}/{page}")
        assert closed is not None and closed.status == 404, page
    shot(chen, "first-district-old-school-closed-phone.png")
    # At the new school she is 班主任 of 初二1班 once the admin gives her the class.
    admin.goto(f"{day.url}/admin/schools/{two}")
    admin.get_by_test_id(f"person-{chen_id}").locator("summary").click()
    assign = admin.get_by_test_id(f"assign-{chen_id}")
    assign.locator("select[name=role]").select_option("homeroom")
    assign.locator("select[name=class_id]").select_option(label="初二 1班")
    assign.locator("button[type=submit]").click()
    expect(admin.get_by_role("status")).to_have_text("已分配角色。")
    assert (now_there := chen.goto(f"{day.url}/schools/{two}/talks")) is not None and now_there.status == 200

    # The teacher with a phone and no email signs in by the code the SMS carries, sent at once.
    li = console.watch(page_factory(viewport=PHONE))
    li.goto(day.url + "/login")
    li.get_by_role("link", name="没有登记邮箱？用手机短信验证码登录").click()
    li.locator("input[name=phone]").fill("13912345678")
    li.get_by_role("button", name="发送验证码").click()
    deadline = time.monotonic() + 30
    while not list(day.outbox.glob("*.sms.json")) and time.monotonic() < deadline:
        time.sleep(0.1)
    (sms_file,) = day.outbox.glob("*.sms.json")
    sms = json.loads(sms_file.read_text(encoding="utf-8"))
    assert sms["to"] == "13912345678" and "李老师" not in sms["text"]
    li.locator("input[name=code]").fill(sms["params"]["code"])
    li.get_by_role("button", name="登录").click()
    li.wait_for_url(lambda url: url.endswith("/account/password"))
    expect(li.locator("header .who")).to_have_text("李老师")
    assert (hers := li.goto(f"{day.url}/schools/{two}/talks")) is not None and hers.status == 200
    shot(li, "first-district-sms-teacher-phone.png")
