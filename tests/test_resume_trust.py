"""Run directories from others: a resume or rerun takes nothing weaker than the defaults from a
manifest unless the command line names it again; run ids stay under --out-dir; one writer per
run; datasets are what their seed says; URL credentials never land in an artifact.

Every run here is tiny and real (mock model over HTTP, Docker sandbox); hostile manifests are
made by editing a real run's manifest.json."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli.main import main
from harness.mock.server import MockServer

pytestmark = pytest.mark.docker

FAST = ["--workers", "1", "--time-limit", "0.2", "--batch-budget", "1", "--retry-delay", "0.05",
        "--no-progress"]
NO_KEYS = {"OPENAI_API_KEY": None, "TAMU_API_KEY": None, "API_BASE_URL": None,
           "OPENAI_BASE_URL": None, "DATASET_DIR": None, "SANDBOX_BACKEND": None,
           "SANDBOX_POLICY": None, "MOCK_POLICY": None}
SECRET_KEY = "sk-test-do-not-leak-4242"


def harness(*args: str, env: dict[str, str | None] | None = None):
    return CliRunner().invoke(main, list(args), env={**NO_KEYS, **(env or {})})


def one_line_error(result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    text = result.output.strip()
    assert text.count("\n") == 0, text
    assert "Traceback" not in text
    for needle in needles:
        assert needle in text, text


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished one-attempt run `src` under base/runs, datasets under base/datasets."""
    root = tmp_path_factory.mktemp("trust")
    made = harness("eval", "erm", "--model", "mock", "--functions", "fn_a", "--lengths", "20",
                   "--attempts", "1", "--test-size", "200", "--out-dir", str(root / "runs"),
                   "--run-id", "src", "--dataset-dir", str(root / "datasets"), *FAST)
    assert made.exit_code == 0, made.output + repr(made.exception)
    return root


def copy_run(base: Path, tmp_path: Path, edit: dict | None = None, name: str = "run") -> Path:
    """A copy of the source run whose attempts are gone (so a resume runs one again), with
    ``edit`` merged into its manifest's config."""
    run = tmp_path / "runs" / name
    shutil.copytree(base / "runs" / "src", run)
    (run / "results_attempts.jsonl").write_text("")
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["config"].update(edit or {})
    (run / "manifest.json").write_text(json.dumps(manifest))
    return run


def resume(run: Path, base: Path, *args: str, env: dict | None = None):
    return harness("eval", "erm", "--resume", str(run), "--dataset-dir", str(base / "datasets"),
                   "--no-progress", *args, env=env)


def log_events(run: Path, event: str) -> list[dict]:
    lines = (run / "runner.log").read_text().splitlines()
    return [e for e in map(json.loads, lines) if e["event"] == event]


# ---------------------------------------------------------------- 1: host execution on resume
def test_resume_refuses_process_backend_and_policy_off_unless_named(base, tmp_path):
    run = copy_run(base, tmp_path, {"backend": "process", "policy": "off"})
    one_line_error(resume(run, base), "--backend process", "--backend docker")
    one_line_error(resume(run, base, "--backend", "docker"), "--policy off")
    assert (run / "results_attempts.jsonl").read_text() == ""  # nothing ran
    ok = resume(run, base, "--backend", "docker", "--policy", "off")
    assert ok.exit_code == 0, ok.output + repr(ok.exception)
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["config"]["backend"] == "docker" and manifest["sandbox"]["backend"] == "docker"
    assert manifest["row_counts"]["new_attempts_this_invocation"] == 1
    assert log_events(run, "invocation")[-1]["config"]["backend"] == "docker"


def test_resume_refuses_a_replay_file_and_a_foreign_dataset_dir(base, tmp_path):
    run = copy_run(base, tmp_path, {"mock_policy": "replay:/etc/passwd"})
    one_line_error(resume(run, base), "--mock-policy replay:/etc/passwd")
    run2 = copy_run(base, tmp_path, name="run2")
    one_line_error(harness("eval", "erm", "--resume", str(run2)), "--dataset-dir",
                   str(base / "datasets"))


def test_rerun_never_runs_weaker_than_standard_unless_told(base, tmp_path):
    run = copy_run(base, tmp_path)
    (run / "results_attempts.jsonl").write_text((base / "runs/src/results_attempts.jsonl")
                                                .read_text())
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["config"]["policy"] = manifest["limits"]["policy"] = "off"
    (run / "manifest.json").write_text(json.dumps(manifest))
    out = tmp_path / "out"
    common = ["rerun", str(run), "--out-dir", str(out), "--dataset-dir", str(base / "datasets"),
              "--workers", "1", "--no-progress"]
    one_line_error(harness(*common, "--run-id", "r0"), "--policy off")
    assert not out.exists()
    ok = harness(*common, "--run-id", "r1", "--policy", "standard")
    assert ok.exit_code == 0, ok.output + repr(ok.exception)
    new = json.loads((out / "r1" / "manifest.json").read_text())
    assert new["limits"]["policy"] == "standard" and new["sandbox"]["backend"] == "docker"


@pytest.fixture(scope="module")
def arc_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("arc")
    made = harness("eval", "arc", "--subset", "shortest_training_1", "--model", "mock",
                   "--attempts", "1", "--out-dir", str(root), "--run-id", "src", *FAST)
    assert made.exit_code == 0, made.output + repr(made.exception)
    return root / "src"


def test_arc_rerun_policy_off_and_run_ids_outside_out_dir(arc_run, tmp_path):
    src = tmp_path / "src"
    shutil.copytree(arc_run, src)
    out = tmp_path / "out"
    out.mkdir()
    for bad in ("../../escaped", "/tmp/harness-escaped-abs", "a/b"):
        one_line_error(harness("rerun", str(src), "--out-dir", str(out), "--run-id", bad),
                       "not allowed")
    assert not (tmp_path.parent / "escaped").exists()
    assert not Path("/tmp/harness-escaped-abs").exists()
    manifest = json.loads((src / "manifest.json").read_text())
    manifest["run_id"] = "../../escaped"
    (src / "manifest.json").write_text(json.dumps(manifest))
    one_line_error(harness("rerun", str(src), "--out-dir", str(out)), "run_id", "not allowed")
    manifest["run_id"] = "src"
    manifest["limits"]["policy"] = "off"
    (src / "manifest.json").write_text(json.dumps(manifest))
    one_line_error(harness("rerun", str(src), "--out-dir", str(out), "--run-id", "x"),
                   "--policy off")
    ok = harness("rerun", str(src), "--out-dir", str(out), "--run-id", "y", "--policy", "off",
                 "--no-progress")
    assert ok.exit_code == 0, ok.output + repr(ok.exception)
    new = json.loads((out / "y" / "manifest.json").read_text())
    assert new["limits"]["policy"] == "off" and new["sandbox"]["backend"] == "docker"
    assert sorted(p.name for p in out.iterdir()) == ["y"]


# ---------------------------------------------------------------- 4: run ids (erm)
def test_erm_run_ids_stay_inside_out_dir(base, tmp_path):
    out = tmp_path / "out"
    for bad in ("../escaped", "/tmp/harness-escaped-erm", ".."):
        one_line_error(harness("eval", "erm", "--model", "mock", "--functions", "fn_a",
                               "--lengths", "20", "--out-dir", str(out), "--run-id", bad),
                       "not allowed")
        one_line_error(harness("rerun", str(base / "runs/src"), "--out-dir", str(out),
                               "--run-id", bad), "not allowed")
    run = copy_run(base, tmp_path, {"run_id": "../escaped"})
    one_line_error(resume(run, base), "run_id", "not allowed")
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["run_id"] = "../escaped"
    (run / "manifest.json").write_text(json.dumps(manifest))
    one_line_error(harness("rerun", str(run), "--out-dir", str(out)), "not allowed")
    assert not out.exists() and not (tmp_path / "escaped").exists()


# ---------------------------------------------------------------- 2 and 7: endpoint and secrets
def test_resume_never_sends_the_key_to_a_manifest_endpoint(base, tmp_path):
    with MockServer("oracle") as stranger:
        run = copy_run(base, tmp_path, {"base_url": stranger.base_url})
        env = {"OPENAI_API_KEY": SECRET_KEY}
        one_line_error(resume(run, base, env=env), "--base-url", stranger.base_url)
        assert not stranger.stats and not stranger.log  # no request reached it
        ok = resume(run, base, "--base-url", stranger.base_url, env=env)
        assert ok.exit_code == 0, ok.output + repr(ok.exception)
        assert stranger.stats["reply"] >= 1  # named on the command line: used
    assert "using API key from OPENAI_API_KEY" in ok.output and SECRET_KEY not in ok.output
    assert all(SECRET_KEY.encode() not in p.read_bytes() for p in run.rglob("*") if p.is_file())


def test_url_credentials_are_redacted_everywhere_and_resume_needs_the_flag(base, tmp_path):
    with MockServer("oracle") as server:
        url = server.base_url.replace("http://", "http://alice:pw-s3cr3t@")
        out = tmp_path / "runs"
        made = harness("eval", "erm", "--model", "mock", "--base-url", url, "--functions",
                       "fn_a", "--lengths", "20", "--attempts", "1", "--test-size", "200",
                       "--out-dir", str(out), "--run-id", "cred", "--dataset-dir",
                       str(base / "datasets"), *FAST, env={"API_BASE_URL": url})
        assert made.exit_code == 0, made.output + repr(made.exception)
        run = out / "cred"
        (run / "results_attempts.jsonl").write_text("")
        refused = resume(run, base)
        one_line_error(refused, "--base-url")
        again = resume(run, base, "--base-url", url)
        assert again.exit_code == 0, again.output + repr(again.exception)
    for text in [made.output, refused.output, again.output,
                 *(p.read_bytes().decode("latin-1") for p in run.rglob("*") if p.is_file())]:
        assert "s3cr3t" not in text
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["config"]["base_url"].startswith("http://***@127.0.0.1:")


# ---------------------------------------------------------------- 7: one writer per run
HOLD = """
import sys, time
from pathlib import Path
from harness.run.lock import RunLock
lock = RunLock(Path(sys.argv[1])).acquire()
print("held", flush=True)
time.sleep(120)
"""


def test_resume_of_a_live_run_is_refused_and_a_dead_owner_is_taken_over(base, tmp_path):
    run = copy_run(base, tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(run)], stdout=subprocess.PIPE,
                              text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(
                                  sys.path)})
    try:
        assert holder.stdout.readline().strip() == "held"
        one_line_error(resume(run, base), f"in use by pid {holder.pid}")
        assert (run / "results_attempts.jsonl").read_text() == ""
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert (run / ".harness.lock").exists()  # a killed owner leaves its lock behind
    ok = resume(run, base)
    assert ok.exit_code == 0, ok.output + repr(ok.exception)
    assert f"taking over the stale lock of pid {holder.pid}" in ok.output
    assert not (run / ".harness.lock").exists()
    assert len([r for r in map(json.loads, (run / "results_attempts.jsonl").read_text()
                               .splitlines()) if r["row_type"] == "attempt"]) == 1


# ---------------------------------------------------------------- 7: datasets match their seed
def test_poisoned_dataset_with_matching_hash_is_caught(base, tmp_path):
    datasets = tmp_path / "datasets"
    shutil.copytree(base / "datasets", datasets)
    clean = harness("datasets", "verify", str(datasets))
    assert clean.exit_code == 0 and "0 mismatching" in clean.output, clean.output
    (meta_path,) = [p for p in datasets.rglob("meta.json") if "raw" not in p.parts]
    test_txt = meta_path.parent / "test.txt"
    lines = test_txt.read_text().splitlines(keepends=True)
    x, _, y = lines[0].rpartition(" -> ")
    lines[0] = f"{x} -> {'0' if y.strip() == '1' else '1'}\n"
    poisoned = "".join(lines)
    test_txt.write_text(poisoned)
    meta = json.loads(meta_path.read_text())
    import hashlib

    meta["hashes"]["test"] = hashlib.sha256(poisoned.encode()).hexdigest()
    meta_path.write_text(json.dumps(meta))
    bad = harness("datasets", "verify", str(datasets))
    assert bad.exit_code == 1 and "MISMATCH" in bad.output and "fn_a L=20" in bad.output
    run = copy_run(base, tmp_path)
    res = harness("eval", "erm", "--resume", str(run), "--dataset-dir", str(datasets))
    one_line_error(res, "does not match its seed", "fn_a L=20")
    assert (run / "results_attempts.jsonl").read_text() == ""
    (run / "results_attempts.jsonl").write_text((base / "runs/src/results_attempts.jsonl")
                                                .read_text())
    rer = harness("rerun", str(run), "--dataset-dir", str(datasets), "--out-dir",
                  str(tmp_path / "out"), "--run-id", "r")
    one_line_error(rer, "does not match its seed")


# ---------------------------------------------------------------- 7: size caps
def test_sizes_have_upper_bounds(base, tmp_path):
    res = harness("eval", "erm", "--model", "mock", "--test-size", "100000000", "--dry-run")
    assert res.exit_code == 2 and "--test-size" in res.output
    res = harness("eval", "erm", "--model", "mock", "--attempts", "1000000", "--dry-run")
    assert res.exit_code == 2 and "--attempts" in res.output
    run = copy_run(base, tmp_path, {"test_size": 10**9})
    one_line_error(resume(run, base), "--test-size", "not in the range 2<=x<=1000000")
    res = harness("datasets", "generate", "--test-size", "1000000000")
    assert res.exit_code == 2 and "--test-size" in res.output
