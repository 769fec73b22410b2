"""The fault table of issue 5: every injector of tests/faults run N times, one row each.

    .venv/bin/python bench/fault_table.py [--times 20] [--pg] [--only NAME ...] [--seed S]

Injectors are found as tests/faults/report.py says: each tests/faults module's INJECTORS list, in
module-name order. SQLite files by default, --pg databases on the local PostgreSQL (made and dropped).
"""

import argparse
import importlib
import logging
import os
import pkgutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

import tests.faults  # noqa: E402
from tests.faults.databases import fresh_databases  # noqa: E402
from tests.faults.report import FaultRow, Injector  # noqa: E402

COLUMNS = ("injected", "queued", "delivered", "duplicated", "lost", "inconsistent")


def injectors() -> list[Injector]:
    found: list[Injector] = []
    for module in sorted(m.name for m in pkgutil.iter_modules(tests.faults.__path__)):
        if module.startswith("test_") or module == "report":
            continue
        found += getattr(importlib.import_module(f"tests.faults.{module}"), "INJECTORS", [])
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--times", type=int, default=20, help="injections per fault (default 20)")
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite files")
    parser.add_argument("--only", nargs="*", default=None, help="injector names (functions) to run")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    chosen = [i for i in injectors() if not args.only or i.__name__ in args.only]
    kind = "postgresql" if args.pg else "sqlite"
    print(f"fault table · {kind} · --times {args.times} · seed {args.seed}")
    rows: list[tuple[FaultRow, float]] = []
    with tempfile.TemporaryDirectory(prefix="xinyu-faults-") as folder:
        for index, inject in enumerate(chosen):
            work = Path(folder) / inject.__name__
            with fresh_databases(kind, work / "databases") as new_db:
                started = time.perf_counter()
                row = inject(new_db, work, args.times, args.seed + index)
                rows.append((row, time.perf_counter() - started))
            print(f"  {inject.__name__}: {time.perf_counter() - started:.1f} s", flush=True)
    print()
    print("| fault | " + " | ".join(COLUMNS) + " | s | note |")
    print("|---|" + "---:|" * (len(COLUMNS) + 1) + "---|")
    for row, seconds in rows:
        cells = " | ".join(str(getattr(row, c)) for c in COLUMNS)
        print(f"| {row.fault} | {cells} | {seconds:.0f} | {row.note.replace(chr(10), ' ')} |")
    bad = [r.fault for r, _ in rows if r.lost or r.inconsistent]
    print(f"\n{'all faults: 0 lost, 0 inconsistent' if not bad else 'LOST OR INCONSISTENT: ' + ', '.join(bad)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
