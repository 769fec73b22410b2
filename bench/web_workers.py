"""Signed-in throughput of `xinyu serve --workers N --no-scheduler` for N = 1, 2, 4, on PostgreSQL and SQLite.

    .venv/bin/python bench/web_workers.py [--workers 1,2,4] [--clients 16] [--seconds 30] [--warmup 8]
                                          [--db pg,sqlite] [--threads 8] [--rebuild]

Data: the demo database of bench/web_load.py (`xinyu demo`: 6 schools × 8 classes, cached under bench/.cache/),
copied to bench/out/web-workers.db and migrated to this release's head; PostgreSQL gets a copy of that file (a
fresh database, dropped at the end). The leader, the psychology teacher and a homeroom teacher of every school
and the district officer get a password and sign in once; the same sessions (rows in the database) are used
against every N, so any worker of any server can serve any of them.

Server: the real command, `xinyu serve --workers N --no-scheduler --port P`, on the wall clock, XINYU_WEB_THREADS
threads and database connections per worker (default 8 here: 4 workers × 8 stay under PostgreSQL's 100
connections), cookies over plain http (the client is on 127.0.0.1). SIGTERM stops it after each N.

Load: `--clients` concurrent clients (httpx.AsyncClient, one event loop in this process, a keep-alive connection
each), every client walking the (page, session) plan from its own offset: my tasks, the school board, courses,
ledgers and the meeting for staff, the district inbox and board for the officer (pages that answer 200 at the
first server). A warm-up (at least `--warmup` seconds and 3 requests per client: every worker imports and fills
its caches), then `--seconds` measured. Errors: any
answer but 200 (a 303 to the login page included) or a socket error. Requests/s, p50 and p95 per N, and each N
against N = 1 measured in the same run. The machine is shared and the load generator runs on it (one core at
most): compare ratios, not absolute numbers.
"""

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":  # run as a script: import bench modules as `bench.…` from the project root
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

OUT = ROOT / "bench" / "out"
STARTUP = 240.0  # seconds for N workers to import the app on a loaded machine


@dataclass
class Result:
    database: str
    workers: int
    seconds: float
    requests: int
    errors: int
    p50_ms: float
    p95_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(url: str, workers: int, threads: int) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    env = {**os.environ, "XINYU_DATABASE_URL": url, "XINYU_COOKIE_SECURE": "false", "XINYU_WEB_THREADS": str(threads),
           "XINYU_BASE_URL": "https://xinyu.example.edu.cn", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "xinyu.cli", "serve", "--workers", str(workers),
                                "--no-scheduler", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                return base, process
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"错误：xinyu serve --workers {workers} 未能启动（退出码 {process.poll()}）")
        time.sleep(0.3)


def stop_server(process: subprocess.Popen[bytes]) -> float:
    started = time.perf_counter()
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=90)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return float("inf")
    return time.perf_counter() - started


async def _client(base: str, plan: list[tuple[str, str]], offset: int, until: float,
                  latencies: list[float], errors: list[str], at_least: int = 0) -> None:
    n = offset
    async with httpx.AsyncClient(base_url=base, timeout=30.0) as client:
        while time.perf_counter() < until or n - offset < at_least:
            path, cookie = plan[n % len(plan)]
            n += 1
            started = time.perf_counter()
            try:
                response = await client.get(path, headers={"Cookie": f"xinyu_session={cookie}"})
            except httpx.HTTPError as exc:
                errors.append(type(exc).__name__)
                continue
            if response.status_code == 200:
                latencies.append(time.perf_counter() - started)
            else:
                errors.append(str(response.status_code))


async def _load(base: str, plan: list[tuple[str, str]], clients: int, seconds: float,
                at_least: int = 0) -> tuple[list[float], list[str]]:
    latencies: list[float] = []
    errors: list[str] = []
    until = time.perf_counter() + seconds
    await asyncio.gather(*(_client(base, plan, i * 7, until, latencies, errors, at_least) for i in range(clients)))
    return latencies, errors


def drive(label: str, base: str, plan: list[tuple[str, str]], workers: int, args: argparse.Namespace) -> Result:
    asyncio.run(_load(base, plan, args.clients, args.warmup, at_least=3))  # every client's first pages too
    started = time.perf_counter()
    latencies, errors = asyncio.run(_load(base, plan, args.clients, args.seconds))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies) or [float("nan")]
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    if errors:
        kinds = {kind: errors.count(kind) for kind in sorted(set(errors))}
        print(f"    errors: {kinds}", flush=True)
    return Result(label, workers, elapsed, len(latencies), len(errors), statistics.median(ordered) * 1000,
                  p95 * 1000)


def run_database(label: str, url: str, args: argparse.Namespace) -> list[Result]:
    from bench.web_load import build_plan, give_passwords

    users = give_passwords(url)
    print(f"\n{label}: {url.split('@')[-1]}", flush=True)
    results: list[Result] = []
    plan: list[tuple[str, str]] | None = None
    for workers in args.workers:
        base, process = start_server(url, workers, args.threads)
        try:
            if plan is None:  # signed in once: the same sessions serve every N
                plan = build_plan(base, users)
            print(f"  --workers {workers}: {args.clients} clients, {args.warmup:g} s warm-up, {args.seconds:g} s …",
                  flush=True)
            results.append(drive(label, base, plan, workers, args))
        finally:
            stopped = stop_server(process)
        print(f"    {results[-1].per_second:.0f} req/s; SIGTERM → exit in {stopped:.1f} s (exit code "
              f"{process.returncode})", flush=True)
    return results


def report(results: list[Result]) -> None:
    print(f"\n{'database':<11}{'workers':>8}{'requests':>10}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}"
          f"{'req/s ×':>9}{'p50 ×':>7}{'p95 ×':>7}")
    for label in dict.fromkeys(r.database for r in results):
        rows = [r for r in results if r.database == label]
        base = next((r for r in rows if r.workers == 1), rows[0])
        for r in rows:
            print(f"{r.database:<11}{r.workers:>8}{r.requests:>10}{r.per_second:>8.1f}{r.p50_ms:>9.0f}{r.p95_ms:>9.0f}"
                  f"{r.errors:>8}{r.per_second / base.per_second:>9.2f}{r.p50_ms / base.p50_ms:>7.2f}"
                  f"{r.p95_ms / base.p95_ms:>7.2f}")
    print(f"\n  ratios against --workers {results[0].workers} of the same database, same run; "
          f"{os.cpu_count()} CPU cores shared by server, database and this load generator.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated (the first is the baseline)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent signed-in clients")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=8.0)
    parser.add_argument("--db", default="pg,sqlite", help="pg, sqlite or both (comma-separated, in this order)")
    parser.add_argument("--threads", type=int, default=8, help="XINYU_WEB_THREADS of each worker")
    parser.add_argument("--rebuild", action="store_true", help="build the demo database again")
    args = parser.parse_args()
    args.workers = [int(n) for n in args.workers.split(",")]

    from bench.web_load import demo_database
    from bench.web_pages import copy_to_postgresql, drop_postgresql
    from xinyu.db import migrate

    demo = demo_database(args.rebuild)
    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / "web-workers.db"
    for suffix in ("", "-wal", "-shm", ".scheduler-lock"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copy(demo, target)
    url = f"sqlite:///{target}"
    migrate(url)  # the cached demo may predate this release's migrations
    results: list[Result] = []
    for db in args.db.split(","):
        if db == "sqlite":
            results += run_database("SQLite", url, args)
        elif db == "pg":
            name = f"xinyu_bench_workers_{uuid.uuid4().hex[:8]}"
            pg_url, _counts = copy_to_postgresql(url, name)
            try:
                results += run_database("PostgreSQL", pg_url, args)
            finally:
                drop_postgresql(name)
        else:
            raise SystemExit(f"错误：--db 只接受 pg、sqlite，收到 {db}")
    report(results)
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
