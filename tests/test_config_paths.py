"""The default paths, built from strings at start-up, match what pathlib gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from queuectl_core.config import config_home, data_file, data_home, resolve, state_home

BASES = ["", "/d", "/d/", "//d", "///d", "d//e/./f", "./rel", "."]


@pytest.mark.parametrize("home", ["/h", "/h/", "//h", "rel"])
@pytest.mark.parametrize("base", BASES)
def test_homes_are_spelled_as_pathlib_spells_them(
    home: str, base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", home)
    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(variable, base)
    expected = {
        "config": Path(base or str(Path.home() / ".config")) / "queuectl",
        "data": Path(base or str(Path.home() / ".local" / "share")) / "queuectl",
        "state": Path(base or str(Path.home() / ".local" / "state")) / "queuectl",
    }
    assert (config_home(), data_home(), state_home()) == tuple(expected.values())
    assert data_file("queuectl.db") == str(expected["data"] / "queuectl.db")


def test_the_default_config_file_is_read_only_when_it_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path) + "//")
    for name in ("QUEUECTL_CONFIG", "QUEUECTL_BACKEND", "QUEUECTL_DB"):
        monkeypatch.delenv(name, raising=False)
    assert resolve().config_file is None
    (tmp_path / "queuectl").mkdir()
    (tmp_path / "queuectl" / "config.toml").write_text('[sqlite]\npath = "/x.db"\n')
    location = resolve()
    assert location.config_file == tmp_path / "queuectl" / "config.toml"
    assert location.options == {"path": "/x.db"}
