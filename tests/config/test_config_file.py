"""The config file, environment variables and project file: precedence, errors, atomic writes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from wattlens import config
from wattlens.config import ConfigError


@pytest.fixture
def user_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "user" / "config.toml"
    monkeypatch.setenv("WATTLENS_CONFIG", str(path))
    return path


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "proj"
    (root / "src" / "deep").mkdir(parents=True)
    monkeypatch.chdir(root / "src" / "deep")
    return root


def test_user_file_defaults_to_the_platform_config_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    # conftest points XDG_CONFIG_HOME at a temporary folder; platformdirs follows it on Linux.
    monkeypatch.delenv("WATTLENS_CONFIG", raising=False)
    expected = Path(os.environ["XDG_CONFIG_HOME"]) / "wattlens" / "config.toml"
    assert config.user_config_file() == expected


def test_set_writes_toml_that_get_reads_back(cli: Any, user_file: Path) -> None:
    out = cli("config", "set", "location", "DE")
    assert out.exit_code == 0, out.stderr
    assert user_file.read_text() == 'location = "DE"\n'
    got = cli("config", "get", "location", "--json")
    assert got.json() == {"key": "location", "value": "DE", "origin": "user",
                          "where": str(user_file)}  # fmt: skip
    assert cli("config", "get", "location").stdout.strip() == "DE"


def test_set_keeps_other_keys_and_leaves_no_temporary_file(cli: Any, user_file: Path) -> None:
    assert cli("config", "set", "location", "fr").exit_code == 0
    assert cli("config", "set", "detect-metadata", "yes").exit_code == 0
    assert config.read_file(user_file) == {"location": "fr", "detect_metadata": True}
    assert sorted(p.name for p in user_file.parent.iterdir()) == ["config.toml"]


def test_unset_removes_only_that_key(cli: Any, user_file: Path) -> None:
    cli("config", "set", "location", "fr")
    cli("config", "set", "db", "sqlite:////tmp/x.sqlite")
    out = cli("config", "unset", "location")
    assert out.exit_code == 0
    assert "removed" in out.stdout
    assert config.read_file(user_file) == {"db": "sqlite:////tmp/x.sqlite"}
    again = cli("config", "unset", "location")
    assert again.exit_code == 0
    assert "was not set" in again.stdout
    missing = cli("config", "get", "location")
    assert missing.exit_code == 1
    assert "location is not set" in missing.stderr


def test_set_checks_the_location_against_the_catalog(cli: Any, user_file: Path) -> None:
    out = cli("config", "set", "location", "Germny")
    assert out.exit_code == 2
    assert "error: unknown location name 'Germny'" in out.stderr
    assert "hint: did you mean: de" in out.stderr
    assert not user_file.exists()


@pytest.mark.parametrize(
    ("args", "message", "hint"),
    [
        (["set", "locaton", "DE"], "unknown config key 'locaton'", "did you mean location?"),
        (["get", "currency"], "unknown config key 'currency'", "known keys: location"),
        (
            ["set", "detect_metadata", "maybe"],
            "detect_metadata in the command line must be true or false, got 'maybe'",
            "true/false",
        ),
        (["set", "db", "  "], "db in the command line must be a non-empty string", "quoted"),
    ],
)
def test_bad_keys_and_values_exit_2_with_a_hint(
    cli: Any, user_file: Path, args: list[str], message: str, hint: str
) -> None:
    out = cli("config", *args)
    assert out.exit_code == 2
    assert f"error: {message}" in out.stderr
    assert hint in out.stderr.split("hint:", 1)[1]
    assert "Traceback" not in out.stderr


def test_a_malformed_file_is_a_clear_error_and_is_not_overwritten(
    cli: Any, user_file: Path
) -> None:
    user_file.parent.mkdir(parents=True)
    user_file.write_text("location = [\n")
    for args in (["list"], ["get", "location"], ["set", "location", "fr"]):
        out = cli("config", *args)
        assert out.exit_code == 2, args
        assert f"error: config file {user_file} is not valid TOML" in out.stderr
        assert "hint:" in out.stderr
        assert "Traceback" not in out.stderr
    assert user_file.read_text() == "location = [\n"


def test_a_malformed_file_stops_a_command_that_needs_the_location(
    cli: Any, user_file: Path
) -> None:
    user_file.parent.mkdir(parents=True)
    user_file.write_text('locaton = "fr"\n')
    out = cli("estimate", "inference", "--params", "8B", "-a", "H100 SXM",
              "--output-tokens", "400", "--samples", "200", "--json")  # fmt: skip
    assert out.exit_code == 2
    assert f"error: unknown config key 'locaton' in {user_file}" in out.stderr
    assert "did you mean location?" in out.stderr


def test_an_unreadable_file_is_a_clear_error(cli: Any, user_file: Path) -> None:
    user_file.mkdir(parents=True)  # a folder where the file should be: reading it fails
    out = cli("config", "list")
    assert out.exit_code == 2
    assert f"error: cannot read config file {user_file}" in out.stderr
    assert "Traceback" not in out.stderr


def test_wrong_value_types_in_a_file_name_the_file(user_file: Path) -> None:
    user_file.parent.mkdir(parents=True)
    user_file.write_text("location = 5\n")
    with pytest.raises(ConfigError, match=r"location in .*config.toml must be a non-empty string"):
        config.read_file(user_file)


def test_precedence_env_then_project_then_user(
    cli: Any, user_file: Path, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli("config", "set", "location", "fr")
    assert config.lookup("location") == config.Setting("location", "fr", "user", str(user_file))
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.wattlens]\nlocation = "se"\n'
    )
    found = config.lookup("location")
    assert found is not None
    assert (found.value, found.origin, found.where) == (
        "se",
        "project",
        str(project / "pyproject.toml"),
    )
    # A wattlens.toml nearer the current directory wins over a pyproject.toml above it.
    (project / "src" / "wattlens.toml").write_text('location = "no"\n')
    found = config.lookup("location")
    assert found is not None
    assert (found.value, found.origin) == ("no", "project")
    monkeypatch.setenv("WATTLENS_LOCATION", "de")
    assert config.lookup("location") == config.Setting("location", "de", "env", "WATTLENS_LOCATION")
    listed = cli("config", "list", "--json").json()
    row = next(r for r in listed["settings"] if r["key"] == "location")
    assert (row["value"], row["origin"], row["where"]) == ("de", "env", "WATTLENS_LOCATION")
    assert listed["project_file"] == str(project / "src" / "wattlens.toml")
    assert listed["user_file"] == str(user_file)


def test_a_pyproject_without_a_wattlens_table_is_passed_over(project: Path) -> None:
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert config.find_project_file() is None
    (project.parent / "wattlens.toml").write_text('location = "fr"\n')
    assert config.find_project_file() == (project.parent / "wattlens.toml", False)


def test_an_unknown_key_in_the_project_table_names_the_table(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.wattlens]\npue = 1.2\n")
    with pytest.raises(ConfigError, match=r"unknown config key 'pue' in .*pyproject.toml \[tool"):
        config.lookup("location")


def test_a_bad_environment_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATTLENS_DETECT_METADATA", "sometimes")
    with pytest.raises(ConfigError, match="WATTLENS_DETECT_METADATA in the environment must be"):
        config.lookup("detect_metadata")


def test_path_names_the_user_and_project_files(cli: Any, user_file: Path, project: Path) -> None:
    (project / "wattlens.toml").write_text('location = "fr"\n')
    data = cli("config", "path", "--json").json()
    assert data == {"user_file": str(user_file), "user_file_exists": False,
                    "project_file": str(project / "wattlens.toml")}  # fmt: skip
    assert cli("config", "path").stdout.splitlines()[0] == str(user_file)


def test_the_db_key_sets_the_store_when_wattlens_db_is_unset(
    cli: Any, user_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wattlens.store.config import default_url

    url = f"sqlite:///{tmp_path / 'configured.sqlite'}"
    cli("config", "set", "db", url)
    assert default_url() != url  # WATTLENS_DB (set by conftest) comes first
    monkeypatch.delenv("WATTLENS_DB")
    assert default_url() == url
