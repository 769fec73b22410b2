"""District inspections (QD-S2 每年开展不少于三次专项巡查……对督查发现的问题进行通报并督促学校抓好整改).

    xinyu inspection add --district D --school S --on DATE --by OFFICER --finding TEXT [--days N] [--json] [--at T]
    xinyu inspections [--year Y] [--json] [--at T]

A finding becomes a notice and a rectification task for the school's leader; doing the task closes it.
`xinyu inspections` lists each school's inspections in the year against its pack's minimum (`oversight:`).
"""

import argparse
import json
from datetime import date

from sqlmodel import Session, col, select

from models import District, Person, RoleAssignment, School
from xinyu.cli.common import CliError, Command, engine_and_book
from xinyu.clock import local_date, parse_at
from xinyu.db import transaction
from xinyu.roles import Role

DEFAULT_WORKDAYS = 10


def register(command: Command) -> None:
    p = command("inspection", cmd_inspection, "区县专项巡查：登记巡查发现，向学校下发整改通知与整改任务（QD-S2）")
    p.add_argument("action", choices=("add",), help="add：登记一次巡查及其发现")
    p.add_argument("--district", required=True, help="区县名称")
    p.add_argument("--school", required=True, help="被巡查学校")
    p.add_argument("--on", required=True, help="巡查日期 YYYY-MM-DD")
    p.add_argument("--by", required=True, help="巡查人（本区县负责人姓名）")
    p.add_argument("--finding", required=True, help="发现的问题（不得含学生姓名）")
    p.add_argument("--days", type=int, default=DEFAULT_WORKDAYS,
                   help=f"整改期限（工作日，1–30，默认 {DEFAULT_WORKDAYS}）")
    p.add_argument("--json", action="store_true")
    p.add_argument("--at", help="时间（ISO 8601；无时区按北京时间）")
    p = command("inspections", cmd_inspections, "各校本年度专项巡查次数与未整改问题（对照政策包的最低次数）")
    p.add_argument("--year", type=int, help="年份（默认今年）")
    p.add_argument("--json", action="store_true")
    p.add_argument("--at", help="时间（ISO 8601；无时区按北京时间）")


def _district(session: Session, name: str) -> District:
    district = session.exec(select(District).where(District.name == name)).first()
    if district is None or district.id is None:
        raise CliError(f"没有区县 {name}")
    return district


def _school(session: Session, name: str, district: District) -> School:
    schools = list(session.exec(select(School).where(School.name == name)))
    if not schools:
        raise CliError(f"没有学校 {name}")
    mine = [s for s in schools if s.district_id == district.id]
    if not mine:
        raise CliError(f"学校 {name} 不属于{district.name}")
    return mine[0]


def _officer(session: Session, name: str, district: District) -> int:
    ids = set(session.exec(select(Person.id).join(RoleAssignment, col(RoleAssignment.person_id) == col(Person.id))
                           .where(Person.name == name, RoleAssignment.role == Role.district_officer,
                                  RoleAssignment.district_id == district.id)))
    if len(ids) != 1:
        raise CliError(f"{district.name}{'没有' if not ids else '有多位'}名为 {name} 的区县负责人")
    (person_id,) = ids
    assert person_id is not None
    return person_id


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CliError(f"巡查日期 {text!r} 无效，应为 YYYY-MM-DD") from None


def cmd_inspection(args: argparse.Namespace) -> int:
    from xinyu.inspections import FindingInput, record_inspection

    held_on = _day(args.on)
    now = parse_at(args.at)
    engine, book = engine_and_book()
    with transaction(engine) as session:
        district = _district(session, args.district)
        school = _school(session, args.school, district)
        officer = _officer(session, args.by, district)
        inspection, findings = record_inspection(
            session, district_id=district.id or 0, held_on=held_on, inspector_id=officer,
            findings=[FindingInput(school.id or 0, args.finding)], workdays=args.days, now=now, book=book)
        tasks = {f.id: f.task_id for f in findings}
        result = {"inspection_id": inspection.id, "district": district.name, "school": school.name,
                  "held_on": held_on.isoformat(), "inspector": args.by,
                  "findings": [{"id": f.id, "task_id": tasks[f.id], "workdays": f.workdays, "text": f.text}
                               for f in findings]}
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    for finding in result["findings"]:  # type: ignore[attr-defined]
        print(f"已登记专项巡查 #{result['inspection_id']}（{held_on}，{args.by}）：{school.name}——{finding['text']}")
        print(f"已向{school.name}组长下发整改通知，整改任务 #{finding['task_id']}（{finding['workdays']}个工作日）")
    return 0


def cmd_inspections(args: argparse.Namespace) -> int:
    from xinyu.inspections import school_inspections
    from xinyu.textwidth import table

    year = args.year if args.year is not None else local_date(parse_at(args.at)).year
    if not 2000 <= year <= 2100:
        raise CliError(f"年份 {year} 无效，应为 2000–2100")
    engine, book = engine_and_book()
    with Session(engine) as session:
        rows = school_inspections(session, year=year, book=book)
    if args.json:
        print(json.dumps([r.as_cli_dict() for r in rows], ensure_ascii=False))
        return 0
    lines = [[r.district, r.school, str(r.count), "—" if r.minimum is None else str(r.minimum),
              ("未达要求" if r.short else "达到要求") if r.minimum is not None else "未设要求", str(r.open_findings)]
             for r in rows]
    print(f"{year} 年专项巡查（QD-S2）")
    print(table(["区县", "学校", "巡查次数", "每年至少", "情况", "未整改问题"], lines))
    return 0
