"""Which Prefect API a CLI flow run uses (xinyu.prefect_api): a running API is reused — named by PREFECT_API_URL
or advertised under PREFECT_HOME by `xinyu serve` — and a stale advertisement neither hangs a command nor
leaves it without an API: it starts its own, and stops it when it ends."""

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_cli_contract import roster

ROOT = Path(__file__).resolve().parent.parent


def prefect_env(db_url: str, tmp_path: Path) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith(("XINYU_", "PREFECT_"))}
    values.update(XINYU_DATABASE_URL=db_url, XINYU_OUTBOX_DIR=str(tmp_path / "outbox"), PYTHONPATH=str(ROOT),
                  PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_HOME=str(tmp_path / "prefect-home"),
                  PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="300")
    return values


def advertise(env: dict[str, str], url: str) -> Path:
    path = Path(env["PREFECT_HOME"]) / "xinyu-api.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"url": url, "pid": 1}), encoding="utf-8")
    return path


async def advance_runs_at(at: str) -> list[object]:
    """The advance-cycles flow runs of the session's API whose parameters name this time."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    async with get_client() as client:
        runs = await client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["advance-cycles"])),
                                           limit=200)
    return [r.id for r in runs if r.parameters.get("params", {}).get("at") == at]


def session_api_url() -> str:
    from prefect.settings import PREFECT_API_URL

    return str(PREFECT_API_URL.value())


def children_of(pid: int) -> list[str]:
    """Command lines of the API servers a CLI process started (xinyu.prefect_api.server --parent PID)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"xinyu.prefect_api.server" in argv and str(pid).encode() in argv:
            found.append(" ".join(a.decode() for a in argv))
    return found


def run_cli(env: dict[str, str], cwd: Path, *argv: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """The command, and the API servers of its own still running after it ended."""
    process = subprocess.Popen([sys.executable, "-m", "xinyu.cli", *argv], cwd=cwd, env=env, text=True,
                               encoding="utf-8", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = process.communicate(timeout=900)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err), children_of(process.pid)


@pytest.mark.parametrize("found_by", ["PREFECT_API_URL", "advertised"])
def test_a_command_runs_its_flow_on_the_running_api(
    prefect_api: None, db_url: str, tmp_path: Path, found_by: str
) -> None:
    env = prefect_env(db_url, tmp_path)
    roster(env, tmp_path)
    url = session_api_url()
    if found_by == "PREFECT_API_URL":
        env["PREFECT_API_URL"] = url
    else:
        advertise(env, url)  # as a running `xinyu serve` does
    at = {"PREFECT_API_URL": "2026-10-08T07:01", "advertised": "2026-10-08T07:02"}[found_by]
    done, left = run_cli(env, tmp_path, "advance", "--at", at)
    assert done.returncode == 0, done.stderr
    assert "推进：2 个周期" in done.stdout
    assert len(asyncio.run(advance_runs_at(datetime_iso(at)))) == 1  # its run is on the session's API
    assert left == []


def datetime_iso(at: str) -> str:
    from xinyu.clock import parse_at

    return parse_at(at).isoformat()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers (a stale advertisement's worst case)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield sock.getsockname()[1]
    sock.close()


def test_a_stale_advertisement_is_passed_over_and_the_command_starts_and_stops_its_own_api(
    db_url: str, tmp_path: Path, silent_port: int
) -> None:
    from xinyu.prefect_api.discovery import advertised_api

    env = prefect_env(db_url, tmp_path)
    roster(env, tmp_path)
    advert = advertise(env, f"http://127.0.0.1:{silent_port}/api")
    done, left = run_cli(env, tmp_path, "open", "2026-10", "--at", "2026-10-08T09:00")
    assert done.returncode == 0, done.stderr
    assert "新开启 2 所学校" in done.stdout
    assert not advert.exists()  # removed: the next command does not ask again
    assert left == []  # the API it started stopped with it
    advertise(env, "http://127.0.0.1:9/api")  # nobody listens on port 9
    os.environ["PREFECT_HOME"], home = env["PREFECT_HOME"], os.environ.get("PREFECT_HOME")
    try:
        assert advertised_api() is None
    finally:
        if home is None:
            del os.environ["PREFECT_HOME"]
        else:
            os.environ["PREFECT_HOME"] = home


def test_serve_advertises_its_api_while_it_runs(db_url: str, tmp_path: Path) -> None:
    """`xinyu serve` starts its flows' API at once and advertises it; a command finds it; it is withdrawn and
    stopped with serve."""
    from xinyu.prefect_api.discovery import answers

    env = prefect_env(db_url, tmp_path)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    serve = subprocess.Popen([sys.executable, "-m", "xinyu.cli", "serve", "--port", str(port)], cwd=tmp_path,
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    advert = Path(env["PREFECT_HOME"]) / "xinyu-api.json"
    try:
        url = None
        for _ in range(9000):  # up to 900 s: a fresh PREFECT_HOME migrates Prefect's database first (minutes, loaded)
            if advert.exists():
                url = json.loads(advert.read_text(encoding="utf-8"))["url"]
                break
            assert serve.poll() is None, "serve stopped"
            time.sleep(0.1)
        assert url is not None and answers(url, timeout=5)
        assert children_of(serve.pid) != []
    finally:
        serve.terminate()
        serve.wait(timeout=60)
    assert not advert.exists()
    assert children_of(serve.pid) == []
    assert not answers(url, timeout=1)
