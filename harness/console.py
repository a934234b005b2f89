"""What the commands show while they work (progress bars on stderr), apart from the loops that
do the work."""

from __future__ import annotations

from typing import Any


def attempt_progress(label: str, enabled: bool) -> Any:
    """The progress bar both evaluation commands show on stderr (off when not a terminal)."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TimeRemainingColumn(),
                    console=Console(stderr=True), disable=not enabled)
