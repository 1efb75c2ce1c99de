"""Launcher variables that cannot be used, under ``wattlens run``: never a traceback.

Left to itself, ``wattlens run`` says what is wrong with the variables (a warning
naming the variable, a hint) and measures the command alone, as a plain run, so a
job is not lost to a launcher's quirk; with ``--distributed`` asked for, the same
variables are an error (exit 2). Every call is a real ``python -m wattlens`` under
the memory and CPU limits of :mod:`tests.badinput.bounded`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.badinput.bounded import _limit, assert_clean_error

_LAUNCHER_PREFIXES = ("WATTLENS_", "SLURM_", "OMPI_", "PMIX_", "TORCHELASTIC_")
_TORCH = {"RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "GROUP_RANK", "CROSS_RANK"}


def run(args: list[str], **variables: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(_LAUNCHER_PREFIXES) and k not in _TORCH
    }
    env.update(WATTLENS_LOCATION="DE", WATTLENS_DB=os.environ["WATTLENS_DB"], **variables)
    return subprocess.run(
        [sys.executable, "-m", "wattlens", "run", *args],
        capture_output=True,
        text=True,
        timeout=90,
        preexec_fn=_limit,
        env=env,
        check=False,
    )


BAD_ENVIRONMENTS = [
    pytest.param(
        {"SLURM_JOB_ID": "9", "SLURM_PROCID": "abc", "SLURM_NTASKS": "4"},
        "SLURM_PROCID='abc' is not a whole number",
        id="slurm-procid-abc",
    ),
    pytest.param(
        {"RANK": "0", "LOCAL_RANK": "-1", "WORLD_SIZE": "2"},
        "LOCAL_RANK=-1 is negative",
        id="local-rank-negative",
    ),
    pytest.param(
        {"RANK": "3", "WORLD_SIZE": "2", "LOCAL_RANK": "1"},
        "RANK=3 is not below WORLD_SIZE=2",
        id="rank-outside-world",
    ),
    pytest.param(
        {"OMPI_COMM_WORLD_RANK": "1.5", "OMPI_COMM_WORLD_SIZE": "2"},
        "OMPI_COMM_WORLD_RANK='1.5' is not a whole number",
        id="mpi-rank-fraction",
    ),
    pytest.param(
        {"SLURM_PROCID": "0", "SLURM_NTASKS": "many"},
        "SLURM_NTASKS='many' is not a whole number",
        id="slurm-ntasks-word",
    ),
]


@pytest.mark.parametrize(("variables", "message"), BAD_ENVIRONMENTS)
def test_unusable_launcher_variables_warn_and_run_alone(
    variables: dict[str, str], message: str
) -> None:
    out = run(["--json", "--no-store", "--", sys.executable, "-c", "pass"], **variables)
    assert "Traceback" not in out.stderr, out.stderr[-2000:]
    assert out.returncode == 0, out.stderr[-2000:]
    text = " ".join(out.stderr.split())
    assert f"warning: the launcher's variables are not usable: {message}" in text
    assert "measured alone, as a plain run" in text
    assert "hint: " in out.stderr
    data = json.loads(out.stdout)
    assert "distributed" not in data  # a plain run: the machine's sensors, no rank record
    assert "distributed" not in data["host"]
    assert any(message in w for w in data["warnings"])


@pytest.mark.parametrize(("variables", "message"), BAD_ENVIRONMENTS[:3])
def test_unusable_launcher_variables_with_distributed_asked_for_are_an_error(
    variables: dict[str, str], message: str
) -> None:
    out = run(["--distributed", "--no-store", "--", sys.executable, "-c", "pass"], **variables)
    assert message in assert_clean_error(out)


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["--run-id", "job 1/../x"], ["--run-id", "job 1/../x", "not a usable run id"]),
        (["--run-id", ""], ["--run-id", "not a usable run id"]),
        (["--run-id", "job-1", "--no-distributed"], ["--run-id", "--no-distributed"]),
    ],
    ids=["run-id-path", "run-id-empty", "run-id-without-distributed"],
)
def test_bad_run_id_is_an_error_before_the_command_runs(
    args: list[str], names: list[str], tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    out = run([*args, "--no-store", "--", "touch", str(marker)])
    assert_clean_error(out, *names)
    assert not marker.exists()


def test_devices_this_rank_cannot_see_are_named(tmp_path: Path) -> None:
    out = run(
        ["--no-store", "--", sys.executable, "-c", "pass"],
        SLURM_JOB_ID="9",
        SLURM_PROCID="1",
        SLURM_NTASKS="2",
        SLURM_LOCALID="1",
        WATTLENS_DEVICES="gpu:9",
        WATTLENS_LOCK_DIR=str(tmp_path),
    )
    assert_clean_error(out, "WATTLENS_DEVICES names gpu:9")


def test_an_unwritable_lock_directory_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir"
    out = run(
        ["--no-store", "--", sys.executable, "-c", "pass"],
        SLURM_JOB_ID="9",
        SLURM_PROCID="1",
        SLURM_NTASKS="2",  # no SLURM_LOCALID: the node lock decides
        WATTLENS_LOCK_DIR=str(missing),
    )
    assert_clean_error(out, "cannot take the node lock", str(missing))
