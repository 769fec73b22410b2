"""`xinyu serve` says so when XINYU_BASE_URL is unset: every link in every message would point at the
default address (http://127.0.0.1:8000), which no recipient can open. A log line and a line on stderr."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_scheduler import ROOT, free_port, login_page, store_url  # noqa: F401  (fixture)

WARNING = "未设置 XINYU_BASE_URL"
STARTUP = 180.0  # seconds to start Python, import the app and serve, on a loaded machine: not a timing assertion


def serve_until_up(store_url: str, tmp_path: Path, **env: str) -> str:  # noqa: F811
    """Start `xinyu serve`, wait for its login page, stop it; its stderr."""
    environ = {k: v for k, v in os.environ.items() if k != "XINYU_BASE_URL"}
    environ.update({"XINYU_DATABASE_URL": store_url, "PYTHONUNBUFFERED": "1", **env})
    errors = tmp_path / "stderr.txt"
    port = free_port()
    with errors.open("w") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "xinyu.cli", "serve", "--port", str(port)], cwd=ROOT,
                                env=environ, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        deadline = time.monotonic() + STARTUP
        while not login_page(port):
            assert proc.poll() is None, errors.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, "gave up waiting for the web app's login page"
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, errors.read_text(encoding="utf-8")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return errors.read_text(encoding="utf-8")


def test_serve_warns_when_the_base_url_is_unset(store_url: str, tmp_path: Path) -> None:  # noqa: F811
    stderr = serve_until_up(store_url, tmp_path)
    lines = [line for line in stderr.splitlines() if WARNING in line]
    assert any("WARNING xinyu" in line for line in lines), stderr  # the log line
    assert any(line.startswith("警告：") for line in lines), stderr  # the plain line
    assert "http://127.0.0.1:8000" in lines[0]


@pytest.mark.parametrize("base", ["https://xinyu.example.edu.cn"])
def test_serve_is_quiet_when_the_base_url_is_set(store_url: str, tmp_path: Path, base: str) -> None:  # noqa: F811
    assert WARNING not in serve_until_up(store_url, tmp_path, XINYU_BASE_URL=base)
