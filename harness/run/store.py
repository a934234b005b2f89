"""The run directory: rows written as they happen, a CSV, a manifest, per-trial logs, a JSON log.

Layout of `<out_dir>/<run_id>/`:
- `results_attempts.jsonl`: one row per attempt, appended, flushed and fsync'd as soon as the
  attempt ends (so a killed run loses at most the attempts in flight); at the end, best-per-trial
  and summary rows (`is_summary: true`, `row_type` "best" / "summary").
- `results_attempts.csv`: every row flattened to the columns given by the task family.
- `manifest.json`: written atomically at start and again at the end.
- `trials/<task>_trial<k>.jsonl`: the attempts of one trial; `<task>` is the task id made a safe
  file name (`harness.untrusted_text.safe_file_name`: an id that had to be changed, such as
  `fn_a/L20`, gets a short hash so two ids never share a file: `fn_a_L20~1c2e..._trial1.jsonl`).
- `runner.log`: JSON lines, one event each (dataset, attempt, early_stop, trial_done, ...),
  each also echoed as one line to the ``harness.run`` logger (``--log-level``: stderr).

Resume: `attempt_rows()` reads what is there (a torn last line is skipped), `compact()` drops
old best/summary rows so the final ones are recomputed over every attempt.

Every file is opened through `harness.safe_io` with the run directory as root: a run directory
may come from someone else, so a planted symlink (`runner.log`, `trials/`, a `.tmp` name) is
never written or read through, and reads are size-capped.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import logging
import os
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.safe_io import (
    make_folder,
    open_append,
    open_update,
    read_json,
    read_jsonl,
    write_atomic,
)
from harness.untrusted_text import csv_cell, printable, safe_file_name

JSONL_NAME = "results_attempts.jsonl"
CSV_NAME = "results_attempts.csv"
MANIFEST_NAME = "manifest.json"
LOG_NAME = "runner.log"
TRIALS_DIR = "trials"

_LOG = logging.getLogger("harness.run")
#: The level a ``runner.log`` event is echoed at (``--log-level``); any other event: INFO.
EVENT_LEVELS = {"invocation": logging.DEBUG, "harness_error": logging.WARNING}
_ECHO_CHARS = 200


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str, allow_nan=False)


def trial_log_name(task_id: str, trial: int) -> str:
    """``trials/`` file of one trial: safe and distinct for every task id (``a<b`` and ``a>b``
    must not share a log)."""
    return f"{safe_file_name(task_id)}_trial{int(trial)}.jsonl"


def csv_text(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Rows as CSV text, every cell neutralised for spreadsheets (``csv_cell``)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: csv_cell(v) for k, v in row.items()})
    return buf.getvalue()


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


@contextlib.contextmanager
def disk_full_is_user_error(run_dir: Path) -> Iterator[None]:
    """A full disk is the user's to fix, not a crash: one line that says what to do. What was
    written before stays (a torn last row is dropped when the run is resumed)."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        from harness.errors import UserError

        raise UserError(f"no space left on the device of {run_dir} ({exc.strerror}); the rows "
                        f"written so far are kept: free some space and continue with "
                        f"--resume {run_dir}") from None  # fmt: skip


class RunStore:
    """Owns one run directory. Safe to call from several threads (one lock per file kind)."""

    def __init__(self, run_dir: str | Path) -> None:
        """Opening a store writes nothing (a resume that fails its checks, or a ``--resume`` of
        a mistyped path, must leave the disk as it was): the folders are made by the first
        write. A ``trials/`` already there is checked now (a planted link is refused)."""
        self.dir = Path(run_dir)
        self._ready = False
        trials = self.dir / TRIALS_DIR
        if trials.exists() or trials.is_symlink():
            make_folder(trials, root=self.dir)
        self.jsonl_path = self.dir / JSONL_NAME
        self.csv_path = self.dir / CSV_NAME
        self.manifest_path = self.dir / MANIFEST_NAME
        self.log_path = self.dir / LOG_NAME
        self._rows_lock = threading.Lock()
        self._log_lock = threading.Lock()

    @classmethod
    def create(cls, out_dir: str | Path, run_id: str, *, resume: bool = False) -> RunStore:
        run_dir = Path(out_dir) / run_id
        from harness.errors import UserError

        try:  # --out-dir naming a file, or a folder the user may not write: a mistake, one line
            run_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"cannot create run directory {run_dir}: "
                            f"{exc.strerror or exc}") from None
        if not resume and run_dir.exists() and any(run_dir.iterdir()):
            raise UserError(f"run directory {run_dir} already exists: pick another --run-id "
                            f"or continue it with --resume {run_dir}")  # fmt: skip
        store = cls(run_dir)
        store._prepare()
        return store

    # ------------------------------------------------------------------ writing
    def _prepare(self) -> None:
        """The run directory and its ``trials/``, made before the first write."""
        if not self._ready:
            with disk_full_is_user_error(self.dir):
                self.dir.mkdir(parents=True, exist_ok=True)
                make_folder(self.dir / TRIALS_DIR, root=self.dir)
            self._ready = True

    def _append_durable(self, path: Path, lines: Iterable[str]) -> None:
        data = "".join(line + "\n" for line in lines)
        if not data:
            return
        self._prepare()
        with disk_full_is_user_error(self.dir), open_append(path, root=self.dir) as fh:
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
            with open_update(self.jsonl_path, root=self.dir) as fh:
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
        self._prepare()
        with self._log_lock, disk_full_is_user_error(self.dir):
            with open_append(self.log_path, root=self.dir) as fh:
                fh.write(_dumps(record) + "\n")
        echo_event(event, fields)

    def write_json(self, path: Path, data: Any) -> None:
        """A JSON file of this run directory, replaced atomically (never through a link)."""
        self._prepare()
        with disk_full_is_user_error(self.dir):
            write_atomic(path, json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n",
                         root=self.dir)  # fmt: skip

    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        self.write_json(self.manifest_path, dict(manifest))

    def read_manifest(self) -> dict[str, Any] | None:
        """The manifest, None if there is none; a malformed one is a ``RunFileError``."""
        try:
            return read_json(self.manifest_path, root=self.dir)
        except FileNotFoundError:
            return None

    def write_csv(self, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
        self._prepare()
        with disk_full_is_user_error(self.dir):
            write_atomic(self.csv_path, csv_text((flatten(r, columns) for r in rows), columns),
                         root=self.dir)  # fmt: skip

    # ------------------------------------------------------------------ reading / resume
    def read_rows(self) -> list[dict[str, Any]]:
        """Every whole row in the JSONL (torn or corrupt lines are skipped)."""
        return read_jsonl_rows(self.jsonl_path, root=self.dir)

    def attempt_rows(self) -> list[dict[str, Any]]:
        """Attempt rows only, one per (task, trial, attempt) (the last written wins)."""
        return latest_attempts(self.read_rows())

    def compact(self, drop_errors: bool = False) -> list[dict[str, Any]]:
        """Rewrite the JSONL with its attempt rows only (atomically); return them.
        ``drop_errors`` (``--retry-errors``): without the rows that ended in an API error, so
        an attempt the resume does not make again (its trial stopped early) leaves no stale
        failure behind; the trial logs keep them."""
        self._prepare()
        with self._rows_lock:
            rows = [r for r in self.attempt_rows() if not (drop_errors and r.get("api_error"))]
            write_atomic(self.jsonl_path, "".join(_dumps(row) + "\n" for row in rows),
                         root=self.dir)  # fmt: skip
        return rows


def echo_event(event: str, fields: Mapping[str, Any]) -> None:
    """One ``runner.log`` event as one log line: ``attempt task_id=fn_a/L20 trial=1 ...``;
    values cut short and made printable (task ids come from data files), a traceback down to
    its last line (the whole one is in runner.log)."""
    level = EVENT_LEVELS.get(event, logging.INFO)
    if not _LOG.isEnabledFor(level):
        return
    parts = []
    for key, value in fields.items():
        text = value if isinstance(value, str) else _dumps(value)
        if key == "traceback":
            text = (text.strip().splitlines() or [""])[-1]
        if len(text) > _ECHO_CHARS:
            text = text[:_ECHO_CHARS] + "..."
        parts.append(f"{key}={printable(text)}")
    _LOG.log(level, "%s %s", event, " ".join(parts))


def read_jsonl_rows(path: Path, root: Path | None = None) -> list[dict[str, Any]]:
    """The object rows of a JSONL file (size-capped, never through a link); a torn last line of
    a killed run is skipped; a missing file has no rows."""
    try:
        return read_jsonl(path, root=root if root is not None else path.parent)
    except FileNotFoundError:
        return []


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
