"""The run directory: rows written as they happen, a CSV, a manifest, per-trial logs, a JSON log.

Layout of `<out_dir>/<run_id>/`:
- `results_attempts.jsonl`: one row per attempt, appended, flushed and fsync'd as soon as the
  attempt ends (so a killed run loses at most the attempts in flight); at the end, best-per-trial
  and summary rows (`is_summary: true`, `row_type` "best" / "summary").
- `results_attempts.csv`: every row flattened to the columns given by the task family.
- `manifest.json`: written atomically at start and again at the end.
- `trials/<task>_trial<k>.jsonl`: the attempts of one trial (task id with "/" replaced by "_",
  e.g. `fn_a_L20_trial1.jsonl`).
- `runner.log`: JSON lines, one event each (dataset, attempt, early_stop, trial_done, ...).

Resume: `attempt_rows()` reads what is there (a torn last line is skipped), `compact()` drops
old best/summary rows so the final ones are recomputed over every attempt.
"""

from __future__ import annotations

import csv
import json
import os
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

JSONL_NAME = "results_attempts.jsonl"
CSV_NAME = "results_attempts.csv"
MANIFEST_NAME = "manifest.json"
LOG_NAME = "runner.log"
TRIALS_DIR = "trials"


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str, allow_nan=False)


def trial_log_name(task_id: str, trial: int) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in task_id)
    return f"{safe}_trial{trial}.jsonl"


def flatten(row: Mapping[str, Any], columns: Sequence[str]) -> dict[str, Any]:
    """A row as CSV cells: `errors_<kind>` from the `errors` dict, other dicts/lists as JSON,
    None as empty."""
    errors = row.get("errors") or {}
    out: dict[str, Any] = {}
    for col in columns:
        if col.startswith("errors_") and col not in row:
            value: Any = errors.get(col[len("errors_"):])
        else:
            value = row.get(col)
        if isinstance(value, dict | list):
            value = _dumps(value)
        out[col] = "" if value is None else value
    return out


class RunStore:
    """Owns one run directory. Safe to call from several threads (one lock per file kind)."""

    def __init__(self, run_dir: str | Path) -> None:
        self.dir = Path(run_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / TRIALS_DIR).mkdir(exist_ok=True)
        self.jsonl_path = self.dir / JSONL_NAME
        self.csv_path = self.dir / CSV_NAME
        self.manifest_path = self.dir / MANIFEST_NAME
        self.log_path = self.dir / LOG_NAME
        self._rows_lock = threading.Lock()
        self._log_lock = threading.Lock()

    @classmethod
    def create(cls, out_dir: str | Path, run_id: str, *, resume: bool = False) -> RunStore:
        run_dir = Path(out_dir) / run_id
        if not resume and run_dir.exists() and any(run_dir.iterdir()):
            from harness.errors import UserError

            raise UserError(f"run directory {run_dir} already exists: pick another --run-id "
                            f"or continue it with --resume {run_dir}")  # fmt: skip
        return cls(run_dir)

    # ------------------------------------------------------------------ writing
    @staticmethod
    def _append_durable(path: Path, lines: Iterable[str]) -> None:
        data = "".join(line + "\n" for line in lines)
        if not data:
            return
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())

    def append_attempt(self, row: Mapping[str, Any]) -> None:
        """One attempt row, durable before this returns; also to the trial's own log."""
        line = _dumps(row)
        with self._rows_lock:
            self._repair_tail()
            self._append_durable(self.jsonl_path, [line])
            trial_path = self.dir / TRIALS_DIR / trial_log_name(str(row["task_id"]),
                                                                int(row["trial"]))
            self._append_durable(trial_path, [line])

    def append_trial_event(self, task_id: str, trial: int, event: Mapping[str, Any]) -> None:
        with self._rows_lock:
            self._append_durable(self.dir / TRIALS_DIR / trial_log_name(task_id, trial),
                                 [_dumps(dict(event))])  # fmt: skip

    def append_rows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        with self._rows_lock:
            self._repair_tail()
            self._append_durable(self.jsonl_path, [_dumps(r) for r in rows])

    def _repair_tail(self) -> None:
        """A run killed mid-write may leave a torn last line: end it so new rows stay whole."""
        try:
            with open(self.jsonl_path, "rb+") as fh:
                fh.seek(0, os.SEEK_END)
                if fh.tell() == 0:
                    return
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":
                    fh.write(b"\n")
        except FileNotFoundError:
            return

    def log(self, event: str, **fields: Any) -> None:
        record = {"ts": round(time.time(), 3), "event": event, **fields}
        with self._log_lock:
            with open(self.log_path, "a", encoding="utf-8") as fh:
                fh.write(_dumps(record) + "\n")

    def write_json(self, path: Path, data: Any) -> None:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n",
                       encoding="utf-8")  # fmt: skip
        os.replace(tmp, path)

    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        self.write_json(self.manifest_path, dict(manifest))

    def read_manifest(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def write_csv(self, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
        tmp = self.csv_path.with_name(self.csv_path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(columns), extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                writer.writerow(flatten(row, columns))
        os.replace(tmp, self.csv_path)

    # ------------------------------------------------------------------ reading / resume
    def read_rows(self) -> list[dict[str, Any]]:
        """Every whole row in the JSONL (torn or corrupt lines are skipped)."""
        return read_jsonl_rows(self.jsonl_path)

    def attempt_rows(self) -> list[dict[str, Any]]:
        """Attempt rows only, one per (task, trial, attempt) (the last written wins)."""
        return latest_attempts(self.read_rows())

    def compact(self) -> list[dict[str, Any]]:
        """Rewrite the JSONL with its attempt rows only (atomically); return them."""
        with self._rows_lock:
            rows = self.attempt_rows()
            tmp = self.jsonl_path.with_name(self.jsonl_path.name + ".tmp")
            with open(tmp, "w", encoding="utf-8") as fh:
                for row in rows:
                    fh.write(_dumps(row) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.jsonl_path)
        return rows


def read_jsonl_rows(path: Path) -> list[dict[str, Any]]:
    """The object rows of a JSONL file; a torn last line of a killed run is skipped."""
    rows: list[dict[str, Any]] = []
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return rows
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


def latest_attempts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Attempt rows only, one per (task, trial, attempt): the last written wins (a resumed run
    may have rewritten one)."""
    by_key: dict[tuple[str, int, int], dict[str, Any]] = {}
    for row in rows:
        if row.get("is_summary") or row.get("row_type", "attempt") != "attempt":
            continue
        try:
            key = (str(row["task_id"]), int(row["trial"]), int(row["attempt"]))
        except (KeyError, TypeError, ValueError):
            continue
        by_key[key] = row
    return list(by_key.values())
