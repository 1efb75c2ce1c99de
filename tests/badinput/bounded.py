"""Run the CLI in a child process under memory and CPU limits, and check its error.

A bad input must end in a clean error: under ``RLIMIT_AS`` a runaway allocation
fails with a traceback (which the checks catch) instead of taking the machine,
and under ``RLIMIT_CPU`` a hang is killed instead of stalling the suite.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Sequence

#: Address space for one CLI call: the interpreter, numpy and pydantic need ~400 MiB.
MEMORY_BYTES = 1024 * 1024 * 1024
#: CPU seconds for one CLI call: a normal bad-input call takes one or two.
CPU_SECONDS = 30


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def run_cli(
    args: Sequence[str], *, stdin: bytes | None = None, cwd: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m wattlens ARGS`` under the limits (and a wall-clock timeout)."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "-m", "wattlens", *args],
        input=stdin,
        capture_output=True,
        timeout=3 * CPU_SECONDS,
        preexec_fn=_limit,
        env=env,
        cwd=cwd,
        check=False,
    )
    return subprocess.CompletedProcess(
        out.args,
        out.returncode,
        out.stdout.decode("utf-8", "replace"),
        out.stderr.decode("utf-8", "replace"),
    )


def assert_clean_error(out: subprocess.CompletedProcess[str], *names: str, code: int = 2) -> str:
    """Exit ``code``, one ``error:`` line naming every one of ``names``, a ``hint:``, no traceback.

    Returns:
        The error line.
    """
    assert "Traceback" not in out.stderr, out.stderr[-2000:]
    assert out.returncode == code, (out.returncode, out.stderr[-2000:])
    lines = out.stderr.splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, out.stderr[-2000:]
    for name in names:
        assert name in errors[0], (name, errors[0])
    assert any(line.startswith("hint: ") and len(line) > 7 for line in lines), out.stderr
    return errors[0]
