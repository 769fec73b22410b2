"""`xinyu ledger protector B-12 --by NAME (--person NAME | --clear)`: a key student's 隐形保护人 (JN-5).

Only where the school's pack has `key_students.protector` (Jinan); `--by` is the school leader or a psychology
teacher. The output names the plan and the protector, never the student (JN-5: the assignment is quiet).
"""

import argparse
import json

from models import KeyStudentPlan, Person, School
from xinyu.cli.common import CliError, engine_and_book, resolve_person
from xinyu.clock import parse_at
from xinyu.db import transaction
from xinyu.ledgers.key_students import KeyStudentError
from xinyu.ledgers.protector import assign_protector


def set_protector(args: argparse.Namespace) -> int:
    if bool(args.person) == bool(args.clear):
        raise CliError("请用 --person 教职工姓名 指定隐形保护人，或用 --clear 取消（二者选一）")
    text = args.plan.strip().upper().removeprefix("B-")
    if not text.isdigit():
        raise CliError(f"一生一案编号应为 B-数字，实为 {args.plan!r}")
    now = parse_at(args.at)
    engine, book = engine_and_book()
    with transaction(engine) as session:
        plan = session.get(KeyStudentPlan, int(text))
        if plan is None:
            raise CliError(f"没有一生一案 {args.plan}")
        school = session.get(School, plan.school_id)
        assert school is not None
        by = resolve_person(session, args.by, plan.school_id)
        protector = None if args.clear else resolve_person(session, args.person, plan.school_id)
        try:
            assign_protector(session, plan=plan, protector_id=protector, by=by, now=now,
                             rule=book.pack(school.pack).key_students)
        except KeyStudentError as exc:
            raise CliError(str(exc)) from exc
        person = session.get(Person, plan.protector_id) if plan.protector_id else None
        out = {"plan": f"B-{plan.id}", "protector_id": plan.protector_id, "protector": person.name if person else None}
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(f"一生一案 {out['plan']} 的隐形保护人：{out['protector'] or '未指定'}")
    return 0
