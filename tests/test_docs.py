"""The README documents the JSON fields the code emits (a contract for scripts)."""

from __future__ import annotations

import re
from pathlib import Path

from wattlens.meter import Meter
from wattlens.sensors.fake import FakeSensor

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _documented(field: str) -> bool:
    return re.search(rf"`{re.escape(field)}`|\b{re.escape(field)}\b", README) is not None


def test_every_run_json_field_is_documented() -> None:
    meter = Meter([FakeSensor({"gpu:0": 1.0})], timeline=False)
    meter.begin("w")
    data = meter.end("w").to_dict()
    meter.close()
    missing = [k for k in data if not _documented(k)]
    missing += [k for k in data["components"][0] if not _documented(k)]
    assert not missing, f"README does not document: {missing}"


def test_every_estimate_json_field_is_documented() -> None:
    from wattlens import estimate

    data = estimate.inference(model="llama-3.1-8b", output_tokens=10, accelerator="H100 SXM",
                              samples=200).to_dict()  # fmt: skip
    missing = [k for k in data if not _documented(k)]
    assert not missing, f"README does not document: {missing}"


def test_readme_quick_start_is_the_two_make_commands() -> None:
    quick = README.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^make \w+", quick, flags=re.MULTILINE)
    assert commands == ["make demo", "make test"]
