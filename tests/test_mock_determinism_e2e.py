"""Issue 14 end to end: a noisy mock run gives the same rows at concurrency 1 and 8, and a run
interrupted half way then resumed gives the rows of the uninterrupted one (real Docker, the mock
over real HTTP). Before the mock keyed its replies by call, trials of one task swapped replies
by arrival order and a resume restarted the mock's counters, so early stop, and the number of
rows, changed from run to run."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli.main import main

pytestmark = pytest.mark.docker

ARGS = ["eval", "erm", "--model", "mock", "--mock-policy", "noisy", "--functions",
        "fn_a,fn_b,fn_e", "--lengths", "10", "--num-trials", "3", "--attempts", "4",
        "--test-size", "200", "--workers", "1", "--no-progress", "--run-id", "r"]  # fmt: skip
ENV: dict[str, str | None] = {"OPENAI_API_KEY": None, "TAMU_API_KEY": None}
#: What a resumed run's manifest says differently by design (its invocations, where it ran).
RESUME_FIELDS = ("manifest.json.invocations", "manifest.json.row_counts.new_attempts_this",
                 "manifest.json.config.out_dir")  # fmt: skip


def _compare(run_a: Path, run_b: Path) -> list[str]:
    """`scripts/compare_runs.py` (not a package): clock fields, ids and host facts ignored."""
    path = Path(__file__).parents[1] / "scripts" / "compare_runs.py"
    spec = importlib.util.spec_from_file_location("compare_runs", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.compare(run_a, run_b)


def _run(*args: str) -> None:
    result = CliRunner().invoke(main, [*ARGS, *args], env=ENV)
    assert result.exit_code == 0, result.output + repr(result.exception)


def _interrupt(run: Path) -> int:
    """Leave `run` as a run killed after half its attempt rows (in the order written): later
    rows, their trial-log lines, unfinished trials' `trial_done` and the final rows dropped."""
    path = run / "results_attempts.jsonl"
    attempts = [r for r in map(json.loads, path.read_text().splitlines())
                if r["row_type"] == "attempt"]  # fmt: skip
    kept = attempts[: len(attempts) // 2]
    path.write_text("".join(json.dumps(r) + "\n" for r in kept))
    keys = {(r["task_id"], r["trial"], r["attempt"]) for r in kept}
    last = {(r["task_id"], r["trial"]): i for i, r in enumerate(attempts)}
    done = {trial for trial, i in last.items() if i < len(kept)}
    for log in (run / "trials").iterdir():
        lines = [line for line in log.read_text().splitlines(keepends=True)
                 if _kept(json.loads(line), keys, done)]  # fmt: skip
        log.write_text("".join(lines))
    for name in ("results_attempts.csv", "report.html"):
        (run / name).unlink(missing_ok=True)
    return len(kept)


def _kept(line: dict, keys: set[tuple], done: set[tuple]) -> bool:
    if line.get("row_type") == "attempt":
        return (line["task_id"], line["trial"], line["attempt"]) in keys
    return (line.get("task_id"), line.get("trial")) in done


def test_noisy_run_same_rows_at_any_concurrency_and_after_resume(tmp_path: Path) -> None:
    data = str(tmp_path / "datasets")
    one, eight, resumed = tmp_path / "c1", tmp_path / "c8", tmp_path / "resumed"
    _run("--concurrency", "1", "--out-dir", str(one), "--dataset-dir", data)
    _run("--concurrency", "8", "--out-dir", str(eight), "--dataset-dir", data)
    assert _compare(one / "r", eight / "r") == ["manifest.json.config.concurrency: '1' != '8'"]
    shutil.copytree(eight, resumed)
    assert _interrupt(resumed / "r") >= 5
    again = ["eval", "erm", "--resume", str(resumed / "r"), "--dataset-dir", data, "--no-progress"]
    result = CliRunner().invoke(main, again, env=ENV)
    assert result.exit_code == 0, result.output + repr(result.exception)
    differences = _compare(eight / "r", resumed / "r")
    assert [d for d in differences if not d.startswith(RESUME_FIELDS)] == []
