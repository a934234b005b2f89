"""How a run ended, as the manifest's ``status`` and the process's exit code say it.

A run that stopped early or whose every attempt failed at the API must not look like a finished
evaluation to a script (exit 0, ``complete``): its numbers would be zeros that mean "no answer",
not "wrong answer". Every status but ``complete`` can be resumed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: ``running`` until the loop ends; ``complete``; ``interrupted`` (a signal or --max-cost stopped
#: scheduling: rows so far are kept); ``failed`` (too many attempts failed at the API).
STATUSES = ("running", "complete", "interrupted", "failed")
EXIT_API_FAILED = 1
EXIT_MAX_COST = 3  # stopped by --max-cost: not an error, but not a finished run either


@dataclass(frozen=True)
class Ending:
    """What the CLI prints (one line) and the exit code, for a run that did not complete."""

    status: str
    exit_code: int
    message: str


def resume_command(family: str, run_dir: Path) -> str:
    return f"harness eval {family} --resume {run_dir}"


def api_failure(rows: Sequence[dict[str, Any]], max_rate: float) -> str | None:
    """Why the run failed at the API, or None: all attempts failed, or more than ``max_rate``
    of them (a share, 0-1) did. The reason names the first error (its text is the server's)."""
    failed = [r for r in rows if r.get("api_error")]
    if not rows or not failed:
        return None
    if len(failed) < len(rows) and len(failed) / len(rows) <= max_rate:
        return None
    first = str(failed[0].get("api_error"))
    detail = str(failed[0].get("api_error_detail") or failed[0].get("compile_error_detail") or "")
    said = f"{first}: {detail}" if detail else first
    share = (f"all {len(rows)} attempts" if len(failed) == len(rows)
             else f"{len(failed)} of {len(rows)} attempts")  # fmt: skip
    return f"{share} failed at the API (api_error: {said[:160]}); check --base-url / the key"
