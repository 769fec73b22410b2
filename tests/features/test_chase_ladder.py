"""QD-S1: the chase ladder over the real core — the day each rung fires, once only, acknowledging, extensions,
and why a due date is what it is. Its steps are the chase's shared steps."""

from pytest_bdd import scenarios

from tests.features.test_chase_steps import *  # noqa: F403  (the chase's shared steps)

scenarios("催办与督办/逾期催办与逐级升级.feature")
