"""REQUIREMENTS §7, QD-S1: a task due the day before National Day — no chasing in the holiday, overdue days
counted from the first working day after it, the make-up Saturday counted. Its steps are the chase's shared steps."""

from pytest_bdd import scenarios

from tests.features.test_chase_steps import *  # noqa: F403  (the chase's shared steps)

scenarios("催办与督办/节前截止的任务.feature")
