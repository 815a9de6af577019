"""The local Dagster home (issue 16): a DAGSTER_HOME that does not exist is created when its parent exists, and is
otherwise one clear ConfigError (never Dagster's traceback); the local instance has no "Join the community" dialog."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from billing_portal.dagster_home import LOCAL_DAGSTER_YAML, ensure_dagster_home
from billing_portal.errors import ConfigError


def test_default_home_is_created_with_the_local_config(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home = ensure_dagster_home(tmp_path / "bp")
    assert home == (tmp_path / "bp" / "dagster").resolve() and home.is_dir()
    assert (home / "dagster.yaml").read_text() == LOCAL_DAGSTER_YAML
    assert os.environ["DAGSTER_HOME"] == str(home)


def test_the_local_instance_turns_the_community_dialog_off(tmp_path, monkeypatch):
    from dagster import DagsterInstance

    assert yaml.safe_load(LOCAL_DAGSTER_YAML)["nux"] == {"enabled": False}
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home = ensure_dagster_home(tmp_path)
    with DagsterInstance.from_config(str(home)) as instance:  # Dagster accepts the file as it is
        assert instance.nux_enabled is False
        assert instance.telemetry_enabled is False


def test_compose_instance_turns_the_community_dialog_off():
    repo = Path(__file__).resolve().parents[2]
    assert yaml.safe_load((repo / "dagster.yaml").read_text())["nux"] == {"enabled": False}


def test_a_missing_dagster_home_whose_parent_exists_is_created(tmp_path, monkeypatch):
    wanted = tmp_path / "dagster-home"
    monkeypatch.setenv("DAGSTER_HOME", str(wanted))
    assert ensure_dagster_home(tmp_path / "bp") == wanted
    assert (wanted / "dagster.yaml").read_text() == LOCAL_DAGSTER_YAML


def test_an_existing_dagster_home_is_used_as_it_is(tmp_path, monkeypatch):
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: true\n")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    assert ensure_dagster_home(tmp_path / "bp") == tmp_path
    assert (tmp_path / "dagster.yaml").read_text() == "telemetry:\n  enabled: true\n"


def test_a_relative_dagster_home_becomes_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", "dh")
    assert ensure_dagster_home(tmp_path / "bp") == tmp_path.resolve() / "dh"
    assert os.environ["DAGSTER_HOME"] == str(tmp_path.resolve() / "dh")


def test_a_dagster_home_without_its_parent_is_one_clear_error(tmp_path, monkeypatch):
    wanted = tmp_path / "no" / "such" / "dir"
    monkeypatch.setenv("DAGSTER_HOME", str(wanted))
    with pytest.raises(ConfigError) as err:
        ensure_dagster_home(tmp_path / "bp")
    message = str(err.value)
    assert f"DAGSTER_HOME ({wanted}) does not exist" in message and "\n" not in message
    assert "unset DAGSTER_HOME" in message and str((tmp_path / "bp" / "dagster").resolve()) in message
    assert not wanted.parent.exists(), "nothing is created"


def test_a_dagster_home_that_is_a_file_is_one_clear_error(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "file"))
    with pytest.raises(ConfigError, match="is not a directory"):
        ensure_dagster_home(tmp_path / "bp")
