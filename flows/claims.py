"""Which task worker holds a batch: a claim record beside the batch's parameters in Prefect's task-scheduling
storage (`claims/<task run id>`, the worker's `hostname-pid`, the id the server lists it by), so a parent run
can tell a batch whose worker died from one still running (flows/spread.py).

A batch task claims its run first thing when it runs on a task worker (flows/batch_worker.py sets WORKER);
embedded and in a parent's own process nothing is written. A claim is overwritten by the next worker to take
the run; records are small and stay with the parameters Prefect keeps there.
"""

from typing import Any
from uuid import UUID

from prefect._internal.compatibility.blocks import call_explicitly_async_block_method
from prefect.context import TaskRunContext
from prefect.results import get_or_create_default_task_scheduling_storage
from prefect.utilities.asyncutils import run_coro_as_sync

WORKER: str | None = None  # this process's task-worker id when it serves batches (flows/batch_worker.py)


def claim_here() -> None:
    """On a task worker: record that this process holds the running batch."""
    context = TaskRunContext.get()
    if WORKER is not None and context is not None:
        run_coro_as_sync(_write(context.task_run.id, WORKER))


async def _write(run_id: UUID, worker: str) -> None:
    storage: Any = await get_or_create_default_task_scheduling_storage()  # a WritableFileSystem block
    await call_explicitly_async_block_method(storage, "write_path", (f"claims/{run_id}",),
                                             {"content": worker.encode()})


async def holder(run_id: UUID, storage: Any = None) -> str | None:
    """The worker that last claimed the run, None before any did."""
    storage = storage or await get_or_create_default_task_scheduling_storage()
    try:
        content = await call_explicitly_async_block_method(storage, "read_path", (f"claims/{run_id}",), {})
    except Exception:  # no claim yet: LocalFileSystem raises ValueError, remote blocks their own errors
        return None
    return bytes(content).decode() or None
