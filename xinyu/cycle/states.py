"""States of cycles, steps and tasks: ASCII values, Chinese labels, one transition table each."""

from enum import StrEnum


class InvalidTransition(ValueError):
    """A move the state machine forbids."""


class CycleStatus(StrEnum):
    open = "open"
    closed = "closed"


class StepStatus(StrEnum):
    pending = "pending"
    open = "open"
    done = "done"
    carried = "carried"


class TaskStatus(StrEnum):
    open = "open"
    done = "done"
    carried = "carried"


LABELS: dict[str, str] = {
    "open": "进行中",
    "closed": "已结束",
    "pending": "待开启",
    "done": "已完成",
    "carried": "已结转",
    "overdue": "已逾期",
}

STEP_MOVES: dict[StepStatus, frozenset[StepStatus]] = {
    StepStatus.pending: frozenset({StepStatus.open, StepStatus.carried}),
    StepStatus.open: frozenset({StepStatus.done, StepStatus.carried}),
    StepStatus.done: frozenset(),
    StepStatus.carried: frozenset(),
}

TASK_MOVES: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.open: frozenset({TaskStatus.done, TaskStatus.carried}),
    TaskStatus.done: frozenset(),
    TaskStatus.carried: frozenset(),
}


def check_step_move(current: str, target: StepStatus) -> StepStatus:
    if target not in STEP_MOVES[StepStatus(current)]:
        raise InvalidTransition(f"步骤不能从“{LABELS[current]}”变为“{LABELS[target]}”")
    return target


def check_task_move(current: str, target: TaskStatus) -> TaskStatus:
    if target not in TASK_MOVES[TaskStatus(current)]:
        raise InvalidTransition(f"任务不能从“{LABELS[current]}”变为“{LABELS[target]}”")
    return target
