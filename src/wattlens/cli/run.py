"""``wattlens run``: the energy of a command, like ``time`` for joules."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer

from wattlens.cli._output import stderr
from wattlens.cli._safe_text import plain, safe

if TYPE_CHECKING:
    from wattlens.measurement import Measurement
    from wattlens.meter import Meter

_FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _warm_impacts(location: str | None, pue: float | None) -> None:
    """Resolve the impact factors while the child runs (cached after the first time)."""
    from wattlens.errors import WattlensError
    from wattlens.impacts import measured_impacts

    # Errors surface again later, on the main thread, with context.
    with contextlib.suppress(WattlensError, OSError):
        measured_impacts(0.0, location=location, pue=pue)


def _terminal_delivers_sigint() -> bool:
    """Whether wattlens is in the foreground of the terminal on stdin, stdout or stderr.

    Ctrl-C there reaches wattlens's whole process group; a command kept in
    that group gets it from the terminal (and can read the terminal).
    """
    for fd in (0, 1, 2):
        try:
            if os.isatty(fd) and os.tcgetpgrp(fd) == os.getpgrp():
                return True
        except OSError:
            continue
    return False


# The options of `wattlens run`, declared once here so that the signature reads as a list.
_Command = Annotated[
    list[str],
    typer.Argument(
        metavar="-- CMD [ARGS]...",
        help="The command to run and measure (put `--` before it).",
        show_default=False,
    ),
]
_Name = Annotated[
    str | None, typer.Option("--name", "-n", help="A name for the run (default: the command).")
]
_Location = Annotated[
    str | None,
    typer.Option(
        "--location",
        "-l",
        help="Country, grid zone or cloud region for the impacts (default: world average).",
    ),
]
_Pue = Annotated[
    float | None,
    typer.Option("--pue", min=1.0, help="Facility overhead (PUE >= 1) for the impacts."),
]


class ScopeOption(StrEnum):
    auto = "auto"
    workload = "workload"
    machine = "machine"


_Scope = Annotated[
    ScopeOption,
    typer.Option(
        "--scope",
        help="What the impacts are computed on: `workload` (the command's process tree's "
        "share), `machine`, or `auto`: the process tree when other processes used over 10 % "
        "of the machine's busy CPU time, else the machine. The machine's impacts are "
        "always reported beside them.",
        case_sensitive=False,
    ),
]
_Timeline = Annotated[
    bool, typer.Option("--timeline", help="Sample power in the background; store the timeline.")
]
_Interval = Annotated[
    float, typer.Option("--interval", min=0.01, help="Timeline sampling interval in seconds.")
]
_JsonOutput = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print the result as JSON on stdout after the command; the command's own "
        "stdout then goes to stderr, so that stdout holds the JSON alone.",
    ),
]
_Output = Annotated[
    Path | None, typer.Option("--output", "-o", help="Also write the JSON result to FILE.")
]
_Store = Annotated[
    bool, typer.Option("--store/--no-store", help="Record the run in the run store.")
]
_Distributed = Annotated[
    bool | None,
    typer.Option(
        "--distributed/--no-distributed",
        help="One process of a job started by srun, torchrun or mpirun: measure this "
        "rank's own devices, and the whole node in exactly one process per node. "
        "Default: on when the launcher's variables name more than one rank (or with "
        "--run-id).",
        show_default=False,
    ),
]
_RunId = Annotated[
    str | None,
    typer.Option(
        "--run-id",
        help="The run id every rank of the job shares (default: from the launcher: "
        "SLURM job and step, torchrun's run id, WATTLENS_RUN_ID). Implies --distributed.",
    ),
]


def run(
    command: _Command,
    name: _Name = None,
    location: _Location = None,
    pue: _Pue = None,
    scope: _Scope = ScopeOption.auto,
    timeline: _Timeline = False,
    interval: _Interval = 0.5,
    json_output: _JsonOutput = False,
    output: _Output = None,
    store: _Store = True,
    distributed: _Distributed = None,
    run_id: _RunId = None,
) -> None:
    """Run a command and report its energy, carbon, water and cost.

    The command keeps its stdin, stdout and stderr (with --json its stdout goes
    to stderr, so that `wattlens run --json -- CMD > run.json` holds only the
    JSON); wattlens prints its summary to stderr (or JSON with --json /
    --output) and exits with the command's exit code (128+N when a signal N
    killed it; 127 when the command was not found, 126 when it could not be
    executed; 2 before running anything when --output cannot be written).

    SIGINT, SIGTERM, SIGHUP and SIGQUIT are forwarded to the command and its
    children (its own process group, unless it runs in the foreground of a
    terminal, which signals the whole group itself); what was measured up to
    that point is recorded. On Linux the command gets SIGTERM if wattlens
    itself is killed.

    Each component says how it was measured: `counter` (hardware energy
    counter), `sampled` (integrated power samples) or `modeled` (utilisation
    model, with a range). The machine's energy and the share attributable to
    the command's process tree are both reported.

    The run is stored in the run store (SQLite in the user data directory, or
    WATTLENS_DB: any SQLAlchemy URL). WATTLENS_DB_TIMEOUT (seconds, default 30)
    bounds each wait for the store (a lock, a server's connection, a
    statement); a locked or briefly unreachable store is retried. If the run
    still cannot be stored, the result is printed, the error says why, and the
    run is kept in the spool (<user data dir>/wattlens/spool/) until the next
    wattlens command that opens the store saves it (or `wattlens runs import
    FILE`).

    JSON fields: run_id, name, command, exit_code, status, started_at, ended_at,
    duration_s, energy_j, energy_low_j, energy_high_j, attributed_energy_j,
    avg_power_w, peak_power_w, methods, components[] (id, kind, name, method,
    sensor, basis, energy_j, energy_low_j, energy_high_j, attributed_energy_j,
    avg_power_w, peak_power_w, catalog_ids), location, pue, scope (workload or
    machine), scope_reason, workload_cpu_share, scope_energy_j, impacts (co2e_g,
    water_l, cost, each low/central/high; for the scope), machine_impacts, host,
    warnings, timeline.

    Under a launcher (srun, torchrun, mpirun: more than one rank), each
    process measures its own devices (CUDA_VISIBLE_DEVICES, its local rank)
    and exactly one process per node, the node reader (local rank 0, else
    the holder of a node lock), also measures the whole node. Records are
    stored as <RUN_ID>.<host>.run.rank<N> and <RUN_ID>.<host>.run.node;
    `wattlens runs show RUN_ID` adds the job up per node and in total. The
    JSON then also has distributed: run_id, role (node_reader or rank),
    launcher, rank, world_size, local_rank, hostname, devices, node_record
    (the node record's id on the node reader), node_energy_j, note.
    Launcher variables that are not usable give a warning and a plain run.

    Example: wattlens run --name train -- python train.py --epochs 3
    """
    stdout_open = _preflight(command, output, store=store)
    cluster_env, notes = _cluster_environment(distributed, run_id)
    from wattlens.meter import Meter

    if location is not None:
        # Fail before the command runs, not after an hour of training.
        from wattlens.impacts import measured_impacts

        measured_impacts(0.0, location=location, pue=pue)

    label = name or " ".join(command)
    options: dict[str, Any] = {
        "timeline": timeline,
        "interval_s": interval,
        "location": location,
        "pue": pue,
        "scope": scope.value,
    }
    if cluster_env is not None:
        _run_distributed(
            command,
            label,
            cluster_env,
            options,
            store=store,
            output=output,
            json_output=json_output,
            stdout_open=stdout_open,
        )
        return
    meter = Meter(**options)
    result, exit_code = _measure(
        command,
        label,
        meter,
        location=location,
        pue=pue,
        stdout_to_stderr=json_output,
        notes=notes,
    )
    _report(
        result,
        exit_code,
        store=store,
        output=output,
        json_output=json_output,
        stdout_open=stdout_open,
    )


_RUN_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}"
# The variables that make a process a rank (wattlens.distributed.detect_rank reads them).
_RANK_VARIABLES = ("RANK", "OMPI_COMM_WORLD_RANK", "SLURM_PROCID")
_WINDOW = "run"
"""The window name of a distributed `wattlens run` in its records' ids."""


def _cluster_environment(
    distributed: bool | None, run_id: str | None
) -> tuple[dict[str, str] | None, list[str]]:
    """The environment to meter a rank with, or None for a plain run; and warnings.

    Launcher variables that are not usable (``SLURM_PROCID=abc``, ``LOCAL_RANK=-1``)
    are an error when ``--distributed`` was asked for, else a warning and a plain run.
    """
    if distributed is None and run_id is None and not any(map(os.environ.get, _RANK_VARIABLES)):
        return None, []  # no launcher: a plain run, without importing the cluster code
    import re

    from wattlens.distributed import ENV_RUN_ID, detect_rank
    from wattlens.errors import UsageError

    if run_id is not None:
        if distributed is False:
            raise UsageError(
                "--run-id names the run of a distributed job, and --no-distributed was given",
                hint="drop one of them",
            )
        if re.fullmatch(_RUN_ID_PATTERN, run_id) is None:
            raise UsageError(
                f"--run-id {plain(run_id)!r} is not a usable run id",
                hint="use up to 128 letters, digits, '_', '.', ':' or '-', starting with a "
                "letter or digit; the same value in every rank",
            )
    if distributed is False:
        return None, []
    env = dict(os.environ)
    if run_id is not None:
        env[ENV_RUN_ID] = run_id
    try:
        info = detect_rank(env)
    except UsageError as exc:
        if distributed:
            raise
        note = (
            f"the launcher's variables are not usable: {exc.message}; this process is "
            "measured alone, as a plain run (its node may be counted again by other ranks)"
        )
        stderr.print(f"[yellow]warning:[/yellow] {safe(note)}", highlight=False, soft_wrap=True)
        if exc.hint:
            stderr.print(f"[bold]hint:[/bold] {safe(exc.hint)}", highlight=False, soft_wrap=True)
        return None, [note]
    if distributed or run_id is not None or (info.launcher != "none" and info.world_size > 1):
        return env, []
    return None, []


def _run_distributed(
    command: list[str],
    label: str,
    env: dict[str, str],
    options: dict[str, Any],
    *,
    store: bool,
    output: Path | None,
    json_output: bool,
    stdout_open: bool,
) -> None:
    """Measure the command as one rank of a job; store its records; print its part."""
    from dataclasses import replace

    from wattlens.distributed import DistributedMeter

    meter = DistributedMeter(environ=env, **options)
    warm = threading.Thread(
        target=_warm_impacts, args=(options["location"], options["pue"]), daemon=True
    )
    try:
        meter.begin(_WINDOW)
        exit_code, status, warnings, started = _run_child(
            command, warm, meter, stdout_to_stderr=json_output
        )
        result = meter.end(
            _WINDOW, command=command, exit_code=exit_code, status=status, extra_warnings=warnings
        )
    finally:
        meter.close()
    if started:
        warm.join()
    if status == "not_started":
        stderr.print(
            f"[bold red]error:[/bold red] {safe(warnings[0])}", highlight=False, soft_wrap=True
        )
    node = replace(result.node, name=label) if result.node is not None else None
    tag = {
        **result.rank.host["distributed"],
        "node_record": node.run_id if node is not None else None,
    }
    rank = replace(result.rank, name=label, host={**result.rank.host, "distributed": tag})
    if store and node is not None:
        _save(node)
    part = _distributed_part(rank, node)
    _report(
        rank,
        exit_code,
        store=store,
        output=output,
        json_output=json_output,
        stdout_open=stdout_open,
        distributed=part,
    )


def _distributed_part(rank: Measurement, node: Measurement | None) -> dict[str, Any]:
    """The ``distributed`` JSON of a rank's `wattlens run`: its role, where the node is."""
    from wattlens.units import format_energy

    tag = rank.host["distributed"]
    run_id = tag.get("run_id")
    show = f"`wattlens runs show {run_id}` adds up the job per node and in total"
    devices = ", ".join(tag.get("devices") or ()) or "none"
    if node is not None:
        note = (
            f"this process was the node reader of {tag['hostname']}: the node's total "
            f"({format_energy(node.energy_j)}: every GPU, the CPU and memory) is in the node "
            f"record {node.run_id}, not in this rank's figures, which are its own devices "
            f"({devices})"
        )
    else:
        note = (
            f"this process measured rank {tag['rank']}'s own devices ({devices}); the node's "
            f"total (every GPU, the CPU and memory) is in the node record of {tag['hostname']}, "
            "written by its node reader (local rank 0, else the holder of the node lock)"
        )
    if run_id:
        note += f"; {show}"
    return {
        "run_id": run_id,
        "role": "node_reader" if node is not None else "rank",
        "launcher": tag["launcher"],
        "rank": tag["rank"],
        "world_size": tag["world_size"],
        "local_rank": tag["local_rank"],
        "hostname": tag["hostname"],
        "devices": list(tag.get("devices") or ()),
        "node_record": node.run_id if node is not None else None,
        "node_energy_j": node.energy_j if node is not None else None,
        "note": note,
    }


def _preflight(command: list[str], output: Path | None, *, store: bool) -> bool:
    """Every check that can fail before the command runs; whether stdout is open."""
    if not command:
        raise typer.BadParameter("give a command to run after `--`", param_hint="CMD")
    stdout_open = _reserve_standard_fds()
    _check_output(output)
    if store:
        from wattlens.store.config import db_timeout

        db_timeout()  # a bad WATTLENS_DB_TIMEOUT fails now, not after the command
    return stdout_open


def _measure(
    command: list[str],
    label: str,
    meter: Meter,
    *,
    location: str | None,
    pue: float | None,
    stdout_to_stderr: bool,
    notes: list[str] | None = None,
) -> tuple[Measurement, int]:
    """Run the command in a window of the meter; its measurement and exit code."""
    from wattlens.store.ids import new_run_id

    warm = threading.Thread(target=_warm_impacts, args=(location, pue), daemon=True)
    run_id = new_run_id()
    meter.begin(label)
    exit_code, status, warnings, started = _run_child(
        command, warm, meter, stdout_to_stderr=stdout_to_stderr
    )
    warnings = [*(notes or ()), *warnings]
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
            f"[bold red]error:[/bold red] {safe(warnings[0])}", highlight=False, soft_wrap=True
        )
    return result, exit_code


def _report(
    result: Measurement,
    exit_code: int,
    *,
    store: bool,
    output: Path | None,
    json_output: bool,
    stdout_open: bool,
    distributed: dict[str, Any] | None = None,
) -> None:
    """Save, write and print the result; exit with the command's exit code."""
    data = result.to_dict()
    if distributed is not None:
        data["distributed"] = distributed
    saved = _save(result) if store else None
    if output is not None:
        _write_json(output, data)
    if json_output:
        if not _print_json(data, stdout_open, saved):
            raise typer.Exit(exit_code or 1)
    else:
        from wattlens.cli._render import render_measurement

        render_measurement(result, stderr, saved_as=saved)
        if distributed is not None:
            role = "node reader" if distributed["role"] == "node_reader" else "rank"
            stderr.print(
                f"[bold]distributed[/bold] ({safe(distributed['launcher'])}, rank "
                f"{distributed['rank']} of {distributed['world_size']}, {role}): "
                f"{safe(distributed['note'])}",
                highlight=False,
                soft_wrap=True,
            )
    if exit_code != 0:
        raise typer.Exit(exit_code)


def _reserve_standard_fds() -> bool:
    """Put /dev/null on a closed fd 0, 1 or 2 so that no file opened later takes its number.

    Returns:
        Whether stdout was open (a closed one cannot take ``--json``).
    """
    stdout_open = True
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            stdout_open = stdout_open and fd != 1
            with contextlib.suppress(OSError):
                null = os.open(os.devnull, os.O_RDWR)
                if null != fd:
                    os.dup2(null, fd)
                    os.close(null)
    return stdout_open


def _check_output(path: Path | None) -> None:
    """Fail before the command runs when ``--output`` cannot be written."""
    from wattlens.errors import UsageError

    if path is None:
        return
    hint = "choose a writable --output path (its directory must exist)"
    if path.is_dir():
        raise UsageError(f"--output {plain(path)} is a directory", hint=hint)
    if path.exists() and not path.is_file():
        return  # a device or FIFO: written into at the end, never replaced
    directory = path.parent
    if not directory.is_dir():
        raise UsageError(
            f"cannot write --output {plain(path)}: the directory {plain(directory)} does not exist",
            hint=hint,
        )
    import tempfile

    # The result replaces the file through a new file in its directory: try one.
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=directory)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(
            f"cannot write --output {plain(path)}: {exc.strerror or exc}", hint=hint
        ) from exc


def _print_json(data: dict[str, Any], stdout_open: bool, saved: str | None) -> bool:
    """The result on stdout; False (with a message) when stdout is closed or gone."""
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    try:
        if not stdout_open or sys.stdout is None:
            raise OSError("stdout is closed")
        sys.stdout.write(text)
        sys.stdout.flush()
        return True
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
    # Nothing more may reach the broken stdout, not even the flush at exit.
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)
    stderr.print(
        f"[bold red]error:[/bold red] cannot print the JSON result: {safe(reason)}",
        highlight=False,
        soft_wrap=True,
    )
    hint = "keep stdout open, or write the result to a file with --output FILE"
    stderr.print(
        f"[bold]hint:[/bold] {hint}" + (f"; the run is {safe(saved)}" if saved else ""),
        highlight=False,
        soft_wrap=True,
    )
    return False


def _parent_death_signal() -> Callable[[], None] | None:
    """On Linux: a pre-exec step so that the command gets SIGTERM if wattlens is killed."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def set_parent_death_signal() -> None:
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # wattlens died before the signal was armed
            os.kill(os.getpid(), signal.SIGTERM)

    return set_parent_death_signal


def _run_child(
    command: list[str], warm: threading.Thread, meter: Any, *, stdout_to_stderr: bool = False
) -> tuple[int, Any, list[str], bool]:
    """Run the command with signals forwarded; return exit code, status, warnings, started.

    Outside a terminal's foreground the command leads a process group of its
    own and forwarded signals reach the whole group, so that its children do
    not outlive it. In a terminal's foreground it stays in wattlens's group:
    the terminal sends Ctrl-C to the whole group already (wattlens does not
    send it twice), and other forwarded signals go to its process tree.
    """
    warnings: list[str] = []
    received: list[int] = []
    own_group = not _terminal_delivers_sigint()
    child: subprocess.Popen[bytes] | None = None

    def deliver(signum: int) -> None:
        if child is None:
            return
        if own_group:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child.pid, signum)
        elif signum != signal.SIGINT:  # the terminal already sent Ctrl-C to the group
            for pid in sorted(_tree_pids(child.pid)):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signum)

    def forward(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        deliver(signum)

    # Handlers first: a signal while the command starts is forwarded, not a traceback.
    previous = {sig: signal.signal(sig, forward) for sig in _FORWARDED}
    try:
        try:
            child = subprocess.Popen(
                command,
                stdout=2 if stdout_to_stderr else None,
                preexec_fn=_parent_death_signal(),  # noqa: PLW1509 - only prctl and getppid
                process_group=0 if own_group else None,
            )
        except FileNotFoundError:
            return 127, "not_started", [f"command not found: {command[0]}"], False
        except PermissionError:
            return 126, "not_started", [f"command cannot be executed: {command[0]}"], False
        except OSError as exc:
            reason = f"command could not start: {command[0]}: {exc.strerror}"
            return 126, "not_started", [reason], False
        for signum in received:  # arrived while the command was starting
            deliver(signum)
        warm.start()
        started_child = child
        meter.track_pids(lambda: _tree_pids(started_child.pid))
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
    from wattlens.store import short_id
    from wattlens.store.errors import RunKeptError
    from wattlens.store.fast import save_or_keep

    try:
        save_or_keep(result)
    except StoreError as exc:
        stderr.print(
            f"[bold red]error:[/bold red] the run was not stored: {safe(exc.message)}",
            highlight=False,
            soft_wrap=True,
        )
        if exc.hint:
            stderr.print(f"[bold]hint:[/bold] {safe(exc.hint)}", highlight=False, soft_wrap=True)
        if isinstance(exc, RunKeptError):
            stderr.print(
                f"[bold]kept:[/bold] {safe(exc.spool_path)}; the next wattlens command that "
                "opens the store saves it (or: wattlens runs import FILE)",
                highlight=False,
                soft_wrap=True,
            )
        return None
    short = short_id(result.run_id)
    return f"stored as run {short} (wattlens runs show {short})"


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
            f"cannot write {plain(path)}: {exc.strerror}", hint="choose a writable --output path"
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
