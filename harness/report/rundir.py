"""Reading a run directory back: manifest, rows by kind, task family.

Every report command starts here. A run directory holds `manifest.json` (with `task_family`) and
`results_attempts.jsonl` (see `harness.run.store`); ARC runs also hold `summary.json` and
`tasks/*.json`. A killed run may lack its best/summary rows: they are recomputed from the attempt
rows (best by validation accuracy, ties to the earlier attempt), never by test accuracy.

A run directory read here may come from anyone: every file goes through `harness.safe_io` (no
symlink followed, no FIFO opened, sizes capped, JSON depth capped) and every document through
`harness.run.schema` (a field of the wrong type is one error line naming the file).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import UserError
from harness.run import schema as run_schema
from harness.run import selection
from harness.run.store import JSONL_NAME, MANIFEST_NAME, latest_attempts, read_jsonl_rows
from harness.safe_io import list_files, read_json
from harness.untrusted_text import printable

FAMILIES = ("erm", "arc")


@dataclass
class RunData:
    """One run directory, read once."""

    dir: Path
    manifest: dict[str, Any]
    family: str
    attempts: list[dict[str, Any]]
    best: list[dict[str, Any]]
    summary: list[dict[str, Any]]
    arc_summary: dict[str, Any] | None = None
    arc_tasks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def run_id(self) -> str:
        return str(self.manifest.get("run_id") or self.dir.name)

    @property
    def config(self) -> dict[str, Any]:
        return dict(self.manifest.get("config") or {})


def _read_json(path: Path, root: Path) -> dict[str, Any] | None:
    """A JSON object of the run directory, None when the file does not exist."""
    try:
        return read_json(path, root=root)
    except FileNotFoundError:
        return None


def load_run(path: str | Path) -> RunData:
    """Read a run directory, or fail with one clear line."""
    run_dir = Path(path)
    if not run_dir.is_dir():
        raise UserError(f"{printable(run_dir)} is not a directory")
    manifest = _read_json(run_dir / MANIFEST_NAME, run_dir)
    arc_summary = _read_json(run_dir / "summary.json", run_dir)
    if arc_summary is not None:
        run_schema.check(arc_summary, run_schema.ARC_SUMMARY, str(run_dir / "summary.json"))
    if manifest is None:
        if arc_summary is not None and list_files(run_dir / "tasks", ".json", root=run_dir):
            manifest = {"run_id": arc_summary.get("run_id") or run_dir.name,
                        "task_family": "arc"}
        else:
            raise UserError(f"{printable(run_dir)} is not a run directory (no {MANIFEST_NAME})")
    run_schema.check_manifest(manifest, str(run_dir / MANIFEST_NAME))
    family = str(manifest.get("task_family") or "erm")
    if family not in FAMILIES:
        raise UserError(f"{printable(run_dir)}: unknown task family {printable(family)!r}")
    # read-only: never create folders in a source run
    rows = read_jsonl_rows(run_dir / JSONL_NAME, root=run_dir)
    run_schema.check_rows(rows, str(run_dir / JSONL_NAME))
    attempts = latest_attempts(rows)
    best = [r for r in rows if r.get("row_type") == "best"]
    summary = [r for r in rows if r.get("row_type") == "summary"]
    if attempts and not best:
        best = selection.best_rows(attempts)
    if attempts and not summary:
        summary = selection.summary_rows(best, attempts, task_order(attempts))
    data = RunData(run_dir, manifest, family, attempts, best, summary)
    if family == "arc":
        data.arc_summary = arc_summary if isinstance(arc_summary, dict) else None
        data.arc_tasks = _arc_tasks(run_dir)
    return data


def _arc_tasks(run_dir: Path) -> list[dict[str, Any]]:
    """The per-task logs in ``tasks/`` (a linked ``tasks/`` or log is refused, not followed)."""
    out = []
    for path in list_files(run_dir / "tasks", ".json", root=run_dir):
        data = read_json(path, root=run_dir)
        run_schema.check_task_log(data, str(path))
        data.setdefault("task_id", path.stem)
        out.append(data)
    return out


# ---------------------------------------------------------------------- recomputation
def task_order(rows: list[dict[str, Any]]) -> list[str]:
    """Task ids sorted by (fn, length) when rows carry them, else in order of appearance."""
    first: dict[str, tuple[Any, ...]] = {}
    for i, r in enumerate(rows):
        tid = str(r.get("task_id"))
        if tid not in first:
            try:
                first[tid] = (str(r.get("fn") or ""), int(r.get("length") or 0), i)
            except (TypeError, ValueError):
                first[tid] = (str(r.get("fn") or ""), 0, i)
    return sorted(first, key=lambda t: first[t])


