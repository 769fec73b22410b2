"""A worker for the advance-side fault runs: imports once, then forks a fresh child per command, so a test
can run two of them at once, or SIGKILL dozens, without paying Python's start-up each time.

Protocol (that of tests/notifications/dispatch_forker.py, so its Forker drives this too), one line each:
"advance <ISO time> <asc|desc>" or "dispatch <ISO time>" → "pid <n>"; when that child ends → "ended";
then "reap" → "exit <code>" (negative: killed by that signal). The child is reaped only when asked, so its
pid cannot be reused while the test may still signal it. Settings come from XINYU_* in the environment.
"""

import os
import sys
import traceback

from notifications.dispatcher import dispatch
from tests.faults.advance_run import advance_all
from xinyu.clock import parse_at
from xinyu.cycle import PackBook
from xinyu.db import make_engine
from xinyu.settings import Settings


def answer(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def child(settings: Settings, command: str, args: list[str]) -> None:
    code = 0
    try:
        engine = make_engine(settings.database_url)
        if command == "advance":
            advance_all(engine, PackBook(settings.packs_dir), parse_at(args[0]), descending=args[1] == "desc")
        else:
            dispatch(engine, now=parse_at(args[0]), settings=settings)
    except BaseException:
        traceback.print_exc()
        code = 1
    os._exit(code)


def main() -> None:
    settings = Settings()
    pid = 0
    for line in sys.stdin:
        command, *rest = line.split()
        if command in ("advance", "dispatch"):
            pid = os.fork()
            if pid == 0:
                child(settings, command, rest)
            answer(f"pid {pid}")
            os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
            answer("ended")
        elif command == "reap":
            _, status = os.waitpid(pid, 0)
            answer(f"exit {os.waitstatus_to_exitcode(status)}")


if __name__ == "__main__":
    main()
