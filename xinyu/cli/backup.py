"""`xinyu backup FILE` and `xinyu restore FILE [--force]`: the command line over xinyu.ops.backup."""

import argparse
from pathlib import Path

from xinyu.cli.common import Command
from xinyu.settings import get_settings


def register(command: Command) -> None:
    p = command("backup", cmd_backup, "备份数据库到一个文件（运行中也可备份）；本地证明材料文件另存为"
                " FILE.files.tar")
    p.add_argument("file", type=Path, help="备份文件：SQLite 数据库副本，或 PostgreSQL 的 pg_dump 自定义格式")
    p = command("restore", cmd_restore,
                "从 xinyu backup 的文件恢复到所配置的数据库（请先停止网页端与定时任务），"
                "并升级到本版本（同 xinyu init）")
    p.add_argument("file", type=Path, help="xinyu backup 写出的备份文件（同目录的 FILE.files.tar 一并恢复）")
    p.add_argument("--force", action="store_true", help="目标数据库已有数据时仍然恢复（覆盖全部数据）")


def cmd_backup(args: argparse.Namespace) -> int:
    from xinyu.ops.backup import backup

    outcome = backup(get_settings(), args.file)
    print("\n".join(outcome.summary("已备份")))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from xinyu.ops.backup import after_restore, restore

    settings = get_settings()
    outcome = restore(settings, args.file, force=args.force)
    after_restore(settings.database_url, outcome)
    print("\n".join(outcome.summary("已恢复")))
    print("请运行 xinyu check 检查数据一致，然后启动服务")
    return 0
