"""The web app under 64 concurrent signed-in connections for 30 s, served for real, on SQLite and PostgreSQL.

    .venv/bin/python bench/web_load.py [--seconds 30] [--connections 64] [--baseline 4] [--baseline-seconds 10]
                                       [--no-pg] [--rebuild]

Data: the demo database (`xinyu demo`: 6 schools × 8 classes, October 2026 run day by day, November opened),
built once and cached under bench/.cache/, copied to bench/out/web-load.db; PostgreSQL gets a copy of that file
(a fresh database, dropped at the end). On the copy, the leader, the psychology teacher and a homeroom teacher of
every school and the district officer get a password.

Server: web.app.create_app served by uvicorn over TCP as `xinyu serve` serves it (xinyu.service.serve:
the same thread pool, database pool, gc.freeze and SIGTERM grace), in its own process, without the scheduler
(tests/web/live_server.py); the app's clock stands at 2026-11-02 09:00, the demo's last morning.

Load: wrk (Debian package `wrk`, installed here if missing and we are root), a Lua script giving every request
the next (page, session cookie) of the plan: my tasks, the school board, courses, ledgers and the meeting for
staff of each role, the district inbox and board for the officer. Every page is checked to answer 200 for its
user first. An error is any answer but 200 (a 303 to the login page included) or a socket error/timeout
(wrk --timeout 30s). Per database: a warm-up, the baseline (`--baseline` connections), then `--connections` for
`--seconds`; after each, the time a new signed-in request takes to answer; last, SIGTERM while `--connections`
are busy, and how long the server takes to stop. The machine is shared (2 cores, the load generator on the
same machine), so compare the ratios (load / baseline, same run) between runs, not the absolute numbers.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":  # run as a script: import bench modules as `bench.…` from the project root
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
OUT = ROOT / "bench" / "out"
CLOCK = "2026-11-02T09:00"  # the demo's last morning: November open, October's late work on the boards
PASSWORD = "bench-load-2026"
DEMO_VERSION = 1  # bump when `xinyu demo` changes what it builds


@dataclass
class Run:
    database: str
    connections: int
    seconds: float
    requests: int
    errors: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    answer_after_ms: float
    error_kinds: str

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


# --- data ------------------------------------------------------------------------------------------------


def demo_database(rebuild: bool) -> Path:
    """The cached demo database, built by `xinyu demo` (Prefect's in-process API) in a scratch folder."""
    cached = CACHE / f"web-load-demo-v{DEMO_VERSION}.db"
    if cached.exists() and not rebuild:
        return cached
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xinyu-demo-") as scratch:
        database = Path(scratch) / "demo.db"
        started = time.perf_counter()
        print(f"building the demo database (xinyu demo) in {scratch} …", flush=True)
        done = subprocess.run([str(Path(sys.executable).with_name("xinyu")), "demo", "--database",
                               f"sqlite:///{database}"], cwd=scratch, capture_output=True, text=True,
                              env={**os.environ, "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "300"})
        if done.returncode != 0:
            raise SystemExit(f"错误：xinyu demo 失败（退出码 {done.returncode}）：{done.stderr[-2000:]}")
        print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
        shutil.copy(database, cached)
    return cached


def give_passwords(url: str) -> list[tuple[str, int, int | None, str]]:
    """(role, person, school, login) of the bench's users, each with PASSWORD (on the bench's copy)."""
    from sqlmodel import Session, col, select

    from models import Person, RoleAssignment
    from xinyu.accounts import set_password
    from xinyu.clock import parse_at
    from xinyu.db import make_engine
    from xinyu.roles import Role

    engine = make_engine(url)
    users: list[tuple[str, int, int | None, str]] = []
    with Session(engine) as session:
        rows = session.exec(select(RoleAssignment, Person).join(Person, col(Person.id) == col(RoleAssignment.person_id))
                            .where(col(Person.email).is_not(None)).order_by(col(RoleAssignment.id))).all()
        taken: set[tuple[str, int | None]] = set()
        for assignment, person in rows:
            role, school = assignment.role, assignment.school_id
            if role not in (Role.leader, Role.psych_teacher, Role.homeroom, Role.district_officer):
                continue
            if (role, school) in taken or person.id is None or not person.email:
                continue
            taken.add((role, school))
            users.append((str(role), person.id, school, person.email))
        for person_id in sorted({u[1] for u in users}):
            set_password(session, person_id=person_id, password=PASSWORD, now=parse_at(CLOCK))
        session.commit()
    engine.dispose()
    return users


def pages_for(role: str, school: int | None) -> list[str]:
    from xinyu.roles import Role

    if role == Role.district_officer:
        return ["/district/inbox", "/district/board"]
    mine = ["/tasks", f"/schools/{school}/board", f"/schools/{school}/courses", f"/schools/{school}/ledgers"]
    return mine + ([f"/schools/{school}/meeting"] if role == Role.leader else [])


# --- the server and its users ----------------------------------------------------------------------------


def sign_in(base: str, login: str) -> str:
    with httpx.Client(base_url=base, timeout=30.0) as client:
        form = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token, form.text[:300]
        answer = client.post("/login", data={"login": login, "password": PASSWORD, "next": "/",
                                             "csrf_token": token.group(1)})
        assert answer.status_code == 303, f"{login}: {answer.status_code} {answer.text[:300]}"
        cookie = client.cookies.get("xinyu_session")
        assert cookie, f"{login}: no session cookie"
        return cookie


def build_plan(base: str, users: list[tuple[str, int, int | None, str]]) -> list[tuple[str, str]]:
    """(page, cookie) for every user's pages that answer 200; the others are named and left out."""
    plan: list[tuple[str, str]] = []
    left_out: list[str] = []
    with httpx.Client(base_url=base, timeout=30.0) as client:
        for role, _person, school, login in users:
            cookie = sign_in(base, login)
            for path in pages_for(role, school):
                status = client.get(path, cookies={"xinyu_session": cookie}).status_code
                if status == 200:
                    plan.append((path, cookie))
                else:
                    left_out.append(f"{path} {status}")
    pages = sorted({re.sub(r"/schools/\d+/", "/schools/N/", p) for p, _ in plan})
    print(f"  {len(users)} users signed in; {len(plan)} (page, user) pairs: {', '.join(pages)}"
          + (f"; left out (not 200): {', '.join(str(x) for x in left_out)}" if left_out else ""), flush=True)
    assert plan, "no page answered 200"
    return plan


LUA = r"""
local plan = %(plan)s
local threads = {}
function setup(thread)
  thread:set("offset", #threads * 7)
  table.insert(threads, thread)
end
function init(args)
  n = offset
  bad = 0
  kinds = {}
end
function request()
  n = n + 1
  local p = plan[(n %% #plan) + 1]
  return wrk.format("GET", p[1], {["Cookie"] = "xinyu_session=" .. p[2]})
end
function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
    kinds[status] = (kinds[status] or 0) + 1
  end
end
function done(summary, latency, requests)
  local total, statuses = 0, ""
  for _, t in ipairs(threads) do
    total = total + t:get("bad")
    for status, count in pairs(t:get("kinds")) do statuses = statuses .. status .. "x" .. count .. " " end
  end
  local e = summary.errors
  io.write(string.format('WRK {"requests": %%d, "duration_us": %%d, "bad": %%d, "statuses": "%%s", '
    .. '"connect": %%d, "read": %%d, "write": %%d, "timeout": %%d, "p50_us": %%d, "p99_us": %%d, "max_us": %%d}\n',
    summary.requests, summary.duration, total, statuses, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def lua_script(plan: list[tuple[str, str]], folder: Path) -> Path:
    entries = ", ".join(f'{{"{path}", "{cookie}"}}' for path, cookie in plan)
    script = folder / "plan.lua"
    script.write_text(LUA % {"plan": "{" + entries + "}"})
    return script


def wrk_command(base: str, script: Path, connections: int, seconds: float) -> list[str]:
    return ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "30s",
            "-s", str(script), f"{base}/"]


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk (apt-get install wrk) …", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    if not shutil.which("wrk"):
        raise SystemExit("错误：需要 wrk（Debian：apt-get install wrk）")


def answer_ms(base: str, plan: list[tuple[str, str]]) -> float:
    """How long a new signed-in request takes right after the load (inf if it gets no 200 within 30 s)."""
    path, cookie = plan[0]
    started = time.perf_counter()
    try:
        status = httpx.get(base + path, cookies={"xinyu_session": cookie}, timeout=30.0).status_code
    except httpx.HTTPError:
        return float("inf")
    return (time.perf_counter() - started) * 1000 if status == 200 else float("inf")


def drive(label: str, base: str, script: Path, plan: list[tuple[str, str]], connections: int,
          seconds: float) -> Run:
    done = subprocess.run(wrk_command(base, script, connections, seconds), capture_output=True, text=True,
                          timeout=seconds + 120)
    found = re.search(r"^WRK (\{.*\})$", done.stdout, re.M)
    assert found, f"wrk printed no summary: {done.stdout[-1000:]} {done.stderr[-1000:]}"
    got = json.loads(found.group(1))
    sockets = {k: got[k] for k in ("connect", "read", "write", "timeout") if got[k]}
    kinds = " ".join([got["statuses"].strip()] + [f"{k}x{v}" for k, v in sockets.items()]).strip()
    return Run(database=label, connections=connections, seconds=got["duration_us"] / 1e6, requests=got["requests"],
               errors=got["bad"] + sum(sockets.values()), p50_ms=got["p50_us"] / 1000, p99_ms=got["p99_us"] / 1000,
               max_ms=got["max_us"] / 1000, answer_after_ms=answer_ms(base, plan), error_kinds=kinds)


def sigterm_under_load(base: str, script: Path, process: subprocess.Popen[bytes], connections: int) -> float:
    """Seconds from SIGTERM (sent while `connections` are busy) until the server has exited; inf past 60 s."""
    load = subprocess.Popen(wrk_command(base, script, connections, 20), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        time.sleep(3.0)
        started = time.perf_counter()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            return float("inf")
        return time.perf_counter() - started
    finally:
        load.wait()


def run_database(label: str, url: str, args: argparse.Namespace) -> tuple[list[Run], float]:
    from tests.web.live_server import live_server

    users = give_passwords(url)
    print(f"\n{label}: serving {url.split('@')[-1]}", flush=True)
    with tempfile.TemporaryDirectory(prefix="web-load-") as folder, live_server(url, clock=CLOCK) as (base, process):
        plan = build_plan(base, users)
        script = lua_script(plan, Path(folder))
        drive(label, base, script, plan, args.baseline, 3)  # warm-up: imports, caches, the pool's connections
        runs = []
        for connections, seconds in ((args.baseline, args.baseline_seconds), (args.connections, args.seconds)):
            print(f"  wrk -c{connections} for {seconds:g} s …", flush=True)
            runs.append(drive(label, base, script, plan, connections, seconds))
        stop = sigterm_under_load(base, script, process, args.connections)
        print(f"  SIGTERM under -c{args.connections}: stopped in {stop:.1f} s (exit code {process.returncode})",
              flush=True)
    return runs, stop


def report(results: list[tuple[list[Run], float]], args: argparse.Namespace) -> None:
    print(f"\n{'database':<11}{'conns':>6}{'s':>6}{'requests':>10}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'max ms':>9}{'errors':>8}{'answer after':>14}{'SIGTERM→exit':>14}")
    for runs, stop in results:
        for run in runs:
            after = f"{run.answer_after_ms:.0f} ms"
            stopped = f"{stop:.1f} s" if run.connections == args.connections else ""
            print(f"{run.database:<11}{run.connections:>6}{run.seconds:>6.0f}{run.requests:>10}{run.per_second:>8.0f}"
                  f"{run.p50_ms:>9.0f}{run.p99_ms:>9.0f}{run.max_ms:>9.0f}{run.errors:>8}{after:>14}{stopped:>14}"
                  + (f"   ({run.error_kinds})" if run.errors else ""))
        base, load = runs
        print(f"{'':<11}-c{load.connections} / -c{base.connections}: "
              f"throughput ×{load.per_second / base.per_second:.2f}, p50 ×{load.p50_ms / base.p50_ms:.1f}, "
              f"p99 ×{load.p99_ms / base.p99_ms:.1f}")
    print("\n  errors: answers other than 200 and socket errors/timeouts (30 s); answer after: a new signed-in "
          "request right after the load; ratios are within the same run (the machine is shared).")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--baseline", type=int, default=4, help="connections of the baseline run")
    parser.add_argument("--baseline-seconds", type=float, default=10.0)
    parser.add_argument("--no-pg", dest="pg", action="store_false", help="SQLite only")
    parser.add_argument("--rebuild", action="store_true", help="build the demo database again")
    args = parser.parse_args()

    from bench.web_pages import copy_to_postgresql, drop_postgresql
    from xinyu.settings import get_settings

    ensure_wrk()
    demo = demo_database(args.rebuild)
    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / "web-load.db"
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copy(demo, target)
    url = f"sqlite:///{target}"
    print(f"demo database {demo.name}; server: {get_settings().web_threads} worker threads and database connections"
          f" (XINYU_WEB_THREADS); clock {CLOCK}", flush=True)
    results = [run_database("SQLite", url, args)]
    if args.pg:
        name = f"xinyu_bench_load_{uuid.uuid4().hex[:8]}"
        pg_url, _counts = copy_to_postgresql(url, name)
        try:
            results.append(run_database("PostgreSQL", pg_url, args))
        finally:
            drop_postgresql(name)
    report(results, args)
    failed = [r for runs, _ in results for r in runs if r.errors or r.answer_after_ms == float("inf")]
    return 1 if failed or any(stop == float("inf") for _, stop in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
