"""Compare two run directories, ignoring what differs between any two runs (clock, host).

A refactor of the run engine must leave the artifacts unchanged: same files, same rows, same
columns, same scores. Timing fields, timestamps, the run directory's own path and the host's
facts are the only things two runs of the same seeds at ``--concurrency 1`` may differ in.

    python scripts/compare_runs.py RUN_A RUN_B     # exit 0 when equal, else the differences
"""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path
from typing import Any

VOLATILE = {
    "started_at", "finished_at", "duration_ms", "eval_ms", "elapsed_s", "sandbox_cpu_s",
    "sandbox_wall_s", "seconds", "ts", "time", "started", "finished", "created_at",
    "updated_at", "at", "pid", "host", "hostname", "environment", "package_versions", "pool",
    "git", "python", "platform", "docker", "argv", "lock", "heartbeat", "response_id", "exec_s",
    "programs_per_s",
}  # fmt: skip
SKIPPED_FILES = {"report.html", "runner.log", ".lock"}
SKIPPED_DIRS = {"analysis"}


def _scrub(value: Any, roots: tuple[str, ...]) -> Any:
    if isinstance(value, dict):
        return {k: _scrub(v, roots) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_scrub(v, roots) for v in value]
    if isinstance(value, str):
        for root in roots:
            value = value.replace(root, "<RUN>")
        return re.sub(r"\b\d+(\.\d+)? ?ms\b", "<ms>", value)
    return value


def _in_order(rows: list[Any]) -> list[Any]:
    """Rows in a canonical order: a rerun appends them as its programs finish, in any order."""
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))


def _load(path: Path, root: Path) -> Any:
    roots = (str(root), str(root.parent))
    if path.suffix == ".json":
        return _scrub(json.loads(path.read_text()), roots)
    if path.suffix == ".jsonl":
        return _in_order([_scrub(json.loads(line), roots)
                          for line in path.read_text().splitlines()])  # fmt: skip
    if path.suffix == ".csv":
        rows = list(csv.DictReader(path.open(newline="")))
        return _in_order([_scrub(r, roots) for r in rows])
    return None


def _files(root: Path) -> dict[str, Path]:
    return {str(p.relative_to(root)): p for p in sorted(root.rglob("*")) if p.is_file()
            and p.name not in SKIPPED_FILES
            and not SKIPPED_DIRS & set(p.relative_to(root).parts)}  # fmt: skip


def _diff(a: Any, b: Any, where: str, out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                out.append(f"{where}.{key}: only in {'B' if key not in a else 'A'}")
            else:
                _diff(a[key], b[key], f"{where}.{key}", out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _diff(x, y, f"{where}[{i}]", out)
    elif a != b:
        out.append(f"{where}: {str(a)[:120]!r} != {str(b)[:120]!r}")


def compare(run_a: Path, run_b: Path) -> list[str]:
    files_a, files_b = _files(run_a), _files(run_b)
    out = [f"{name}: only in {'A' if name in files_a else 'B'}"
           for name in sorted(set(files_a) ^ set(files_b))]  # fmt: skip
    for name in sorted(set(files_a) & set(files_b)):
        _diff(_load(files_a[name], run_a), _load(files_b[name], run_b), name, out)
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    differences = compare(Path(argv[0]), Path(argv[1]))
    for line in differences:
        print(line)
    print(f"{len(differences)} difference(s)")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
