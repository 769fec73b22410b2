"""`xinyu demo`: a sample district runs October 2026 end to end on the embedded default.

Rosters are written as files a school would really send (GBK CSV, UTF-8 CSV, XLSX) and imported;
the month runs on Prefect's in-process API with the clock jumping day by day across the National
Day holiday; people finish on time or late; the board, the shortfalls, an agenda and the
carry-over into November are printed.
"""

import os
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import Cycle, Meeting, MonthlyReport, Person, RoleAssignment, School, Task
from xinyu.accounts import set_password
from xinyu.board import render_board, render_shortfalls
from xinyu.clock import parse_at
from xinyu.cycle import PackBook
from xinyu.db import make_engine, migrate, transaction
from xinyu.roles import Role, role_label
from xinyu.settings import get_settings
from xinyu.simulation import record_courses, record_ledger_entries, simulate_work

DEMO_MONTH = "2026-10"
DISTRICT = "青岛市市南区"
LATE_RATE = 0.1
COURSE_SKIP_RATE = 0.12
LEDGER_WORK_DAY = date(2026, 10, 9)  # the day after the screening results are in
IMPORTED_AT = "2026-10-08T17:00"  # the demo month's files arrive then: ledger A counts them as October's rows
DEMO_PASSWORD = "xinyu-demo"  # demo data only: printed so that anyone can look around


def load_demo_district(engine: Engine, *, workdir: Path, schools: int = 6, classes: int = 8, seed: int = 7) -> str:
    from xinyu import sample
    from xinyu.roster import import_file

    workdir.mkdir(parents=True, exist_ok=True)
    staff = sample.sample_roster_rows(district=DISTRICT, schools=schools, classes_per_school=classes, seed=seed)
    students = sample.sample_student_rows(staff, seed=seed)
    screening = sample.sample_screening_rows(students, seed=seed)
    files = [workdir / "教职工名册.csv", workdir / "学生名单.csv", workdir / "心理测评结果.xlsx"]
    sample.write_csv(files[0], staff, encoding="gbk")
    sample.write_csv(files[1], students)
    sample.write_xlsx(files[2], screening)
    lines = []
    for path in files:
        result = import_file(engine, path, now=parse_at(IMPORTED_AT))
        lines.append(f"  {result.summary()}")
    return "\n".join(lines)


def run_demo(*, database_url: str, schools: int, classes: int, seed: int, out: Callable[[str], None]) -> None:
    from flows.monthly_cycle import AdvanceParams, OpenMonthParams, advance_flow, open_month_flow

    _fresh_database(database_url)
    os.environ["XINYU_DATABASE_URL"] = database_url
    engine = make_engine(database_url)
    book = PackBook(engine, pin_newest=True)
    out(f"心育闭环示例 · {DISTRICT} · {DEMO_MONTH} · 数据库 {database_url}\n")
    out("一、导入名册（学校报送的原始文件）")
    out(load_demo_district(engine, workdir=Path("demo-data"), schools=schools, classes=classes, seed=seed))
    opened = open_month_flow(OpenMonthParams(month=DEMO_MONTH, at="2026-10-01T00:10"))
    out(f"\n二、10月1日 00:10 开启月度周期（Prefect 流程 open-month）：{opened['opened']} 所学校")
    out("\n三、逐日推进（国庆假期 10月1日–7日不计工作日，10月10日周六调休上班）")
    day = date(2026, 10, 1)
    while day <= date(2026, 10, 31):
        now = parse_at(f"{day.isoformat()}T17:00")
        with transaction(engine) as session:
            lessons = record_courses(session, today=day, book=book, seed=seed, skip_rate=COURSE_SKIP_RATE)
            if day == LEDGER_WORK_DAY:
                entries = record_ledger_entries(session, now=now)
                out(f"  {day:%m-%d} 专职心理教师依据测评预警建立B台账（一生一案）、D台账（谈心）、"
                    f"C台账（危机个案）共 {entries} 条")
            work = simulate_work(session, now=now, book=book, seed=seed, late_rate=LATE_RATE)
        moved = advance_flow(AdvanceParams(at=now.isoformat()))
        chased = [moved.get(f"chase.{k}", 0) for k in ("reminders", "school_escalations", "district_escalations")]
        if work.completed or moved["steps_opened"] or moved["steps_done"] or lessons or any(chased):
            out(f"  {day:%m-%d} 完成任务 {work.completed:3d} 项（逾期完成 {work.late:2d}）· 课程记录 {lessons:3d} 条"
                f" · 开启步骤 {moved['steps_opened']:2d} · 完成步骤 {moved['steps_done']:2d}"
                f" · 新任务 {moved['tasks_created']:3d} · 催办 提醒 {chased[0]:2d} 升级组长 {chased[1]:2d}"
                f" 报区县 {chased[2]:2d}")
        day += timedelta(days=1)
    with Session(engine) as session:
        out("\n四、月末看板\n")
        out(render_board(session, month=DEMO_MONTH, today=date(2026, 10, 31), book=book))
        out("\n" + render_shortfalls(session, month=DEMO_MONTH, book=book))
        meeting, school = session.exec(
            select(Meeting, School.name).join(Cycle, col(Cycle.id) == col(Meeting.cycle_id))
            .join(School, col(School.id) == col(Cycle.school_id)).order_by(col(Meeting.id))).first() or (None, "")
        if meeting:
            out(f"\n五、领导小组会议议程示例（{school}，开启会议步骤时自动生成）\n")
            out(meeting.agenda.rstrip())
    moved = advance_flow(AdvanceParams(at="2026-11-02T08:00"))
    out(f"\n六、11月2日 08:00 推进：开启11月周期 {moved['opened.opened']} 个，结转上月未完成事项 "
        f"{moved['opened.carried_tasks']} 项")
    with Session(engine) as session:
        out(_carried_summary(session))
        report = session.exec(select(MonthlyReport).order_by(col(MonthlyReport.id))).first()
        if report:
            out("\n七、学校月度报告示例（报区县，只含统计，不含学生姓名）\n")
            out(report.body.rstrip())
    from notifications.dispatcher import dispatch_to_files

    folder = get_settings().outbox_dir
    result = dispatch_to_files(engine, folder=folder, now=parse_at("2026-11-02T08:05"))
    out(f"\n八、发件箱：邮件 {result.count('sent', 'email')} 封（月度报告、催办摘要、区县督办摘要），"
        f"短信 {result.count('sent', 'sms')} 条（只含件数与链接），已写入 {folder}/")
    with Session(engine) as session:
        from xinyu.chase.inbox import list_escalations

        inbox = list_escalations(session, today=date(2026, 11, 2), book=book)
        open_items = [i for i in inbox if i["status"] != "resolved"]
        out(f"\n九、区县督办箱：共 {len(inbox)} 项逾期升级，已随任务完成办结 {len(inbox) - len(open_items)} 项，"
            f"待处理 {len(open_items)} 项（xinyu inbox 查看，xinyu reminders 查看每次提醒与升级的日期）")
    out(f"\n查看任务：XINYU_DATABASE_URL={database_url} xinyu tasks --status overdue --at 2026-11-02")
    with transaction(engine) as session:
        accounts = demo_accounts(session, now=parse_at("2026-11-02T08:00"))
    out(f"\n十、网页端：XINYU_DATABASE_URL={database_url} xinyu serve，然后打开 http://127.0.0.1:8000/ ，"
        f"示例账号（密码均为 {DEMO_PASSWORD}）：")
    for label, name, login in accounts:
        out(f"  {label:　<8}{name}　{login}")


def demo_accounts(session: Session, *, now: datetime) -> list[tuple[str, str, str]]:
    """One person of each kind gets the demo password: (what they are, name, login)."""
    first = session.exec(select(School).order_by(col(School.id))).first()
    assert first is not None and first.id is not None
    wanted = [("组长（校长）", Role.leader, first.id), ("专职心理教师", Role.psych_teacher, first.id),
              ("班主任", Role.homeroom, first.id), ("区县负责人", Role.district_officer, None)]
    accounts = []
    for label, role, school_id in wanted:
        query = (select(Person).join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
                 .where(RoleAssignment.role == role, col(Person.email).is_not(None)).order_by(col(RoleAssignment.id)))
        if school_id is not None:
            query = query.where(RoleAssignment.school_id == school_id)
        person = session.exec(query).first()
        if person is None or person.id is None or not person.email:
            continue
        set_password(session, person_id=person.id, password=DEMO_PASSWORD, now=now)
        accounts.append((label, person.name, person.email))
    return accounts


def _carried_summary(session: Session) -> str:
    rows = session.exec(
        select(col(School.name), col(Task.title), col(Task.role), col(Task.due))
        .join(School, col(School.id) == col(Task.school_id))
        .join(Cycle, col(Cycle.id) == col(Task.cycle_id))
        .where(Cycle.month == "2026-11", col(Task.carried_over)).order_by(col(School.name), col(Task.due))
    ).all()
    lines = ["  结转到11月的事项（保留原截止日期，继续督办）："]
    for school, title, role, due in rows[:15]:
        lines.append(f"    {school}｜{title}｜{role_label(role)}｜原截止 {due}")
    if len(rows) > 15:
        lines.append(f"    …… 另有 {len(rows) - 15} 项")
    return "\n".join(lines) if rows else "  没有结转事项"


def _fresh_database(url: str) -> None:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    migrate(url)


__all__ = ["load_demo_district", "run_demo"]
