"""Replacing a district's whole staff roster against importing it, in the same run (ratios, not seconds).

    python -m bench.roster_replace [--schools 100] [--database sqlite:///…|postgresql+psycopg://…]

A sample district (xinyu.sample) is imported once; then, timed on the same database: the plain re-import of
the same file (the baseline: nothing changes), the replace's preview, and the replace applied with one homeroom
teacher left out of every school (each school loses one role). Prints each as a ratio of the baseline.
"""

import argparse
import tempfile
import time
from pathlib import Path

from sqlmodel import Session

from xinyu import sample
from xinyu.db import make_engine, migrate, transaction
from xinyu.roster import import_file
from xinyu.roster.replace import apply_replace, preview_replace


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schools", type=int, default=100)
    parser.add_argument("--database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database or f"sqlite:///{folder}/bench.db"
        migrate(url)
        engine = make_engine(url)
        rows = sample.sample_roster_rows(schools=args.schools, classes_per_school=12, seed=5)
        full, fewer = Path(folder) / "staff.csv", Path(folder) / "fewer.csv"
        sample.write_csv(full, rows)
        dropped: set[str] = set()
        kept = []
        for row in rows:
            if row["角色"] == "班主任" and row["学校"] not in dropped:
                dropped.add(row["学校"])
                continue
            kept.append(row)
        sample.write_csv(fewer, kept)
        import_file(engine, full)
        started = time.perf_counter()
        import_file(engine, full)
        baseline = time.perf_counter() - started
        started = time.perf_counter()
        with Session(engine) as session:
            preview = preview_replace(session, fewer)
        previewed = time.perf_counter() - started
        started = time.perf_counter()
        with transaction(engine) as session:
            applied = apply_replace(session, fewer)
        replaced = time.perf_counter() - started
        engine.dispose()
    print(f"{len(rows)} rows, {args.schools} schools; {preview.roles_lost} roles withdrawn "
          f"({applied.roles_lost} applied)")
    print(f"re-import (baseline) 1.00; preview ×{previewed / baseline:.2f}; replace applied ×{replaced / baseline:.2f}")


if __name__ == "__main__":
    main()
