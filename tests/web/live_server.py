"""The web app served for real (uvicorn over TCP, the way `xinyu serve` runs it) in a child process.

    python -m tests.web.live_server PORT [CLOCK]

The database is XINYU_DATABASE_URL's, as for `xinyu serve`; the app is web.app.create_app with the world's
stopped clock (CLOCK, ISO 8601) and cookies allowed over plain http (the client is on 127.0.0.1);
the scheduler is an empty one: these processes serve pages only.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def live_server(database_url: str, *, clock: str | None = None, startup_timeout: float = 60.0,
                env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """(base URL, process) of a served app; killed (SIGKILL) on the way out if it has not stopped by then."""
    port = free_port()
    command = [sys.executable, "-m", "tests.web.live_server", str(port)] + ([clock] if clock else [])
    child_env = {**os.environ, "XINYU_DATABASE_URL": database_url, **(env or {})}
    process = subprocess.Popen(command, cwd=ROOT, env=child_env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            try:
                httpx.get(f"{base}/login", timeout=5.0)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start (exit code {process.poll()})") from None
                time.sleep(0.2)
        yield base, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait()


def main(argv: list[str]) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    from web.app import create_app
    from xinyu.clock import parse_at
    from xinyu.service.serve import serve_web_until_stopped

    port = int(argv[0])
    clock = None
    if len(argv) > 1:
        stopped = parse_at(argv[1])
        clock = lambda: stopped  # noqa: E731
    app = create_app(clock=clock, cookie_secure=False)
    serve_web_until_stopped(BackgroundScheduler(), app, host="127.0.0.1", port=port)


if __name__ == "__main__":
    main(sys.argv[1:])
