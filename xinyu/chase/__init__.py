"""Chasing overdue work (QD-S1, QD-S2): the ladder, the district inbox, extensions, the crisis fast path."""

from xinyu.chase.district_digest import queue_district_digests
from xinyu.chase.run import ChaseResult, run_chase

__all__ = ["ChaseResult", "queue_district_digests", "run_chase"]
