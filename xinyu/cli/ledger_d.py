"""`xinyu ledger add D`: one talk (谈心) or family feedback (家访/电话/微信/家长会) into ledger D (QD-2)."""

import argparse
import json

from xinyu.cli.common import CliError, engine_and_book, resolve_person
from xinyu.clock import parse_at
from xinyu.db import transaction

REQUIRED = ("kind", "held_on", "summary")


def add_talk(args: argparse.Namespace, values: dict[str, str] | None = None) -> int:
    from xinyu.cli.ledger_list import school_named
    from xinyu.ledgers.talks import KINDS, TalkError, add_talk, find_student

    values = values or {}
    unknown = sorted(set(values) - set(REQUIRED))
    if unknown:
        raise CliError(f"D 台账没有字段 {'、'.join(unknown)}（可用：{'、'.join(REQUIRED)}）")
    for name in REQUIRED:
        if not values.get(name, "").strip():
            hint = {"kind": f"，应为 {'|'.join(KINDS)}", "held_on": "，如 2026-10-09"}.get(name, "")
            raise CliError(f"缺少 --set {name}=…{hint}")
    now = parse_at(args.at)
    engine, _ = engine_and_book()
    try:
        with transaction(engine) as session:
            school = school_named(session, args.school)
            person_id = resolve_person(session, args.by, school.id)
            student = find_student(session, school.id, args.student_no)
            record = add_talk(session, person_id=person_id, student=student, kind=values["kind"],
                              held_on=values["held_on"], summary=values["summary"], now=now)
            out = {"id": record.id, "ledger": "D", "school": school.name, "student_no": student.student_no,
                   "kind": record.kind, "held_on": record.held_on.isoformat(), "by": args.by,
                   "summary": record.summary}
    except TalkError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        print(f"D-{out['id']} 已记入谈心谈话与家校反馈台账：{out['held_on']} {out['kind']}，学号 {out['student_no']}，"
              f"记录人 {args.by}")
    return 0
