"""Reading stored pack versions (models/packs.py); the parsed pack of a content is shared by the process."""

import threading
from typing import Protocol

from sqlalchemy import Result, func, select
from sqlmodel import col

from models import PackVersion
from xinyu.packs import Pack, PackError, parse_pack


class Executes(Protocol):
    def execute(self, statement, *args, **kwargs) -> Result:  # type: ignore[no-untyped-def]  # noqa: ANN001
        ...


_PARSED: dict[str, Pack] = {}  # content hash → pack: a version's content never changes, so this never goes stale
_PARSED_LOCK = threading.Lock()


def parsed(content_hash: str, content: str, source: str) -> Pack:
    """The pack of a stored content, parsed once per process."""
    pack = _PARSED.get(content_hash)
    if pack is None:
        pack = parse_pack(content, source)
        with _PARSED_LOCK:
            pack = _PARSED.setdefault(content_hash, pack)
    return pack


def pack_ids(db: Executes) -> list[str]:
    """Every stored pack id, sorted."""
    return list(db.execute(select(col(PackVersion.pack_id)).distinct().order_by(col(PackVersion.pack_id))).scalars())


def newest_version(db: Executes, pack_id: str) -> int:
    """The newest stored version of a pack; refused when the pack was never installed."""
    newest = db.execute(select(func.max(col(PackVersion.version))).where(col(PackVersion.pack_id) == pack_id)).scalar()
    if newest is None:
        known = pack_ids(db)
        raise PackError(f"没有政策包 {pack_id!r}（已安装：{', '.join(known) or '无'}；"
                        "用 xinyu pack install 文件 安装）")
    return int(newest)


def version_number(version: str | int) -> int:
    """A cycle's Cycle.pack_version (text) as the stored version number."""
    try:
        return int(version)
    except ValueError:
        raise PackError(f"政策包版本 {version!r} 不是已安装版本的序号（1、2、…）；请先运行 xinyu init") from None


def stored_pack(db: Executes, pack_id: str, version: str | int | None = None) -> tuple[int, Pack]:
    """A stored version of a pack (None: the newest) and its number."""
    number = newest_version(db, pack_id) if version is None else version_number(version)
    row = db.execute(select(col(PackVersion.content_hash), col(PackVersion.content))
                     .where(col(PackVersion.pack_id) == pack_id, col(PackVersion.version) == number)).first()
    if row is None:
        versions = list(db.execute(select(col(PackVersion.version)).where(col(PackVersion.pack_id) == pack_id)
                                   .order_by(col(PackVersion.version))).scalars())
        if not versions:
            newest_version(db, pack_id)  # refuses naming the installed packs
        raise PackError(f"政策包 {pack_id} 没有版本 {number}（已安装：{'、'.join(map(str, versions))}）")
    return number, parsed(row.content_hash, row.content, f"{pack_id}（版本 {number}）")
