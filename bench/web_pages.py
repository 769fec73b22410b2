"""The board, my-tasks and inbox pages of a district of 300 schools after a school year, against a naive twin.

    .venv/bin/python bench/web_pages.py [--schools 300] [--classes 30] [--requests 60] [--warmup 5] [--pg]

Data: bench/web_data.py's district (300 schools × 30 classes, 2025-09-01 … 2026-06-18, cached under
bench/.cache/), copied to bench/out/web-pages.db; the app's clock stands at 2026-06-18 18:00. The real app
(web.app.create_app) runs in-process behind a TestClient per person, each signed in through the login form.

OURS   the pages as the app serves them: /schools/{id}/board, /district/board, /tasks, /district/inbox.
NAIVE  bench/naive_pages.py: the same pages, same checks, templates and context, mounted on the same app under
       /naive/…, whose data is read row by row (load the list, then `session.get` each row's person, class,
       school, cycles…): what a first implementation does.

Each page is asked `--requests` times for each side, ours and naive in alternating blocks of ten (the heap
collected between blocks, so neither pays for the other's garbage), the school or person varied from request
to request; the time is the server's own (the app's `Server-Timing: app;dur=` header: routing, the session
check, the queries and the template, not the client), CPU the process's CPU time over the request.
SQL statements are counted per request (the session check included). Both sides must render the same HTML
(whitespace aside), else the comparison means nothing: the last column says whether they did, for every request.
The machine is shared and its speed drifts, so the ratios (naive / ours, in the same run) are what to compare
between runs; the absolute milliseconds are for the p95 < 100 ms aim. `--pg` runs it again on PostgreSQL, on a
copy of the same SQLite file (a fresh database, dropped at the end).
"""

import argparse
import gc
import math
import re
import statistics
import sys
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":  # run as a script: import bench modules as `bench.…` from the project root
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, event, func, select, text  # noqa: E402
from sqlmodel import Session, col  # noqa: E402

OUT = ROOT / "bench" / "out"
PASSWORD = "bench-web-2026"
AIM_MS = 100.0
VARIED = 20  # schools (and people) the requests of a page cycle through
BLOCK = 10  # requests of one side in a row before the other side's
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@dataclass
class Case:
    page: str  # board | my tasks | inbox
    name: str
    urls: list[tuple[int, str]]  # (person, ours' URL); naive is /naive + the same URL
    rows_mark: str  # what marks one row of the page's list in its HTML (a late task, a school, an item…)
    ours: list[tuple[float, float, int]] = field(default_factory=list)  # (ms, CPU ms, statements) per request
    naive: list[tuple[float, float, int]] = field(default_factory=list)
    same: int = 0
    differ: list[str] = field(default_factory=list)
    kb: float = 0.0
    rows: list[int] = field(default_factory=list)


# --- the people ------------------------------------------------------------------------------------------


def pick_people(engine: Engine) -> dict[str, list[tuple[int, int]]]:
    """(person, school) lists: leaders and homeroom teachers of schools spread over the district, the psychology
    teachers with the most tasks this month, and the district officer."""
    from models import Cycle, RoleAssignment, Task
    from xinyu.roles import Role

    with Session(engine) as session:
        def holders(role: Role) -> dict[int, int]:
            found: dict[int, int] = {}
            for person, school in session.execute(
                    select(col(RoleAssignment.person_id), col(RoleAssignment.school_id))
                    .where(col(RoleAssignment.role) == role).order_by(col(RoleAssignment.id))):
                found.setdefault(school, person)
            return found

        leaders, homeroom = holders(Role.leader), holders(Role.homeroom)
        schools = sorted(leaders)
        spread = schools[::max(1, len(schools) // VARIED)][:VARIED]
        busiest = session.execute(
            select(col(Task.assignee_id), col(Task.school_id), func.count())
            .join(Cycle, col(Cycle.id) == col(Task.cycle_id))
            .join(RoleAssignment, (col(RoleAssignment.person_id) == col(Task.assignee_id))
                  & (col(RoleAssignment.role) == Role.psych_teacher))
            .where(col(Cycle.status) == "open", col(Task.status) != "carried")
            .group_by(col(Task.assignee_id), col(Task.school_id))
            .order_by(func.count().desc(), col(Task.assignee_id)).limit(VARIED)).all()
        officer = session.execute(select(col(RoleAssignment.person_id)).where(
            col(RoleAssignment.role) == Role.district_officer).order_by(col(RoleAssignment.id))).scalars().first()
    assert officer is not None, "no district officer in the data"
    return {"leader": [(leaders[s], s) for s in spread],
            "homeroom": [(homeroom[s], s) for s in spread if s in homeroom],
            "psych": [(p, s) for p, s, _ in busiest], "officer": [(officer, 0)]}


def give_passwords(engine: Engine, people: set[int]) -> dict[int, str]:
    """A password for each (on the benchmark's copy); their logins (email, else phone)."""
    from bench.web_data import YEAR_NOW
    from models import Person
    from xinyu.accounts import find_login, set_password

    logins = {}
    with Session(engine) as session:
        for person_id in sorted(people):
            person = session.get(Person, person_id)
            assert person is not None
            login = person.email or person.phone
            assert login, f"person {person_id} has no login"
            found = find_login(session, login)
            assert found is not None and found.id == person_id, f"login {login} is not person {person_id}'s"
            set_password(session, person_id=person_id, password=PASSWORD, now=YEAR_NOW)
            logins[person_id] = login
        session.commit()
    return logins


def sign_in(client: Any, login: str) -> None:
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, form.text[:500]
    response = client.post("/login", data={"login": login, "password": PASSWORD, "next": "/",
                                           "csrf_token": token.group(1)}, follow_redirects=False)
    assert response.status_code == 303, response.text[:500]


# --- measuring -------------------------------------------------------------------------------------------


@contextmanager
def statement_counter(engine: Engine) -> Iterator[list[int]]:
    seen = [0]

    def count(*_: Any) -> None:
        seen[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def server_ms(response: Any) -> float:
    found = re.search(r"app;dur=([0-9.]+)", response.headers.get("Server-Timing", ""))
    assert found, "no Server-Timing header"
    return float(found.group(1))


def normalised(html: str) -> str:
    return re.sub(r"\s+", "", html)


def measure(case: Case, clients: dict[int, Any], seen: list[int], *, requests: int, warmup: int) -> None:
    """Warm both sides up, then `requests` for each side in alternating blocks, each request on the next school.

    Blocks, not single requests, alternate: the Python heap a naive page leaves behind (tens of thousands of ORM
    rows) would otherwise trigger the garbage collections that our next page pays for. Between blocks the
    heap is collected, untimed; within a block each page pays for its own garbage, as it would in a server."""
    def ask(person: int, url: str) -> tuple[float, float, int, str]:
        before, cpu = seen[0], time.process_time()
        response = clients[person].get(url)
        cpu = (time.process_time() - cpu) * 1000
        assert response.status_code == 200, f"{url}: {response.status_code} {response.text[:300]}"
        return server_ms(response), cpu, seen[0] - before, response.text

    for n in range(warmup):
        person, url = case.urls[n % len(case.urls)]
        ask(person, url)
        ask(person, "/naive" + url)
    pages: dict[int, dict[str, str]] = {}
    for block, start in enumerate(range(0, requests, BLOCK)):
        sides = [("ours", ""), ("naive", "/naive")]
        for side, prefix in sides if block % 2 == 0 else sides[::-1]:
            gc.collect()
            for n in range(start, min(start + BLOCK, requests)):
                person, url = case.urls[n % len(case.urls)]
                ms, cpu, statements, html = ask(person, prefix + url)
                getattr(case, side).append((ms, cpu, statements))
                pages.setdefault(n, {})[side] = normalised(html)
                if side == "ours":
                    case.kb = max(case.kb, len(html.encode()) / 1024)
                    case.rows.append(len(re.findall(case.rows_mark, html)))
        for n in range(start, min(start + BLOCK, requests)):
            if pages[n]["ours"] == pages[n]["naive"]:
                case.same += 1
            else:
                case.differ.append(case.urls[n % len(case.urls)][1])
        pages.clear()


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def report(cases: list[Case], label: str, out: Callable[[str], None] = print) -> None:
    out(f"\n{label}: the server's time per request in ms (median, p95; CPU: the process's CPU time, p95), "
        "naive / ours, SQL statements per request (median)")
    header = (f"  {'page':<9} {'case':<34} {'ours':>6} {'p95':>6} {'CPU':>6}  {'naive':>6} {'p95':>6}  {'× med':>6}"
              f" {'× p95':>6}  {'SQL':>4} {'naive':>5}  {'p95<100':>7}  {'same HTML':>9}  {'rows':>9}  {'KB':>4}")
    out(header)
    out("  " + "-" * (len(header) - 2))
    for c in cases:
        ours, naive = [ms for ms, _, _ in c.ours], [ms for ms, _, _ in c.naive]
        om, op, nm, np_ = statistics.median(ours), p95(ours), statistics.median(naive), p95(naive)
        cpu = p95([cpu for _, cpu, _ in c.ours])
        sql_ours = statistics.median([n for _, _, n in c.ours])
        sql_naive = statistics.median([n for _, _, n in c.naive])
        same = f"{c.same}/{len(c.ours)}"
        out(f"  {c.page:<9} {c.name:<34} {om:6.1f} {op:6.1f} {cpu:6.1f}  {nm:6.1f} {np_:6.1f}  {nm / om:5.1f}×"
            f" {np_ / op:5.1f}×  {sql_ours:4.0f} {sql_naive:5.0f}  {'yes' if op < AIM_MS else 'NO':>7}  {same:>9}"
            f"  {min(c.rows):>4}–{max(c.rows):<4}  {c.kb:4.0f}")
    for c in cases:
        if c.differ:
            out(f"  ! {c.name}: ours and naive differ on {len(c.differ)} requests, e.g. {c.differ[0]}")


# --- the run ---------------------------------------------------------------------------------------------


def cases_for(people: dict[str, list[tuple[int, int]]]) -> list[Case]:
    officer = people["officer"][0][0]
    late_or_carried, school, task, item = ('data-testid="(?:late|carried)-item"', "<tr data-school=",
                                           'class="task-row', "data-escalation-id=")
    return [
        Case("board", "school month board · leader", [(p, f"/schools/{s}/board") for p, s in people["leader"]],
             late_or_carried),
        Case("board", "district board · officer", [(officer, "/district/board")], school),
        Case("my tasks", "homeroom teacher", [(p, "/tasks") for p, _ in people["homeroom"]], task),
        Case("my tasks", "leader · whole school (scope=all)", [(p, "/tasks?scope=all") for p, _ in people["leader"]],
             task),
        Case("my tasks", "psychology teacher (busiest)", [(p, "/tasks") for p, _ in people["psych"]], task),
        Case("inbox", "district inbox · open (default)", [(officer, "/district/inbox")], item),
        Case("inbox", "district inbox · status=all", [(officer, "/district/inbox?status=all")], item),
    ]


def run_pages(engine: Engine, *, requests: int, warmup: int, label: str, freeze: bool = False) -> list[Case]:
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

    from bench.naive_pages import naive_router
    from bench.web_data import YEAR_NOW
    from web.app import create_app
    from xinyu.cycle import PackBook
    from xinyu.service.serve import freeze_startup_heap

    people = pick_people(engine)
    everyone = {p for group in people.values() for p, _ in group}
    logins = give_passwords(engine, everyone)
    app = create_app(engine=engine, book=PackBook(engine), clock=lambda: YEAR_NOW,
                     base_url="https://testserver")
    app.include_router(naive_router())
    clients = {}
    for person in sorted(everyone):
        clients[person] = TestClient(app, base_url="https://testserver")
        sign_in(clients[person], logins[person])
    cases = cases_for(people)
    if freeze:  # as `xinyu serve` does once the app is up: full collections skip the start-up heap
        freeze_startup_heap()
    with statement_counter(engine) as seen:
        for case in cases:
            started = time.perf_counter()
            measure(case, clients, seen, requests=requests, warmup=warmup)
            print(f"  {label} · {case.page} · {case.name}: {time.perf_counter() - started:5.1f} s", flush=True)
    for client in clients.values():
        client.close()
    gc.unfreeze()
    return cases


# --- PostgreSQL: a copy of the SQLite file ----------------------------------------------------------------


def copy_to_postgresql(sqlite_url: str, name: str) -> tuple[str, dict[str, int]]:
    """A fresh PostgreSQL database migrated to head and filled with every table's rows; sequences reset."""
    from sqlalchemy import create_engine, insert
    from sqlmodel import SQLModel

    import models  # noqa: F401  (every table in the metadata)
    from xinyu.db import make_engine, migrate

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    migrate(url)
    source, target = make_engine(sqlite_url), make_engine(url)
    counts: dict[str, int] = {}
    with source.connect() as read, target.begin() as write:
        for table in SQLModel.metadata.sorted_tables:
            write.execute(table.delete())  # what the migrations seeded, if anything
            rows, n = read.execute(table.select()).mappings(), 0
            while chunk := [dict(r) for r in rows.fetchmany(20_000)]:
                write.execute(insert(table), chunk)
                n += len(chunk)
            counts[table.name] = n
            if "id" in table.c and table.c.id.primary_key and n:
                write.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                                   f"(SELECT max(id) FROM \"{table.name}\"))"))
        write.execute(text("ANALYZE"))
    source.dispose()
    target.dispose()
    return url, counts


def drop_postgresql(name: str) -> None:
    from sqlalchemy import create_engine

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schools", type=int, default=300)
    parser.add_argument("--classes", type=int, default=30)
    parser.add_argument("--requests", type=int, default=60, help="timed requests per page and side")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per page and side first")
    parser.add_argument("--pg", action="store_true", help="also on PostgreSQL (127.0.0.1:5432, user postgres)")
    parser.add_argument("--no-gc-freeze", dest="gc_freeze", action="store_false",
                        help="skip what `xinyu serve` does once the app is up (gc.freeze(): full collections then "
                             "skip the ~125,000 objects of the app's imports), to see the collector's pauses")
    args = parser.parse_args()

    from bench.web_data import YEAR_TODAY, copy_year_district, count_rows
    from xinyu.db import make_engine

    OUT.mkdir(parents=True, exist_ok=True)
    target = copy_year_district(OUT / "web-pages.db", schools=args.schools, classes=args.classes)
    url = f"sqlite:///{target}"
    engine = make_engine(url)
    rows = count_rows(engine, YEAR_TODAY)
    print(f"{args.schools} schools × {args.classes} classes, 2025-09-01 … {YEAR_TODAY}: " + ", ".join(
        f"{k} {rows[k]:,}" for k in ("tasks", "open", "overdue", "escalations", "escalations_open", "students")))
    print(f"{args.requests} requests per page and side ({args.warmup} warm-up), the school or person varied"
          + (", gc.freeze() after start as xinyu serve does" if args.gc_freeze else ", no gc.freeze()"))
    results = [("SQLite", run_pages(engine, requests=args.requests, warmup=args.warmup, label="SQLite",
                                           freeze=args.gc_freeze))]
    engine.dispose()
    if args.pg:
        name = f"xinyu_bench_web_{uuid.uuid4().hex[:8]}"
        started = time.perf_counter()
        pg_url, counts = copy_to_postgresql(url, name)
        print(f"  PostgreSQL copy: {sum(counts.values()):,} rows in {len(counts)} tables, "
              f"{time.perf_counter() - started:.1f} s (migrate, executemany, setval, ANALYZE)")
        try:
            pg = make_engine(pg_url)
            results.append(("PostgreSQL", run_pages(pg, requests=args.requests, warmup=args.warmup,
                                                    label="PostgreSQL", freeze=args.gc_freeze)))
            pg.dispose()
        finally:
            drop_postgresql(name)
    for label, cases in results:
        report(cases, label)
    print("\n  × = naive / ours, in the same run (the machine is shared: compare ratios between runs, not ms). "
          "same HTML: requests whose pages matched, whitespace aside; rows: the page's list "
          "(late and carried tasks, schools, tasks, items), fewest–most.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
