"""Background processes of the stack by name: a pid file and a log each under the stack's folder, started in
sessions of their own and stopped with everything they started."""

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from xinyu.devstack.config import PROJECT_ROOT, StackConfig, StackError


def pid_file(config: StackConfig, name: str) -> Path:
    return config.home / f"{name}.pid"


def running_pid(config: StackConfig, name: str) -> int | None:
    """The pid of our `name` process if it still runs (a pid file whose process is gone or is not
    a Prefect process or batch worker any more is stale)."""
    path = pid_file(config, name)
    try:
        pid = int(path.read_text())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if b"prefect" in cmdline or b"flows.batch_worker" in cmdline else None


def start_process(config: StackConfig, name: str, argv: list[str], env: Mapping[str, str]) -> int:
    config.home.mkdir(parents=True, exist_ok=True)
    with open(config.home / f"{name}.log", "ab") as log:
        process = subprocess.Popen(argv, cwd=PROJECT_ROOT, env=dict(env), stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    pid_file(config, name).write_text(str(process.pid))
    return process.pid


def _descendants(pid: int) -> list[int]:
    """Processes started under `pid` (a worker's flow runs run in sessions of their own)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def stop(config: StackConfig, name: str, grace: float = 15.0) -> bool:
    """SIGTERM `name`, its session and the flow runs it started; SIGKILL what is left after `grace` s."""
    pid = running_pid(config, name)
    pid_file(config, name).unlink(missing_ok=True)
    if pid is None:
        return False
    targets = [pid, *_descendants(pid)]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for target in targets:
            try:
                os.killpg(target, sig) if target == pid else os.kill(target, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(_alive(t) for t in targets):
            time.sleep(0.1)
        if not any(_alive(t) for t in targets):
            break
    try:
        os.waitpid(pid, os.WNOHANG)  # our own child when started from this process
    except ChildProcessError:
        pass
    return True


def log_tail(config: StackConfig, name: str, lines: int = 15) -> str:
    try:
        return "\n".join((config.home / f"{name}.log").read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def wait_for(ready: Callable[[], bool], timeout: float, what: str, config: StackConfig, name: str) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if running_pid(config, name) is None:
            raise StackError(f"{what} stopped; {config.home / (name + '.log')} ends:\n{log_tail(config, name)}")
        if time.monotonic() > deadline:
            raise StackError(f"{what} not ready after {timeout:.0f} s; see {config.home / (name + '.log')}")
        time.sleep(0.3)
