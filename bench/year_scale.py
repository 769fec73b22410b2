"""A school year at scale: `xinyu simulate` at 150, 500 and 1,500 schools, cost per school-month and its growth.

    .venv/bin/python bench/year_scale.py [--sizes 150,500,1500] [--months 10] [--classes 30] [--late-rate 0.2]
                                         [--seed 7] [--orchestrator embedded|direct] [--pg | --pg-only] [--keep]

For each backend (SQLite file; PostgreSQL with --pg) and each size, one after the other in this process: a
fresh database, the sample city imported (xinyu.simulate.city: ~150 schools a district, 30 classes, no
students), then the months from 2025-09 day by day through xinyu.simulate (people, lessons, officers; the
orchestrator advances and dispatches every day; messages to files in a folder of the run, deleted after).
Printed per run: wall and CPU time of the months (the import is timed apart; CPU is this process's), rows
of the main tables, messages by channel, escalations, cost per school-month, and the growth ratio against the
first size of the same backend measured in this run (the baseline for linearity: 1.00 is linear).

The orchestrator is a parameter (`--orchestrator`): `embedded` runs the real flows on Prefect's in-process
API as `xinyu advance` does; `direct` calls the core. A server orchestrator (deployments on a Prefect
server, several workers) plugs in through xinyu.simulate.session.make_orchestrator.

Timing is wall clock on a shared machine: other processes' load shows up in it; the CPU column is this
process's (the embedded Prefect API runs in-process, so it is included).
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

TABLES = ("school", "school_class", "person", "cycle", "step", "task", "chase_event", "escalation",
          "outbox", "course_record", "audit_log")


@dataclass
class Measured:
    backend: str
    schools: int
    months: int
    seconds: float
    cpu_seconds: float
    import_seconds: float
    rows: dict[str, int]
    messages: dict[str, int]
    school_escalations: int
    district_escalations: int
    resolved: int
    figures: list[dict[str, object]]  # each month's line without its seconds: what must not depend on the orchestrator

    @property
    def per_school_month_ms(self) -> float:
        return self.seconds / (self.schools * self.months) * 1000

    @property
    def cpu_per_school_month_ms(self) -> float:
        return self.cpu_seconds / (self.schools * self.months) * 1000


@contextmanager
def fresh_database(backend: str, name: str, folder: Path) -> Iterator[str]:
    """A new, empty database: a SQLite file in the run's folder, or a PostgreSQL database dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'xinyu.db'}"
        return
    from bench.out_db import throwaway_pg

    with throwaway_pg(f"xinyu_bench_year_{name}", migrated=False) as url:
        yield url


def count_rows(url: str) -> dict[str, int]:
    from xinyu.db import make_engine

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return {t: int(session.execute(select(func.count()).select_from(text(t))).scalar_one()) for t in TABLES}
    finally:
        engine.dispose()


def month_figures(month: object) -> dict[str, object]:
    return {k: v for k, v in vars(month).items() if k != "seconds"}  # MonthStats; its Rate compares by value


def run_one(backend: str, schools: int, args: argparse.Namespace, folder: Path,
            orchestrator: str | None = None) -> Measured:
    from xinyu.simulate import SimulationOptions, run_simulation

    lines: list[str] = []
    with fresh_database(backend, f"{schools}", folder) as url:
        options = SimulationOptions(
            schools=schools, months=args.months, late_rate=args.late_rate, seed=args.seed, classes=args.classes,
            folder=folder, database_url=url, orchestrator=orchestrator or args.orchestrator)
        started = time.perf_counter()

        def out(line: str) -> None:
            lines.append(line)
            print(f"    {line}", flush=True)

        result = run_simulation(options, out=out)
        total_seconds = time.perf_counter() - started
        rows = count_rows(url)
    total = result.total
    return Measured(
        backend=backend, schools=schools, months=args.months, seconds=result.seconds, cpu_seconds=result.cpu_seconds,
        import_seconds=total_seconds - result.seconds, rows=rows, messages=dict(total.sent),
        school_escalations=total.school_escalations, district_escalations=total.district_escalations,
        resolved=total.resolved, figures=[month_figures(m) for m in result.months])


def report(runs: list[Measured]) -> None:
    """Wall clock and this process's CPU: on a shared machine the CPU figure is the steadier of the two."""
    wall, cpu = runs[0].per_school_month_ms, runs[0].cpu_per_school_month_ms
    for run in runs:
        growth = run.per_school_month_ms / wall, run.cpu_per_school_month_ms / cpu
        print(f"  {run.backend:10} {run.schools:5d} schools × {run.months} months: {run.seconds:7.1f} s "
              f"(CPU {run.cpu_seconds:7.1f} s), import {run.import_seconds:5.1f} s; per school-month "
              f"{run.per_school_month_ms:6.1f} ms (CPU {run.cpu_per_school_month_ms:5.1f} ms), growth against "
              f"{runs[0].schools}: ×{growth[0]:.2f} (CPU ×{growth[1]:.2f})")
        print("      rows: " + " · ".join(f"{t} {n:,}" for t, n in run.rows.items()))
        print("      messages sent: " + " · ".join(f"{c} {n:,}" for c, n in run.messages.items())
              + f" · escalations to leader {run.school_escalations:,}, to district {run.district_escalations:,}"
              f" (resolved {run.resolved:,})")


def main() -> int:
    from xinyu.simulate.session import ORCHESTRATORS

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="150,500,1500", help="school counts, the first is the baseline")
    parser.add_argument("--months", type=int, default=10, help="months from 2025-09 (10: the school year)")
    parser.add_argument("--classes", type=int, default=30)
    parser.add_argument("--late-rate", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--orchestrator", choices=ORCHESTRATORS, default="embedded")
    parser.add_argument("--pg", action="store_true", help="also on PostgreSQL (127.0.0.1:5432, user postgres)")
    parser.add_argument("--pg-only", action="store_true", help="on PostgreSQL only")
    parser.add_argument("--keep", action="store_true", help="keep each run's folder (roster, outbox files)")
    parser.add_argument("--check-against", choices=ORCHESTRATORS, default=None,
                        help="also run each size with this orchestrator (e.g. direct) and check that every month's"
                             " figures and the rows are equal (same seed); its time is printed beside")
    args = parser.parse_args()
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    sizes = [int(s) for s in args.sizes.split(",")]
    backends = ([] if args.pg_only else ["sqlite"]) + (["postgresql"] if args.pg or args.pg_only else [])
    print(f"year at scale: {sizes} schools × {args.classes} classes × {args.months} months, late rate "
          f"{args.late_rate}, orchestrator {args.orchestrator}, on {', '.join(backends)} "
          f"(wall clock on a shared machine: other load shows)")
    failures = 0
    for backend in backends:
        runs = []
        for schools in sizes:
            folder = Path(tempfile.mkdtemp(prefix=f"xinyu-year-{backend}-{schools}-"))
            print(f"  {backend} · {schools} schools · {folder}", flush=True)
            try:
                runs.append(run_one(backend, schools, args, folder))
            finally:
                if not args.keep:
                    shutil.rmtree(folder, ignore_errors=True)
            if args.check_against:
                failures += check_equal(runs[-1], backend, schools, args)
        report(runs)
    return 1 if failures else 0


def check_equal(run: Measured, backend: str, schools: int, args: argparse.Namespace) -> int:
    """The same size and seed with `--check-against`: 0 when every month's figures and the rows are equal."""
    folder = Path(tempfile.mkdtemp(prefix=f"xinyu-year-{backend}-{schools}-check-"))
    print(f"  {backend} · {schools} schools · {args.check_against} (the check) · {folder}", flush=True)
    try:
        other = run_one(backend, schools, args, folder, orchestrator=args.check_against)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    same = other.figures == run.figures and other.rows == run.rows
    print(f"  check: {args.orchestrator} {run.seconds:.1f} s vs {args.check_against} {other.seconds:.1f} s "
          f"(×{run.seconds / other.seconds:.2f}); every month's figures and the rows "
          + ("EQUAL" if same else "DIFFER"), flush=True)
    if not same:
        for n, (a, b) in enumerate(zip(run.figures, other.figures, strict=False)):
            if a != b:
                print(f"    month {n + 1}: {args.orchestrator} {a}\n    {' ' * 9}{args.check_against} {b}")
        if run.rows != other.rows:
            print(f"    rows: {run.rows} vs {other.rows}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
