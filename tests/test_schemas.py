"""Real ``--json`` output validates against the schemas ``wattlens schema`` prints."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from wattlens.schemas import DOCUMENTS


def _schema(cli: Any, name: str) -> dict[str, Any]:
    result = cli("schema", name)
    assert result.exit_code == 0, result.stderr
    schema: dict[str, Any] = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("training-estimate", ["training", "-a", "H100 SXM", "-n", "1024", "--params", "70B",
                               "--tokens", "2T", "--location", "fr"]),
        ("training-estimate", ["training", "-a", "A100 SXM 80GB", "--accelerator-hours", "1e6"]),
        ("inference-estimate", ["inference", "-m", "llama-3.1-70b", "-a", "H100 SXM",
                                "--output-tokens", "300..700", "--batch", "16..64"]),
        ("inference-estimate", ["inference", "--params", "8B", "-a", "H100 SXM",
                                "--output-tokens", "400", "--location", "world"]),
    ],
)  # fmt: skip
def test_estimate_json_validates(cli: Any, name: str, args: list[str]) -> None:
    out = cli("estimate", *args, "--samples", "500", "--json")
    assert out.exit_code == 0, out.stderr
    data = out.json()
    jsonschema.validate(data, _schema(cli, name))
    jsonschema.validate(data["impacts"], _schema(cli, "impacts"))


def test_run_json_validates(cli: Any) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "wattlens", "run", "--json", "--pue", "1.2", "--location", "de",
         "--", sys.executable, "-c", "pass"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    jsonschema.validate(data, _schema(cli, "measurement"))
    jsonschema.validate(data["impacts"], _schema(cli, "impacts"))


def test_a_field_the_schema_does_not_declare_is_caught(cli: Any) -> None:
    out = cli("estimate", "training", "-a", "H100 SXM", "--accelerator-hours", "1e6",
              "--samples", "500", "--json")  # fmt: skip
    data = out.json()
    data["energy_kwh"] = 1.0
    with pytest.raises(jsonschema.ValidationError, match="energy_kwh"):
        jsonschema.validate(data, _schema(cli, "training-estimate"))


def test_schema_lists_every_document_and_refuses_unknown_names(cli: Any) -> None:
    listed = cli("schema", "--list")
    assert listed.exit_code == 0
    assert all(name in listed.stdout for name in DOCUMENTS)
    bad = cli("schema", "estimate")
    assert bad.exit_code == 2
    assert "training-estimate" in bad.stderr


_SCENARIOS = sorted((Path(__file__).parents[1] / "examples" / "scenarios").glob("*.yaml"))
_WITH_LEVERS = [p for p in _SCENARIOS if "\nlevers:" in p.read_text(encoding="utf-8")]


def test_the_examples_are_found() -> None:
    # An empty glob would leave the parametrised tests below with nothing to check.
    assert len(_SCENARIOS) >= 5
    assert _WITH_LEVERS


@pytest.mark.parametrize("example", _SCENARIOS, ids=lambda p: p.stem)
def test_scenario_json_validates(cli: Any, example: Path) -> None:
    out = cli("scenario", "run", example, "--samples", "200", "--json")
    assert out.exit_code == 0, out.stderr
    data = out.json()
    assert data["equivalents"], "the CLI adds everyday comparisons"
    jsonschema.validate(data, _schema(cli, "scenario-result"))


@pytest.mark.parametrize("example", _WITH_LEVERS, ids=lambda p: p.stem)
def test_scenario_levers_json_validates(cli: Any, example: Path) -> None:
    out = cli("scenario", "levers", example, "--samples", "200", "--json")
    assert out.exit_code == 0, out.stderr
    jsonschema.validate(out.json(), _schema(cli, "scenario-levers"))


def _rejection(data: Any, schema: dict[str, Any]) -> str:
    """Every message of the errors, those of each branch of a union included."""
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(data))
    assert errors, "the document should not validate"
    messages: list[str] = []
    pending = errors
    while pending:
        error = pending.pop()
        messages.append(error.message)
        pending.extend(error.context)
    return "\n".join(messages)


@pytest.mark.parametrize(
    ("where", "field"),
    [
        (("daily",), "energy_kwh"),
        (("yearly", 0), "energy_kwh"),
        (("yearly", 0, "water_l", "total"), "p99"),
        (("total",), "water_m3"),
        (("requests", 0), "latency_s"),
        (("locations", 0), "renewables"),
        (("equivalents", 0), "note"),
    ],
)
def test_a_nested_field_the_scenario_schema_does_not_declare_is_caught(
    cli: Any, where: tuple[str | int, ...], field: str
) -> None:
    example = Path(__file__).parents[1] / "examples" / "scenarios" / "chatgpt-2023-article.yaml"
    out = cli("scenario", "run", example, "--samples", "200", "--json")
    data = out.json()
    schema = _schema(cli, "scenario-result")
    jsonschema.validate(data, schema)
    part: Any = data
    for key in where:
        part = part[key]
    part[field] = 1.0
    assert field in _rejection(data, schema)


def test_a_nested_field_the_levers_schema_does_not_declare_is_caught(cli: Any) -> None:
    out = cli("scenario", "levers", _WITH_LEVERS[0], "--samples", "200", "--json")
    data = out.json()
    schema = _schema(cli, "scenario-levers")
    data["steps"][0]["after"]["energy_kwh"] = 1.0
    assert "energy_kwh" in _rejection(data, schema)
