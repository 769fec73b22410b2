"""`xinyu serve --workers N --no-scheduler` and `xinyu scheduler`, as real processes on the test database.

Which worker answered a request is read from the process list (/proc: the worker whose file descriptors hold
the server's end of the request's TCP connection), so the app says nothing about itself. Every wait polls
for an event with a deadline; nothing asserts how long anything took.
"""

import http.client
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from tests.factories import make_school
from tests.test_scheduler import ROOT, free_port, store_url  # noqa: F401  (fixture)
from xinyu.accounts import set_password
from xinyu.clock import now as wall_clock

PASSWORD = "workers-test-2026"
STARTUP = 180.0  # seconds to start Python and import the app in each worker on a loaded machine: not a timing assertion


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "XINYU_DATABASE_URL": url, "PYTHONUNBUFFERED": "1", "XINYU_COOKIE_SECURE": "false",
            "XINYU_BASE_URL": "https://xinyu.example.edu.cn", "XINYU_WEB_THREADS": "4"}


def _children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@contextmanager
def serving(url: str, *args: str) -> Iterator[tuple[str, subprocess.Popen[str], list[str]]]:
    """`xinyu serve --port P *args` until /healthz answers; (base, process, its stdout lines). SIGTERM on exit:
    the server and every worker must be gone, exit code 0."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "xinyu.cli", "serve", "--port", str(port), *args], cwd=ROOT,
                            env=_env(url), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            encoding="utf-8")
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(proc.stdout or []), daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, "gave up waiting for /healthz"
            time.sleep(0.3)
        workers = _children(proc.pid)
        yield base, proc, lines
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=90) == 0, "".join(lines)
        for pid in workers:  # uvicorn's workers (and multiprocessing's resource tracker) went with it
            deadline = time.monotonic() + 30
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not _alive(pid), f"process {pid} outlived the server"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _signed_in_person(engine: Engine) -> str:
    with Session(engine) as session:
        school = make_school(session, name="工作进程测试学校")
        person = next(iter(school.people.values()))
        assert person.id is not None and person.email
        set_password(session, person_id=person.id, password=PASSWORD, now=wall_clock())
        session.commit()
        return person.email


def _sign_in(base: str, login: str) -> str:
    with httpx.Client(base_url=base, timeout=30.0) as client:
        form = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token, form.text[:300]
        answer = client.post("/login", data={"login": login, "password": PASSWORD, "next": "/",
                                             "csrf_token": token.group(1)})
        assert answer.status_code == 303, answer.text[:300]
        cookie = client.cookies.get("xinyu_session")
        assert cookie
        return cookie


def _server_pid_of(client_port: int, server_port: int, candidates: set[int]) -> int | None:
    """The process among `candidates` holding the server's end of the connection from `client_port`."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            fields = row.split()
            local, remote = int(fields[1].rsplit(":", 1)[1], 16), int(fields[2].rsplit(":", 1)[1], 16)
            if local == server_port and remote == client_port:
                inodes.add(f"socket:[{fields[9]}]")
    for pid in candidates:
        try:
            links = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
        except OSError:
            continue
        if links & inodes:
            return pid
    return None


def _page_from_a_worker(base: str, path: str, cookie: str, workers: set[int]) -> tuple[int, str, int | None]:
    """GET on a connection of its own: (status, body, the worker that served it)."""
    port = int(base.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Cookie": f"xinyu_session={cookie}"})
        response = conn.getresponse()
        body = response.read().decode("utf-8")
        assert conn.sock is not None
        return response.status, body, _server_pid_of(conn.sock.getsockname()[1], port, workers)
    finally:
        conn.close()


def test_two_workers_serve_one_signed_in_session(store_url: str, engine: Engine) -> None:  # noqa: F811
    login = _signed_in_person(engine)
    with serving(store_url, "--workers", "2", "--no-scheduler") as (base, proc, lines):
        workers = _children(proc.pid)
        cookie = _sign_in(base, login)
        served: dict[int, int] = {}
        for _ in range(400):  # until both workers have served the session (the kernel picks which accepts)
            status, body, pid = _page_from_a_worker(base, "/tasks", cookie, workers)
            assert status == 200, (status, body[:300])  # signed in (a lost session is a 303 to /login)
            assert pid is not None, "no worker holds the connection"
            served[pid] = served.get(pid, 0) + 1
            if len(served) == 2 and min(served.values()) >= 3:
                break
        assert len(served) == 2, served  # two distinct worker processes, each answering the same session
        health = httpx.get(f"{base}/healthz", timeout=10).json()
        assert health["database"] == "ok" and health["migrations"]["ok"] is True
        assert health["scheduler"]["state"] == "never"  # --no-scheduler: nothing ran the jobs
        assert not _stored_jobs(store_url)
    text = "".join(lines)
    assert "2 个工作进程，不运行定时任务" in text and "网页端已停止" in text
    assert "Traceback" not in text


def _stored_jobs(url: str) -> bool:
    from sqlalchemy import inspect

    from xinyu.db import make_engine
    from xinyu.service.scheduler import JOBSTORE_TABLE

    engine = make_engine(url)
    try:
        return inspect(engine).has_table(JOBSTORE_TABLE)
    finally:
        engine.dispose()


def test_more_than_one_worker_needs_no_scheduler(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    from xinyu.cli import main

    assert main(["serve", "--workers", "2"]) == 1
    assert "--no-scheduler" in capsys.readouterr().err
    assert main(["serve", "--workers", "0", "--no-scheduler"]) == 1
    assert "--workers 须为正整数" in capsys.readouterr().err


def test_one_scheduler_per_database(store_url: str, tmp_path: Path) -> None:  # noqa: F811
    first = subprocess.Popen([sys.executable, "-m", "xinyu.cli", "scheduler"], cwd=ROOT, env=_env(store_url),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in first.stdout or []], daemon=True).start()
    try:
        assert lines.get(timeout=STARTUP).startswith("定时任务已启动（北京时间）：")
        for command in (["scheduler"], ["serve", "--port", str(free_port())]):
            second = subprocess.run([sys.executable, "-m", "xinyu.cli", *command], cwd=ROOT, env=_env(store_url),
                                    capture_output=True, text=True, encoding="utf-8", timeout=STARTUP)
            assert second.returncode == 1, second.stdout + second.stderr
            assert "另一个定时任务进程" in second.stderr and "Traceback" not in second.stderr
            assert "定时任务已启动" not in second.stdout
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=60) == 0, first.stderr.read() if first.stderr else ""
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert lines.get(timeout=5).strip() == "定时任务已停止"
    assert "Traceback" not in (first.stderr.read() if first.stderr else "")

    from xinyu.service.scheduler_lock import scheduler_lock

    with scheduler_lock(store_url):  # released with the process that held it
        pass
