"""One settings object, read from XINYU_* environment variables."""

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
    packs_dir: Path = Field(default=PROJECT_ROOT / "packs", description="Folder of policy pack YAML files.")
    default_pack: str = Field(default="qingdao", description="Pack for schools whose roster names none.")
    outbox_dir: Path = Field(default=Path("outbox"), description="Where the file sink writes messages.")
    base_url: str = Field(default="http://127.0.0.1:8000", description="Links in messages point here.")
    schools_per_batch: int = Field(default=100, ge=1, le=10_000, description="Schools per Prefect task.")


def get_settings() -> Settings:
    return Settings()
