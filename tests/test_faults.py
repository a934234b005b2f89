"""Faults around a run, with real Docker, the real mock server over HTTP and the harness as a
separate process: each must lose no row, duplicate none, and leave no container or process.

Time is asserted only as a generous hang bound; how fast a run stops is measured elsewhere.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import docker
import psutil
import pytest

from harness.mock.server import MockServer

pytestmark = pytest.mark.docker
HARNESS = str(Path(sys.executable).parent / "harness")
GRID = ["--functions", "fn_a,fn_b", "--lengths", "10", "--num-trials", "3", "--attempts", "3",
        "--test-size", "200", "--concurrency", "2", "--workers", "1", "--no-progress"]  # fmt: skip
HANG_S = 120


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "TAMU_API_KEY")}
    return out | {"HARNESS_ENV_FILE": "none"}


def eval_args(run_dir: Path, base_url: str, datasets: Path, *extra: str) -> list[str]:
    return [HARNESS, "eval", "erm", "--model", "mock", "--base-url", base_url,
            "--out-dir", str(run_dir.parent), "--run-id", run_dir.name,
            "--dataset-dir", str(datasets), *GRID, *extra]  # fmt: skip


def resume_args(run_dir: Path, base_url: str, datasets: Path) -> list[str]:
    """A resume names the endpoint and the dataset folder again: a manifest alone may not send
    the key anywhere or read data from elsewhere (harness.run.resume_trust)."""
    return [HARNESS, "eval", "erm", "--resume", str(run_dir), "--base-url", base_url,
            "--dataset-dir", str(datasets), "--no-progress"]  # fmt: skip


def attempt_rows(run_dir: Path) -> list[dict]:
    rows = []
    for line in (run_dir / "results_attempts.jsonl").read_text().splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue  # a torn last line of a killed run: dropped on resume
        if row.get("row_type") == "attempt":
            rows.append(row)
    return rows


def attempt_keys(run_dir: Path) -> list[tuple[str, int, int]]:
    return [(r["task_id"], r["trial"], r["attempt"]) for r in attempt_rows(run_dir)]


def assert_complete(run_dir: Path) -> list[tuple[str, int, int]]:
    """Every trial's attempts 1..k present once (k = 3, or fewer after an early stop)."""
    keys = attempt_keys(run_dir)
    assert len(keys) == len(set(keys)), "duplicate rows"
    trials: dict[tuple[str, int], list[int]] = {}
    for task, trial, attempt in keys:
        trials.setdefault((task, trial), []).append(attempt)
    assert len(trials) == 2 * 3
    for attempts in trials.values():
        assert sorted(attempts) == list(range(1, len(attempts) + 1))
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    return keys


def outcomes(run_dir: Path) -> dict[tuple[str, int, int], tuple]:
    """What each attempt row says about its program (its key -> code, scores)."""
    return {(r["task_id"], r["trial"], r["attempt"]): (r.get("code"), r.get("val_acc"),
                                                       r.get("test_acc"))
            for r in attempt_rows(run_dir)}  # fmt: skip


def containers_of(pid: int) -> list:
    client = docker.from_env()
    return [c for c in client.containers.list(all=True, filters={"label": "harness.sandbox"})
            if c.labels.get("harness.owner", "").endswith(f":{pid}")]  # fmt: skip


def strays(pid: int) -> list[psutil.Process]:
    """Processes the harness process left behind (its exec servers, helpers...)."""
    out = []
    for proc in psutil.process_iter(["pid", "ppid", "cmdline"]):
        with_parent = proc.info["ppid"] == pid
        if with_parent and proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
            out.append(proc)
    return out


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("datasets")


@pytest.fixture
def mock() -> str:
    server = MockServer("noisy", seed=3, latency_s=0.05)
    url = server.start()
    yield url
    server.stop()


def run_to_end(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=HANG_S, env=env())


def wait_rows(run_dir: Path, n: int) -> None:
    end = time.monotonic() + HANG_S
    path = run_dir / "results_attempts.jsonl"
    while time.monotonic() < end:
        if path.exists() and len(path.read_text().splitlines()) >= n:
            return
        time.sleep(0.05)
    raise AssertionError(f"{n} rows never appeared")


def test_harness_killed_mid_run_then_resumed(tmp_path, mock, datasets):
    """SIGKILL: nothing can clean up, so the next start removes the dead owner's containers;
    the resume completes the grid with no row lost or doubled."""
    run_dir = tmp_path / "killed"
    proc = subprocess.Popen(eval_args(run_dir, mock, datasets), env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    wait_rows(run_dir, 3)
    proc.kill()
    proc.wait(timeout=HANG_S)
    before = len(attempt_keys(run_dir))
    resumed = run_to_end(resume_args(run_dir, mock, datasets))
    assert resumed.returncode == 0, resumed.stderr
    keys = assert_complete(run_dir)
    assert len(keys) >= before  # nothing written before the kill was lost
    assert containers_of(proc.pid) == [] and containers_of(os.getpid()) == []
    # mock replies depend on (task, trial, attempt), not on timing: the killed-and-resumed run
    # ends with the rows of a run never interrupted
    whole = tmp_path / "whole"
    assert run_to_end(eval_args(whole, mock, datasets)).returncode == 0
    assert outcomes(run_dir) == outcomes(whole)


def test_arc_run_killed_mid_run_then_resumed(tmp_path):
    """The same for ARC: its task logs and summary come out as in a run never interrupted."""
    server = MockServer("arc", seed=3, latency_s=0.05)
    url = server.start()
    try:
        def arc(run_dir: Path, *extra: str) -> list[str]:
            return [HARNESS, "eval", "arc", "--model", "mock", "--base-url", url, "--limit", "3",
                    "--attempts", "3", "--concurrency", "2", "--workers", "1", "--no-progress",
                    "--out-dir", str(run_dir.parent), "--run-id", run_dir.name, *extra]  # fmt: skip

        run_dir = tmp_path / "killed-arc"
        proc = subprocess.Popen(arc(run_dir), env=env(), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)  # fmt: skip
        wait_rows(run_dir, 2)
        proc.kill()
        proc.wait(timeout=HANG_S)
        resumed = run_to_end([HARNESS, "eval", "arc", "--resume", str(run_dir), "--base-url", url,
                              "--no-progress"])  # fmt: skip
        assert resumed.returncode == 0, resumed.stderr
        whole = tmp_path / "whole-arc"
        assert run_to_end(arc(whole)).returncode == 0
        assert outcomes(run_dir) == outcomes(whole) and len(outcomes(whole)) == 9
        scores = [json.loads((d / "summary.json").read_text())["metrics"]["score"]
                  for d in (run_dir, whole)]  # fmt: skip
        assert scores[0] == scores[1]
        assert containers_of(proc.pid) == []
    finally:
        server.stop()


def test_worker_container_killed_mid_run(tmp_path, mock, datasets):
    """`docker kill` of the container running programs: the pool replaces it, the program in
    flight is retried once, and every attempt still ends in one row."""
    run_dir = tmp_path / "dockerkill"
    proc = subprocess.Popen(eval_args(run_dir, mock, datasets), env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    wait_rows(run_dir, 2)
    for container in containers_of(proc.pid):
        container.kill()
    _, err = proc.communicate(timeout=HANG_S)
    assert proc.returncode == 0, err
    assert_complete(run_dir)
    assert containers_of(proc.pid) == [] and strays(proc.pid) == []


def test_flaky_api_every_attempt_ends_in_one_row(tmp_path, datasets):
    """30% of requests fail (429, 500, stalls): retries are honoured, stalls time out, and
    every attempt is one row, answered or recorded as an API error."""
    server = MockServer("noisy", seed=5, fail_rate=0.3, slow_s=30.0)
    url = server.start()
    try:
        run_dir = tmp_path / "flaky"
        done = run_to_end(eval_args(run_dir, url, datasets, "--timeout", "2", "--max-retries",
                                    "2", "--retry-delay", "0.05"))  # fmt: skip
        assert done.returncode in (0, 1), done.stderr  # 1 only if every attempt failed
        keys = attempt_keys(run_dir)
        assert keys and len(keys) == len(set(keys))
    finally:
        server.stop()


def test_no_docker_daemon_is_one_line(tmp_path, mock, datasets):
    run_dir = tmp_path / "nodaemon"
    done = subprocess.run(eval_args(run_dir, mock, datasets), capture_output=True, text=True,
                          timeout=HANG_S,
                          env=env() | {"DOCKER_HOST": f"unix://{tmp_path}/no.sock"})  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert len([line for line in done.stderr.splitlines() if line.strip()]) == 1, done.stderr


def test_full_disk_keeps_rows_and_resumes(tmp_path, mock, datasets):
    """The run directory on a tiny tmpfs: one clear line, the rows so far intact, and the run
    completes on resume once there is space."""
    if os.geteuid() != 0:
        pytest.fail("this test mounts a tmpfs and needs root, as the project's machines have")
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", str(mount)], check=True)
    try:
        run_dir = mount / "full"
        done = run_to_end(eval_args(run_dir, mock, datasets))
        assert done.returncode == 2, done.stderr
        assert "no space left" in done.stderr and "Traceback" not in done.stderr
        written = attempt_keys(run_dir)
        assert len(written) == len(set(written))
        subprocess.run(["mount", "-o", "remount,size=64m", str(mount)], check=True)
        resumed = run_to_end(resume_args(run_dir, mock, datasets))
        assert resumed.returncode == 0, resumed.stderr
        keys = assert_complete(run_dir)
        assert set(written) <= set(keys)
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_sigterm_ends_any_command_through_its_clean_up(tmp_path):
    """Not only eval runs: `harness exec` given SIGTERM while a program runs removes its
    containers on the way out (SIGTERM is what kill, Slurm and systemd send)."""
    program = tmp_path / "slow.py"
    program.write_text("def f(x):\n    n = 0\n    for i in range(10**9):\n        n += i\n"
                       "    return str(n)\n")  # fmt: skip
    inputs = tmp_path / "in.txt"
    inputs.write_text("a\nb\n")
    proc = subprocess.Popen([HARNESS, "exec", str(program), "--inputs", str(inputs),
                             "--time-limit", "5", "--batch-budget", "20"], env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    end = time.monotonic() + HANG_S
    while not containers_of(proc.pid) and time.monotonic() < end and proc.poll() is None:
        time.sleep(0.1)
    assert containers_of(proc.pid), "the pool never started"
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=HANG_S)
    assert proc.returncode == 143
    assert containers_of(proc.pid) == [] and strays(proc.pid) == []

