"""The garbage collector tuned for a process that runs the loop's batches (the CLI, flow runs, task workers).

A batch holds thousands of ORM objects (a month's tasks for 100 schools) and allocates hundreds of thousands
more. CPython's default collects its youngest generation every 700 allocations and then walks whatever it
tracks: in the peer benchmark's month (bench/peer_spiff.py, PostgreSQL) that was 0.7 s of 4.6 s. A young
generation of 50,000 allocations keeps cyclic garbage bounded (a few MB) and makes collection rare; `freeze`
moves what the imports made (Prefect, SQLAlchemy, the packs) out of every later collection's walk."""

import gc

YOUNG = 50_000  # allocations between collections of the youngest generation (CPython's default: 700)
OLDER = 20  # collections of one generation between collections of the next (default: 10)

_tuned = False


def tune_gc() -> None:
    """Once per process, after its imports; later calls do nothing."""
    global _tuned
    if _tuned:
        return
    _tuned = True
    gc.freeze()
    gc.set_threshold(YOUNG, OLDER, OLDER)
