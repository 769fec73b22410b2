"""get_settings(): built once per set of XINYU_* values, rebuilt when one is set, changed or removed."""

import pytest
from pydantic import ValidationError

from xinyu.settings import get_settings


def test_the_settings_follow_the_environment_and_are_built_once_for_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XINYU_BASE_URL", raising=False)
    default = get_settings()
    assert get_settings() is default  # the same environment: the same object, not read again
    monkeypatch.setenv("XINYU_BASE_URL", "https://xinyu.example.edu.cn")
    assert get_settings().base_url == "https://xinyu.example.edu.cn"
    monkeypatch.setenv("XINYU_BASE_URL", "https://other.example.edu.cn")
    assert get_settings().base_url == "https://other.example.edu.cn"
    monkeypatch.delenv("XINYU_BASE_URL")
    assert get_settings().base_url == default.base_url
    monkeypatch.setenv("xinyu_dispatch_batch", "17")  # pydantic-settings reads names in any case
    assert get_settings().dispatch_batch == 17
    with pytest.raises(ValidationError):
        get_settings().base_url = "https://changed.example"  # shared by every caller: frozen
