"""Every pair of step and task states: the allowed moves pass, every other move is refused."""

from itertools import product

import pytest

from xinyu.cycle.states import (
    LABELS,
    InvalidTransition,
    StepStatus,
    TaskStatus,
    check_step_move,
    check_task_move,
)

# Written out here, not read from the module: the test states the policy the table must encode.
ALLOWED_STEP_MOVES = {
    ("pending", "open"),
    ("pending", "carried"),
    ("open", "done"),
    ("open", "carried"),
}
ALLOWED_TASK_MOVES = {
    ("open", "done"),
    ("open", "carried"),
}

STEP_PAIRS = list(product(StepStatus, StepStatus))
TASK_PAIRS = list(product(TaskStatus, TaskStatus))


@pytest.mark.parametrize(("current", "target"), STEP_PAIRS, ids=[f"{a}->{b}" for a, b in STEP_PAIRS])
def test_step_move(current: StepStatus, target: StepStatus) -> None:
    if (current.value, target.value) in ALLOWED_STEP_MOVES:
        assert check_step_move(current.value, target) is target
    else:
        with pytest.raises(InvalidTransition) as refused:
            check_step_move(current.value, target)
        assert LABELS[current] in str(refused.value) and LABELS[target] in str(refused.value)


@pytest.mark.parametrize(("current", "target"), TASK_PAIRS, ids=[f"{a}->{b}" for a, b in TASK_PAIRS])
def test_task_move(current: TaskStatus, target: TaskStatus) -> None:
    if (current.value, target.value) in ALLOWED_TASK_MOVES:
        assert check_task_move(current.value, target) is target
    else:
        with pytest.raises(InvalidTransition) as refused:
            check_task_move(current.value, target)
        assert LABELS[current] in str(refused.value) and LABELS[target] in str(refused.value)


def test_the_state_sets_are_the_ones_the_tables_describe() -> None:
    # A new state added to an enum must be added to the tables above (and to the transition table).
    assert {s.value for s in StepStatus} == {"pending", "open", "done", "carried"}
    assert {s.value for s in TaskStatus} == {"open", "done", "carried"}


def test_every_state_has_a_chinese_label() -> None:
    for state in [*StepStatus, *TaskStatus]:
        assert LABELS[state]


@pytest.mark.parametrize("check", [check_step_move, check_task_move])
def test_an_unknown_current_state_is_refused(check: object) -> None:
    with pytest.raises(ValueError):
        check("archived", "done")  # type: ignore[operator]
