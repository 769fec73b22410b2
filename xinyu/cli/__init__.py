"""`xinyu`: the command line over the same core the flows and the web app use; one module per area."""

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from sqlalchemy.exc import OperationalError

from xinyu.cli import (
    accounts,
    backup,
    calendar,
    chase,
    coverage,
    crisis,
    cycle,
    district,
    evidence,
    inspections,
    ledgers,
    meetings,
    mentors,
    network,
    packs,
    packs_table,
    service,
    simulate,
    training,
)
from xinyu.cli.common import CliError, engine_and_book, resolve_person
from xinyu.cli.errors import Parser, database_unreachable, expected_error, refuse
from xinyu.gc_tuning import tune_gc
from xinyu.settings import get_settings

AREAS = (
    service,
    cycle,
    evidence,
    meetings,
    ledgers,
    coverage,
    chase,
    crisis,
    district,
    simulate,
    calendar,
    network,
    packs,
    inspections,
    packs_table,
    mentors,
    training,
    accounts,
    backup,
)


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # Prefect's in-process API may take longer than its default 20 s to start on a loaded machine.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    # Prefect's run-by-run INFO lines would drown the CLI's own output; set the variable to see them.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    args = build_parser().parse_args(argv)
    tune_gc()
    try:
        if args.command not in OWN_DATABASE:
            require_database()
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except OperationalError as exc:
        from sqlalchemy import make_url

        return refuse(database_unreachable(exc, make_url(get_settings().database_url).render_as_string()))
    except Exception as exc:  # every domain refusal is a ValueError, also from inside a flow run
        refusal = expected_error(exc)
        if refusal is None:
            raise
        from xinyu.packs import PackError
        from xinyu.roster.errors import RosterError

        # A roster's rows and a pack's dotted paths: one error a line, as the file is read.
        return refuse(str(refusal), keep_lines=isinstance(refusal, (RosterError, PackError)))


OWN_DATABASE = {"init", "demo", "simulate", "restore"}  # commands that create or name their own database


def require_database() -> None:
    from sqlalchemy import make_url

    from xinyu.service.serve import database_ready

    url = get_settings().database_url
    if not database_ready(url):
        raise CliError(f"数据库尚未初始化：{make_url(url).render_as_string()}，请先运行 xinyu init")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="xinyu", description="心育闭环：中小学心理健康工作月度闭环管理")
    sub = parser.add_subparsers(required=True, metavar="命令")

    def command(name: str, handler: Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(handler=handler, command=name)
        return p

    for area in AREAS:
        area.register(command)
    return parser


__all__ = ["CliError", "build_parser", "engine_and_book", "main", "resolve_person"]


if __name__ == "__main__":
    sys.exit(main())
