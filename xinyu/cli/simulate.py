"""`xinyu simulate`: the command line over xinyu.simulate (the logic lives there)."""

import argparse
import sys
from pathlib import Path

from xinyu.cli.common import Command
from xinyu.simulate.session import ORCHESTRATORS, SimulationOptions, run_simulation


def register(command: Command) -> None:
    p = command("simulate", cmd_simulate,
                "模拟：示例城市的若干所学校逐日运行若干个月（随机逾期、提醒与升级），按月输出按时率、消息与升级")
    p.add_argument("--schools", type=int, required=True, help="学校数（约每 150 所一个区县）")
    p.add_argument("--months", type=int, required=True, help="月数（自 --start 起）")
    p.add_argument("--late-rate", type=float, required=True, help="任务逾期完成的比例，0–1")
    p.add_argument("--seed", type=int, default=7, help="随机种子：相同种子输出相同")
    p.add_argument("--classes", type=int, default=30, help="每校班级数")
    p.add_argument("--start", default="2025-09", help="起始月份 YYYY-MM（法定节假日数据覆盖 2025–2026 年）")
    p.add_argument("--dir", type=Path, default=Path("xinyu-simulation"),
                   help="模拟自己的文件夹：SQLite 数据库、导入的名册、消息文件（outbox/）")
    p.add_argument("--database-url", help="改用此数据库（须为空库，如新建的 PostgreSQL 库）")
    p.add_argument("--smtp-url", help="邮件发往此 SMTP 服务器（如本机的收信测试服务）；默认写入文件")
    p.add_argument("--orchestrator", choices=ORCHESTRATORS, default="embedded",
                   help="embedded：Prefect 进程内 API 运行真实流程（同 xinyu advance）；direct：直接调用核心；"
                        "server：自带一个 Prefect 服务器（PostgreSQL）与两个批次工作进程，各批次交给它们执行")
    p.add_argument("--students", action="store_true", help="同时导入学生名单（每班 40 人；模拟本身不需要）")
    p.add_argument("--allow-existing-data", action="store_true", help="允许在已有数据的数据库上运行")


def cmd_simulate(args: argparse.Namespace) -> int:
    options = SimulationOptions(
        schools=args.schools, months=args.months, late_rate=args.late_rate, seed=args.seed, classes=args.classes,
        start=args.start, folder=args.dir, database_url=args.database_url, smtp_url=args.smtp_url,
        orchestrator=args.orchestrator, students=args.students, allow_existing_data=args.allow_existing_data)
    run_simulation(options, out=_line)
    return 0


def _line(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()  # a month's line shows as it ends, even through a pipe
