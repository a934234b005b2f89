"""The hidden-mapping run's artifacts against the seed tools': the CSV columns they write (every
one filled by a real run), runner.log saying whether a dataset was reused or generated, and
``stopped_early`` as they define it."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli.main import main
from harness.families.erm.family import CSV_COLUMNS
from tests.row_schema import undeclared

FIXTURE_CSV = Path(__file__).parent / "fixtures" / "runs" / "erm-v1" / "results_attempts.csv"
#: The seed tools' CSV columns (LLM-ERM; LLM-PV as its README describes it) and the name each
#: has here. Not carried: dataset_dir (``dataset_path`` holds the grid point's folder),
#: attempts_requested/num_trials_requested (``attempts_used``, ``num_trials``), dry_run (a dry
#: run writes no CSV), num_branches/code_analysis_error (LLM-PV's code analysis, not ported).
SEED_COLUMNS = {
    "run_id": "run_id", "api_mode": "api_mode", "api_base_url": "api_base_url",
    "model": "model", "reasoning_effort": "reasoning_effort",
    "max_output_tokens": "max_output_tokens", "tool_choice": "tool_choice",
    "prompt_variant": "prompt_version", "enable_code_interpreter": "enable_code_interpreter",
    "global_seed": "global_seed", "dataset_seed": "dataset_seed", "train_size": "train_size",
    "val_size": "val_size", "test_size": "test_size", "fn": "fn", "length": "length",
    "attempt": "attempt", "trial": "trial", "prompt": "prompt", "text": "text",
    "code": "code", "code_lines": "code_lines", "duration_ms": "duration_ms",
    "cached_tokens": "cached_tokens", "prompt_tokens": "prompt_tokens",
    "completion_tokens": "completion_tokens", "reasoning_tokens": "reasoning_tokens",
    "tool_uses": "tool_uses", "tool_results_chars": "tool_results_chars", "val_acc": "val_acc",
    "val_acc_std": "val_acc_std", "test_acc": "test_acc", "test_acc_std": "test_acc_std",
    "stopped_early": "stopped_early", "compile_error": "compile_error",
    "num_trials": "num_trials", "is_summary": "is_summary",
}  # fmt: skip
#: Columns every row of a run fills, summary rows included (the run's settings).
RUN_WIDE = ("run_id", "model", "api_mode", "max_output_tokens", "tool_choice",
            "enable_code_interpreter", "num_trials", "prompt_version", "global_seed",
            "pricing_source", "pricing_model", "input_rate_per_million",
            "output_rate_per_million", "cached_rate_per_million")  # fmt: skip


def test_new_columns_come_after_the_old_ones_and_cover_the_seeds():
    old = FIXTURE_CSV.read_text().split("\n", 1)[0].split(",")
    assert list(CSV_COLUMNS[: len(old)]) == old  # older files' columns keep their place
    assert set(SEED_COLUMNS.values()) <= set(CSV_COLUMNS)
    assert len(set(CSV_COLUMNS)) == len(CSV_COLUMNS)


def _eval(tmp_path: Path, run_id: str):
    result = CliRunner().invoke(main, [
        "eval", "erm", "--model", "mock", "--functions", "fn_a", "--lengths", "10",
        "--attempts", "1", "--test-size", "100", "--workers", "1", "--no-progress",
        "--dataset-dir", str(tmp_path / "datasets"), "--out-dir", str(tmp_path / "runs"),
        "--run-id", run_id], env={"OPENAI_API_KEY": None, "TAMU_API_KEY": None,
                                  "PROMPT_VERSION": None})  # fmt: skip
    assert result.exit_code == 0, result.output + repr(result.exception)
    run = tmp_path / "runs" / run_id
    assert undeclared(run) == []  # every key the rows gained is declared in their types
    with (run / "results_attempts.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    events = [json.loads(line) for line in (run / "runner.log").read_text().splitlines()]
    return rows, [e for e in events if e["event"] == "dataset"]


@pytest.mark.docker
def test_a_tiny_mock_run_fills_the_seed_columns(tmp_path):
    rows, datasets = _eval(tmp_path, "first")
    assert [r["row_type"] for r in rows] == ["attempt", "best", "summary"]
    attempt, best, summary = rows
    assert list(attempt) == list(CSV_COLUMNS)
    for row in rows:
        for col in RUN_WIDE:
            assert row[col] != "", (row["row_type"], col)
        assert row["api_base_url"] == ""  # none configured: the built-in mock model's own
    assert (attempt["prompt_version"], attempt["global_seed"], attempt["num_trials"]) == (
        "llm_erm", "42", "1")
    assert attempt["prompt"].startswith("**Problem Statement:**\nGiven a sequence of input "
                                        "vectors (binary, length 10)")  # fmt: skip
    assert '"code"' in attempt["text"]
    assert (attempt["tool_uses"], attempt["tool_results_chars"]) == ("0", "0")
    assert (attempt["max_output_tokens"], attempt["tool_choice"],
            attempt["enable_code_interpreter"]) == ("20000", "auto", "False")  # fmt: skip
    assert (attempt["pricing_source"], attempt["pricing_model"],
            attempt["input_rate_per_million"]) == ("table", "mock", "0.0")  # fmt: skip
    # the oracle is perfect on its first and only attempt: the seed flags that as stopped early
    assert attempt["val_acc"] == "1.0" and attempt["stopped_early"] == "True"
    assert best["stopped_early"] == "True" and summary["stopped_early"] == "1"
    assert [(d["task_id"], d["source"]) for d in datasets] == [("fn_a/L10", "generated")]
    _, again = _eval(tmp_path, "second")
    assert [(d["task_id"], d["source"]) for d in again] == [("fn_a/L10", "reused")]
