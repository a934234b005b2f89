"""Copies of a finished run's results files at paths of the user's choosing.

The seed tools wrote their results where ``--out-jsonl`` / ``--out-csv`` / ``--out-manifest``
(env ``OUT_JSONL``, ``OUT_CSV``) said, ``results_attempts.jsonl`` in the current directory by
default. The harness writes every run into its own run directory instead, so a second run never
overwrites the first; these paths, when given, get a copy of the run directory's file once the
run has finished (a dry run writes nothing, so copies nothing). Not given: no copy.

The copy is made as every harness file is: read from the run directory without following a
link, written to a temporary file next to the destination and renamed over it, so a reader
never sees half a file and a link planted at the destination is replaced, never written
through. The paths are not run settings: they are not in the manifest and a ``--resume`` takes
them from its own command line and environment (a manifest must never choose where the harness
writes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.errors import UserError
from harness.run.store import CSV_NAME, JSONL_NAME, MANIFEST_NAME
from harness.safe_io import MAX_JSONL_BYTES, RunFileError, check_folders, copy_atomic, make_folder
from harness.untrusted_text import printable


@dataclass(frozen=True)
class Export:
    """One copy a run can be asked for: its option's name, the run file and the variable."""

    name: str  # the click parameter; the flag is --out-jsonl for out_jsonl
    source: str  # the file of the run directory
    env: str

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def help(self) -> str:
        return f"When the run has finished, also copy its {self.source} to this path."


EXPORTS: tuple[Export, ...] = (
    Export("out_jsonl", JSONL_NAME, "OUT_JSONL"),
    Export("out_csv", CSV_NAME, "OUT_CSV"),
    Export("out_manifest", MANIFEST_NAME, "OUT_MANIFEST"),
)


def check_targets(targets: Mapping[str, str | None]) -> None:
    """Before the run, the mistakes that would make the copy fail after it: a destination that
    is a folder, or whose folder is a link or a file (one line each)."""
    for export in EXPORTS:
        dest = targets.get(export.name)
        if not dest:
            continue
        path = Path(dest)
        if path.is_dir() and not path.is_symlink():
            raise UserError(f"{export.flag} {printable(dest)}: is a folder; give a file name")
        try:
            check_folders(path, None)
        except RunFileError as exc:
            raise UserError(f"{export.flag} {exc}") from None


def export_results(run_dir: Path, targets: Mapping[str, str | None]) -> list[tuple[str, Path]]:
    """Copy each file asked for in ``targets`` (``{"out_jsonl": PATH, ...}``) out of
    ``run_dir``; the ``(file, destination)`` pairs copied. A failure is one line that says the
    run itself is complete."""
    done: list[tuple[str, Path]] = []
    for export in EXPORTS:
        dest = targets.get(export.name)
        if not dest:
            continue
        path = Path(dest)
        try:
            make_folder(path.parent)
            copy_atomic(run_dir / export.source, path, MAX_JSONL_BYTES, root=run_dir)
        except (OSError, UserError) as exc:
            why = exc.strerror or str(exc) if isinstance(exc, OSError) else str(exc)
            raise UserError(f"{export.flag} {printable(dest)}: {printable(why)} (the run is "
                            f"complete in {printable(run_dir)})") from None  # fmt: skip
        done.append((export.source, path))
    return done
