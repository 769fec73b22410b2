"""A crisis case's kept fields, as its history (xinyu.history, kind ledger_c) records them.

No imports of the cycle or the crisis package: the cycle's fast-path action writes history rows too.
"""

from datetime import datetime
from typing import Any

from models import CrisisCase
from xinyu.clock import as_local
from xinyu.history import Snapshot, snapshot

HISTORY_KIND = "ledger_c"
CASE_FIELDS = ("level", "handler_id", "parents_informed_at", "referral_hospital", "certificate_on",
               "certificate_by", "return_plan", "outcome", "outcome_note", "closed_at")
FIELD_LABELS = {
    "level": "危机等级", "handler_id": "处置负责人", "parents_informed_at": "家长通报时间",
    "referral_hospital": "转介医院", "certificate_on": "复学证明日期", "certificate_by": "复学证明出具机构",
    "return_plan": "复课衔接计划",
    "outcome": "结案结果", "outcome_note": "结案说明", "closed_at": "结案时间", "action": "处置记录",
}


def case_snapshot(case: CrisisCase, **extra: Any) -> Snapshot:
    """The kept fields; times in Asia/Shanghai to the minute, so a reloaded row compares equal."""
    values = {name: getattr(case, name) for name in CASE_FIELDS}
    values = {k: f"{as_local(v):%Y-%m-%d %H:%M}" if isinstance(v, datetime) else v for k, v in values.items()}
    return {**snapshot(values, CASE_FIELDS), **extra}
