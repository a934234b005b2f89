"""`harness rerun`: a small mock run through the real Docker pool, then its programs re-scored on
new datasets (bigger test set, other seed). No model is called by the rerun."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from generators import build_dataset, derived_seed
from harness.cli.main import main
from harness.errors import UserError
from harness.families.erm.rerun import rerun
from tests.row_schema import undeclared

pytestmark = pytest.mark.docker

# The replayed programs (ours, trusted): attempt 1 is wrong half the time, attempt 2 is right.
PARITY_HALF = "def f(x):\n    return x[0]\n"
PARITY = "def f(x):\n    return '1' if x.count('1') % 2 else '0'\n"
PATTERN_PART = "def f(x):\n    return '1' if '101010' in x else '0'\n"
REFERENCE = {PARITY_HALF: lambda x: x[0],
             PARITY: lambda x: "1" if x.count("1") % 2 else "0",
             PATTERN_PART: lambda x: "1" if "101010" in x else "0"}  # fmt: skip
FAST = ["--workers", "2", "--time-limit", "0.2", "--batch-budget", "2", "--retry-delay", "0.05"]


@pytest.fixture(scope="module")
def source_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("rerun")
    replay = base / "replay.jsonl"
    replay.write_text("\n".join(json.dumps(r) for r in (
        {"task": "fn_a", "code": PARITY_HALF}, {"task": "fn_a", "code": PARITY},
        {"task": "fn_c", "code": PATTERN_PART})) + "\n")  # fmt: skip
    datasets = base / "datasets"
    result = CliRunner().invoke(main, [
        "eval", "erm", "--model", "mock", "--mock-policy", f"replay:{replay}", "--functions",
        "fn_a", "fn_c", "--lengths", "20", "--attempts", "2", "--test-size", "1000",
        "--out-dir", str(base / "runs"), "--run-id", "src", "--dataset-dir", str(datasets),
        *FAST], env={"OPENAI_API_KEY": None, "TAMU_API_KEY": None})  # fmt: skip
    assert result.exit_code == 0, result.output + repr(result.exception)
    return base / "runs" / "src", datasets


def _rows(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "results_attempts.jsonl").read_text()
            .splitlines()]  # fmt: skip


def _expected(code: str, fn: str, test_size: int, seed: int, datasets: Path) -> tuple[float, ...]:
    ds = build_dataset(fn, 20, 100, 100, test_size, seed, datasets)
    ref = REFERENCE[code]
    return tuple(sum(ref(x) == y for x, y in split) / len(split) for split in (ds.val, ds.test))


def test_rerun_all_attempts_scores_new_datasets_and_records_the_source(source_run, tmp_path):
    src, datasets = source_run
    src_attempts = [r for r in _rows(src) if r["row_type"] == "attempt"]
    result = rerun(src, test_size=2000, seed=7, all_attempts=True, out_dir=tmp_path,
                   run_id="new", workers=2, progress=False, dataset_dir=str(datasets))
    assert result.run_dir == tmp_path / "new"
    assert len(src_attempts) == 4  # fn_c's two attempts replay the same program
    assert result.programs == 3 and result.programs_per_s > 0  # identical sources run once
    rows = [r for r in _rows(result.run_dir) if r["row_type"] == "attempt"]
    assert len(rows) == 4 and undeclared(result.run_dir) == []
    for row in rows:
        fn = row["fn"]
        assert row["test_size"] == 2000 and row["val_size"] == 100
        assert row["dataset_seed"] == derived_seed(fn, 20, 200, 2000, 7)
        assert row["source_run_id"] == "src"
        assert row["program_sha256"] == hashlib.sha256(row["code"].encode()).hexdigest()
        val, test = _expected(row["code"], fn, 2000, 7, datasets)
        assert (row["val_acc"], row["test_acc"]) == (val, test), row["task_id"]
        src_row = next(r for r in src_attempts
                       if (r["task_id"], r["attempt"]) == (row["task_id"], row["attempt"]))
        assert row["source_test_acc"] == src_row["test_acc"]
        assert row["source_test_acc"] == _expected(row["code"], fn, 1000, 42, datasets)[1]
        assert row["prompt_tokens"] == 0  # no model was called
    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    assert manifest["task_family"] == "erm" and manifest["kind"] == "rerun"
    assert manifest["schema"] == "harness.manifest/1"
    assert "results_attempts.jsonl" in manifest["artifacts"]
    assert manifest["rerun_of"]["run_dir"] == str(src.resolve())
    assert manifest["rerun_of"]["run_id"] == "src"
    assert {p["sha256"] for p in manifest["programs"]} == {
        hashlib.sha256(r["code"].encode()).hexdigest() for r in src_attempts}
    assert manifest["config"]["test_size"] == 2000 and manifest["config"]["seed"] == 7
    assert manifest["programs_per_s"] > 0
    summary = [r for r in _rows(result.run_dir) if r["row_type"] == "summary"]
    fn_a = next(s for s in summary if s["fn"] == "fn_a")
    assert fn_a["test_acc_mean"] == 1.0  # best by the new validation: the parity program
    assert len(manifest["programs"]) == 4
    csv_lines = (result.run_dir / "results_attempts.csv").read_text().count("\n")
    assert csv_lines >= 1 + 4 + 2 + 2  # header, attempts, best, summary (code may span lines)


def test_rerun_default_takes_the_selected_program_and_filters(source_run, tmp_path):
    src, datasets = source_run
    result = CliRunner().invoke(main, ["rerun", str(src), "--test-size", "2000", "--seed", "7",
                                       "--dataset-dir", str(datasets),
                                       "--functions", "fn_a", "--out-dir", str(tmp_path),
                                       "--run-id", "best", "--workers", "2", "--no-progress"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert "programs/s" in result.output
    rows = [r for r in _rows(tmp_path / "best") if r["row_type"] == "attempt"]
    assert [(r["fn"], r["attempt"], r["code"]) for r in rows] == [("fn_a", 2, PARITY)]
    assert rows[0]["test_acc"] == 1.0 and rows[0]["test_size"] == 2000


def test_rerun_bad_input_is_one_clear_line(source_run, tmp_path):
    src, _ = source_run
    with pytest.raises(UserError, match="not a run directory"):
        rerun(tmp_path, progress=False)
    with pytest.raises(UserError, match="no programs for fn_z"):
        rerun(src, functions=("fn_z",), progress=False)
    arc = tmp_path / "arc"
    arc.mkdir()
    (arc / "manifest.json").write_text(json.dumps({"run_id": "a", "task_family": "arc"}))
    with pytest.raises(UserError, match="arc run"):
        rerun(arc, progress=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "manifest.json").write_text((src / "manifest.json").read_text())
    row = {"row_type": "attempt", "task_id": "fn_a/L20", "fn": "fn_a", "length": 20,
           "trial": 1, "attempt": 1, "code": None, "compile_error": "no_code_found"}
    (empty / "results_attempts.jsonl").write_text(json.dumps(row) + "\n")
    with pytest.raises(UserError, match="no programs to re-run"):
        rerun(empty, progress=False)
    result = CliRunner().invoke(main, ["rerun", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and result.output.startswith("error:")
