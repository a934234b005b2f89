"""What the commands show while they work (progress bars on stderr), apart from the loops that
do the work."""

from __future__ import annotations

from typing import Any


def progress_bar(label: str, enabled: bool, *, rate: bool = False) -> Any:
    """The progress bar every long command shows on stderr (off when ``enabled`` is False, e.g.
    not a terminal). With ``rate``, a ``rate`` field of the task is shown (programs/s)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns: list[Any] = [TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn()]
    if rate:
        columns.append(TextColumn("{task.fields[rate]}"))
    columns += [TimeElapsedColumn(), TimeRemainingColumn()]
    return Progress(*columns, console=Console(stderr=True), disable=not enabled)
