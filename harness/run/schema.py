"""Type checks for what a run directory holds, so a hostile or damaged file is one error line.

Readers index rows and manifests freely (``int(row["trial"])``, ``manifest["config"].get``,
``row["errors"].items()``); a field of the wrong type from a file someone else wrote would be a
traceback deep inside a report. Every document is checked here once, right after it is read:
a known field must have its expected JSON type (or be null), and the error names the file and
the field. Unknown fields are left alone (later versions may add some).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.safe_io import RunFileError
from harness.untrusted_text import printable

_BIG = 2**63  # larger integers are not counts or ids; float() of a huge one overflows


class _Kind:
    """One expected JSON type: a name for the error line and a test."""

    def __init__(self, name: str, test: Any) -> None:
        self.name, self.test = name, test


def _is_num(v: Any) -> bool:
    return isinstance(v, float) or (isinstance(v, int) and -_BIG < v < _BIG)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and -_BIG < v < _BIG


def _is_scalar(v: Any) -> bool:
    return v is None or isinstance(v, str | bool) or _is_num(v)


NUM = _Kind("a number", _is_num)
INT = _Kind("an integer", _is_int)
STR = _Kind("a string", lambda v: isinstance(v, str))
BOOL = _Kind("true/false", lambda v: isinstance(v, bool))
DICT = _Kind("an object", lambda v: isinstance(v, dict))
LIST = _Kind("an array", lambda v: isinstance(v, list))
STRS = _Kind("an array of strings", lambda v: isinstance(v, list)
             and all(isinstance(x, str) for x in v))
COUNTS = _Kind("an object of numbers", lambda v: isinstance(v, dict)
               and all(x is None or _is_num(x) for x in v.values()))
SCALARS = _Kind("an object of plain values", lambda v: isinstance(v, dict) and all(
    _is_scalar(x) or (isinstance(x, list) and all(_is_scalar(y) for y in x))
    for x in v.values()))
DICTS = _Kind("an object of objects", lambda v: isinstance(v, dict)
              and all(isinstance(x, dict) for x in v.values()))
LIST_OF_DICTS = _Kind("an array of objects", lambda v: isinstance(v, list)
                      and all(isinstance(x, dict) for x in v))

_ROW_NUMBERS = ("length", "val_acc", "test_acc", "train_acc", "prompt_tokens",
                "completion_tokens", "reasoning_tokens", "cached_tokens", "estimated_cost",
                "source_val_acc", "source_test_acc", "val_acc_mean", "val_acc_std",
                "test_acc_mean", "test_acc_std", "source_val_acc_mean", "source_test_acc_mean",
                "n_trials", "n_attempts", "best_attempt", "attempts_used", "eval_ms",
                "duration_ms", "test_size", "dataset_seed")  # fmt: skip
_ROW_TEXT = ("task_id", "row_type", "fn", "model", "code", "compile_error", "api_error",
             "outcome", "program_sha256", "dataset_path", "run_id", "reasoning_text")
ROW: dict[str, _Kind] = {**{k: NUM for k in _ROW_NUMBERS}, **{k: STR for k in _ROW_TEXT},
                         "trial": INT, "attempt": INT, "errors": COUNTS,
                         "outcomes": COUNTS}  # fmt: skip
MANIFEST: dict[str, _Kind] = {
    "run_id": STR, "task_family": STR, "status": STR, "kind": STR, "created_at": NUM,
    "updated_at": NUM, "argv": LIST, "config": SCALARS, "limits": SCALARS, "sandbox": DICT,
    "datasets": DICTS, "rerun_of": DICT, "task_ids": STRS, "arc": SCALARS, "elapsed_s": NUM,
    "exec_s": NUM, "programs_per_s": NUM, "programs_executed": INT, "dataset": STR,
    "subset": STR, "programs": LIST_OF_DICTS, "row_counts": COUNTS, "schema": STR,
    "artifacts": DICT,
}  # fmt: skip
#: Manifest versions this harness reads (none recorded: written before versions were, = 1).
MANIFEST_VERSIONS = frozenset({"harness.manifest/1"})
ARC_SUMMARY: dict[str, _Kind] = {"run_id": STR, "metrics": DICT, "tasks": DICTS, "runs": LIST,
                                 "task_ids": STRS}  # fmt: skip
TASK_LOG: dict[str, _Kind] = {"task_id": STR, "run_id": STR, "train": LIST_OF_DICTS,
                              "test": LIST_OF_DICTS, "attempts": LIST_OF_DICTS, "result": DICT,
                              "solved": BOOL, "score": NUM, "model": STR, "dataset": STR,
                              "subset": STR}  # fmt: skip
ARC_ATTEMPT: dict[str, _Kind] = {
    "attempt": INT, "code": STR, "model": STR, "usage": COUNTS, "reasoning_text": STR,
    "train_predictions": LIST, "test_predictions": LIST, "train_outputs": LIST,
    "test_outputs": LIST, "train_correct": LIST, "test_correct": LIST, "train_verdicts": LIST,
    "test_verdicts": LIST, "transductive": BOOL, "solved": BOOL,
    **{k: NUM for k in ("prompt_tokens", "completion_tokens", "reasoning_tokens",
                        "cached_tokens")},
}  # fmt: skip


def check(doc: Mapping[str, Any], spec: Mapping[str, _Kind], where: str) -> None:
    """Raise one ``RunFileError`` line if a field of ``doc`` named in ``spec`` has another type
    (null is always allowed: readers treat it as absent)."""
    for name, kind in spec.items():
        value = doc.get(name)
        if value is not None and not kind.test(value):
            raise RunFileError(f"{printable(where)}: field {printable(name)!r} should be "
                               f"{kind.name}, found {printable(repr(value)[:60])}")


def check_manifest(doc: Mapping[str, Any], where: str) -> None:
    """``check`` against MANIFEST, and a version this harness knows (one error line if not)."""
    check(doc, MANIFEST, where)
    version = doc.get("schema")
    if version is not None and version not in MANIFEST_VERSIONS:
        raise RunFileError(f"{printable(where)}: written as {printable(str(version))!r}, which "
                           f"this harness does not read (it reads "
                           f"{', '.join(sorted(MANIFEST_VERSIONS))}); use a newer harness")


def check_rows(rows: list[dict[str, Any]], where: str) -> None:
    """Every row of a rows file; best/summary rows must also name their task (and trial)."""
    for row in rows:
        check(row, ROW, where)
        kind = row.get("row_type")
        if kind in ("best", "summary") and not isinstance(row.get("task_id"), str):
            raise RunFileError(f"{printable(where)}: a {kind} row without a task_id")
        if kind == "best" and not _is_int(row.get("trial")):
            raise RunFileError(f"{printable(where)}: a best row without an integer trial")


def check_task_log(log: dict[str, Any], where: str) -> None:
    """An ARC task log: its own fields, its attempts', and pairs that are objects."""
    check(log, TASK_LOG, where)
    for att in log.get("attempts") or []:
        check(att, ARC_ATTEMPT, where)
