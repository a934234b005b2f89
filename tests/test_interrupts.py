"""How a run ends early: SIGINT/SIGTERM (harness/run/interrupts.py), --max-cost, the API failure
rule (harness/run/run_status.py) and the --dry-run estimate (harness/run/estimate.py).

The signal tests start a real `harness eval erm` subprocess against a slow mock model on loopback
(the mock answers after ``LATENCY_S``) with real Docker, signal it once the first rows exist, and
check what a user relies on: the exit code, one line with the resume command, the manifest's
status, no container of that process left, intact rows, and a resume that ends where an
uninterrupted run does. Time bounds are generous; the stop times are printed (pytest -s).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from harness.models.pricing import resolve_rates
from harness.run.estimate import CostEstimate
from harness.run.interrupts import Interrupts, RunInterrupted, exit_code
from harness.run.run_status import api_failure
from harness.run.runner import Runner, RunnerOptions
from harness.run.store import RunStore
from tests.test_runner_loop import (
    LIMITS,
    POOL,
    FakeClient,
    FakeTask,
    Gauge,
    log_events,
    prog,
    request_for,
    run,
    usd,
)

ROOT = Path(__file__).resolve().parents[1]
LATENCY_S = 1.0
GRID = ["--functions", "fn_a,fn_b", "--lengths", "20,30,40", "--num-trials", "2",
        "--attempts", "2", "--test-size", "100", "--concurrency", "2", "--workers", "2",
        "--no-progress"]  # fmt: skip


# ---------------------------------------------------------------------- the runner (no Docker)
@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    return RunStore(tmp_path / "run")


def test_max_cost_stops_scheduling_once_the_rows_cost_reach_it(store):
    tasks = [FakeTask("a"), FakeTask("b"), FakeTask("c")]
    client = FakeClient(default=prog(0.2))  # each call: 10 * 0.001 + 5 * 0.002 = 0.02 USD
    result = run(store, client, tasks, attempts=3, concurrency=1, cost=usd, max_cost=0.05)
    assert result.stop_reason == "max_cost"
    assert len(result.attempt_rows) == 3 and len(client.requests) == 3
    assert result.spent == pytest.approx(0.06)
    assert log_events(store, "stop_scheduling")[0]["reason"] == "max_cost"


def test_max_cost_counts_resumed_rows_so_a_spent_run_asks_nothing(store):
    run(store, FakeClient(default=prog(0.2)), [FakeTask("a")], attempts=3, cost=usd)
    client = FakeClient(default=prog(0.2))
    result = run(store, client, [FakeTask("a"), FakeTask("b")], attempts=3, cost=usd,
                 max_cost=0.05)  # fmt: skip
    assert client.requests == [] and result.stop_reason == "max_cost"


def test_no_limit_and_a_high_limit_change_nothing(store, tmp_path):
    result = run(store, FakeClient(default=prog(0.2)), [FakeTask("a")], attempts=3, cost=usd,
                 max_cost=100.0)  # fmt: skip
    assert result.stop_reason is None and len(result.attempt_rows) == 3


def test_interrupt_cancels_calls_in_flight_and_keeps_the_rows_written(store):
    holder: dict[str, Runner] = {}

    def on_call(request: Any) -> None:
        if len(client.requests) == 3:  # the third call is in flight: interrupt now
            asyncio.get_running_loop().call_soon(holder["runner"].interrupt)

    client = FakeClient(default=prog(0.2), on_call=on_call, gauge=Gauge())  # calls yield
    runner = Runner(client=client, pool=POOL, store=store, make_request=request_for,  # type: ignore[arg-type]
                    limits=LIMITS, options=RunnerOptions(attempts=5, concurrency=1),
                    row_base={"run_id": "r1", "model": "fake"})  # fmt: skip
    holder["runner"] = runner
    result = asyncio.run(runner.run([FakeTask("a"), FakeTask("b")]))
    assert result.stop_reason == "interrupted"
    assert len(result.attempt_rows) == 2 and len(client.requests) == 3  # the 3rd never ended
    assert len(store.attempt_rows()) == 2


def test_the_bar_says_what_runs_and_counts_only_attempts_run_here(store):
    from tests.test_runner_loop import FakeProgress

    progress = FakeProgress()
    seen: list[str] = []
    client = FakeClient(default=prog(0.2), on_call=lambda r: seen.append(progress.fields["now"]))
    run(store, client, [FakeTask("fn_a/L20")], attempts=2, progress=progress)
    assert seen == ["fn_a/L20 t1 a1", "fn_a/L20 t1 a2"]
    assert progress.fields == {"now": "", "ran": 2}


# ---------------------------------------------------------------------- status rules
def row(error: str | None = None) -> dict[str, Any]:
    return {"api_error": error, "api_error_detail": "connection refused" if error else None}


def test_all_attempts_failing_at_the_api_fails_the_run_by_default():
    said = api_failure([row("api_error")] * 4, 1.0)
    assert said is not None and said.startswith("all 4 attempts failed at the API")
    assert "connection refused" in said and "--base-url" in said
    assert api_failure([row("api_error"), row()], 1.0) is None
    assert api_failure([row()] * 3, 0.0) is None and api_failure([], 0.0) is None


def test_max_api_error_rate_fails_a_run_above_the_share():
    rows = [row("timeout"), row(), row(), row()]
    assert api_failure(rows, 0.5) is None
    assert api_failure(rows, 0.2).startswith("1 of 4 attempts failed")  # type: ignore[union-attr]


def test_dry_run_estimate_is_priced_or_says_unpriced():
    task = FakeTask("a")  # 8 + 7 characters of prompt: 3 tokens
    priced = CostEstimate(resolve_rates("gpt-5"), "gpt-5")
    priced.add(task, 20000)
    line = priced.line(5)
    assert line.startswith("# estimate: 5 call(s)") and "~$0.20" in line
    unknown = CostEstimate(resolve_rates("some-local-model"), "some-local-model")
    unknown.add(task, None)
    assert "unpriced" in unknown.line(5)


def test_a_signal_before_the_loop_raises_and_during_it_calls_back():
    with pytest.raises(RunInterrupted) as caught, Interrupts():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1)
    assert exit_code(caught.value.signum) == 143
    called: list[int] = []
    with Interrupts() as interrupts:
        interrupts.on_first(lambda: called.append(1))
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.1)
    assert called == [1] and interrupts.signum == signal.SIGINT
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored


# ---------------------------------------------------------------------- real runs (Docker)
@pytest.fixture(scope="module")
def slow_mock():
    from harness.mock.server import MockServer

    with MockServer("oracle", latency_s=LATENCY_S) as server:
        yield server.base_url


def harness(*args: str) -> list[str]:
    return [sys.executable, "-m", "harness", *args]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def attempt_keys(run_dir: Path) -> list[tuple[str, int, int]]:
    """(task, trial, attempt) of every attempt row; every line must be valid JSON."""
    lines = (run_dir / "results_attempts.jsonl").read_text().splitlines()
    rows = [json.loads(line) for line in lines]
    return [(r["task_id"], r["trial"], r["attempt"]) for r in rows
            if r.get("row_type", "attempt") == "attempt"]  # fmt: skip


def left_containers(pid: int) -> int:
    from harness.sandbox.docker_pool import LABEL, OWNER_LABEL
    from harness.sandbox.image import docker_client

    owner = f"{socket.gethostname()}:{pid}"
    return len(docker_client().containers.list(
        all=True, filters={"label": [LABEL, f"{OWNER_LABEL}={owner}"]}))  # fmt: skip


def interrupted_run(tmp_path: Path, base_url: str, signals: list[int]) -> tuple[Any, Path, float]:
    run_dir = tmp_path / "runs" / "r1"
    proc = subprocess.Popen(harness("eval", "erm", "--model", "mock", "--base-url", base_url,
                                    *GRID, "--out-dir", str(tmp_path / "runs"), "--run-id", "r1"),
                            cwd=tmp_path, env=env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    rows = run_dir / "results_attempts.jsonl"
    deadline = time.monotonic() + 90
    while not (rows.exists() and rows.stat().st_size) and proc.poll() is None:
        assert time.monotonic() < deadline, "no row within 90 s"
        time.sleep(0.05)
    assert proc.poll() is None, proc.communicate()
    sent = time.monotonic()
    for signum in signals:
        proc.send_signal(signum)
        time.sleep(0.05)
    out, err = proc.communicate(timeout=20)
    stopped = time.monotonic() - sent
    proc.stdout_text, proc.stderr_text = out, err  # type: ignore[attr-defined]
    return proc, run_dir, stopped


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_the_run_cleanly_and_resume_finishes_it(tmp_path, slow_mock, signum):
    proc, run_dir, stopped = interrupted_run(tmp_path, slow_mock, [signum])
    print(f"\n{signal.Signals(signum).name}: stopped {stopped:.2f} s after the signal")
    err = proc.stderr_text  # type: ignore[attr-defined]
    assert proc.returncode == 128 + signum, err
    assert stopped < 20
    assert "Traceback" not in err and "Aborted" not in err
    assert f"resume with: harness eval erm --resume {run_dir}" in err
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "interrupted"
    events = [json.loads(x)["event"] for x in (run_dir / "runner.log").read_text().splitlines()]
    assert "interrupted" in events
    assert left_containers(proc.pid) == 0
    keys = attempt_keys(run_dir)
    assert keys and len(keys) == len(set(keys))

    done = subprocess.run(harness("eval", "erm", "--resume", str(run_dir), "--base-url",
                                  slow_mock, "--no-progress"),
                          cwd=tmp_path, env=env(), capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "complete"
    resumed = attempt_keys(run_dir)
    assert len(resumed) == len(set(resumed))

    whole = subprocess.run(harness("eval", "erm", "--model", "mock", *GRID, "--out-dir",
                                   str(tmp_path / "whole"), "--run-id", "w"),
                           cwd=tmp_path, env=env(), capture_output=True, text=True,
                           timeout=300)  # fmt: skip
    assert whole.returncode == 0, whole.stderr
    assert sorted(resumed) == sorted(attempt_keys(tmp_path / "whole" / "w"))


def test_a_second_ctrl_c_exits_at_once_and_still_removes_the_containers(tmp_path, slow_mock):
    proc, run_dir, stopped = interrupted_run(tmp_path, slow_mock, [signal.SIGINT] * 2)
    print(f"\nSIGINT twice: stopped {stopped:.2f} s after the first")
    assert proc.returncode == 130 and stopped < 20
    assert "Traceback" not in proc.stderr_text  # type: ignore[attr-defined]
    assert left_containers(proc.pid) == 0
    keys = attempt_keys(run_dir)
    assert len(keys) == len(set(keys))


def test_dry_run_ends_with_the_estimate_on_stderr(tmp_path):
    from click.testing import CliRunner

    from harness.cli.main import main

    result = CliRunner().invoke(main, ["eval", "erm", "--model", "gpt-5", "--functions", "fn_a",
                                       "--lengths", "20", "--test-size", "100", "--dataset-dir",
                                       str(tmp_path), "--dry-run"],
                                env={"OPENAI_API_KEY": None})  # fmt: skip
    assert result.exit_code == 0, result.output
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("# estimate: 5 call(s)") and "$" in last
    assert "# estimate" not in result.stdout


def test_the_bar_names_the_turn_of_a_conversation(store):
    from tests.test_runner_loop import FakeProgress, TalkTask

    progress = FakeProgress()
    seen: list[str] = []
    client = FakeClient(default=prog(0.2), on_call=lambda r: seen.append(progress.fields["now"]))
    run(store, client, [TalkTask("x", max_turns=3)], attempts=1, progress=progress)
    assert seen == ["x t1 a1", "x t1 a1 turn 2", "x t1 a1 turn 3"]


def test_a_signal_while_the_pool_starts_leaves_a_resumable_run(tmp_path, monkeypatch):
    """Before any attempt: the run directory still has its manifest (status interrupted), so
    `--resume` finds it and a new run of the same id is not blocked by a bare folder."""
    import harness.sandbox.backend as backend
    from harness.families.erm.family import ErmFamily
    from harness.run import engine
    from harness.run.config import RunConfig

    def interrupted(*_a: Any, **_k: Any) -> Any:
        raise RunInterrupted(signal.SIGINT)

    monkeypatch.setattr(backend, "make_backend", interrupted)
    config = RunConfig.resolve({"model": "mock", "functions": ("fn_a",), "lengths": (10,),
                                "test_size": 100, "out_dir": str(tmp_path), "run_id": "early",
                                "dataset_dir": str(tmp_path / "ds"), "progress": False},
                               env={})  # fmt: skip
    with pytest.raises(RunInterrupted):
        engine.run(config, ErmFamily())
    manifest = json.loads((tmp_path / "early" / "manifest.json").read_text())
    assert manifest["status"] == "interrupted" and manifest["config"]["run_id"] == "early"
    events = [json.loads(x)["event"] for x in (tmp_path / "early" / "runner.log").read_text()
              .splitlines()]  # fmt: skip
    assert events[-1] == "interrupted"
