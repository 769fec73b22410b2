"""The monthly closed loop (QD-G4): open a month, reconcile cycles forward, complete tasks."""

from xinyu.cycle.completion import CompletionError, complete_task, complete_tasks
from xinyu.cycle.opening import open_month
from xinyu.cycle.packbook import PackBook
from xinyu.cycle.reconcile import advance, reconcile
from xinyu.cycle.starting import StartResult, start_month

__all__ = [
    "CompletionError",
    "PackBook",
    "advance",
    "complete_task",
    "complete_tasks",
    "open_month",
    "reconcile",
    "StartResult",
    "start_month",
]
