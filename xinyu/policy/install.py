"""Installing a pack: validated, stored as a new immutable version unless the same text is stored already.

The pack id is the file's own `id:` (a copy of packs/qingdao.yaml under any name installs as qingdao). The only
code that reads a pack file: `xinyu pack install`, `xinyu init` (the shipped packs) and migration 0012.
"""

import getpass
import hashlib
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from models import PackVersion
from xinyu.clock import now as wall_clock
from xinyu.db import transaction
from xinyu.packs import Pack, PackError, load_pack_file, parse_pack, read_pack_text

SHIPPED_BY = "随版本安装（xinyu init）"


@dataclass(frozen=True)
class Installed:
    pack_id: str
    version: int
    label: str
    content_hash: str
    source: str
    new: bool  # False: the same text was stored already, as `version`

    def summary(self) -> str:
        if self.new:
            return (f"已安装政策包 {self.pack_id} 版本 {self.version}"
                    f"（{self.label}，{self.content_hash[:12]}）：{self.source}")
        return f"政策包 {self.pack_id} 未变：与已安装的版本 {self.version} 内容相同，不另存新版本"

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_installer() -> str:
    """Who installs when --by is not given: the operating-system user."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def install_pack(engine: Engine, path: Path, by: str, *, now: datetime | None = None) -> Installed:
    """Install a pack file: refused with the file and the dotted path when invalid; nothing new when unchanged."""
    if not path.is_file():
        raise PackError(f"找不到政策包文件 {path}" if not path.exists() else f"{path} 不是文件")
    text = read_pack_text(path)
    return _store(engine, parse_pack(text, path), text, source=str(path.resolve()), by=by, now=now)


def install_shipped(engine: Engine, packs_dir: Path, *, by: str = SHIPPED_BY,
                    now: datetime | None = None) -> list[Installed]:
    """Every pack of the release's folder whose text is not stored yet (a changed shipped pack: a new version)."""
    installed = []
    for path in sorted(packs_dir.glob("*.yaml")):
        text = read_pack_text(path)
        installed.append(_store(engine, load_pack_file(path), text, source=str(path), by=by, now=now))
    return installed


def _store(engine: Engine, pack: Pack, text: str, *, source: str, by: str, now: datetime | None) -> Installed:
    digest = content_hash(text)
    try:
        with transaction(engine) as session:
            same = session.exec(select(col(PackVersion.version)).where(
                col(PackVersion.pack_id) == pack.id, col(PackVersion.content_hash) == digest)).first()
            if same is not None:
                return Installed(pack.id, int(same), pack.version, digest, source, new=False)
            newest = session.exec(select(func.max(col(PackVersion.version))).where(
                col(PackVersion.pack_id) == pack.id)).one()
            version = (newest or 0) + 1
            session.add(PackVersion(pack_id=pack.id, version=version, label=pack.version, content=text,
                                    content_hash=digest, installed_at=now or wall_clock(), installed_by=by[:64],
                                    source=source[:500]))
    except IntegrityError as exc:  # another install of this pack committed in between
        raise PackError(f"政策包 {pack.id} 正被同时安装，请重试：{source}") from exc
    return Installed(pack.id, version, pack.version, digest, source, new=True)
