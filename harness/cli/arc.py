"""`harness arc ...`: inspect ARC data (subsets and coloured task grids) from the terminal, and
(from `harness.cli.arc_export`) turn runs or tasks into training data.

Registered by `harness/cli/main.py` with `from harness.cli.arc import arc`. User mistakes (unknown
task id, subset or file) become one `Error: ...` line with exit code 2, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from harness.cli.arc_common import data_dir_option, dataset_option, user_errors
from harness.cli.arc_export import export_tasks_cmd, export_training_cmd
from harness.families.arc.data import find_task
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
    """ARC-AGI data: list subsets, show tasks, export training data."""


@arc.command("subsets")
@dataset_option
@data_dir_option
@user_errors
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
@dataset_option
@data_dir_option
@user_errors
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
@dataset_option
@data_dir_option
@user_errors
def resolve_cmd(subset: str, dataset: str, data_dir: Path | None) -> None:
    """Print the task ids of a subset (name or file), one per line."""
    for task in resolve_subset(dataset, subset, data_dir):
        click.echo(printable(task.task_id))


arc.add_command(export_training_cmd)
arc.add_command(export_tasks_cmd)
