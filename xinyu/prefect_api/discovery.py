"""Finding a Prefect API without importing Prefect: the configured one, or the one a running `xinyu serve`
advertises under PREFECT_HOME (written when its API answers, removed when it stops)."""

import json
import os
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

ADVERT = "xinyu-api.json"


def prefect_home() -> Path:
    return Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()


def configured_api_url() -> str | None:
    """PREFECT_API_URL from the environment or the active profile of Prefect's profiles file."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    path = Path(os.environ.get("PREFECT_PROFILES_PATH") or prefect_home() / "profiles.toml").expanduser()
    try:
        profiles = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    active = os.environ.get("PREFECT_PROFILE") or profiles.get("active")
    url = profiles.get("profiles", {}).get(active, {}).get("PREFECT_API_URL")
    return str(url) if url else None


def answers(api_url: str, *, timeout: float) -> bool:
    """The API answers its health check within `timeout` seconds."""
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=timeout) as response:  # noqa: S310
            return bool(response.status == 200)
    except (OSError, ValueError):  # refused, timed out, not HTTP, a bad URL
        return False


def advert_path() -> Path:
    return prefect_home() / ADVERT


def advertised_api(timeout: float = 1.0) -> str | None:
    """The URL a running `xinyu serve` advertises, if it answers; a stale advertisement is removed."""
    path = advert_path()
    try:
        url = str(json.loads(path.read_text(encoding="utf-8"))["url"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if answers(url, timeout=timeout):
        return url
    withdraw(url)
    return None


def advertise(url: str) -> None:
    """Tell later commands on this PREFECT_HOME where the API is (atomically: a reader never sees half)."""
    path = advert_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{ADVERT}.{os.getpid()}")
    tmp.write_text(json.dumps({"url": url, "pid": os.getpid()}), encoding="utf-8")
    tmp.replace(path)


def withdraw(url: str) -> None:
    """Remove the advertisement if it still names `url` (a newer one stays)."""
    path = advert_path()
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("url") == url:
            path.unlink()
    except (OSError, ValueError, AttributeError):
        pass
