"""QD-G4 / QD-S1: a pack changed and installed mid-month is a new version; the open month finishes on its own."""

from datetime import datetime, time
from pathlib import Path

from pytest_bdd import parsers, scenarios, then, when
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import PackVersion, Step
from tests.features.conftest import _advance, complete_step_tasks
from tests.features.support import Db, SchoolRef, cycle_of, find_task, holder, step_text
from xinyu.clock import SHANGHAI
from xinyu.cycle import PackBook
from xinyu.cycle.schedule import step_dates
from xinyu.policy.install import install_pack

scenarios("月度闭环/政策包版本.feature")

QINGDAO = Path(__file__).resolve().parents[2] / "packs" / "qingdao.yaml"
REQUIRED = "          - {name: committee_consulted, label: 已听取本班心理委员反馈, type: bool, required: true}\n"
# Each change the scenario's table names, as the edit made to the shipped file (the table's rows, in order).
CHANGES = {
    "“台账A–D更新”改为第10个工作日截止（原为第8个）": (
        "    earliest: 3\n    due: 8\n", "    earliest: 3\n    due: 10\n"),
    "任务“汇总全校月度筛查情况”改名为“全校筛查情况汇总表”": (
        "title: 汇总全校月度筛查情况", "title: 全校筛查情况汇总表"),
    "任务“本班月度心理状况摸排”新增必填项“新增必填项”": (
        REQUIRED, REQUIRED + "          - {name: new_required, label: 新增必填项, type: text, required: true}\n"),
    "步骤“领导小组专题会议”的代码由 meeting 改为 monthly_meeting": ("    key: meeting\n", "    key: monthly_meeting\n"),
}


@when(step_text("区里于 {at:At} 安装修改后的青岛政策包："))
def _(engine: Engine, tmp_path: Path, at: datetime, datatable: list[list[str]]) -> None:
    text = QINGDAO.read_text(encoding="utf-8")
    for (change,) in datatable[1:]:
        old, new = CHANGES[change]
        assert text.count(old) == 1, f"青岛政策包中找不到唯一的“{old.strip()}”"
        text = text.replace(old, new)
    edited = tmp_path / "青岛-修订.yaml"  # any file name: the pack is named by its own id
    edited.write_text(text, encoding="utf-8")
    assert install_pack(engine, edited, "区教体局", now=at).version == 2


@then(parsers.re(r"青岛政策包已安装版本 1 和 2，(?P<month>\d{4})年(?P<number>\d+)月的周期仍按版本 1 运行"))
def _(engine: Engine, db: Db, school: SchoolRef, month: str, number: str) -> None:
    with Session(engine) as session:
        assert list(session.exec(select(PackVersion.version).where(PackVersion.pack_id == "qingdao")
                                 .order_by(col(PackVersion.version)))) == [1, 2]
    with db() as session:
        assert cycle_of(session, school, f"{month}-{int(number):02d}").pack_version == "1"


@when("十月其余的步骤都按时开启并完成")
def _(db: Db, book: PackBook, school: SchoolRef) -> None:
    """Each step not done opens on its earliest day (by the cycle's own version) and its tasks are done at once."""
    with db() as session:
        cycle = cycle_of(session, school, "2026-10")
        pack, work = book.pack(cycle.pack, cycle.pack_version), book.calendar(cycle.pack, cycle.pack_version)
    at = datetime(2026, 10, 10, 9, tzinfo=SHANGHAI)
    for rule in pack.steps_for(10):
        earliest, _ = step_dates(rule, "2026-10", work)
        at = max(at, datetime.combine(earliest, time(9), tzinfo=SHANGHAI))
        _advance(db, book, school, at)
        with db() as session:
            step = session.exec(select(Step).where(Step.cycle_id == cycle.id, Step.key == rule.key)).one()
            step_id, status = step.id, step.status
        assert step_id is not None
        if status != "done":
            assert status == "open", f"“{rule.label}”应于 {at} 开启，实为 {status}"
            complete_step_tasks(db, book, school, step_id, at)
    _advance(db, book, school, at)


@then(parsers.re(r"(?P<month>\d{4})年(?P<number>\d+)月的周期按青岛政策包版本 (?P<version>\d+) 运行，"
                 r"步骤代码依次为 (?P<keys>.+)"))
def _(db: Db, school: SchoolRef, month: str, number: str, version: str, keys: str) -> None:
    with db() as session:
        cycle = cycle_of(session, school, f"{month}-{int(number):02d}")
        assert cycle.pack_version == version
        steps = session.exec(select(Step.key).where(Step.cycle_id == cycle.id).order_by(col(Step.order))).all()
    assert list(steps) == keys.split("、")


@then(step_text("{who}的“{task}”要求填写“{label}”"))
def _(db: Db, book: PackBook, school: SchoolRef, who: str, task: str, label: str) -> None:
    with db() as session:
        found = find_task(session, school, task, who=holder(session, school, who))
        origin = cycle_of(session, school)
        assert found.origin_cycle_id == origin.id
        template = book.template(origin.pack, origin.month, found.step_key, found.template,
                                 version=origin.pack_version)
    assert label in {f.label for f in template.evidence if f.required}
