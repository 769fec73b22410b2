"""Installed policy packs: each version of a pack is an immutable row (its YAML text exactly as installed)."""

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models._types import aware_datetime


class PackVersion(SQLModel, table=True):
    """One installed version of a pack. Never updated: a changed pack is a new version; a cycle keeps its own
    (Cycle.pack_version holds `version` as text)."""

    __tablename__ = "pack_version"
    __table_args__ = (UniqueConstraint("pack_id", "version"), UniqueConstraint("pack_id", "content_hash"))

    id: int | None = Field(default=None, primary_key=True)
    pack_id: str = Field(max_length=32, description="the pack's own `id:`")
    version: int = Field(description="1, 2, … per pack, in order of installation")
    label: str = Field(max_length=32, description="the pack's own `version:` field")
    content: str = Field(sa_column=Column(Text, nullable=False), description="the YAML text exactly as installed")
    content_hash: str = Field(max_length=64, description="sha256 of content, hex")
    installed_at: datetime = aware_datetime(nullable=False)
    installed_by: str = Field(max_length=64)
    source: str = Field(max_length=500, description="the file it was installed from")
