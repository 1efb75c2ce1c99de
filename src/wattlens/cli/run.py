"""``wattlens run``: the energy of a command, like ``time`` for joules."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer
from rich.markup import escape

from wattlens.cli._output import stderr

_FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


def _warm_impacts(location: str | None, pue: float | None) -> None:
    """Resolve the impact factors while the child runs (cached after the first time)."""
    from wattlens.errors import WattlensError
    from wattlens.impacts import measured_impacts

    # Errors surface again later, on the main thread, with context.
    with contextlib.suppress(WattlensError, OSError):
        measured_impacts(0.0, location=location, pue=pue)


def _terminal_delivers_sigint() -> bool:
    """Whether Ctrl-C from a terminal already reaches the child (same foreground group)."""
    try:
        return os.isatty(0) and os.tcgetpgrp(0) == os.getpgrp()
    except OSError:
        return False


def run(
    command: Annotated[
        list[str],
        typer.Argument(
            metavar="-- CMD [ARGS]...",
            help="The command to run and measure (put `--` before it).",
            show_default=False,
        ),
    ],
    name: Annotated[
        str | None, typer.Option("--name", "-n", help="A name for the run (default: the command).")
    ] = None,
    location: Annotated[
        str | None,
        typer.Option(
            "--location",
            "-l",
            help="Country, grid zone or cloud region for the impacts (default: world average).",
        ),
    ] = None,
    pue: Annotated[
        float | None,
        typer.Option("--pue", min=1.0, help="Facility overhead (PUE >= 1) for the impacts."),
    ] = None,
    timeline: Annotated[
        bool, typer.Option("--timeline", help="Sample power in the background; store the timeline.")
    ] = False,
    interval: Annotated[
        float, typer.Option("--interval", min=0.01, help="Timeline sampling interval in seconds.")
    ] = 0.5,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the result as JSON on stdout after the command.")
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Also write the JSON result to FILE.")
    ] = None,
    store: Annotated[
        bool, typer.Option("--store/--no-store", help="Record the run in the run store.")
    ] = True,
) -> None:
    """Run a command and report its energy, carbon, water and cost.

    The command keeps its stdin, stdout and stderr; wattlens prints its summary
    to stderr (or JSON with --json / --output) and exits with the command's exit
    code (128+N when a signal N killed it; 127 when the command was not found,
    126 when it could not be executed). SIGINT, SIGTERM, SIGHUP and SIGQUIT are
    forwarded to the command; what was measured up to that point is recorded.

    Each component says how it was measured: `counter` (hardware energy
    counter), `sampled` (integrated power samples) or `modeled` (utilisation
    model, with a range). The machine's energy and the share attributable to
    the command's process tree are both reported.

    The run is stored in the run store (SQLite in the user data directory, or
    WATTLENS_DB: any SQLAlchemy URL); if the store cannot be written, the result
    is still printed and the error says where it could not write.

    JSON fields: run_id, name, command, exit_code, status, started_at, ended_at,
    duration_s, energy_j, energy_low_j, energy_high_j, attributed_energy_j,
    avg_power_w, peak_power_w, methods, components[] (id, kind, name, method,
    sensor, basis, energy_j, energy_low_j, energy_high_j, attributed_energy_j,
    avg_power_w, peak_power_w, catalog_ids), location, pue, impacts (co2e_g,
    water_l, cost, each low/central/high), host, warnings, timeline.

    Example: wattlens run --name train -- python train.py --epochs 3
    """
    if not command:
        raise typer.BadParameter("give a command to run after `--`", param_hint="CMD")
    from wattlens.meter import Meter, new_run_id

    if location is not None:
        # Fail before the command runs, not after an hour of training.
        from wattlens.impacts import measured_impacts

        measured_impacts(0.0, location=location, pue=pue)

    warm = threading.Thread(target=_warm_impacts, args=(location, pue), daemon=True)
    meter = Meter(timeline=timeline, interval_s=interval, location=location, pue=pue)
    run_id = new_run_id()
    label = name or " ".join(command)
    meter.begin(label)
    exit_code, status, warnings, started = _run_child(command, warm, meter)
    try:
        result = meter.end(
            label,
            command=command,
            exit_code=exit_code,
            status=status,
            run_id=run_id,
            extra_warnings=warnings,
        )
    finally:
        meter.close()
    if started:
        warm.join()
    if status == "not_started":
        stderr.print(
            f"[bold red]error:[/bold red] {escape(warnings[0])}", highlight=False, soft_wrap=True
        )

    data = result.to_dict()
    saved = _save(result) if store else None
    if output is not None:
        _write_json(output, data)
    if json_output:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    else:
        from wattlens.cli._render import render_measurement

        render_measurement(result, stderr, saved_as=saved)
    if exit_code != 0:
        raise typer.Exit(exit_code)


def _run_child(
    command: list[str], warm: threading.Thread, meter: Any
) -> tuple[int, Any, list[str], bool]:
    """Run the command with signals forwarded; return exit code, status, warnings, started."""
    warnings: list[str] = []
    try:
        child = subprocess.Popen(command)
    except FileNotFoundError:
        return 127, "not_started", [f"command not found: {command[0]}"], False
    except PermissionError:
        return 126, "not_started", [f"command cannot be executed: {command[0]}"], False
    except OSError as exc:
        return 126, "not_started", [f"command could not start: {command[0]}: {exc.strerror}"], False

    warm.start()
    meter.track_pids(lambda: _tree_pids(child.pid))
    received: list[int] = []
    forward_sigint = not _terminal_delivers_sigint()

    def forward(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        # Ctrl-C in a terminal already reached the child (same process group).
        if signum != signal.SIGINT or forward_sigint:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in _FORWARDED}
    try:
        returncode = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if returncode < 0:
        exit_code, status = 128 - returncode, "killed"
        warnings.append(f"command killed by signal {signal.Signals(-returncode).name}")
    else:
        exit_code = returncode
        status = "completed" if returncode == 0 else "failed"
    if received:
        names = ", ".join(signal.Signals(s).name for s in received)
        warnings.append(f"wattlens received {names} and forwarded it to the command")
        if status == "completed":
            status = "interrupted"
    return exit_code, status, warnings, True


def _tree_pids(pid: int) -> set[int]:
    """The child and all its descendants now (for per-process GPU attribution)."""
    import psutil

    try:
        root = psutil.Process(pid)
        return {pid, *(c.pid for c in root.children(recursive=True))}
    except psutil.Error:
        return {pid}


def _save(result: Any) -> str | None:
    from wattlens.errors import StoreError
    from wattlens.store import save

    try:
        save(result)
    except StoreError as exc:
        stderr.print(
            f"[bold red]error:[/bold red] the run was not stored: {escape(exc.message)}",
            highlight=False,
            soft_wrap=True,
        )
        if exc.hint:
            stderr.print(f"[bold]hint:[/bold] {escape(exc.hint)}", highlight=False, soft_wrap=True)
        return None
    return f"stored as run {result.run_id[:12]} (wattlens runs show {result.run_id[:12]})"


def _write_json(path: Path, data: dict[str, Any]) -> None:
    from wattlens.errors import UsageError

    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    try:
        if path.exists() and not path.is_file():
            # A device or pipe (/dev/stdout, /dev/null, a FIFO): write into it, never replace it.
            with path.open("w", encoding="utf-8") as handle:
                handle.write(text)
            return
        # A regular file is replaced atomically: a reader never sees half a document.
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise UsageError(
            f"cannot write {path}: {exc.strerror}", hint="choose a writable --output path"
        ) from exc


def standalone_app() -> typer.Typer:
    """An application with only ``run``: what ``wattlens run …`` dispatches to."""
    app = typer.Typer(
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.command(
        "run",
        context_settings={"allow_interspersed_args": False, "ignore_unknown_options": True},
    )(run)
    return app
