"""One settings object, read from XINYU_* environment variables."""

from datetime import time
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="XINYU_")

    database_url: str = Field(
        default="sqlite:///xinyu.db",
        description="SQLAlchemy URL; SQLite file in the working folder unless set.",
    )
    packs_dir: Path = Field(default=PROJECT_ROOT / "packs", description="The shipped packs (xinyu init installs them).")
    default_pack: str = Field(default="qingdao", description="Pack for schools whose roster names none.")
    outbox_dir: Path = Field(default=Path("outbox"), description="Where the file sink writes messages.")
    base_url: str = Field(default="http://127.0.0.1:8000", description="Links in messages point here.")
    web_threads: int = Field(
        default=40, ge=1, le=500, description="Requests the web app works on at once: its worker threads and its"
        " database connections, one each (more requests wait their turn without holding either).")
    cookie_secure: bool = Field(
        default=True, description="Session cookies only over HTTPS (browsers also accept them on http://localhost).")
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Largest request body the web app reads (bytes); more is 413.")
    max_upload_bytes: int = Field(
        default=32 * 1024 * 1024, ge=1024, description="Largest body of a form that carries evidence files (task"
        " completion, correction); must hold the biggest form a pack allows (web/limits.py checks at start).")
    files_dir: Path | None = Field(
        default=None, description="Folder of evidence files; default: `files` beside a SQLite database file, else"
        " beside the outbox folder.")
    files_s3_url: str | None = Field(
        default=None, description="Endpoint of an S3-compatible store for evidence files (http(s)://host:port);"
        " with files_s3_bucket set, files go there instead of files_dir.")
    files_s3_bucket: str | None = Field(default=None, description="Bucket of evidence files (S3 store).")
    files_s3_key_id: str | None = Field(default=None, description="Access key id (S3 store).")
    files_s3_secret: str | None = Field(default=None, description="Secret access key (S3 store).")
    files_s3_region: str = Field(default="us-east-1", description="Region (S3 store).")
    schools_per_batch: int = Field(default=100, ge=1, le=10_000, description="Schools per Prefect task.")
    spread_min_schools: int = Field(
        default=1500, ge=0, description="On a Prefect server, a run hands its batches to the task workers"
        " (flows/batch_worker.py) from this many schools; below, its own process runs them (flows/spread.py).")
    batch_lease_seconds: float = Field(
        default=60, gt=0, description="A batch handed to the task workers and claimed by none after this long is"
        " handed out again (a delivery lost with its worker, a server restarted); one whose worker died, at once.")

    # Sending the outbox (notifications/). Unset servers mean files in outbox_dir: the embedded default.
    smtp_url: str | None = Field(
        default=None, description="smtp://[user:pass@]host[:port][?tls=starttls|none], smtps:// for implicit TLS.")
    smtp_pool_size: int = Field(default=16, ge=1, le=64, description="SMTP connections reused, sending at once.")
    mail_from: str = Field(default="心育闭环 <noreply@xinyu.local>", description="From of every email.")
    sms_url: str | None = Field(
        default=None, description="http(s)://… a JSON gateway, or aliyun://KeyId:Secret@host?sign_name=… (Aliyun).")
    sms_template_codes: dict[str, str] = Field(
        default_factory=dict, description='Provider template code per template id, JSON: {"chase_digest": "SMS_1"}.')
    robot_webhooks: bool = Field(
        default=False, description="Post group-robot messages to their webhooks; otherwise write them to files.")
    http_timeout: float = Field(default=10.0, gt=0, le=120, description="Seconds per SMS or robot request.")
    send_logins_at_once: bool = Field(
        default=True, description="Send a login code or link as the request ends, not at the next dispatch.")
    dispatch_batch: int = Field(default=200, ge=1, le=5_000, description="Messages claimed at a time.")
    dispatch_lease_seconds: int = Field(
        default=600, ge=10, description="Wall-clock lease of a claimed message; a dead dispatcher's expire.")
    sms_retry_quiet_start: time = Field(default=time(21, 0), description="A retried SMS is not sent from …")
    sms_retry_quiet_end: time = Field(default=time(8, 0), description="… until (a pack's quiet hours hold new SMS).")
    dispatch_max_attempts: int = Field(default=8, ge=1, le=50, description="Attempts before a message fails.")


def get_settings() -> Settings:
    return Settings()
