"""What the commands show while they work (progress bars on stderr), apart from the loops that
do the work."""

from __future__ import annotations

from typing import Any

#: Attempts that must have run in this process before the bar shows a rate and an ETA: before
#: that, a rate is one model call's latency and the ETA a guess.
ETA_AFTER = 3


def progress_bar(label: str, enabled: bool, *, rate: bool = False, attempts: bool = False) -> Any:
    """The progress bar every long command shows on stderr (off when ``enabled`` is False, e.g.
    not a terminal). With ``rate``, a ``rate`` field of the task is shown (programs/s). With
    ``attempts`` (the attempt loop), its ``now`` field (the attempts in flight) and a rate and
    ETA from the attempts actually run here (``ran``), so attempts skipped by early stop or
    done before a resume never make the ETA look faster than the work is."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class AttemptRate(ProgressColumn):
        """attempts/min and an ETA, from the attempts run in this process only."""

        def render(self, task: Any) -> Text:
            ran = int(task.fields.get("ran") or 0)
            elapsed = task.elapsed or 0.0
            if ran < ETA_AFTER or elapsed <= 0:
                return Text("")
            per_s = ran / elapsed
            left = max(0.0, (task.total or 0) - task.completed) / per_s
            mins, secs = divmod(int(left), 60)
            hours, mins = divmod(mins, 60)
            return Text(f"{per_s * 60:.1f}/min  ETA {hours:d}:{mins:02d}:{secs:02d}",
                        style="progress.remaining")  # fmt: skip

    columns: list[Any] = [TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn()]
    if rate:
        columns.append(TextColumn("{task.fields[rate]}"))
    if attempts:
        columns += [TimeElapsedColumn(), AttemptRate(),
                    TextColumn("{task.fields[now]}", markup=False)]  # fmt: skip
    else:
        columns += [TimeElapsedColumn(), TimeRemainingColumn()]
    return Progress(*columns, console=Console(stderr=True), disable=not enabled)
