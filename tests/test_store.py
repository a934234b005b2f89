"""RunStore: durable rows, torn lines, compaction for resume, CSV flattening, manifest."""

from __future__ import annotations

import json

import pytest

from harness.errors import UserError
from harness.run.store import RunStore, flatten, trial_log_name


def _row(task: str, trial: int, attempt: int, **kw) -> dict:
    return {"task_id": task, "trial": trial, "attempt": attempt, "row_type": "attempt",
            "is_summary": False, **kw}


def test_append_writes_row_and_trial_log(tmp_path):
    store = RunStore(tmp_path / "run")
    store.append_attempt(_row("fn_a/L20", 1, 1, val_acc=0.5))
    store.append_attempt(_row("fn_a/L20", 2, 1, val_acc=1.0))
    assert len(store.read_rows()) == 2
    log = (tmp_path / "run" / "trials" / trial_log_name("fn_a/L20", 2)).read_text().splitlines()
    assert json.loads(log[0])["val_acc"] == 1.0


def test_torn_last_line_is_skipped_and_repaired(tmp_path):
    store = RunStore(tmp_path)
    store.append_attempt(_row("t", 1, 1))
    with open(store.jsonl_path, "a") as fh:
        fh.write('{"task_id": "t", "tri')
    assert len(store.attempt_rows()) == 1
    store.append_attempt(_row("t", 1, 2))
    assert [r["attempt"] for r in store.attempt_rows()] == [1, 2]


def test_compact_keeps_attempts_only_and_dedupes(tmp_path):
    store = RunStore(tmp_path)
    store.append_attempt(_row("t", 1, 1, val_acc=0.1))
    store.append_attempt(_row("t", 1, 1, val_acc=0.2))
    store.append_rows([{"task_id": "t", "row_type": "summary", "is_summary": True}])
    rows = store.compact()
    assert len(rows) == 1 and rows[0]["val_acc"] == 0.2
    assert len(store.jsonl_path.read_text().splitlines()) == 1


def test_create_refuses_existing_run(tmp_path):
    RunStore.create(tmp_path, "x").append_attempt(_row("t", 1, 1))
    with pytest.raises(UserError, match="--resume"):
        RunStore.create(tmp_path, "x")
    assert RunStore.create(tmp_path, "x", resume=True).dir == tmp_path / "x"


def test_flatten_and_csv(tmp_path):
    row = _row("fn_a/L20", 1, 1, errors={"timeout": 3, "syntax": 0}, code="def f(x):\n  1",
               compile_error=None, outcomes={"ok": 1})
    flat = flatten(row, ["task_id", "errors_timeout", "errors_crash", "compile_error",
                         "outcomes", "code"])
    assert flat["errors_timeout"] == 3 and flat["errors_crash"] == ""
    assert flat["compile_error"] == "" and json.loads(flat["outcomes"]) == {"ok": 1}
    store = RunStore(tmp_path)
    store.write_csv([row], ["task_id", "errors_timeout", "code"])
    import csv

    with open(store.csv_path, newline="") as fh:
        (parsed,) = list(csv.DictReader(fh))
    assert parsed["code"] == "def f(x):\n  1" and parsed["errors_timeout"] == "3"


def test_manifest_and_log(tmp_path):
    store = RunStore(tmp_path)
    assert store.read_manifest() is None
    store.write_manifest({"run_id": "r", "config": {"a": [1, 2]}})
    assert store.read_manifest()["config"] == {"a": [1, 2]}
    store.log("attempt", task_id="t", score=0.5)
    (entry,) = [json.loads(x) for x in store.log_path.read_text().splitlines()]
    assert entry["event"] == "attempt" and entry["score"] == 0.5 and "ts" in entry


def test_trial_log_name_is_safe():
    assert trial_log_name("fn_a_L20", 3) == "fn_a_L20_trial3.jsonl"
    name = trial_log_name("fn_a/L20", 3)
    assert name.startswith("fn_a_L20~") and name.endswith("_trial3.jsonl")
    assert name != trial_log_name("fn_a_L20", 3)  # ids that differ never share a log
    assert "/" not in trial_log_name("../../etc/x", 1)
