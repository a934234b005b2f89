"""What ``eval erm`` / ``eval arc`` print: everything (default), ``--quiet`` (only errors and the
run directory line) or ``--json`` (one JSON summary on stdout, for scripts and CI).

A module of its own so the two commands share the options and the summary's shape, and the
engine stays unaware: it prints through the rich Console it is handed, a silent one here.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click
import orjson
from rich.console import Console

from harness.run.store import MANIFEST_NAME

Decorator = Callable[[Any], Any]
# The per-task columns of an erm summary row that a script wants (the rest is in the CSV).
ERM_KEYS = ("task_id", "fn", "length", "n_trials", "n_attempts", "val_acc_mean", "val_acc_std",
            "test_acc_mean", "test_acc_std", "stopped_early", "transductive_attempts",
            "outcomes", "estimated_cost")  # fmt: skip


@dataclass(frozen=True)
class Output:
    """How much a run command prints; ``console`` is what the engine prints its summary on."""

    quiet: bool
    json: bool

    @property
    def silent(self) -> bool:
        return self.quiet or self.json

    def console(self) -> Console:
        """Silent: a console writing nowhere (not merely ``quiet=True``: a family's summary may
        open a wider Console on the same file)."""
        return Console(file=_Nowhere()) if self.silent else Console()


class _Nowhere(io.TextIOBase):
    def write(self, text: str) -> int:
        return len(text)


def output_options(func: Any) -> Any:
    """``--quiet`` and ``--json``; the command receives them as one ``output`` argument."""
    func = click.option("--json", "as_json", is_flag=True, default=False,
                        help="Print one JSON summary on stdout at the end (run directory, "
                             "status, counts, scores) and nothing else: implies --quiet "
                             "and --no-progress.")(func)  # fmt: skip
    return click.option("-q", "--quiet", is_flag=True, default=False,
                        help="No progress bar, no tables: only errors and the final "
                             "'run directory:' line.")(func)  # fmt: skip


def summary(run: Any) -> dict[str, Any]:
    """The JSON summary of a finished run (``engine.Finished``): the manifest's status and
    counts, and the family's scores (erm: one entry per grid point; arc: its metrics)."""
    manifest = orjson.loads((run.run_dir / MANIFEST_NAME).read_bytes())
    out: dict[str, Any] = {
        "run_dir": str(run.run_dir), "run_id": manifest.get("run_id"),
        "task_family": manifest.get("task_family"), "status": manifest.get("status"),
        "counts": manifest.get("row_counts", {}), "elapsed_s": manifest.get("elapsed_s"),
    }  # fmt: skip
    outcome = run.outcome
    if hasattr(outcome, "summary_rows"):  # erm: RunResult
        out["scores"] = [{k: row.get(k) for k in ERM_KEYS} for row in outcome.summary_rows]
    elif hasattr(outcome, "summary"):  # arc: ArcRunResult
        out["scores"] = {"metrics": outcome.summary.get("metrics"),
                         "aggregate": outcome.summary.get("aggregate")}  # fmt: skip
    return out


def print_summary(run: Any) -> None:
    click.echo(orjson.dumps(summary(run), option=orjson.OPT_NON_STR_KEYS).decode())
