"""`xinyu pack diff`: what changed between two stored versions of a pack, as a unified diff of their texts."""

import difflib

from sqlmodel import Session, col, select

from models import PackVersion
from xinyu.clock import as_local


class UnknownVersion(ValueError):
    """A pack id or version not stored; the message names what exists."""


def stored_version(session: Session, pack_id: str, version: int) -> PackVersion:
    found = session.exec(select(PackVersion).where(PackVersion.pack_id == pack_id,
                                                   PackVersion.version == version)).first()
    if found is not None:
        return found
    versions = list(session.exec(select(PackVersion.version).where(PackVersion.pack_id == pack_id)
                                 .order_by(col(PackVersion.version))))
    if not versions:
        ids = sorted(set(session.exec(select(PackVersion.pack_id))))
        raise UnknownVersion(f"没有政策包 {pack_id}（已安装：{'、'.join(ids) or '无'}）")
    raise UnknownVersion(f"政策包 {pack_id} 没有版本 {version}（已安装版本：{'、'.join(map(str, versions))}）")


def _header(v: PackVersion) -> str:
    return (f"{v.pack_id} 版本 {v.version}（{v.content_hash[:12]}，"
            f"{as_local(v.installed_at):%Y-%m-%d %H:%M} 由 {v.installed_by} 安装）")


def pack_diff(session: Session, pack_id: str, old: int, new: int) -> str:
    """The unified diff of two stored versions' texts; empty when they are the same version."""
    a, b = stored_version(session, pack_id, old), stored_version(session, pack_id, new)
    return "".join(difflib.unified_diff(a.content.splitlines(keepends=True), b.content.splitlines(keepends=True),
                                        fromfile=_header(a), tofile=_header(b)))
