"""`harness analyze`: statistics, error rates, progression, leakage audit, research gate, plots.

`make_run` writes a synthetic hidden-mapping run directory (real generated datasets, rows as the
runner writes them); tests/test_report_html.py reuses it.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from generators import TARGETS, build_dataset
from harness.cli.main import main
from harness.report.analyze import Stats, analyze
from harness.report.leakage import audit_dataset_dir, audit_splits
from harness.report.rundir import task_order
from harness.run.selection import best_rows, summary_rows

# (fn, trial) -> per attempt (val, test, compile_error); the trial stops at a perfect val
SCRIPT = {
    ("fn_a", 1): [(0.5, 0.52, None), (1.0, 0.99, None)],
    ("fn_a", 2): [(1.0, 1.0, None)],
    ("fn_a", 3): [(0.0, 0.0, "syntax"), (0.6, 0.55, None), (0.7, 0.68, None)],
    ("fn_c", 1): [(0.0, 0.0, "no_code_found"), (0.8, 0.75, None), (0.8, 0.9, None)],
    ("fn_c", 2): [(0.9, 0.85, None), (0.6, 0.6, None), (1.0, 1.0, None)],
    ("fn_c", 3): [(0.75, 0.7, None), (0.7, 0.72, "restricted"), (0.74, 0.73, None)],
}


def make_run(root: Path, datasets: Path, run_id: str = "synthetic", seed: int = 42,
             shift: float = 0.0) -> Path:
    run = root / run_id
    run.mkdir(parents=True)
    manifest = {"run_id": run_id, "task_family": "erm", "status": "complete",
                "argv": ["harness", "eval", "erm"],
                "config": {"functions": ["fn_a", "fn_c"], "lengths": [20], "attempts": 3,
                           "num_trials": 3, "model": "gpt-5-mini", "seed": seed,
                           "test_size": 1000, "train_size": 100, "val_size": 100},
                "datasets": {}}  # fmt: skip
    rows = []
    for (fn, trial), attempts in SCRIPT.items():
        ds = build_dataset(fn, 20, 100, 100, 1000, seed, datasets)
        manifest["datasets"][f"{fn}/L20"] = {"path": str(ds.path)}
        for k, (val, test, err) in enumerate(attempts, start=1):
            code = None if err == "no_code_found" else f"def f(x):\n    return '{k % 2}'\n"
            val = 0.0 if err else min(1.0, val + shift)
            test = 0.0 if err else min(1.0, test + shift)
            rows.append({"run_id": run_id, "row_type": "attempt", "is_summary": False,
                         "task_id": f"{fn}/L20", "fn": fn, "length": 20, "trial": trial,
                         "attempt": k, "model": "gpt-5-mini", "code": code,
                         "compile_error": err, "val_acc": val, "test_acc": test,
                         "errors": {"exception": 3} if k == 2 else {},
                         "prompt_tokens": 1000, "completion_tokens": 500, "reasoning_tokens": 100,
                         "cached_tokens": 0, "dataset_path": str(ds.path), "test_size": 1000,
                         "outcome": err or "ok", "estimated_cost": 0.00125})  # fmt: skip
    best = best_rows(rows)
    summary = summary_rows(best, rows, task_order(rows))
    (run / "results_attempts.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows + best + summary))
    (run / "manifest.json").write_text(json.dumps(manifest))
    return run


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("datasets")


def _csv(path: Path) -> list[dict]:
    with open(path) as fh:
        return list(csv.DictReader(fh))


def test_stats_mean_std_sem_ci():
    s = Stats.of([0.99, 1.0, 0.68])
    assert s.mean == pytest.approx(0.89)
    std = math.sqrt(((0.99 - 0.89) ** 2 + (1.0 - 0.89) ** 2 + (0.68 - 0.89) ** 2) / 2)
    assert s.std == pytest.approx(std) and s.sem == pytest.approx(std / math.sqrt(3))
    assert s.ci_low == pytest.approx(max(0.0, 0.89 - 4.303 * std / math.sqrt(3)))
    assert s.ci_high == 1.0  # clipped to the accuracy range
    one = Stats.of([0.5])
    assert (one.mean, one.std, one.ci_low) == (0.5, None, None)


def test_analyze_writes_tables_plots_and_gate(tmp_path, datasets):
    run = make_run(tmp_path, datasets)
    [result] = analyze([run])
    out = run / "analysis"
    for name in ("summary_by_fn_length_seed", "summary_by_fn_length", "summary_by_fn", "errors",
                 "attempt_progression", "improvement_and_gap", "leakage"):
        assert (out / f"{name}.csv").exists(), name
    for name in ("accuracy_by_length", "attempt_progression", "val_test", "errors"):
        assert (out / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    point = {r["fn"]: r for r in _csv(out / "summary_by_fn_length.csv")}
    # best by validation: fn_a trials -> tests 0.99, 1.0, 0.68
    assert float(point["fn_a"]["test_mean"]) == pytest.approx(0.89)
    assert float(point["fn_a"]["test_std"]) == pytest.approx(Stats.of([0.99, 1.0, 0.68]).std,
                                                             abs=1e-6)
    # fn_c: trial 1 ties at 0.8 -> earlier attempt (test 0.75); trial 2 -> 1.0; trial 3 -> 0.7
    assert float(point["fn_c"]["test_mean"]) == pytest.approx((0.75 + 1.0 + 0.7) / 3)
    errors = {r["task_id"]: r for r in _csv(out / "errors.csv")}
    total = errors["ALL"]
    assert int(total["attempts"]) == 15 and int(total["no_code_found"]) == 1
    assert int(total["programs"]) == 14 and int(total["compiled"]) == 12
    assert float(total["compile_rate"]) == pytest.approx(12 / 14, abs=1e-6)
    assert float(total["fatal_syntax_rate"]) == pytest.approx(1 / 15, abs=1e-6)
    assert int(total["inputs_exception"]) == 3 * 5  # every second attempt (5 of them)
    prog = [r for r in _csv(out / "attempt_progression.csv") if r["task_id"] == "fn_a/L20"]
    # after 1 attempt: best tests 0.52, 1.0, 0.0; after 3: 0.99, 1.0, 0.68
    assert float(prog[0]["best_test_so_far"]) == pytest.approx((0.52 + 1.0 + 0.0) / 3, abs=1e-6)
    assert float(prog[2]["best_test_so_far"]) == pytest.approx(0.89, abs=1e-6)
    gap = {r["task_id"]: r for r in _csv(out / "improvement_and_gap.csv")}
    assert float(gap["fn_a/L20"]["improvement_test_mean"]) == pytest.approx(
        ((0.99 - 0.52) + 0 + 0.68) / 3, abs=1e-6)
    assert float(gap["fn_a/L20"]["val_test_gap_mean"]) == pytest.approx(
        ((1.0 - 0.99) + 0 + (0.7 - 0.68)) / 3, abs=1e-6)
    gate = json.loads((out / "gate.json").read_text())
    assert gate["no_leakage"] is True and gate["datasets_audited"] == 2
    assert gate["passed"] is False and "compile rate" in gate["reasons"][0]
    assert result.gate == gate


def test_seed_spread_over_runs(tmp_path, datasets):
    a = make_run(tmp_path, datasets, "seed42", seed=42)
    b = make_run(tmp_path, datasets, "seed43", seed=43, shift=0.1)
    result = CliRunner().invoke(main, ["analyze", str(a), str(b), "--out-dir",
                                       str(tmp_path / "pooled"), "--no-plots"])
    assert result.exit_code == 0, result.output
    assert "research gate" in result.output
    rows = {r["fn"]: r for r in _csv(tmp_path / "pooled" / "summary_by_fn_length.csv")}
    assert int(rows["fn_a"]["n_seeds"]) == 2 and int(rows["fn_a"]["n_trials"]) == 6
    # seed 43 adds 0.1 (capped at 1.0) to every accuracy: best tests 1.0, 1.0, 0.78
    assert float(rows["fn_a"]["seed_spread_test"]) == pytest.approx(2.78 / 3 - 0.89, abs=1e-6)
    by_seed = _csv(tmp_path / "pooled" / "summary_by_fn_length_seed.csv")
    assert {(r["fn"], r["seed"]) for r in by_seed} == {(f, s) for f in ("fn_a", "fn_c")
                                                      for s in ("42", "43")}


@pytest.mark.parametrize("fn", [f for f, spec in TARGETS.items() if spec.kind != "tabular"])
def test_leakage_audit_finds_no_overlap_in_generated_datasets(fn, datasets):
    L = 20
    ds = build_dataset(fn, L, 100, 100, 400, 42, datasets)
    audit = audit_dataset_dir(ds.path, fn)
    assert audit.error is None and audit.sizes == {"train": 100, "val": 100, "test": 400}
    assert not audit.leaky, audit.as_row()
    assert all(v == 0 for v in audit.input_overlap.values())
    assert audit.duplicates["train"] == audit.duplicates["val"] == 0
    assert audit.conflicting_labels == 0
    if audit.duplicates["test"]:  # only where the input space is too small, and said so
        assert audit.small_space_note


def test_leakage_audit_catches_a_leaky_dataset(tmp_path, datasets):
    leaky = tmp_path / "leaky"
    leaky.mkdir()
    (leaky / "train.txt").write_text("0101 -> 0\n1111 -> 0\n0001 -> 1\n")
    (leaky / "val.txt").write_text("1000 -> 1\n0011 -> 0\n")
    # one exact train line, one val input with another label, and a duplicate within test
    (leaky / "test.txt").write_text("0101 -> 0\n1000 -> 0\n1110 -> 1\n1110 -> 1\n")
    audit = audit_dataset_dir(leaky, "leaky")
    assert audit.leaky
    assert audit.line_overlap == {"train|val": 0, "train|test": 1, "val|test": 0}
    assert audit.input_overlap == {"train|val": 0, "train|test": 1, "val|test": 1}
    assert audit.duplicates == {"train": 0, "val": 0, "test": 1}
    assert audit.conflicting_labels == 1
    assert not audit_splits({"train": [("a", "1")], "test": [("b", "0")]}).leaky
    # a run whose dataset leaks fails the research gate
    run = make_run(tmp_path, datasets, "leaky_run")
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["datasets"]["fn_a/L20"]["path"] = str(leaky)
    (run / "manifest.json").write_text(json.dumps(manifest))
    [result] = analyze([run], plots=False)
    assert result.gate["no_leakage"] is False and result.gate["leaky_datasets"] == ["fn_a/L20"]
    assert any("leakage" in r for r in result.gate["reasons"])
    row = next(r for r in _csv(run / "analysis" / "leakage.csv") if r["dataset"] == "fn_a/L20")
    assert row["status"] == "LEAK" and row["inputs_train_test"] == "1"
