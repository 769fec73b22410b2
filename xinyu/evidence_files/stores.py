"""Where evidence files' bytes live: a folder (the embedded default) or an S3-compatible bucket.

Keys are content addresses (`ab/cd/<sha256>`), never a name a person typed: the same bytes are stored once, a
replaced file's bytes stay (the history lists it), and no upload can name a path. Writing twice is harmless.
"""

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import make_url

from xinyu.settings import Settings, get_settings

_KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}$")


class FileStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...


def content_key(data: bytes) -> tuple[str, str]:
    """(sha256 hex, storage key) of the bytes."""
    digest = hashlib.sha256(data).hexdigest()
    return digest, f"{digest[:2]}/{digest[2:4]}/{digest}"


def _checked(key: str) -> str:
    if not _KEY.match(key):
        raise ValueError(f"无效的文件存储键 {key!r}")
    return key


class LocalStore:
    """Files under a folder; a write goes to a temporary file first, then is renamed into place."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self.folder / _checked(key)
        if path.exists() and path.stat().st_size == len(data):
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        return (self.folder / _checked(key)).read_bytes()


class S3Store:
    """Files in a bucket of an S3-compatible server (MinIO, Ceph, OSS/COS in S3 mode, AWS), through boto3."""

    def __init__(self, *, endpoint_url: str | None, bucket: str, key_id: str | None, secret: str | None,
                 region: str = "us-east-1") -> None:
        import boto3  # only a deployment that sets a bucket needs it loaded

        self.bucket = bucket
        self.client: Any = boto3.client("s3", endpoint_url=endpoint_url, aws_access_key_id=key_id,
                                        aws_secret_access_key=secret, region_name=region)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=_checked(key), Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes:
        body: bytes = self.client.get_object(Bucket=self.bucket, Key=_checked(key))["Body"].read()
        return body


def files_folder(settings: Settings) -> Path:
    """XINYU_FILES_DIR, else `files` beside a SQLite database file, else beside the outbox folder."""
    if settings.files_dir is not None:
        return settings.files_dir
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(str(url.database)).resolve().parent / "files"
    return settings.outbox_dir.resolve().parent / "files"


def default_store(settings: Settings | None = None) -> FileStore:
    settings = settings or get_settings()
    if settings.files_s3_bucket:
        return S3Store(endpoint_url=settings.files_s3_url, bucket=settings.files_s3_bucket,
                       key_id=settings.files_s3_key_id, secret=settings.files_s3_secret,
                       region=settings.files_s3_region)
    return LocalStore(files_folder(settings))
