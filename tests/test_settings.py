"""Settings: TOML file, environment, and the example file that documents them all."""

from __future__ import annotations

from pathlib import Path

import pytest

from seaLink.errors import ConfigError
from seaLink.settings import Settings, load_settings
from seaLink.settings_doc import render

EXAMPLE = Path(__file__).parent.parent / "deploy" / "sealink.example.toml"


def test_the_example_file_lists_every_setting_with_its_default() -> None:
    assert EXAMPLE.read_text(encoding="utf-8") == render(), (
        "deploy/sealink.example.toml is stale: python -m seaLink.settings_doc > deploy/sealink.example.toml"
    )


def test_the_example_file_loads_to_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(__import__("os").environ):
        if key.startswith("SEALINK_"):
            monkeypatch.delenv(key)
    assert load_settings(EXAMPLE).model_dump() == Settings().model_dump()


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "s.toml"
    f.write_text('[mqtt]\nurl = "mqtt://file:1883"\n[contact]\ninterval_at_sea_s = 300\n')
    monkeypatch.setenv("SEALINK_MQTT__URL", "mqtt://env:1883")
    s = load_settings(f)
    assert s.mqtt.url == "mqtt://env:1883"
    assert s.contact.interval_at_sea_s == 300


def test_unknown_and_mistyped_settings_are_refused(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text("[contact]\ninterval_at_sea = 300\n")
    with pytest.raises(ValueError, match="interval_at_sea"):
        load_settings(f)
    f.write_text('[contact]\ninterval_at_sea_s = "often"\n')
    with pytest.raises(ValueError, match="interval_at_sea_s"):
        load_settings(f)
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "missing.toml")
