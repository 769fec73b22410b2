"""How the CLI refuses a run: one `错误：…` line on stderr and exit code 1, never a traceback for an expected
error — also when the error comes back through a Prefect flow run, and for a bad command line."""

import argparse
import logging
import re
import sys
from collections.abc import Callable
from typing import NoReturn

from sqlalchemy.exc import OperationalError

from xinyu.locks import ClockBehind

REFUSED = 1
# Every domain refusal is a ValueError (PackError, CompletionError, a bad --at or month, an import's errors);
# a clock behind the last run is refused by the locks.
EXPECTED: tuple[type[BaseException], ...] = (ValueError, ClockBehind)


def expected_error(exc: BaseException) -> BaseException | None:
    """The expected error behind `exc`: itself, or one it was raised from (`raise … from`: a wrapper around a
    flow run's refusal). Not one it was merely raised while handling: that is a bug, shown as one."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, EXPECTED):
            return current
        current = current.__cause__
    return None


def refuse(message: str, *, keep_lines: bool = False) -> int:
    """Print the refusal as one `错误：` line (a YAML parser's message spans lines: joined). An import's
    errors keep their list, one indented line per row, under the one `错误：` line."""
    if not keep_lines:
        message = " ".join(line.strip() for line in message.splitlines() if line.strip())
    sys.stderr.write(f"错误：{message}\n")
    return REFUSED


def database_unreachable(exc: OperationalError, shown_url: str) -> str:
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"无法使用数据库 {shown_url}：{reason}"


def run_flow(flow: Callable[[], dict[str, int]]) -> dict[str, int]:
    """Run a flow from the CLI: Prefect's failure echo kept off the console (the error is reported in one
    line), and a Prefect API that cannot be reached is one clear refusal, not a traceback."""
    import httpx
    from prefect.settings import PREFECT_API_URL

    from xinyu.prefect_api import wait_for_api

    wait_for_api()
    quiet_failed_runs_on_console()
    try:
        return flow()
    except (RuntimeError, httpx.HTTPError) as exc:
        if expected_error(exc) is None and (isinstance(exc, httpx.TransportError) or "reach API" in str(exc)):
            raise PrefectUnreachable(f"无法连接 Prefect API {PREFECT_API_URL.value()}：请启动该服务器，或取消"
                                     "PREFECT_API_URL（使用内置的临时 API），或加 --direct 直接调用核心") from exc
        raise


class PrefectUnreachable(ValueError):
    """The Prefect API named by PREFECT_API_URL does not answer."""


class _NoFailureEcho(logging.Filter):
    """Prefect logs a failed task or flow run, traceback and all, on the console; the CLI reports the error
    itself in one line. The run log on the Prefect API keeps everything (this filters the console only).
    Warnings (e.g. a pack's calendar warning in the run log) still show."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and record.name.startswith(("prefect.flow_runs", "prefect.task_runs")):
            return False
        # At exit Prefect's event and log workers may note that they are still sending (to the API, not to us).
        return not (record.name.endswith("Worker") and record.getMessage().startswith("Still processing items"))


def quiet_failed_runs_on_console() -> None:
    """Before a flow runs in this process: keep Prefect's failure echo off the console handlers."""
    import prefect  # noqa: F401  (sets up Prefect's logging: its handlers are the ones to filter)

    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, _NoFailureEcho) for f in handler.filters):
            handler.addFilter(_NoFailureEcho())


_ARGPARSE = [
    (re.compile(r"the following arguments are required: (.+)"), "缺少参数：{0}"),
    (re.compile(r"argument (\S+): invalid choice: '([^']*)' \(choose from (.+)\)"), "{0} 不能是“{1}”，可选：{2}"),
    (re.compile(r"argument (\S+): invalid (?:int|float) value: '([^']*)'"), "{0} 应为数字，实为“{1}”"),
    (re.compile(r"unrecognized arguments: (.+)"), "无法识别的参数：{0}"),
    (re.compile(r"argument (\S+): expected one argument"), "{0} 后面缺少值"),
    (re.compile(r"argument (\S+): not allowed with argument (\S+)"), "{0} 与 {1} 不能同时使用"),
    (re.compile(r"one of the arguments (.+) is required"), "需要以下参数之一：{0}"),
]


class Parser(argparse.ArgumentParser):
    """argparse with the project's refusal: one Chinese line, exit 1 (subcommands use the same class)."""

    def error(self, message: str) -> NoReturn:
        for pattern, text in _ARGPARSE:
            match = pattern.fullmatch(message)
            if match:
                message = text.format(*match.groups())
                break
        sys.stderr.write(f"错误：{message}（用法见 {self.prog} --help）\n")
        sys.exit(REFUSED)
