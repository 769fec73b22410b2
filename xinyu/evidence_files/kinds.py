"""What an uploaded file is, found from its first bytes (never from its name), and whether its field takes it."""

import io
import re
import zipfile
from dataclasses import dataclass

from xinyu.packs import EvidenceField

KIND_LABELS = {"image": "图片（JPEG、PNG）", "pdf": "PDF", "doc": "Word/Excel 文档（DOCX、XLSX）"}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# content type → (kind, extension, what it is called)
TYPES = {
    "image/jpeg": ("image", ".jpg", "JPEG 图片"),
    "image/png": ("image", ".png", "PNG 图片"),
    "application/pdf": ("pdf", ".pdf", "PDF"),
    DOCX: ("doc", ".docx", "Word 文档"),
    XLSX: ("doc", ".xlsx", "Excel 表格"),
}
EXTENSIONS = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".pdf": "application/pdf",
              ".docx": DOCX, ".xlsx": XLSX}
NAME_MAX = 120
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\"<>|:*?]")


class FileRefused(ValueError):
    """An upload its field does not take; the message names the file and the problem."""


@dataclass(frozen=True)
class Upload:
    """A file as sent: the name the sender's device gave it, and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class Checked:
    name: str  # sanitised, with the extension of its real type
    content_type: str
    data: bytes


def sniff(data: bytes) -> str | None:
    """The content type of JPEG, PNG, PDF, DOCX or XLSX bytes; None for anything else."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:5] == b"%PDF-":
        return "application/pdf"
    if data[:4] == b"PK\x03\x04":
        try:  # the central directory only: nothing is decompressed
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
        if "[Content_Types].xml" in names:
            if "word/document.xml" in names:
                return DOCX
            if "xl/workbook.xml" in names:
                return XLSX
    return None


def clean_name(name: str) -> str:
    """The sender's file name as data: no folders, no control or shell-special characters, at most 120 long."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = _UNSAFE_NAME.sub("_", base).strip(" .") or "附件"
    if len(base) > NAME_MAX:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: NAME_MAX - len(ext) - 1] + "." + ext) if dot and len(ext) <= 8 else base[:NAME_MAX]
    return base


def check_upload(field: EvidenceField, upload: Upload) -> Checked:
    """The upload if its field takes it (type by content, size); FileRefused naming the file otherwise."""
    name = clean_name(upload.name)
    limit, _ = field.file_limits
    if not upload.data:
        raise FileRefused(f"文件“{name}”是空文件")
    if len(upload.data) > limit:
        raise FileRefused(f"文件“{name}”大小 {_mb(len(upload.data))}，超过“{field.label}”的上限 {_mb(limit)}")
    content_type = sniff(upload.data)
    accepted = "、".join(KIND_LABELS[k] for k in field.accept)
    if content_type is None:
        raise FileRefused(f"文件“{name}”不是可识别的{accepted}（按文件内容判断）")
    kind, extension, called = TYPES[content_type]
    if kind not in field.accept:
        raise FileRefused(f"文件“{name}”是{called}，“{field.label}”只接受{accepted}")
    _, dot, ext = name.rpartition(".")
    claimed = EXTENSIONS.get(f".{ext.lower()}") if dot else None
    if claimed is not None and claimed != content_type:
        raise FileRefused(f"文件“{name}”的内容是{called}，与扩展名 .{ext} 不符")
    if claimed is None:
        name = clean_name(f"{name}{extension}")
    return Checked(name=name, content_type=content_type, data=upload.data)


def check_count(field: EvidenceField, count: int) -> None:
    _, most = field.file_limits
    if count > most:
        raise FileRefused(f"“{field.label}”最多 {most} 个文件，实为 {count} 个")


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 100 * 1024 else f"{size / 1024:.0f} KB"
