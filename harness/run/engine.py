"""The one run: run directory, manifest, model session, sandbox pool, attempt loop, artifacts.

Every task family runs through ``run``; a ``Family`` object says only what differs (its tasks,
the runner's selection rule, its manifest keys, the files it writes at the end, its console
summary). A third family is a new ``Family``, not an edit of this file.

Order matters for what survives a crash: the manifest says "running" before the first model
call, rows are durable as each attempt ends (the store), and the family's end-of-run files and
the "complete" manifest are written only after the loop has returned. A run stopped early (a
signal, --max-cost) writes no end-of-run files: its manifest says "interrupted" and --resume
finishes it (``harness.run.interrupts``, ``harness.run.run_status``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import click
from rich.console import Console

from harness.run.config import RunConfig
from harness.run.console import progress_bar
from harness.run.interrupts import Interrupts, RunInterrupted, exit_code
from harness.run.lock import RunLock
from harness.run.manifest import Manifest, base_manifest
from harness.run.run_status import (
    EXIT_API_FAILED,
    EXIT_MAX_COST,
    Ending,
    api_failure,
    resume_command,
)
from harness.run.runner import AttemptTask, Runner, RunnerOptions, RunResult, TrialDoneFn
from harness.run.session import ModelSession
from harness.run.store import RunStore
from harness.untrusted_text import printable, redact_url

LogFn = Callable[..., None]


class Family(Protocol):
    """What a task family adds to the one run (see the module docstring)."""

    name: str  # "erm", "arc": the manifest's task_family and the console's "eval <name>"

    def load_tasks(self, config: RunConfig, log: LogFn | None, verify: bool) -> list[AttemptTask]:
        """The run's tasks; ``verify`` (a resume): check cached data against its seed first."""
        ...

    def runner_options(self, config: RunConfig) -> RunnerOptions: ...

    def outcome(self, row: dict[str, Any]) -> str: ...  # one word per attempt row

    def plan_note(self, config: RunConfig) -> str: ...  # "x5 attempts, 1 trials" (--dry-run)

    def invocation_fields(self) -> dict[str, Any]: ...  # extra keys of the "invocation" event

    def manifest_fields(self, tasks: Sequence[AttemptTask],
                        result: RunResult | None) -> dict[str, Any]: ...  # fmt: skip

    def start(self, store: RunStore, config: RunConfig, tasks: Sequence[AttemptTask],
              console: Console) -> TrialDoneFn | None:  # fmt: skip
        """Before the loop: folders, per-trial callbacks (called as each trial ends)."""
        ...

    def finish(self, store: RunStore, config: RunConfig, tasks: Sequence[AttemptTask],
               result: RunResult) -> Any:  # fmt: skip
        """After the loop: the family's files (rows, CSV, summaries); returns its result."""
        ...

    def summarize(self, console: Console, config: RunConfig, outcome: Any) -> None:
        """The console summary of ``finish``'s result."""
        ...


def endpoint(config: RunConfig) -> str:
    return "/responses" if config.api_mode == "responses" else "/chat/completions"


def dry_run(config: RunConfig, family: Family) -> None:
    """Print the exact request body of every task (no key, no sandbox, nothing written)."""
    from harness.run.estimate import CostEstimate

    session = ModelSession(config, require_key=False)
    estimate = CostEstimate(session.rates(), config.model)
    for task in family.load_tasks(config, None, False):
        body = session.client.request_body(session.request(task))
        estimate.add(task, session.template.max_output_tokens)
        click.echo(printable(f"# {task.task_id}  POST {endpoint(config)}  "
                             f"({family.plan_note(config)}; header X-Harness-Task: "
                             f"{task.task_id})"))  # fmt: skip
        click.echo(printable(json.dumps(body, indent=2, ensure_ascii=False), keep_newlines=True))
    options = family.runner_options(config)
    # stderr: stdout stays the request bodies alone, for tools that read them
    click.echo(estimate.line(options.attempts * options.num_trials), err=True)


@dataclass
class Finished:
    """A run that ended: its directory and what its family's ``finish`` returned."""

    run_dir: Path
    outcome: Any
    ending: Ending | None = None  # None: complete
    saved: int = 0  # attempt rows in the run directory
    show_progress: bool = False  # progress lines go to stderr (a terminal, not --no-progress)


def run(config: RunConfig, family: Family, *, store: RunStore | None = None,
        argv: list[str] | None = None, console: Console | None = None,
        retry_errors: bool = False) -> Finished:  # fmt: skip
    """The whole run (``store`` given: a resume of that run directory; ``retry_errors``: its
    attempts that ended in an API error are made again). One writer per run directory: its
    lock is held throughout (a second ``--resume`` of a live run is refused).

    The tasks are loaded and the model client made before a new run directory is, so a user
    mistake (a missing data file, an empty subset, no API key) leaves no empty run directory
    behind; the loading's log events are written once the directory exists."""
    console = console or Console()
    resumed = store is not None
    events: list[tuple[str, dict[str, Any]]] = []
    with Interrupts() as interrupts:
        tasks = family.load_tasks(config, lambda event, **fields: events.append((event, fields)),
                                  resumed)  # fmt: skip
        with ModelSession(config) as session:
            store = store or RunStore.create(config.out_dir, config.run_id)
            with RunLock(store.dir, notice=console.out):  # console.out: no markup applied
                return _run_locked(config, family, tasks, events, session, store, resumed,
                                   argv, console, interrupts, retry_errors)  # fmt: skip


def _run_locked(config: RunConfig, family: Family, tasks: list[AttemptTask],
                events: list[tuple[str, dict[str, Any]]], session: ModelSession,
                store: RunStore, resumed: bool, argv: list[str] | None,
                console: Console, interrupts: Interrupts,
                retry_errors: bool = False) -> Finished:  # fmt: skip
    from harness.run.resume_trust import redact_argv
    from harness.sandbox.backend import make_backend

    started = time.time()
    previous = store.read_manifest() if resumed else None
    if resumed:
        store.compact(drop_errors=retry_errors)
    argv = redact_argv(argv or [])
    store.log("invocation", argv=argv, resumed=resumed, config=config.to_dict(),
              **family.invocation_fields())  # fmt: skip
    for event, fields in events:
        store.log(event, **fields)
    on_trial_done = family.start(store, config, tasks, console)

    def manifest(status: str, result: RunResult | None) -> Manifest:
        out = base_manifest(config, family.name, status, argv, pool_info, started, previous)
        out.update(family.manifest_fields(tasks, result))  # type: ignore[typeddict-item]
        if result is not None:
            out["elapsed_s"] = round(result.elapsed_s, 2)
        return out

    if session.key_note:
        console.print(session.key_note, highlight=False, markup=False)
    show = config.progress and sys.stderr.isatty()
    pool_info: Any = None  # until the pool has started: a run directory always has a manifest
    store.write_manifest(manifest("running", None))
    status_line(show, f"starting {config.workers} sandbox worker(s)...")
    try:
        with make_backend(config.backend, workers=config.workers, limits=config.limits(),
                          **config.sandbox_options(),
                          warn=lambda m: console.print(f"[yellow]WARNING: {m}")) as pool:
            pool_info = pool.describe()
            store.write_manifest(manifest("running", None))
            with progress_bar(f"eval {family.name}", show, attempts=True) as progress:
                options = dataclasses.replace(family.runner_options(config),
                                              max_cost=config.max_cost,
                                              retry_errors=retry_errors)  # fmt: skip
                runner = Runner(client=session.client, pool=pool, store=store,
                                make_request=session.request, limits=config.limits(),
                                options=options, row_base=_row_base(config, session, options),
                                cost=session.cost, outcome=family.outcome, progress=progress,
                                on_trial_done=on_trial_done)  # fmt: skip
                result = asyncio.run(_loop(runner, tasks, session, pool, interrupts))
    except RunInterrupted as stop:  # while the pool started: resumable, nothing was asked yet
        store.write_manifest(manifest("interrupted", None))
        store.log("interrupted", reason="signal", signal=signal_name(stop.signum), attempts=0)
        raise
    session.stop_server()
    if result.stop_reason is not None:
        return _stopped(config, family, store, result, interrupts, manifest(
            "interrupted", result))  # fmt: skip
    outcome = family.finish(store, config, tasks, result)
    failure = api_failure(result.attempt_rows, config.max_api_error_rate)
    store.write_manifest(manifest("failed" if failure else "complete", result))
    store.log("run_done", attempts=len(result.attempt_rows), new=result.new_attempts,
              elapsed_s=round(result.elapsed_s, 2))  # fmt: skip
    family.summarize(console, config, outcome)
    if result.harness_errors:
        console.print(f"[red]{result.harness_errors} attempt(s) hit a harness error "
                      "(see runner.log)")  # fmt: skip
    ending = None
    if failure:
        store.log("run_failed", reason=failure)
        ending = Ending("failed", EXIT_API_FAILED, f"{failure} (the run can be resumed: "
                        f"{resume_command(family.name, store.dir)})")  # fmt: skip
    return Finished(store.dir, outcome, ending, len(result.attempt_rows), show)


def status_line(show: bool, text: str) -> None:
    """A line on stderr saying what a slow step is doing (only where the progress bar shows)."""
    if show:
        click.echo(text, err=True)


def _stopped(config: RunConfig, family: Family, store: RunStore, result: RunResult,
             interrupts: Interrupts, manifest: Manifest) -> Finished:  # fmt: skip
    """A run that stopped scheduling (a signal or --max-cost): rows kept, no end-of-run files,
    the manifest says "interrupted"; the line the CLI prints says how to finish it."""
    store.write_manifest(manifest)
    saved = len(result.attempt_rows)
    signum = interrupts.signum
    why = (f"--max-cost {config.max_cost:g} USD reached (estimated ${result.spent:.4f})"
           if result.stop_reason == "max_cost" or signum is None
           else f"interrupted by {signal_name(signum)}")  # fmt: skip
    store.log("interrupted", reason=result.stop_reason, signal=signal_name(signum),
              attempts=saved, new=result.new_attempts, spent=round(result.spent, 6))
    code = EXIT_MAX_COST if signum is None else exit_code(signum)
    message = (f"{why}: {saved} attempt(s) saved; resume with: "
               f"{resume_command(family.name, store.dir)}")  # fmt: skip
    return Finished(store.dir, None, Ending("interrupted", code, message), saved)


def signal_name(signum: int | None) -> str | None:
    import signal

    return None if signum is None else signal.Signals(signum).name


async def _loop(runner: Runner, tasks: Sequence[AttemptTask], session: ModelSession,
                pool: Any, interrupts: Interrupts) -> RunResult:  # fmt: skip
    """The attempt loop; the async client is closed on the event loop that used it. A signal
    interrupts the runner on this loop; the pool is then closed at once (its containers
    removed, programs in flight with them), so no sandbox thread keeps the process waiting."""
    loop = asyncio.get_running_loop()
    interrupts.on_first(lambda: loop.call_soon_threadsafe(runner.interrupt))
    try:
        result = await runner.run(tasks)
    finally:
        interrupts.on_first(lambda: None)  # noted; the run is finishing anyway
        await session.client.aclose()
    if result.stop_reason == "interrupted":
        pool.close(drain_timeout_s=0.0)
    return result


def _row_base(config: RunConfig, session: ModelSession, options: RunnerOptions) -> dict[str, Any]:
    """The run's settings copied into every attempt row (``harness.run.rows.RunSettings``);
    the model settings as sent, i.e. fitted to the model (``harness.models.plan``)."""
    sent = session.template
    return {"run_id": config.run_id, "model": config.model, "api_mode": config.api_mode,
            "reasoning_effort": sent.reasoning_effort, "verbosity": sent.verbosity,
            "policy": config.policy, "max_output_tokens": sent.max_output_tokens,
            "tool_choice": config.tool_choice,
            "enable_code_interpreter": config.enable_code_interpreter,
            "api_base_url": redact_url(config.base_url), "num_trials": options.num_trials,
            **session.rates().row_fields()}  # fmt: skip
