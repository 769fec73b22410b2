"""Import once, fork a fresh child per command: how the fault runs start (and SIGKILL) dozens of workers
without paying Python's start-up each time. Used by tests/notifications/dispatch_forker.py and
tests/faults/advance_worker.py.

Protocol on stdin/stdout, one line each: "<command> <args…>" → "pid <n>"; when that child ends → "ended";
then "reap" → "exit <code>" (negative: killed by that signal). The child is reaped only when asked, so its
pid cannot be reused by another process while the test may still send it a signal. Single-threaded, so
forking is safe.
"""

import os
import sys
import traceback
from collections.abc import Callable

Work = Callable[[str, list[str]], None]  # (command, its arguments): what a child does


def answer(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def serve(work: Work, commands: tuple[str, ...]) -> None:
    pid = 0
    for line in sys.stdin:
        command, *args = line.split()
        if command in commands:
            pid = os.fork()
            if pid == 0:
                _child(work, command, args)
            answer(f"pid {pid}")
            os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
            answer("ended")
        elif command == "reap":
            _, status = os.waitpid(pid, 0)
            answer(f"exit {os.waitstatus_to_exitcode(status)}")


def _child(work: Work, command: str, args: list[str]) -> None:
    code = 0
    try:
        work(command, args)
    except BaseException:
        traceback.print_exc()
        code = 1
    os._exit(code)
