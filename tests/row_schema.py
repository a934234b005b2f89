"""Holds the rows of a real run directory to their declared types (``harness.run.rows`` and
the families' ``rows`` modules): a key nobody declared is a schema change nobody wrote down."""

from __future__ import annotations

import json
from pathlib import Path

from harness.families.arc.rows import ArcAttemptRow
from harness.families.arc.task import TURN_KEYS
from harness.families.erm.rows import ErmAttemptRow, ErmBestRow, ErmSummaryRow
from harness.run.rows import TurnRecord, declared_keys, undeclared_keys

ERM_TYPES = {"attempt": ErmAttemptRow, "best": ErmBestRow, "summary": ErmSummaryRow}
ERM_METRICS = ("val_acc", "test_acc", "source_val_acc", "source_test_acc")


def undeclared(run_dir: Path) -> list[str]:
    """``file: key`` for every key of every row (and ARC turn) that its type does not declare."""
    text = (run_dir / "results_attempts.jsonl").read_text()
    found: set[str] = set()
    turn_keys = declared_keys(TurnRecord) | set(TURN_KEYS)
    for line in text.splitlines():
        row = json.loads(line)
        if "arc_task" in row:
            found |= set(undeclared_keys(row, ArcAttemptRow))
            for turn in row.get("turns") or []:
                found |= {f"turns[].{k}" for k in turn if k not in turn_keys}
        else:
            row_type = ERM_TYPES[row.get("row_type") or "attempt"]
            found |= set(undeclared_keys(row, row_type, ERM_METRICS))
    return sorted(found)
