"""The audit line every administrative change writes: ids and counts, never student names."""

import json
from datetime import datetime

from sqlmodel import Session

from models import AuditEntry


def audit(session: Session, *, actor_id: int | None, action: str, target: str, now: datetime,
          **detail: object) -> None:
    session.add(AuditEntry(at=now, actor_id=actor_id, action=action, target=target,
                           detail=json.dumps(detail, ensure_ascii=False, sort_keys=True)))
