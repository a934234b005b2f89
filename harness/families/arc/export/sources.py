"""Which task logs an export reads: ARC run directories, checked, then narrowed like the seed's
log selection (model, dataset, subset, run date, a name pattern, the last N logs).

The seed selects its per-task log files by model, dataset and subset, by the date in the file
name and by a file-name substring, and ``--limit N`` takes the last N. Here a task log is
``<run>/tasks/<task>.json``; its model, dataset and subset are the log's own fields (the run's
manifest when a log lacks them), its date is the day its run started (manifest ``created_at``,
UTC), and the pattern is matched against ``<run directory name>/tasks/<log file name>``. Logs
come in the order the run directories were given, each run's logs sorted by name, so "the last
N" are the newest when the runs are named in time order (as a shell glob of the default
time-stamped run ids lists them).

A run directory may be someone else's: every file is read with ``harness.safe_io`` (no link
followed, no FIFO opened, size and depth caps) and type-checked by ``harness.run.schema``; a
broken one is one ``UserError`` line, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import UserError
from harness.judge.scoring import validate_grid
from harness.run import schema as run_schema
from harness.safe_io import RunFileError, list_files, read_json
from harness.untrusted_text import printable

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LogFilter:
    """The seed's log selection flags; an empty field selects everything."""

    models: tuple[str, ...] = ()  # any of these names, compared case-insensitively
    dataset: str | None = None
    subset: str | None = None
    date_from: str | None = None  # YYYYMMDD, inclusive
    date_to: str | None = None  # YYYYMMDD, inclusive
    pattern: str | None = None  # substring of "<run>/tasks/<log>.json"
    limit: int | None = None  # the last N logs that pass the other filters


@dataclass(frozen=True)
class RunInfo:
    """What the manifest says about one run directory (the defaults of its task logs)."""

    dir: Path
    name: str
    run_id: str
    model: str
    dataset: str
    subset: str
    date: str | None  # YYYYMMDD (UTC) the run started; None when the manifest does not say


@dataclass
class SourceLog:
    """One task log, read and checked, with the metadata the records carry."""

    run: RunInfo
    path: Path
    log: dict[str, Any]
    model: str
    dataset: str
    subset: str


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def run_date(created_at: Any) -> str | None:
    """YYYYMMDD (UTC) of an epoch time, None for anything that is not a plausible one."""
    if isinstance(created_at, bool) or not isinstance(created_at, int | float):
        return None
    try:
        return dt.datetime.fromtimestamp(created_at, dt.UTC).strftime("%Y%m%d")
    except (OverflowError, OSError, ValueError):
        return None


def read_manifest(path: Path) -> dict[str, Any] | None:
    """A run directory's manifest, checked; None when the folder holds none (not a run)."""
    try:
        manifest = read_json(path / "manifest.json", root=path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise _unreadable(path / "manifest.json", exc) from None
    run_schema.check_manifest(manifest, str(path / "manifest.json"))
    return manifest


def _read_run(path: Path) -> tuple[RunInfo, list[Path]]:
    """The run's metadata and its task logs; anything but an ARC run directory is one line."""
    not_arc = UserError(f"{printable(path)} is not an ARC run directory (no manifest.json "
                        "and tasks/)")
    manifest = read_manifest(path)
    if manifest is None:
        raise not_arc
    if manifest.get("task_family") not in (None, "arc"):
        raise UserError(f"{printable(path)} is a {printable(manifest['task_family'])} run, "
                        "not an ARC run")
    try:
        logs = list_files(path / "tasks", ".json", root=path)
    except OSError as exc:
        raise _unreadable(path / "tasks", exc) from None
    if not (path / "tasks").is_dir():  # list_files has refused a linked tasks/ already
        raise not_arc
    config, arc = manifest.get("config") or {}, manifest.get("arc") or {}
    name = Path(os.path.abspath(path)).name
    info = RunInfo(
        dir=path, name=name, run_id=_text(manifest.get("run_id")) or name,
        model=_text(config.get("model")) or "",
        dataset=_text(arc.get("dataset")) or _text(manifest.get("dataset")) or "",
        subset=_text(arc.get("subset")) or _text(manifest.get("subset")) or "",
        date=run_date(manifest.get("created_at")))  # fmt: skip
    return info, logs


def read_task_log(path: Path, root: Path) -> dict[str, Any]:
    """One task log, checked: the fields used later have their types, train pairs are grids,
    test inputs are grids and test outputs grids or absent (not shipped)."""
    log = read_json(path, root=root)
    run_schema.check_task_log(log, str(path))
    log.setdefault("task_id", path.stem)
    for split in ("train", "test"):
        for pair in log.get(split) or []:
            if validate_grid(pair.get("input")) is None:
                raise RunFileError(f"{printable(path)}: a {split} input is not a grid")
            output = pair.get("output")
            if (output is not None or split == "train") and validate_grid(output) is None:
                raise RunFileError(f"{printable(path)}: a {split} output is not a grid")
    return log


def _run_skipped(run: RunInfo, flt: LogFilter) -> str | None:
    """Why the run-level filter (its start date) leaves the run out, or None."""
    if flt.date_from is None and flt.date_to is None:
        return None
    if run.date is None:
        return "its start date is unknown"  # an undated run cannot be shown to be in range
    if (flt.date_from or "") <= run.date <= (flt.date_to or "99999999"):
        return None
    return f"started {run.date}, outside --date-from/--date-to"


def _log_skipped(src: SourceLog, flt: LogFilter) -> str | None:
    """Why the log-level filters (model, dataset, subset) leave the log out, or None."""
    if flt.models and src.model.casefold() not in {m.casefold() for m in flt.models}:
        return f"model {printable(src.model)!r} not asked for"
    if flt.dataset is not None and src.dataset != flt.dataset:
        return f"dataset {printable(src.dataset)!r} is not {printable(flt.dataset)!r}"
    if flt.subset is not None and src.subset != flt.subset:
        return f"subset {printable(src.subset)!r} is not {printable(flt.subset)!r}"
    return None


def _selected(src: SourceLog, flt: LogFilter) -> bool:
    """The log-level filters, with the decision logged (shown by ``--debug``)."""
    reason = _log_skipped(src, flt)
    if reason is None:
        logger.debug("%s: read (model %r, dataset %r, subset %r)", printable(src.path),
                     printable(src.model), printable(src.dataset), printable(src.subset))
    else:
        logger.debug("%s: skipped, %s", printable(src.path), reason)
    return reason is None


def _unreadable(path: Path, exc: OSError) -> UserError:
    """An unreadable file or folder (permissions, I/O error) is one line too."""
    return UserError(f"{printable(path)}: cannot read it ({printable(exc.strerror or exc)})")


def _load(run: RunInfo, path: Path) -> SourceLog:
    try:
        log = read_task_log(path, run.dir)
    except OSError as exc:
        raise _unreadable(path, exc) from None
    return SourceLog(run, path, log, model=_text(log.get("model")) or run.model,
                     dataset=_text(log.get("dataset")) or run.dataset,
                     subset=_text(log.get("subset")) or run.subset)  # fmt: skip


def select_logs(run_dirs: Iterable[Path], flt: LogFilter) -> Iterator[SourceLog]:
    """The task logs to export, oldest first. Every run directory is checked before any log is
    read, so a bad one fails the export at once rather than after minutes of reading."""
    candidates: list[tuple[RunInfo, Path]] = []
    for run_dir in run_dirs:
        run, logs = _read_run(Path(run_dir))
        if reason := _run_skipped(run, flt):
            logger.debug("%s: skipped, %s", printable(run.dir), reason)
            continue
        logger.debug("%s: %d task log(s)", printable(run.dir), len(logs))
        for path in logs:
            if flt.pattern is None or flt.pattern in f"{run.name}/tasks/{path.name}":
                candidates.append((run, path))
            else:
                logger.debug("%s: skipped, name does not contain --pattern", printable(path))
    if flt.limit is None:
        yield from (src for src in (_load(run, path) for run, path in candidates)
                    if _selected(src, flt))
        return
    picked: list[SourceLog] = []  # newest first, until the limit is reached
    for n, (run, path) in enumerate(reversed(candidates)):
        if len(picked) == flt.limit:
            logger.debug("--limit %d reached: %d older log(s) not read", flt.limit,
                         len(candidates) - n)
            break
        src = _load(run, path)
        if _selected(src, flt):
            picked.append(src)
    yield from reversed(picked)
