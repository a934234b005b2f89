"""Run directories written by an earlier main (tests/fixtures/runs, schema as of issue 11) keep
opening: ``report``, ``analyze``, ``usage``, ``rerun`` and ``--resume`` must read them after this
and every later change. Only the derived files (report.html, analysis/) were left out of the
fixtures; each command writes them again.

erm-v1: ``eval erm --model mock --mock-policy noisy --mock-seed 1 --attempts 4 --functions fn_a
fn_c fn_i --lengths 20 --test-size 200 --val-size 20 --train-size 20 --concurrency 1``.
arc-v1: ``eval arc --model mock --mock-policy arc --mock-seed 7 --dataset arc-agi-1 --subset
shortest_training_10 --limit 3 --attempts 3 --max-turns 2 --concurrency 1``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli.main import main

FIXTURES = Path(__file__).parent / "fixtures" / "runs"
FAST = ["--workers", "2", "--no-progress"]


def harness(*args: str):
    return CliRunner().invoke(main, list(args), env={"OPENAI_API_KEY": None,
                                                     "TAMU_API_KEY": None})


def _ok(result) -> str:
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert "Traceback" not in result.output
    return result.output


def _rows(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "results_attempts.jsonl").read_text()
            .splitlines()]  # fmt: skip


@pytest.fixture
def copy(tmp_path: Path):
    def make(name: str) -> Path:
        run = tmp_path / "runs" / name
        shutil.copytree(FIXTURES / name, run)
        return run
    return make


@pytest.mark.parametrize("name", ["erm-v1", "arc-v1"])
def test_report_analyze_and_usage_open_an_old_run(copy, name):
    run = copy(name)
    _ok(harness("report", str(run)))
    assert (run / "report.html").stat().st_size > 10_000
    _ok(harness("analyze", "--no-plots", str(run)))
    assert (run / "analysis" / "errors.csv").is_file()
    assert "mock" in _ok(harness("usage", str(run)))


@pytest.mark.docker
def test_rerun_scores_an_old_erm_run_again(copy, tmp_path):
    run = copy("erm-v1")
    before = {(r["fn"], r["attempt"]): r for r in _rows(run) if r["row_type"] == "attempt"}
    _ok(harness("rerun", str(run), "--run-id", "again", "--dataset-dir",
                str(tmp_path / "datasets"), "--workers", "2"))
    again = [r for r in _rows(run.parent / "again") if r["row_type"] == "attempt"]
    assert again
    for row in again:  # same datasets (same seed, sizes): the same scores as when it ran
        old = before[(row["fn"], row["attempt"])]
        assert (row["val_acc"], row["test_acc"]) == (old["val_acc"], old["test_acc"]), row


@pytest.mark.docker
def test_rerun_scores_an_old_arc_run_again(copy):
    run = copy("arc-v1")
    _ok(harness("rerun", str(run), "--run-id", "again", "--workers", "2"))
    summary = json.loads((run.parent / "again" / "summary.json").read_text())
    old = json.loads((run / "summary.json").read_text())
    assert summary["score"] == old["metrics"]["score"]
    assert {t: v["score"] for t, v in summary["tasks"].items()} == {
        t: v["score"] for t, v in old["tasks"].items()}


@pytest.mark.docker
@pytest.mark.parametrize("name", ["erm-v1", "arc-v1"])
def test_resume_of_a_finished_old_run_changes_nothing(copy, tmp_path, name):
    # Complete, with every attempt row it recorded: nothing to do, so not a byte changes (its
    # derived best/summary rows stay as that harness wrote them; a rerun recomputes them).
    run = copy(name)
    files = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    family = name.split("-")[0]
    extra = ["--dataset-dir", str(tmp_path / "datasets")] if family == "erm" else []
    result = harness("eval", family, "--resume", str(run), *extra, *FAST)
    _ok(result)
    assert "nothing to resume" in result.output
    assert {p: p.read_bytes() for p in run.rglob("*") if p.is_file()} == files


@pytest.mark.docker
def test_resume_of_an_old_run_with_lost_rows_keeps_its_prompt_version(copy, tmp_path):
    run = copy("erm-v1")
    rows = (run / "results_attempts.jsonl").read_text().splitlines(keepends=True)
    (run / "results_attempts.jsonl").write_text("".join(rows[:1]))
    _ok(harness("eval", "erm", "--resume", str(run), "--dataset-dir", str(tmp_path / "datasets"),
                *FAST))
    best = {r["task_id"]: r for r in _rows(run) if r["row_type"] == "best"}
    assert set(best) == {"fn_a/L20", "fn_c/L20", "fn_i/L20"}
    # written before prompt versions existed, it asked in our wording: a resume keeps asking so
    config = json.loads((run / "manifest.json").read_text())["config"]
    assert config["prompt_version"] == "erm_v1"


@pytest.mark.parametrize("command", ["report", "analyze", "resume"])
def test_a_manifest_from_a_newer_harness_is_one_error_line(copy, tmp_path, command):
    run = copy("erm-v1")
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["schema"] = "harness.manifest/99"
    (run / "manifest.json").write_text(json.dumps(manifest))
    args = {"report": ["report", str(run)], "analyze": ["analyze", "--no-plots", str(run)],
            "resume": ["eval", "erm", "--resume", str(run), "--dataset-dir",
                       str(tmp_path / "datasets"), *FAST]}[command]
    result = harness(*args)
    assert result.exit_code != 0
    text = result.output.strip()
    assert "harness.manifest/99" in text and "newer harness" in text, text
    assert "Traceback" not in text and text.count("\n") == 0, text


def test_arc_task_results_recomputed_from_stored_attempts_match_the_recorded_ones():
    # tasks/arc_eval.task_result (which scores real runs, through voting.vote_task) against
    # what the run recorded when it scored these attempts.
    from harness.families.arc.data import find_task
    from harness.families.arc.family import ArcOptions, make_tasks
    from harness.families.arc.task import task_result
    from harness.run.store import read_jsonl_rows

    run = FIXTURES / "arc-v1"
    manifest = json.loads((run / "manifest.json").read_text())
    recorded = json.loads((run / "summary.json").read_text())["tasks"]
    rows = [r for r in read_jsonl_rows(run / "results_attempts.jsonl", root=run)
            if r.get("row_type") == "attempt"]
    opts = ArcOptions(**manifest["arc"])
    tasks = make_tasks([find_task(opts.dataset, t) for t in manifest["task_ids"]], opts)
    keys = ("score", "train_majority_score", "oracle_score", "oracle", "candidates",
            "train_perfect", "train_partial", "best_train_acc", "attempts_test_correct",
            "weighted_guesses", "outcomes", "transductive")
    for task in tasks:
        mine = task_result(task, [r for r in rows if r["task_id"] == task.task_id])
        assert {k: mine[k] for k in keys} == {k: recorded[task.task_id][k] for k in keys}
