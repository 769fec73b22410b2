"""One row of the fault table (bench/fault_table.py): a fault injected some number of times and what it cost.

Every fault injector (tests/faults/*.py) returns a FaultRow, and the tests assert on the same rows the
benchmark prints: 0 lost, 0 inconsistent, and every duplicate explained by a message caught in flight.

Discovery: every module in tests/faults/ other than this one that defines a module-level list
`INJECTORS: list[Injector]` contributes those injectors to the table, in list order, modules in name
order (bench/fault_table.py imports tests.faults.* and reads each module's INJECTORS; a module without
it is ignored). Each injector's `__name__` is how `bench/fault_table.py --only NAME` picks it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass
class FaultRow:
    fault: str  # what was injected, in words ("SMTP down for a simulated day")
    injected: int  # how many times
    queued: int  # messages in the outbox over the run
    delivered: int  # distinct messages the real server(s) received
    duplicated: int  # deliveries beyond the first of a message
    lost: int  # queued and never delivered (nor failed for good for a reason of their own)
    inconsistent: int  # problems xinyu.consistency found, plus differences from a fault-free run of the same days
    note: str = ""  # e.g. how the duplicates are explained ("caught in flight by a kill")


# An injector gets a factory of fresh, migrated, empty databases (each call a new URL), a work folder,
# how many times to inject and a seed, and returns its row.
Injector = Callable[[Callable[[], str], Path, int, int], FaultRow]
