"""Which Prefect API the CLI's flow runs use, found or started before Prefect is imported.

In this order (`use_api`):
1. the API Prefect is configured with (`PREFECT_API_URL` in the environment or the active Prefect profile, or
   already set in this process): used as it is;
2. the API a running `xinyu serve` / `xinyu scheduler` advertises in `$PREFECT_HOME/xinyu-api.json`, if it
   answers `GET /health` within a second (a stale file, its server gone, is ignored and removed);
3. otherwise Prefect's ephemeral API, started by this process as a child (`xinyu.prefect_api.server`: Prefect's
   own app, as Prefect's ephemeral mode runs it), once, at the start of the command so that it boots while the
   command imports its modules; stopped when the command ends (and it stops itself if the command is killed).

Nothing here imports Prefect: the child does.
"""

import atexit
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field

from xinyu.prefect_api.discovery import advertised_api, answers, configured_api_url

STARTUP_TIMEOUT = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"


@dataclass
class StartedApi:
    """The ephemeral API this process started (its child), until it answers."""
    url: str
    process: subprocess.Popen[bytes]
    ready: bool = field(default=False)

    def wait(self) -> None:
        deadline = time.monotonic() + float(os.environ.get(STARTUP_TIMEOUT, "120"))
        while not self.ready:
            if self.process.poll() is not None:
                raise RuntimeError(f"临时 Prefect API 未能启动（退出码 {self.process.returncode}）")
            if answers(self.url, timeout=1.0):
                self.ready = True
            elif time.monotonic() > deadline:
                raise RuntimeError(f"临时 Prefect API 在 {STARTUP_TIMEOUT} 秒内未启动")
            else:
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


_started: StartedApi | None = None


def use_api(*, advertise: bool = False) -> str | None:
    """Point this process's flow runs at an API: the configured one, an advertised one, or one started now (in
    the background: `wait_for_api` before the first flow run; `advertise`: for other commands too, while this
    process runs — `xinyu serve`). Once per process; the URL it set, or None when Prefect decides (configured,
    or Prefect already imported in this process)."""
    global _started
    if _started is not None:
        return _started.url
    if "prefect.context" in sys.modules:  # Prefect's settings are read: the API it has (tests, a second command)
        return None
    if configured_api_url():
        return None
    url = advertised_api()
    if url is None:
        _started = start_child_api(advertise=advertise)
        url = _started.url
    os.environ["PREFECT_API_URL"] = url
    return url


def wait_for_api() -> None:
    """Before the first flow run: the API this process started answers."""
    if _started is not None:
        _started.wait()


def start_child_api(*, advertise: bool = False) -> StartedApi:
    """Prefect's API app in a child process, on a port bound here (handed over: no race for a free port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "xinyu.prefect_api.server", "--fd", str(sock.fileno()), "--parent", str(os.getpid()),
         *(["--advertise"] if advertise else [])],
        pass_fds=(sock.fileno(),), stdin=subprocess.DEVNULL, env=os.environ.copy())
    sock.close()  # the child holds it
    started = StartedApi(url=f"http://127.0.0.1:{port}/api", process=process)
    atexit.register(started.stop)
    return started


__all__ = ["advertised_api", "configured_api_url", "use_api", "wait_for_api"]
