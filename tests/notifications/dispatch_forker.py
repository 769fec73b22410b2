"""A dispatcher factory for the fault runs: imports once, then forks a fresh dispatcher per request,
so a test can SIGKILL dozens of dispatchers without paying Python's start-up for each.

Protocol on stdin/stdout, one line each: "run <ISO time>" → "pid <n>"; when that child ends → "ended";
then "reap" → "exit <code>" (negative: killed by that signal). The child is reaped only when asked,
so its pid cannot be reused by another process while the test may still send it a signal.
Settings come from XINYU_* in the environment. Single-threaded, so forking is safe.
"""

import os
import sys
import traceback

from notifications.dispatcher import dispatch
from xinyu.clock import parse_at
from xinyu.db import make_engine
from xinyu.settings import Settings


def answer(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def child(settings: Settings, at: str) -> None:
    code = 0
    try:
        dispatch(make_engine(settings.database_url), now=parse_at(at), settings=settings)
    except BaseException:
        traceback.print_exc()
        code = 1
    os._exit(code)


def main() -> None:
    settings = Settings()
    for line in sys.stdin:
        command, *rest = line.split()
        if command == "run":
            pid = os.fork()
            if pid == 0:
                child(settings, rest[0])
            answer(f"pid {pid}")
            os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
            answer("ended")
        elif command == "reap":
            _, status = os.waitpid(pid, 0)
            answer(f"exit {os.waitstatus_to_exitcode(status)}")


if __name__ == "__main__":
    main()
