"""`--resume` for every family: another family's run, a changed experiment setting or a
mistyped path is one error line and leaves the disk as it was; an interrupted ARC run resumed
ends as an uninterrupted one; a corrected --base-url is taken; --retry-errors makes failed API
calls again; a complete run with nothing to do is left byte for byte as it was.

Every run is tiny and real (the mock model over HTTP on loopback, the Docker sandbox)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from harness.cli.main import main
from harness.mock.server import MockServer
from tests.test_resume_trust import one_line_error

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--workers", "1", "--time-limit", "0.5", "--batch-budget", "5", "--retry-delay", "0.05",
        "--no-progress"]  # fmt: skip
NO_KEYS = {"OPENAI_API_KEY": None, "TAMU_API_KEY": None, "API_BASE_URL": None,
           "OPENAI_BASE_URL": None, "DATASET_DIR": None, "SANDBOX_BACKEND": None,
           "SANDBOX_POLICY": None, "MOCK_POLICY": None, "ATTEMPTS": None}  # fmt: skip
ERM = ["--functions", "fn_a", "--lengths", "10", "--test-size", "100", "--attempts", "2"]
TRAIN = [{"input": [[1, 2, 3], [4, 5, 6]], "output": [[3, 2, 1], [6, 5, 4]]},
         {"input": [[0, 1, 1], [2, 0, 0]], "output": [[1, 1, 0], [0, 0, 2]]}]  # fmt: skip
TEST = [{"input": [[7, 8, 9], [9, 9, 0]], "output": [[9, 8, 7], [0, 9, 9]]}]
FLIP = "def transform(grid):\n    return [row[::-1] for row in grid]\n"
IDENTITY = "def transform(grid):\n    return [row[:] for row in grid]\n"
TASKS = {"t1": FLIP, "t2": IDENTITY, "t3": FLIP, "t4": IDENTITY}


# The mock's token counts and the prose around its (replayed) program depend on its per-task
# reply counter and prompt cache, which a fresh mock server (the resume's) starts again: usage
# and prose may differ, nothing else may (programs, verdicts, scores, votes, metrics).
MOCK_NOISE = {"cached_tokens", "completion_tokens", "prompt_tokens", "reasoning_tokens",
              "total_tokens", "estimated_cost", "usage", "text", "reasoning"}


def without_mock_noise(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_mock_noise(v) for k, v in value.items() if k not in MOCK_NOISE}
    if isinstance(value, list):
        return [without_mock_noise(v) for v in value]
    return value


def comparable(run: Path, name: str) -> Any:
    """A file as ``scripts/compare_runs.py`` compares it (clock fields out, rows in a
    canonical order), without the mock's noise."""
    value = without_mock_noise(compare_runs._load(run / name, run))
    return compare_runs._in_order(value) if name.endswith((".jsonl", ".csv")) else value


def _compare_runs():  # scripts/ is not a package
    spec = importlib.util.spec_from_file_location("compare_runs",
                                                  ROOT / "scripts" / "compare_runs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


compare_runs = _compare_runs()


def harness(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], env=NO_KEYS)


def ok(result) -> None:
    assert result.exit_code == 0, result.output + repr(result.exception)


def hashes(root: Path) -> dict[str, str]:
    """Every file (and folder) under ``root`` with its content's hash."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            if p.is_file() else "dir" for p in sorted(root.rglob("*"))}  # fmt: skip


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Finished runs under base/runs: `erm` and `arc` (ARC: 4 tasks of our own, each answered
    by one replayed program, so a resumed attempt gets the answer the first run got)."""
    root = tmp_path_factory.mktemp("life")
    data = root / "tasks"
    data.mkdir()
    for task_id in TASKS:
        (data / f"{task_id}.json").write_text(json.dumps({"train": TRAIN, "test": TEST}))
    replay = root / "replay.jsonl"
    replay.write_text("".join(json.dumps({"task": t, "code": c}) + "\n"
                              for t, c in TASKS.items()))  # fmt: skip
    ok(harness("eval", "erm", "--model", "mock", *ERM, "--out-dir", root / "runs", "--run-id",
               "erm", "--dataset-dir", root / "datasets", *FAST))
    ok(harness("eval", "arc", *arc_flags(root), "--subset", "all_training", "--attempts", "2",
               "--out-dir", root / "runs", "--run-id", "arc", *FAST))
    return root


def arc_flags(base: Path) -> list[str]:
    """What an ARC run or its resume names: our tasks and the replay file (both outside the
    run directory, so a resume must name them again)."""
    return ["--model", "mock", "--data-dir", str(base / "tasks"),
            "--mock-policy", f"replay:{base / 'replay.jsonl'}"]


def copy(base: Path, tmp_path: Path, name: str) -> Path:
    run = tmp_path / "runs" / name
    shutil.copytree(base / "runs" / name, run)
    return run


def resume(family: str, run: Path, base: Path, *args: str):
    extra = arc_flags(base) if family == "arc" else ["--dataset-dir", base / "datasets"]
    return harness("eval", family, "--resume", run, *extra, *FAST, *args)


# ---------------------------------------------------------------- refusals write nothing
@pytest.mark.parametrize(("made", "other"), [("arc", "erm"), ("erm", "arc")])
def test_another_familys_run_is_refused_and_left_as_it_was(base, tmp_path, made, other):
    run = copy(base, tmp_path, made)
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["status"] = "running"  # even a run with work left
    (run / "manifest.json").write_text(json.dumps(manifest))
    before = hashes(run)
    result = harness("eval", other, "--resume", run, "--retry-errors", *FAST)
    one_line_error(result, f"'{made}' run", f"harness eval {made} --resume")
    assert hashes(run) == before


def test_a_mistyped_run_directory_creates_nothing(tmp_path):
    for family in ("erm", "arc"):
        typo = tmp_path / "runs" / "no-such-run"
        one_line_error(harness("eval", family, "--resume", typo, *FAST), "not a run directory")
        assert not typo.exists() and not (tmp_path / "runs").exists()


def test_retry_errors_needs_resume(tmp_path):
    one_line_error(harness("eval", "erm", "--model", "mock", *ERM, "--retry-errors",
                           "--out-dir", tmp_path), "--retry-errors needs --resume")  # fmt: skip
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(("family", "flag"), [("erm", ["--attempts", "3"]),
                                              ("erm", ["--test-size", "200"]),
                                              ("arc", ["--limit", "1"]),
                                              ("arc", ["--max-turns", "2"]),
                                              ("arc", ["--attempts", "3"])])  # fmt: skip
def test_an_experiment_setting_cannot_change(base, tmp_path, family, flag):
    run = copy(base, tmp_path, family)
    before = hashes(run)
    one_line_error(resume(family, run, base, *flag), f"cannot change {flag[0]}")
    assert hashes(run) == before


def test_an_arc_manifest_asking_for_a_foreign_folder_is_refused(base, tmp_path):
    run = copy(base, tmp_path, "arc")
    before = hashes(run)
    one_line_error(harness("eval", "arc", "--resume", run, "--mock-policy",
                           f"replay:{base / 'replay.jsonl'}", *FAST),
                   "--data-dir", str(base / "tasks"))  # fmt: skip
    assert hashes(run) == before


def edit_arc(run: Path, **values: object) -> None:
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["arc"].update(values)
    (run / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize(("values", "needles"), [
    ({"prompt_version": "../../../etc/passwd"}, ("prompt_version", "not a plain name")),
    ({"limit": "2"}, ("limit", "not a valid --limit")),
    ({"repeat_runs": 1000}, ("repeat_runs", "1<=x<=100")),
    ({"dataset": "arc-agi-9"}, ("dataset", "arc-agi-9")),
    ({"transduction_filter": "no"}, ("transduction_filter",)),
])  # fmt: skip
def test_hostile_arc_options_in_a_manifest_are_one_error_line(base, tmp_path, values, needles):
    run = copy(base, tmp_path, "arc")
    edit_arc(run, **values)
    before = hashes(run)
    one_line_error(resume("arc", run, base), *needles)
    assert hashes(run) == before


def test_an_arc_task_list_file_outside_the_run_must_be_named_again(base, tmp_path):
    ids = tmp_path / "ids.txt"
    ids.write_text("t1\nt2\nt3\nt4\n")
    run = copy(base, tmp_path, "arc")
    edit_arc(run, subset=str(ids))
    before = hashes(run)
    one_line_error(resume("arc", run, base), "--subset", str(ids))
    other = tmp_path / "other.txt"
    other.write_text("t1\n")
    one_line_error(resume("arc", run, base, "--subset", other), "cannot change --subset")
    assert hashes(run) == before
    named = resume("arc", run, base, "--subset", ids)  # accepted: a complete run, nothing to do
    ok(named)
    assert "nothing to resume" in named.output and hashes(run) == before


# ---------------------------------------------------------------- complete: nothing to do
@pytest.mark.parametrize("family", ["erm", "arc"])
def test_resume_of_a_complete_run_changes_nothing(base, tmp_path, family):
    run = copy(base, tmp_path, family)
    before = hashes(run)
    result = resume(family, run, base, "--concurrency", "2", "--timeout", "30")
    ok(result)
    assert "nothing to resume" in result.output
    assert hashes(run) == before  # byte for byte: stronger than compare_runs


# ---------------------------------------------------------------- ARC: interrupted, resumed
def test_an_interrupted_arc_run_resumed_equals_the_uninterrupted_one(base, tmp_path):
    run = copy(base, tmp_path, "arc")
    lines = (run / "results_attempts.jsonl").read_text().splitlines(keepends=True)
    (run / "results_attempts.jsonl").write_text("".join(lines[: len(lines) // 2]))
    (run / "summary.json").unlink()
    for name in ("t2.json", "t4.json"):
        (run / "tasks" / name).unlink()
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["status"] = "running"
    (run / "manifest.json").write_text(json.dumps(manifest))
    result = resume("arc", run, base)
    ok(result)
    done = json.loads((run / "manifest.json").read_text())
    assert done["status"] == "complete" and len(done["invocations"]) == 2
    uninterrupted = base / "runs" / "arc"
    for name in ("summary.json", "results_attempts.jsonl", "results_attempts.csv",
                 *(f"tasks/{t}.json" for t in TASKS)):  # fmt: skip
        out: list[str] = []
        compare_runs._diff(comparable(uninterrupted, name), comparable(run, name), name, out)
        assert out == [], out
    summary = json.loads((run / "summary.json").read_text())
    assert set(summary["tasks"]) == set(TASKS) and summary["metrics"]["responses"] == 8


# ---------------------------------------------------------------- connection settings
def test_a_dead_endpoint_then_a_corrected_base_url_with_retry_errors(base, tmp_path):
    dead = "http://127.0.0.1:9/v1"  # loopback, nothing listens: every call fails at once
    failed = harness("eval", "erm", "--model", "mock", *ERM, "--base-url", dead, "--max-retries",
                     "0", "--out-dir", tmp_path / "runs", "--run-id", "dead", "--dataset-dir",
                     base / "datasets", *FAST)  # fmt: skip
    assert failed.exit_code == 1 and "failed at the API" in failed.output  # an honest exit
    run = tmp_path / "runs" / "dead"
    assert json.loads((run / "manifest.json").read_text())["status"] == "failed"
    rows = [json.loads(x) for x in (run / "results_attempts.jsonl").read_text().splitlines()]
    attempts = [r for r in rows if r["row_type"] == "attempt"]
    assert len(attempts) == 2 and all(r["api_error"] for r in attempts)
    with MockServer("oracle") as server:
        url = server.base_url
        before = hashes(run)  # complete, no --retry-errors: nothing to do
        ok(resume("erm", run, base, "--base-url", server.base_url))
        assert hashes(run) == before and not server.stats
        one_line_error(resume("erm", run, base, "--base-url", server.base_url,
                              "--attempts", "3"), "cannot change --attempts")  # fmt: skip
        assert hashes(run) == before
        ok(resume("erm", run, base, "--base-url", server.base_url, "--retry-errors",
                  "--max-retries", "1", "--timeout", "20"))  # fmt: skip
        assert server.stats["reply"] >= 1
    from harness.run.store import latest_attempts, read_jsonl_rows

    latest = latest_attempts(read_jsonl_rows(run / "results_attempts.jsonl"))
    # the oracle's first answer is perfect: the trial stops early, attempt 2 is not asked
    assert [(r["attempt"], r["api_error"], r["val_acc"]) for r in latest] == [(1, None, 1.0)]
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["config"]["base_url"] == url
    assert manifest["config"]["max_retries"] == 1 and manifest["status"] == "complete"


def test_arc_retry_errors_rewrites_task_logs_and_summary(base, tmp_path):
    replay = f"replay:{base / 'replay.jsonl'}"
    failed = harness("eval", "arc", "--model", "mock", "--data-dir", base / "tasks", "--subset",
                     "all_training", "--limit", "2", "--attempts", "2", "--mock-policy", replay,
                     "--base-url", "http://127.0.0.1:9/v1", "--max-retries", "0", "--out-dir",
                     tmp_path / "runs", "--run-id", "dead", *FAST)  # fmt: skip
    assert failed.exit_code == 1, failed.output
    run = tmp_path / "runs" / "dead"
    assert json.loads((run / "summary.json").read_text())["metrics"]["score"] == 0
    with MockServer(replay) as server:
        ok(resume("arc", run, base, "--base-url", server.base_url, "--retry-errors"))
    summary = json.loads((run / "summary.json").read_text())
    assert summary["tasks"]["t1"]["score"] == 1.0  # FLIP solves t1 (IDENTITY does not solve t2)
    log = json.loads((run / "tasks" / "t1.json").read_text())
    assert len(log["attempts"]) == 2 and not any(a.get("api_error") for a in log["attempts"])
