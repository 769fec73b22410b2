"""Evidence files and corrections from the command line (issue 12 items 9 and 11).

`xinyu complete ID --file 字段=PATH` (xinyu.cli.cycle) attaches files; `xinyu correct ID --by NAME …` lets the
author correct the evidence within the month of completion; `xinyu files ID` lists a task's files (ids for
`--remove`). A file that cannot be read, or that its field does not take, is refused in one `错误：` line naming
it, and nothing is written.
"""

import argparse
import json
from pathlib import Path

from sqlmodel import Session

from models import Task
from xinyu.cli.common import CliError, Command, engine_and_book, resolve_person
from xinyu.clock import as_local, parse_at
from xinyu.cycle.correction import correct_evidence
from xinyu.db import transaction
from xinyu.evidence_files import Upload
from xinyu.evidence_files.records import task_files
from xinyu.packs import FILE_MAX_MB


def add_file_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--file", action="append", default=[], metavar="字段=路径", dest="files",
                   help="附件（照片、PDF、Word/Excel），可重复；按文件内容检查类型与大小")


def read_files(items: list[str]) -> dict[str, list[Upload]]:
    """`--file 字段=PATH` pairs read into uploads, named by the file's own name (never its folders)."""
    files: dict[str, list[Upload]] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        if not sep or not name.strip() or not raw:
            raise CliError(f"--file 应为 字段=路径，实为 {item!r}")
        path = Path(raw)
        if not path.is_file():
            raise CliError(f"文件 {raw}：{'不是文件' if path.exists() else '不存在'}")
        size = path.stat().st_size
        if size > FILE_MAX_MB * 1024 * 1024:  # never read a huge file into memory to refuse it
            raise CliError(f"文件 {raw}：大小 {size / 1024 / 1024:.1f} MB，超过附件上限 {FILE_MAX_MB} MB")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CliError(f"文件 {raw}：无法读取（{exc.strerror or exc}）") from exc
        files.setdefault(name.strip(), []).append(Upload(name=path.name, data=data))
    return files


def register(command: Command) -> None:
    p = command("correct", cmd_correct, "更正已完成任务的证据（仅填写人，完成当月内；原内容保留在修改记录中）")
    p.add_argument("task_id", type=int)
    p.add_argument("--by", required=True, help="更正人姓名（须为证据的填写人）")
    p.add_argument("--set", action="append", default=[], metavar="字段=值", dest="values",
                   help="要更正的字段；值为空表示清除（选填项）")
    add_file_option(p)
    p.add_argument("--remove", action="append", default=[], type=int, metavar="附件编号",
                   help="删除（或替换前删除）的附件编号，见 xinyu files；文件与记录仍保留")
    p.add_argument("--at", help="更正时间（ISO 8601；无时区按北京时间）")
    p.add_argument("--json", action="store_true")
    p = command("files", cmd_files, "列出任务的证据附件（含已删除或替换的）")
    p.add_argument("task_id", type=int)
    p.add_argument("--json", action="store_true")


def cmd_correct(args: argparse.Namespace) -> int:
    from xinyu.cli.ledgers import parse_values

    values = parse_values(args.values)
    files = read_files(args.files)
    engine, book = engine_and_book()
    now = parse_at(args.at)
    with transaction(engine) as session:
        task = session.get(Task, args.task_id)
        if task is None:
            raise CliError(f"没有任务 #{args.task_id}")
        by = resolve_person(session, args.by, task.school_id)
        task = correct_evidence(session, task_id=args.task_id, by=by, now=now, book=book, values=values,
                                files=files, remove=args.remove)
        if args.json:
            print(json.dumps({"id": task.id, "evidence": task.evidence, "corrected_at": now.isoformat()},
                             ensure_ascii=False))
        else:
            print(f"任务 #{task.id}「{task.title}」的证据已更正（{as_local(now):%Y-%m-%d %H:%M}），"
                  "原内容保留在修改记录中")
    return 0


def cmd_files(args: argparse.Namespace) -> int:
    engine, _ = engine_and_book()
    with Session(engine) as session:
        if session.get(Task, args.task_id) is None:
            raise CliError(f"没有任务 #{args.task_id}")
        rows = task_files(session, args.task_id)
    listed = [{"id": f.id, "field": f.field, "name": f.name, "content_type": f.content_type, "size": f.size,
               "sha256": f.sha256, "uploaded_at": as_local(f.uploaded_at).isoformat() if f.uploaded_at else None,
               "removed_at": as_local(f.removed_at).isoformat() if f.removed_at else None} for f in rows]
    if args.json:
        print(json.dumps(listed, ensure_ascii=False))
        return 0
    for f in listed:
        print(f"#{f['id']} {f['field']} {f['name']} {f['content_type']} {f['size']} 字节"
              f"{'（已删除）' if f['removed_at'] else ''}")
    print(f"共 {len(listed)} 个附件")
    return 0
