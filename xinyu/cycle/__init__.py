"""The monthly closed loop (QD-G4): open a month, reconcile cycles forward, complete tasks."""

from xinyu.cycle.completion import CompletionError, complete_task, complete_tasks
from xinyu.cycle.opening import open_month
from xinyu.cycle.packbook import PackBook
from xinyu.cycle.reconcile import advance, reconcile

__all__ = [
    "CompletionError",
    "PackBook",
    "advance",
    "complete_task",
    "complete_tasks",
    "open_month",
    "reconcile",
]
