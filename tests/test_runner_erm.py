"""End-to-end `harness eval erm`: the real Docker pool and the real mock model over HTTP."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli.main import main
from harness.families.erm.task import ERROR_KINDS
from harness.mock import programs as mock_programs
from harness.run.store import trial_log_name
from tests.row_schema import undeclared

pytestmark = pytest.mark.docker

FAST = ["--workers", "2", "--time-limit", "0.2", "--batch-budget", "1", "--retry-delay", "0.05"]


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("datasets")


def _eval(tmp_path: Path, dataset_dir: Path, *args: str, run_id: str = "r1",
          env: dict[str, str | None] | None = None):  # fmt: skip
    base = ["eval", "erm", "--model", "mock", "--out-dir", str(tmp_path / "runs"),
            "--dataset-dir", str(dataset_dir), "--run-id", run_id, "--test-size", "200", *FAST]
    result = CliRunner().invoke(main, [*base, *args],
                                env={"OPENAI_API_KEY": None, "TAMU_API_KEY": None, **(env or {})})
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert undeclared(tmp_path / "runs" / run_id) == []
    return result, tmp_path / "runs" / run_id


def _rows(run_dir: Path) -> list[dict]:
    text = (run_dir / "results_attempts.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines()]


def _attempts(run_dir: Path) -> list[dict]:
    return [r for r in _rows(run_dir) if r["row_type"] == "attempt"]


def _check_every_attempt_has_a_row(rows: list[dict], attempts: int) -> None:
    trials: dict[tuple[str, int], list[dict]] = {}
    for r in rows:
        trials.setdefault((r["task_id"], r["trial"]), []).append(r)
    for key, trial_rows in trials.items():
        numbers = sorted(r["attempt"] for r in trial_rows)
        assert numbers == list(range(1, len(numbers) + 1)), key
        last = max(trial_rows, key=lambda r: r["attempt"])
        assert len(numbers) == attempts or last["val_acc"] == 1.0, key
        assert all(r["val_acc"] < 1.0 for r in trial_rows if r is not last), key


def test_oracle_scores_one_and_stops_after_one_attempt(tmp_path, dataset_dir):
    fns = ["fn_a", "fn_e", "fn_h", "fn_i", "fn_l"]
    result, run_dir = _eval(tmp_path, dataset_dir, "--mock-policy", "oracle", "--functions",
                            *fns, "--lengths", "20", "--attempts", "2", "--num-trials", "1",
                            env={"OPENAI_API_KEY": "sk-test-secret-value"})
    rows = _rows(run_dir)
    attempts = [r for r in rows if r["row_type"] == "attempt"]
    assert sorted(r["fn"] for r in attempts) == fns
    for r in attempts:
        assert r["attempt"] == 1 and r["val_acc"] == 1.0 and r["test_acc"] == 1.0
        assert r["stopped_early"] is True and r["compile_error"] is None
        assert r["test_size"] == 200 and r["val_size"] == 100
        assert sum(r["errors"].values()) == 0
    summaries = [r for r in rows if r["row_type"] == "summary"]
    assert len(summaries) == 5 and all(r["is_summary"] for r in summaries)
    assert all(s["val_acc_mean"] == 1.0 and s["test_acc_mean"] == 1.0 for s in summaries)
    assert len([r for r in rows if r["row_type"] == "best"]) == 5
    csv_lines = (run_dir / "results_attempts.csv").read_text().splitlines()
    assert csv_lines[0].startswith("run_id,row_type,is_summary,fn,length,trial,attempt,model")
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["sandbox"]["backend"] == "docker" and manifest["sandbox"]["image_id"]
    assert manifest["schema"] == "harness.manifest/1"
    assert manifest["artifacts"]["results_attempts.jsonl"] == "harness.rows/1"
    assert manifest["config"]["policy"] == "standard"
    assert manifest["row_counts"] == {"attempt": 5, "best": 5, "summary": 5,
                                      "new_attempts_this_invocation": 5, "harness_errors": 0}
    assert set(manifest["datasets"]["fn_a/L20"]["hashes"]) == {"train", "val", "test"}
    assert manifest["environment"]["api_key_source"] == "OPENAI_API_KEY"
    for name in ("manifest.json", "runner.log", "results_attempts.jsonl"):
        assert "sk-test-secret-value" not in (run_dir / name).read_text()
    assert (run_dir / "trials" / trial_log_name("fn_h/L20", 1)).exists()
    events = [json.loads(x)["event"] for x in (run_dir / "runner.log").read_text().splitlines()]
    assert events.count("early_stop") == 5 and "run_done" in events
    assert "run directory:" in result.output and "fn_l" in result.output


def test_noisy_mix_every_attempt_is_a_row(tmp_path, dataset_dir):
    _, run_dir = _eval(tmp_path, dataset_dir, "--mock-policy", "noisy", "--mock-seed", "3",
                       "--functions", "fn_a", "fn_c", "fn_g", "fn_h", "fn_i", "fn_l",
                       "--lengths", "20", "--attempts", "3", "--num-trials", "2",
                       "--concurrency", "6")
    rows = _attempts(run_dir)
    _check_every_attempt_has_a_row(rows, 3)
    assert len({(r["task_id"], r["trial"]) for r in rows}) == 12
    outcomes = Counter(r["outcome"] for r in rows)
    assert len(outcomes) >= 3, outcomes
    for r in rows:
        if r["compile_error"] != "no_code_found":
            assert set(r["errors"]) == set(ERROR_KINDS)
    summary = [r for r in _rows(run_dir) if r["row_type"] == "summary"]
    assert sum(s["n_attempts"] for s in summary) == len(rows)


def test_replayed_error_kinds_transductive_and_hostile(tmp_path, dataset_dir):
    """Deterministic: one program per error kind, a lookup table and hostile code, in turn."""
    codes = [
        "def f(x)\n    return '0'\n",                                      # syntax
        "import os\n\ndef f(x):\n    os.system('touch /tmp/harness-pwned')\n    return '0'\n",
        "def f(x):\n    return str(1 // (len(x) - len(x)))\n",              # exception
        "def f(x):\n    while True:\n        pass\n",                      # timeout
        "def f(x):\n    blob = bytearray(8 * 1024 ** 3)\n    return '0'\n",  # memory
        "def f(x):\n    return [x]\n",                                     # invalid_output
        "",                                                                # no code
        mock_programs.HOSTILE_PROGRAMS[4],                                 # always-equal str
        "def f(x):\n    return 2\n",                                       # invalid label
    ]
    replay = tmp_path / "replay.jsonl"
    lines = [json.dumps({"task": "fn_a/L20", "code": c}) for c in codes]
    replay.write_text("\n".join(lines) + "\n")
    _, run_dir = _eval(tmp_path, dataset_dir, "--mock-policy", f"replay:{replay}",
                       "--functions", "fn_a", "--lengths", "20", "--attempts", str(len(codes)))
    rows = sorted(_attempts(run_dir), key=lambda r: r["attempt"])
    assert len(rows) == len(codes)
    outcome = [r["outcome"] for r in rows]
    assert outcome[:7] == ["syntax", "restricted", "exception", "timeout", "memory",
                           "invalid_output", "no_code_found"]
    assert rows[0]["compile_error"] == "syntax" and rows[1]["compile_error"] == "restricted"
    assert rows[2]["errors"]["exception"] == 300 and rows[5]["errors"]["invalid_output"] == 300
    assert rows[8]["errors"]["invalid_output"] == 300 and rows[8]["val_acc"] == 0.0
    assert rows[7]["val_acc"] <= 0.6  # an object claiming equality with everything earns nothing
    assert all(r["val_acc"] < 1.0 for r in rows)
    assert not Path("/tmp/harness-pwned").exists()
    summary = next(r for r in _rows(run_dir) if r["row_type"] == "summary")
    assert {"syntax", "restricted", "exception", "timeout", "memory",
            "invalid_output"} <= set(summary["errors"])


def test_lookup_table_is_flagged_but_run(tmp_path, dataset_dir):
    from harness.families.erm.task import load_task

    task = load_task("fn_g", 20, test_size=200, dataset_dir=dataset_dir)
    import random

    code = mock_programs.lookup_table_program(
        [(x, "1") for x in task.train_inputs], random.Random(0))
    replay = tmp_path / "replay.jsonl"
    replay.write_text(json.dumps({"task": "fn_g/L20", "code": code}) + "\n")
    _, run_dir = _eval(tmp_path, dataset_dir, "--mock-policy", f"replay:{replay}",
                       "--functions", "fn_g", "--lengths", "20", "--attempts", "1")
    (row,) = _attempts(run_dir)
    assert row["transductive"] is True and row["outcome"] == "ok"
    assert row["transductive_reason"]


def test_fail_rate_every_attempt_still_ends_in_a_row(tmp_path, dataset_dir):
    _, run_dir = _eval(tmp_path, dataset_dir, "--mock-policy", "oracle", "--fail-rate", "0.3",
                       "--timeout", "1.5", "--functions", "fn_a", "fn_c", "fn_i",
                       "--lengths", "20", "--attempts", "2", "--num-trials", "4",
                       "--concurrency", "6", "--mock-seed", "1")
    rows = _attempts(run_dir)
    _check_every_attempt_has_a_row(rows, 2)
    assert len({(r["task_id"], r["trial"]) for r in rows}) == 12
    assert any(r["api_calls"] > 1 for r in rows)  # faults happened and were retried
    for r in rows:
        assert r["api_error"] is not None or r["val_acc"] == 1.0


def test_resume_after_losing_rows(tmp_path, dataset_dir):
    args = ["--mock-policy", "noisy", "--mock-seed", "5", "--functions", "fn_a", "fn_h",
            "--lengths", "20", "--attempts", "3", "--num-trials", "2"]
    _, run_dir = _eval(tmp_path, dataset_dir, *args)
    full = _attempts(run_dir)
    keys = {(r["task_id"], r["trial"], r["attempt"]) for r in full}
    # simulate a kill: drop the last attempt rows and all end-of-run rows, leave a torn line
    kept = full[: len(full) // 2]
    text = "".join(json.dumps(r) + "\n" for r in kept) + '{"task_id": "fn_a/L20", "tri'
    (run_dir / "results_attempts.jsonl").write_text(text)
    (run_dir / "results_attempts.csv").unlink()
    result = CliRunner().invoke(main, ["eval", "erm", "--resume", str(run_dir), *FAST[:2],
                                       "--dataset-dir", str(dataset_dir)],
                                env={"OPENAI_API_KEY": None, "TAMU_API_KEY": None})
    assert result.exit_code == 0, result.output + repr(result.exception)
    rows = _attempts(run_dir)
    assert len(rows) == len({(r["task_id"], r["trial"], r["attempt"]) for r in rows})
    _check_every_attempt_has_a_row(rows, 3)
    kept_keys = {(r["task_id"], r["trial"], r["attempt"]) for r in kept}
    assert kept_keys <= {(r["task_id"], r["trial"], r["attempt"]) for r in rows}
    assert len(rows) >= len(kept_keys) and keys  # the run is whole again
    all_rows = _rows(run_dir)
    assert sum(r["row_type"] == "summary" for r in all_rows) == 2
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["row_counts"]["attempt"] == len(rows)
    assert len(manifest["invocations"]) == 2
    assert (run_dir / "results_attempts.csv").exists()
    # changing what the run measures is refused
    bad = CliRunner().invoke(main, ["eval", "erm", "--resume", str(run_dir), "--attempts", "9"])
    assert bad.exit_code == 2 and "cannot change --attempts" in bad.output


def test_resume_skips_finished_trials(tmp_path, dataset_dir):
    args = ["--mock-policy", "oracle", "--functions", "fn_a", "--lengths", "20",
            "--attempts", "3"]
    _, run_dir = _eval(tmp_path, dataset_dir, *args)
    files = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    result = CliRunner().invoke(main, ["eval", "erm", "--resume", str(run_dir), *FAST[:2],
                                       "--dataset-dir", str(dataset_dir)])
    assert result.exit_code == 0, result.output
    assert "nothing to resume" in result.output
    assert len(_attempts(run_dir)) == 1
    # complete, nothing to do: every file as it was (no new invocation in the manifest)
    assert {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()} == files


def test_dry_run_prints_bodies_without_a_key(tmp_path, dataset_dir):
    out = tmp_path / "runs"
    for mode, marker in (("responses", '"input"'), ("chat_completions", '"messages"')):
        result = CliRunner().invoke(
            main, ["eval", "erm", "--model", "gpt-5", "--api-mode", mode, "--functions", "fn_a",
                   "fn_i", "--lengths", "20", "--test-size", "200", "--dataset-dir",
                   str(dataset_dir), "--out-dir", str(out), "--dry-run"],
            env={"OPENAI_API_KEY": None, "TAMU_API_KEY": None})
        assert result.exit_code == 0, result.output
        assert "# fn_a/L20" in result.output and "# fn_i/L20" in result.output
        assert marker in result.output and '"model": "gpt-5"' in result.output
    assert not out.exists()


def test_real_model_without_key_is_a_user_error(tmp_path, dataset_dir):
    result = CliRunner().invoke(
        main, ["eval", "erm", "--model", "gpt-5", "--functions", "fn_a", "--lengths", "20",
               "--test-size", "200", "--dataset-dir", str(dataset_dir), "--out-dir",
               str(tmp_path / "runs")],
        env={"OPENAI_API_KEY": None, "TAMU_API_KEY": None})
    assert result.exit_code == 2 and "no API key" in result.output


def test_env_vars_feed_the_config(tmp_path, dataset_dir):
    result = CliRunner().invoke(
        main, ["eval", "erm", "--functions", "fn_a", "--lengths", "20", "--test-size", "200",
               "--dataset-dir", str(dataset_dir), "--dry-run"],
        env={"API_MODE": "chat_completions", "MODEL": "gpt-5.2", "OPENAI_API_KEY": None,
             "REASONING_EFFORT": "medium"})
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout.split("\n", 1)[1])
    assert body["model"] == "gpt-5.2" and body["reasoning_effort"] == "medium"
    assert "messages" in body
