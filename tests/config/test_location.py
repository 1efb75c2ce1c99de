"""Which location is used when none is given, where it came from, and the world-average hint."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from wattlens import location
from wattlens.errors import UsageError
from wattlens.impacts import measured_impacts
from wattlens.location import Detected, LocationChoice, choose_location, detect_from_env


@pytest.fixture(autouse=True)
def _fresh_hint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(location, "_hinted", type(location._hinted)())
    monkeypatch.setenv("WATTLENS_CONFIG", str(tmp_path / "user.toml"))
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        # Lambda and ECS set AWS_EXECUTION_ENV with the region.
        ({"AWS_EXECUTION_ENV": "AWS_Lambda_python3.12", "AWS_REGION": "eu-west-1"},
         Detected("aws", "eu-west-1", "AWS_REGION (AWS_EXECUTION_ENV=AWS_Lambda_python3.12)")),
        ({"AWS_EXECUTION_ENV": "AWS_ECS_FARGATE", "AWS_DEFAULT_REGION": "EU-CENTRAL-1"},
         Detected("aws", "eu-central-1",
                  "AWS_DEFAULT_REGION (AWS_EXECUTION_ENV=AWS_ECS_FARGATE)")),
        # A workstation's AWS_REGION says where the AWS CLI talks to, not where code runs.
        ({"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"}, None),
        ({"WEBSITE_SITE_NAME": "app", "REGION_NAME": "West Europe"},
         Detected("azure", "westeurope", "REGION_NAME (Azure App Service)")),
        ({"WEBSITE_SITE_NAME": "app", "REGION_NAME": "swedencentral"},
         Detected("azure", "swedencentral", "REGION_NAME (Azure App Service)")),
        ({"REGION_NAME": "westeurope"}, None),
        # Cloud Run sets no region variable (its metadata server has it).
        ({"K_SERVICE": "svc", "K_REVISION": "svc-1"}, None),
        ({}, None),
    ],
)  # fmt: skip
def test_detect_from_env(env: dict[str, str], expected: Detected | None) -> None:
    assert detect_from_env(env) == expected


def test_a_detected_region_is_the_catalog_region_row() -> None:
    assert Detected("gcp", "europe-west4", "x").location == "gcp-europe-west4"


def test_precedence_given_env_project_user_detected_default(tmp_path: Path) -> None:
    env = {"WATTLENS_CONFIG": str(tmp_path / "user.toml"),
           "AWS_EXECUTION_ENV": "AWS_ECS_EC2", "AWS_REGION": "eu-north-1"}  # fmt: skip
    assert choose_location(environ={}) == LocationChoice("world", "default")
    assert choose_location(environ=env) == LocationChoice(
        "aws-eu-north-1", "detected", "AWS_REGION (AWS_EXECUTION_ENV=AWS_ECS_EC2)"
    )
    (tmp_path / "user.toml").write_text('location = "fr"\n')
    assert choose_location(environ=env) == LocationChoice("fr", "user", str(tmp_path / "user.toml"))
    (tmp_path / "wattlens.toml").write_text('location = "se"\n')
    assert choose_location(environ=env) == LocationChoice(
        "se", "project", str(tmp_path / "wattlens.toml")
    )
    env["WATTLENS_LOCATION"] = "de"
    assert choose_location(environ=env) == LocationChoice("de", "env", "WATTLENS_LOCATION")
    assert choose_location("no", environ=env) == LocationChoice("no", "given")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, ("default", None, "world", None)),
        ({"WATTLENS_LOCATION": "fr"}, ("env", "WATTLENS_LOCATION", "fr", None)),
        ({"AWS_EXECUTION_ENV": "AWS_ECS_FARGATE", "AWS_REGION": "eu-central-1"}, ("detected",
         "AWS_REGION (AWS_EXECUTION_ENV=AWS_ECS_FARGATE)", "de", "aws-eu-central-1")),
        ({"WEBSITE_SITE_NAME": "a", "REGION_NAME": "France Central"}, ("detected",
         "REGION_NAME (Azure App Service)", "fr", "azure-francecentral")),
    ],
)  # fmt: skip
def test_impacts_say_where_the_location_came_from(
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    expected: tuple[str, str | None, str, str | None],
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    place = measured_impacts(3.6e6)["location"]
    got = (place["origin"], place["origin_detail"], place["grid_id"], place["region_id"])
    assert got == expected


def test_a_given_location_says_given() -> None:
    place = measured_impacts(1.0, location="fr")["location"]
    assert (place["grid_id"], place["origin"], place["origin_detail"]) == ("fr", "given", None)


def test_the_world_average_hint_is_printed_once(capsys: pytest.CaptureFixture[str]) -> None:
    measured_impacts(1.0)
    measured_impacts(2.0)
    err = capsys.readouterr().err
    assert err.count("hint: no location set") == 1
    assert "--location DE, WATTLENS_LOCATION=DE or `wattlens config set location DE`" in err


def test_no_hint_when_a_location_is_set(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    measured_impacts(1.0, location="de")
    monkeypatch.setenv("WATTLENS_LOCATION", "world")  # the world, chosen on purpose
    assert measured_impacts(1.0)["location"]["origin"] == "env"
    assert capsys.readouterr().err == ""


def test_a_detected_region_missing_from_the_catalog_falls_back_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_EXECUTION_ENV", "AWS_ECS_FARGATE")
    monkeypatch.setenv("AWS_REGION", "eu-south-2")
    place = measured_impacts(1.0)["location"]
    assert (place["grid_id"], place["origin"]) == ("world", "default")
    reason = (
        "detected cloud region 'aws-eu-south-2' "
        "(AWS_REGION (AWS_EXECUTION_ENV=AWS_ECS_FARGATE)) is not in the catalog"
    )
    assert place["origin_detail"] == reason
    assert f"hint: {reason}; no location set" in capsys.readouterr().err


def test_an_unknown_configured_location_names_where_it_was_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("WATTLENS_LOCATION", "Germny")
    with pytest.raises(
        UsageError, match="unknown location name 'Germny', set by WATTLENS_LOCATION"
    ) as exc:
        measured_impacts(1.0)
    assert exc.value.hint is not None
    assert "did you mean: de" in exc.value.hint
    monkeypatch.delenv("WATTLENS_LOCATION")
    (tmp_path / "wattlens.toml").write_text('location = "Germny"\n')
    with pytest.raises(UsageError, match=f"set by {tmp_path / 'wattlens.toml'}"):
        measured_impacts(1.0)


def test_estimate_json_carries_the_origin_and_validates(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATTLENS_LOCATION", "se")
    out = cli("estimate", "inference", "--params", "8B", "-a", "H100 SXM",
              "--output-tokens", "400", "--samples", "200", "--json")  # fmt: skip
    assert out.exit_code == 0, out.stderr
    data = out.json()
    place = data["impacts"]["location"]
    assert (place["grid_id"], place["origin"], place["origin_detail"]) == (
        "se",
        "env",
        "WATTLENS_LOCATION",
    )
    schema = json.loads(cli("schema", "inference-estimate").stdout)
    jsonschema.validate(data, schema)
    bad = {**data, "impacts": {**data["impacts"], "location": {**place, "origin": "guessed"}}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_config_location_shows_the_choice(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_EXECUTION_ENV", "AWS_Lambda_python3.12")
    monkeypatch.setenv("AWS_REGION", "ap-northeast-1")
    data = cli("config", "location", "--json").json()
    assert data["region_id"] == "aws-ap-northeast-1"
    assert data["grid_id"] == "jp"
    assert data["origin"] == "detected"
    text = cli("config", "location").stdout
    assert "Japan, cloud region aws-ap-northeast-1" in text
    assert "from detected (AWS_REGION (AWS_EXECUTION_ENV=AWS_Lambda_python3.12))" in text


def test_wattlens_run_hints_once_on_stderr_and_keeps_stdout_json(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "wattlens", "run", "--json", "--", sys.executable, "-c", "pass"],
        capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stderr.count("hint: no location set") == 1
    place = json.loads(out.stdout)["impacts"]["location"]
    assert (place["grid_id"], place["origin"]) == ("world", "default")


def test_human_outputs_say_where_the_location_came_from(
    cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from wattlens.report.views.common import impact_rows

    (tmp_path / "wattlens.toml").write_text('location = "fr"\n')
    out = cli("estimate", "inference", "--params", "8B", "-a", "H100 SXM",
              "--output-tokens", "400", "--samples", "200")  # fmt: skip
    assert out.exit_code == 0, out.stderr
    flat = " ".join(out.stdout.split())
    assert f"at France (from project file {tmp_path / 'wattlens.toml'})" in flat
    rows = dict(impact_rows(measured_impacts(1.0)))
    assert rows["location"].startswith("France (44.18 gCO2e/kWh) (from project file ")
    monkeypatch.chdir(tmp_path.parent)
    assert dict(impact_rows(measured_impacts(1.0)))["location"] == (
        "World (472.94 gCO2e/kWh) (default: no location set)"
    )
