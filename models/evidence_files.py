"""Files given as a task's evidence (issue 12 item 9): a photo of the 签到表, a lesson plan.

The bytes live in the file store (a folder or an S3-compatible bucket) under a content address; this table
keeps what the record needs: which task and field, the original name (as data, never as a path), the type
found from the content, size, SHA-256, who uploaded it and when, and when it was removed or replaced (the
row and the bytes stay: the history lists them).
"""

from datetime import datetime

from sqlmodel import Field, SQLModel

from models._types import aware_datetime


class EvidenceFile(SQLModel, table=True):
    __tablename__ = "evidence_file"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    school_id: int = Field(foreign_key="school.id", index=True)
    field: str = Field(max_length=64)
    name: str = Field(max_length=120, description="the uploader's file name, sanitised; shown, never a path")
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    storage_key: str = Field(max_length=200)
    uploaded_by_id: int | None = Field(default=None, foreign_key="person.id")
    uploaded_at: datetime | None = aware_datetime()
    removed_at: datetime | None = aware_datetime()
