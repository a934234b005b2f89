"""The run directories an export reads when none are named: every ARC run under the folder
``harness eval`` writes runs to (``runs/`` unless ``--out-dir``/``OUT_DIR`` said otherwise).

The seed's ``generate_training_data.py`` reads every log of its log folder when given no
files; this is the same habit for run directories. A run directory is a folder holding
``manifest.json``; they are taken in name order, which for the harness's time-stamped run ids
(``YYYYMMDD-HHMMSS-model-xxxx``) is oldest first, so ``--limit N`` keeps the newest logs.
Runs of another task family are passed over and counted, not an error: a shared ``runs/``
holds ERM runs too.

The folder itself is taken as given (the user chose it, as with a named run directory), but
its entries are not: a symlink is never followed (it is counted and skipped), and each
manifest is read with ``harness.safe_io``, so a planted link or FIFO in it is one error line.
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from harness.errors import UserError
from harness.families.arc.export.sources import read_manifest
from harness.untrusted_text import printable

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FoundRuns:
    """The ARC run directories under a folder, and what was passed over there."""

    folder: Path
    runs: tuple[Path, ...]
    other_family: int = 0  # run directories of another task family (ERM, ...)
    no_tasks: int = 0  # ARC runs that stopped before writing tasks/ (nothing to export)
    links: int = 0  # entries that are symlinks: never followed

    def skipped(self) -> str:
        """What was passed over, as " (skipped ...)", or "" when nothing was."""
        parts = [f"{n} {what}" for n, what in (
            (self.other_family, "run(s) of another task family"),
            (self.no_tasks, "ARC run(s) without tasks/"),
            (self.links, "symlink(s), not followed")) if n]  # fmt: skip
        return f" (skipped {', '.join(parts)})" if parts else ""

    def describe(self) -> str:
        """One line for the console: where the runs came from and what was skipped."""
        return f"{printable(self.folder)}: {len(self.runs)} ARC run(s){self.skipped()}"


def _plain_folder(path: Path) -> bool:
    """A real folder, not a link to one (lstat: nothing is followed to find out)."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def find_runs(folder: Path) -> FoundRuns:
    """Every ARC run directory directly under ``folder``, in name order; none is one line."""
    try:
        with os.scandir(folder) as entries:
            names = sorted((e.name, e.is_symlink()) for e in entries)
    except (FileNotFoundError, NotADirectoryError):
        raise UserError(f"no run directories: {printable(folder)} is not a folder; name RUN_DIRS "
                        "or run 'harness eval arc' first") from None
    except OSError as exc:
        raise UserError(f"{printable(folder)}: cannot list it "
                        f"({printable(exc.strerror or exc)})") from None
    runs: list[Path] = []
    other = no_tasks = links = 0
    for name, is_link in names:
        path = folder / name
        if is_link:
            links += 1
            logger.debug("%s: skipped, a symlink (never followed)", printable(path))
            continue
        manifest = read_manifest(path) if _plain_folder(path) else None
        if manifest is None:
            continue  # a file, or a folder that is not a run directory
        family = manifest.get("task_family")
        has_tasks = _plain_folder(path / "tasks")
        if family not in (None, "arc") or (family is None and not has_tasks):
            other += 1
            logger.debug("%s: skipped, a run of task family %r", printable(path),
                         printable(family or "erm"))
        elif not has_tasks:
            no_tasks += 1
            logger.debug("%s: skipped, an ARC run without tasks/", printable(path))
        else:
            runs.append(path)
    found = FoundRuns(folder, tuple(runs), other, no_tasks, links)
    if not runs:
        raise UserError(f"no ARC run directories in {printable(folder)}{found.skipped()}; name "
                        "RUN_DIRS or run 'harness eval arc' first")
    return found
