"""The attempt loop (harness/run/runner.py) and its multi-turn continuation (harness/run/turns.py).

Pure logic: a scripted fake model client, a fake task whose ``evaluate`` reads its score out of
the program text (no sandbox pool), and a real run directory (RunStore) in tmp_path. No Docker,
no network, no timing: concurrency is measured by counting what is in flight.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from harness.models.base import Completion, ModelRequest, Usage
from harness.run.runner import Runner, RunnerOptions, RunResult
from harness.run.store import TRIALS_DIR, RunStore, trial_log_name
from harness.run.turns import answer_fields, first_turn_record
from harness.sandbox.limits import Limits

POOL = object()  # the fake tasks score without a pool; they check the runner passes this one
LIMITS = Limits(time_limit_s=0.25)
SCORE = re.compile(r"score = ([0-9.]+)")


def prog(score: float, *extra: str) -> str:
    """A model answer whose program scores ``score`` (``extra``: more program lines)."""
    lines = "\n".join((f"score = {score}", *extra))
    return f"Here it is.\n```python\n{lines}\n```\n"


def code_of(text: str) -> str | None:
    found = re.search(r"```python\n(.*?)\n```", text, re.S)
    return found.group(1) if found else None


def answer(text: str = "", *, usage: tuple[int, int, int, int] = (10, 5, 0, 0),
           duration_ms: float = 1.0, calls: int = 1, error: str | None = None,
           detail: str | None = None) -> Completion:  # fmt: skip
    return Completion(text=text, model="fake", usage=Usage(*usage), duration_ms=duration_ms,
                      attempts_made=calls, finish_reason=None if error else "stop",
                      error_kind=error, error_detail=detail)  # type: ignore[arg-type]  # fmt: skip


class Gauge:
    """Counts steps in flight (model calls and evaluations) and keeps the peak."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0

    async def hold(self) -> None:
        self.now += 1
        self.peak = max(self.peak, self.now)
        for _ in range(3):  # let every other ready coroutine run meanwhile
            await asyncio.sleep(0)
        self.now -= 1


class FakeClient:
    """Answers each task's requests from its own script, in order; a task without a script (or
    past its end when ``default`` is set) gets ``default``. Asking past a script without default
    fails the test."""

    def __init__(self, script: dict[str, list[Completion | str]] | None = None, *,
                 default: str | None = None, gauge: Gauge | None = None,
                 on_call: Any = None) -> None:  # fmt: skip
        self.script = {k: list(v) for k, v in (script or {}).items()}
        self.default = default
        self.gauge = gauge
        self.on_call = on_call
        self.requests: list[ModelRequest] = []

    def asked(self, task_id: str) -> int:
        return sum(1 for r in self.requests if r.task_id == task_id)

    async def complete(self, request: ModelRequest) -> Completion:
        self.requests.append(request)
        if self.on_call is not None:
            self.on_call(request)
        if self.gauge is not None:
            await self.gauge.hold()
        queue = self.script.get(str(request.task_id), [])
        if queue:
            item = queue.pop(0)
        else:
            assert self.default is not None, f"{request.task_id} asked past its script"
            item = self.default
        return answer(item) if isinstance(item, str) else item

    def request_body(self, request: ModelRequest) -> dict[str, Any]:
        return {"model": request.model, "input": request.messages}

    async def aclose(self) -> None:
        return None


@dataclass
class FakeTask:
    """An AttemptTask: the program text says its score; ``raise`` in it breaks the evaluator."""

    task_id: str
    gauge: Gauge | None = None
    evaluated: list[str] = field(default_factory=list)

    @property
    def key(self) -> dict[str, Any]:
        return {"fn": self.task_id.split("/")[0]}

    def messages(self) -> list[dict[str, str]]:
        return [{"role": "system", "content": "be brief"},
                {"role": "user", "content": f"solve {self.task_id}"}]  # fmt: skip

    def extract(self, completion: Completion) -> str | None:
        return code_of(completion.text)

    def row_fields(self) -> dict[str, Any]:
        return {"dataset_seed": 7}

    async def evaluate(self, code: str, pool: Any, limits: Limits) -> dict[str, Any]:
        assert pool is POOL and limits is LIMITS
        self.evaluated.append(code)
        if self.gauge is not None:
            await self.gauge.hold()
        if "raise" in code:
            raise RuntimeError("evaluator bug")
        score = float(SCORE.search(code).group(1))  # type: ignore[union-attr]
        out: dict[str, Any] = {"val_acc": score, "test_acc": score / 2}  # no compile_error key
        if "first_only" in code:
            out["only_first"] = "set"
        if "crash" in code:
            out["compile_error"] = "exception"
        return out


@dataclass
class TalkTask(FakeTask):
    """A multi-turn task: feedback until a turn's validation score reaches ``enough``."""

    max_turns: int = 3
    turn_keys: tuple[str, ...] = ("val_acc",)
    enough: float = 1.0
    states: list[dict[str, Any]] = field(default_factory=list)

    def feedback(self, state: dict[str, Any]) -> str | None:
        self.states.append(dict(state))
        if state.get("code") is None:
            return "no program"
        if float(state.get("val_acc") or 0.0) >= self.enough:
            return None
        return f"validation {state.get('val_acc')}"


class FakeProgress:
    """The part of rich's Progress the runner uses."""

    def __init__(self) -> None:
        self.total: int | None = None
        self.completed = 0
        self.added = 0

    def add_task(self, description: str, total: int, completed: int = 0, **fields: Any) -> int:
        self.added += 1
        self.total, self.completed = total, completed
        self.fields = dict(fields)
        return 7

    def update(self, task_id: int, **fields: Any) -> None:
        assert task_id == 7
        self.fields.update(fields)

    def advance(self, task_id: int, advance: float = 1) -> None:
        assert task_id == 7
        self.completed += int(advance)


def request_for(task: Any) -> ModelRequest:
    return ModelRequest(messages=task.messages(), model="fake", task_id=task.task_id)


def usd(completion: Completion) -> float:
    return completion.usage.prompt_tokens * 0.001 + completion.usage.completion_tokens * 0.002


def run(store: RunStore, client: FakeClient, tasks: list[Any], *, progress: Any = None,
        on_trial_done: Any = None, cost: Any = None, **options: Any) -> RunResult:  # fmt: skip
    runner = Runner(client=client, pool=POOL, store=store, make_request=request_for,  # type: ignore[arg-type]
                    limits=LIMITS, options=RunnerOptions(**options),
                    row_base={"run_id": "r1", "model": "fake"}, cost=cost, progress=progress,
                    on_trial_done=on_trial_done)  # fmt: skip
    return asyncio.run(runner.run(tasks))


def rows_of(result: RunResult, task_id: str, trial: int = 1) -> list[dict[str, Any]]:
    return [r for r in result.attempt_rows if r["task_id"] == task_id and r["trial"] == trial]


def log_events(store: RunStore, event: str) -> list[dict[str, Any]]:
    lines = store.log_path.read_text().splitlines()
    return [e for e in map(json.loads, lines) if e["event"] == event]


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    return RunStore(tmp_path / "run")


# ---------------------------------------------------------------------- order and early stop
def test_attempts_run_in_order_and_a_perfect_score_stops_the_trial(store):
    early, late = FakeTask("early"), FakeTask("late")
    client = FakeClient({"early": [prog(0.2), prog(0.5), prog(1.0), prog(0.9), prog(0.9)],
                         "late": [prog(0.1), prog(0.2), prog(0.3), prog(0.4), prog(1.0)]})
    progress = FakeProgress()
    result = run(store, client, [early, late], attempts=5, progress=progress)

    assert client.asked("early") == 3  # attempts 4 and 5 were never asked
    assert early.evaluated == [code_of(prog(s)) for s in (0.2, 0.5, 1.0)]
    rows = rows_of(result, "early")
    assert [(r["attempt"], r["val_acc"]) for r in rows] == [(1, 0.2), (2, 0.5), (3, 1.0)]
    assert [r["stopped_early"] for r in rows] == [False, False, True]
    # perfect on the last attempt: nothing was left to skip, but the seed flags it all the same
    assert [r["stopped_early"] for r in rows_of(result, "late")] == [False] * 4 + [True]
    assert progress.added == 1 and progress.total == 10 and progress.completed == 10
    assert [(e["task_id"], e["attempt"]) for e in log_events(store, "early_stop")] == [
        ("early", 3), ("late", 5)]
    best = {b["task_id"]: b for b in result.best_rows}
    assert best["early"]["best_attempt"] == 3 and best["early"]["attempts_used"] == 3
    assert result.new_attempts == 8 and result.harness_errors == 0


def test_rows_carry_the_run_task_and_answer_fields(store):
    task = FakeTask("fn_q/L8")
    client = FakeClient({"fn_q/L8": [answer(prog(0.5, "x = 1"), usage=(11, 6, 2, 3),
                                            duration_ms=12.34, calls=2)]})  # fmt: skip
    (row,) = run(store, client, [task], attempts=1, cost=usd).attempt_rows
    assert (row["run_id"], row["model"], row["row_type"], row["is_summary"]) == (
        "r1", "fake", "attempt", False)
    assert (row["task_id"], row["fn"], row["dataset_seed"]) == ("fn_q/L8", "fn_q", 7)
    assert (row["trial"], row["attempt"], row["prompt"]) == (1, 1, "solve fn_q/L8")
    assert (row["prompt_tokens"], row["completion_tokens"], row["reasoning_tokens"],
            row["cached_tokens"]) == (11, 6, 2, 3)  # fmt: skip
    assert row["estimated_cost"] == pytest.approx(0.023)
    assert (row["api_calls"], row["duration_ms"], row["api_error"]) == (2, 12.3, None)
    assert (row["code"], row["code_lines"]) == ("score = 0.5\nx = 1", 2)
    assert (row["val_acc"], row["test_acc"], row["outcome"]) == (0.5, 0.25, "ok")
    assert "turns" not in row and "turns_used" not in row  # a single-turn task


def test_ties_pick_the_earlier_attempt_and_rows_follow_the_task_order(store):
    tasks = [FakeTask("zeta"), FakeTask("alpha")]
    client = FakeClient({"zeta": [prog(0.5), prog(0.7), prog(0.7), prog(0.2)],
                         "alpha": [prog(0.4), prog(0.4), prog(0.1), prog(0.0)]})
    result = run(store, client, tasks, attempts=4)
    assert [b["task_id"] for b in result.best_rows] == ["zeta", "alpha"]
    assert [(b["best_attempt"], b["val_acc"]) for b in result.best_rows] == [(2, 0.7), (1, 0.4)]
    assert all(not b["stopped_early"] for b in result.best_rows)
    assert [(r["task_id"], r["attempt"]) for r in result.attempt_rows] == [
        ("zeta", a) for a in range(1, 5)] + [("alpha", a) for a in range(1, 5)]
    assert [s["task_id"] for s in result.summary_rows] == ["zeta", "alpha"]
    assert result.summary_rows[0]["n_attempts"] == 4


def test_parallel_attempts_run_every_attempt(store):
    task = FakeTask("par")
    client = FakeClient({"par": [prog(1.0), prog(1.0), prog(0.5)]})
    result = run(store, client, [task], attempts=3, parallel_attempts=True)
    assert client.asked("par") == 3
    assert sorted(r["attempt"] for r in result.attempt_rows) == [1, 2, 3]
    assert result.best_rows[0]["best_attempt"] == 1 and result.new_attempts == 3
    assert log_events(store, "early_stop") == []
    assert not any(r["stopped_early"] for r in result.attempt_rows)  # nothing was stopped


@pytest.mark.parametrize("parallel", [False, True])
def test_never_more_than_concurrency_attempts_in_flight(store, parallel):
    gauge = Gauge()
    tasks = [FakeTask(f"t{i}", gauge=gauge) for i in range(6)]
    client = FakeClient(default=prog(0.0), gauge=gauge)
    result = run(store, client, tasks, attempts=2, num_trials=2, concurrency=3,
                 parallel_attempts=parallel)  # fmt: skip
    assert len(client.requests) == 24 and len(result.attempt_rows) == 24
    assert gauge.peak == 3  # the bound holds over model call + evaluation, and it is used


# ---------------------------------------------------------------------- failures are rows
def test_an_api_failure_is_a_row_never_an_exception(store):
    task = FakeTask("api")
    failed = answer("", usage=(0, 0, 0, 0), calls=4, error="api_error", detail="HTTP 503")
    client = FakeClient({"api": [failed, prog(0.5)]})
    result = run(store, client, [task], attempts=2)
    first, second = rows_of(result, "api")
    assert (first["api_error"], first["api_error_detail"], first["api_calls"]) == (
        "api_error", "HTTP 503", 4)
    assert first["code"] is None and first["compile_error"] is None
    assert (first["val_acc"], first["test_acc"], first["outcome"]) == (0.0, 0.0, "api_error")
    assert task.evaluated == [code_of(prog(0.5))]  # nothing was evaluated for the failure
    assert second["api_error"] is None and second["val_acc"] == 0.5
    assert result.harness_errors == 0


def test_an_evaluator_exception_is_a_harness_error_row_and_the_run_goes_on(store):
    broken, other = FakeTask("broken"), FakeTask("other")
    client = FakeClient({"broken": [prog(0.3, "raise"), prog(0.5)], "other": [prog(0.6)] * 2})
    result = run(store, client, [broken, other], attempts=2)
    first, second = rows_of(result, "broken")
    assert first["compile_error"] == "harness_error" and first["outcome"] == "harness_error"
    assert first["compile_error_detail"] == "RuntimeError: evaluator bug"
    assert first["val_acc"] == 0.0 and first["code"] == "score = 0.3\nraise"
    assert second["compile_error"] is None and second["val_acc"] == 0.5
    assert len(rows_of(result, "other")) == 2
    assert result.harness_errors == 1 and len(store.attempt_rows()) == 4
    (event,) = log_events(store, "harness_error")
    assert (event["task_id"], event["trial"], event["attempt"]) == ("broken", 1, 1)
    assert "Traceback" in event["traceback"] and "RuntimeError: evaluator bug" in event[
        "traceback"]


# ---------------------------------------------------------------------- durability and resume
def test_each_row_is_durable_before_the_next_attempt_asks(store):
    seen: list[list[int]] = []
    client = FakeClient({"d": [prog(0.1), prog(0.2), prog(0.3)]},
                        on_call=lambda _r: seen.append([r["attempt"] for r in store.read_rows()]))
    run(store, client, [FakeTask("d")], attempts=3)
    assert seen == [[], [1], [1, 2]]
    trial_log = store.dir / TRIALS_DIR / trial_log_name("d", 1)
    lines = [json.loads(line) for line in trial_log.read_text().splitlines()]
    assert [x.get("attempt") for x in lines[:3]] == [1, 2, 3]
    assert lines[3] == {"event": "trial_done", "task_id": "d", "trial": 1}


def test_resume_skips_attempts_present_and_trials_already_perfect(store):
    first = run(store, FakeClient({"a": [prog(0.3), prog(0.4)], "b": [prog(1.0)]}),
                [FakeTask("a"), FakeTask("b")], attempts=2)  # fmt: skip
    assert first.new_attempts == 3
    before = {(r["task_id"], r["attempt"]): r for r in store.attempt_rows()}

    done: list[tuple[str, int, int]] = []
    client = FakeClient({"a": [prog(0.6), prog(0.8)]})  # b must not be asked at all
    progress = FakeProgress()
    again = run(store, client, [FakeTask("a"), FakeTask("b")], attempts=4, progress=progress,
                on_trial_done=lambda t, k, rows: done.append((t.task_id, k, len(rows))))
    assert again.new_attempts == 2 and client.asked("a") == 2 and client.asked("b") == 0
    assert [(r["task_id"], r["attempt"], r["val_acc"]) for r in again.attempt_rows] == [
        ("a", 1, 0.3), ("a", 2, 0.4), ("a", 3, 0.6), ("a", 4, 0.8), ("b", 1, 1.0)]
    for r in again.attempt_rows:  # the earlier rows are reused as they were
        if (r["task_id"], r["attempt"]) in before:
            assert r == before[(r["task_id"], r["attempt"])]
    assert (progress.total, progress.completed) == (8, 8)
    assert sorted(done) == [("a", 1, 4), ("b", 1, 1)]


def test_resume_fills_a_missing_attempt_between_present_ones(store):
    run(store, FakeClient({"g": [prog(0.1), prog(0.2), prog(0.3)]}), [FakeTask("g")],
        attempts=3, parallel_attempts=True)  # fmt: skip
    kept = [line for line in store.jsonl_path.read_text().splitlines()
            if json.loads(line)["attempt"] != 2]  # attempt 2 was in flight when it died
    store.jsonl_path.write_text("".join(line + "\n" for line in kept))

    client = FakeClient({"g": [prog(0.9)]})
    result = run(store, client, [FakeTask("g")], attempts=3)
    assert client.asked("g") == 1 and result.new_attempts == 1
    assert [(r["attempt"], r["val_acc"]) for r in result.attempt_rows] == [
        (1, 0.1), (2, 0.9), (3, 0.3)]


def test_a_perfect_attempt_in_a_gap_advances_progress_by_what_was_never_asked(store):
    run(store, FakeClient({"g": [prog(0.1), prog(0.2), prog(0.3)]}), [FakeTask("g")],
        attempts=3, parallel_attempts=True)  # fmt: skip
    kept = [line for line in store.jsonl_path.read_text().splitlines()
            if json.loads(line)["attempt"] != 2]
    store.jsonl_path.write_text("".join(line + "\n" for line in kept))
    progress = FakeProgress()
    run(store, FakeClient({"g": [prog(1.0)]}), [FakeTask("g")], attempts=3, progress=progress)
    assert (progress.completed, progress.total) == (3, 3)  # attempt 3 was done already


# ---------------------------------------------------------------------- on_trial_done
def test_on_trial_done_once_per_trial_and_its_fault_is_counted(store):
    calls: list[tuple[str, int, list[tuple[int, int]]]] = []

    def on_trial_done(task: Any, trial: int, rows: list[dict[str, Any]]) -> None:
        calls.append((task.task_id, trial, [(r["trial"], r["attempt"]) for r in rows]))
        if (task.task_id, trial) == ("a", 1):
            raise ValueError("report bug")

    client = FakeClient(default=prog(0.2))
    result = run(store, client, [FakeTask("a"), FakeTask("b")], attempts=2, num_trials=2,
                 on_trial_done=on_trial_done)  # fmt: skip
    assert sorted(calls) == [(t, k, [(k, 1), (k, 2)]) for t in ("a", "b") for k in (1, 2)]
    assert result.harness_errors == 1 and len(result.attempt_rows) == 8
    assert len(result.best_rows) == 4
    (event,) = log_events(store, "harness_error")
    assert (event["task_id"], event["trial"], event["where"]) == ("a", 1, "on_trial_done")
    assert "ValueError: report bug" in event["traceback"]


# ---------------------------------------------------------------------- multi-turn attempts
def test_a_conversation_sums_its_turns_and_keeps_the_later_program(store):
    task = TalkTask("talk", enough=0.6)
    turn1 = replace(answer(prog(0.2, "first_only", "crash"), usage=(10, 5, 2, 1),
                           duration_ms=100.0), tool_uses=2, tool_results_chars=10)
    turn2 = replace(answer(prog(1.0), usage=(20, 7, 3, 4), duration_ms=50.5, calls=2),
                    tool_uses=1, tool_results_chars=5)
    client = FakeClient({"talk": [turn1, turn2]})  # attempt 2 must not be asked: 1.0 on turn 2
    result = run(store, client, [task], attempts=2, cost=usd)
    (row,) = result.attempt_rows

    assert len(client.requests) == 2
    follow_up = client.requests[1]
    assert follow_up.messages == [*task.messages(), {"role": "assistant", "content": turn1.text},
                                  {"role": "user", "content": "validation 0.2"}]  # fmt: skip
    assert (follow_up.model, follow_up.task_id) == ("fake", "talk")
    assert row["turns_used"] == 2 and [t["turn"] for t in row["turns"]] == [1, 2]
    assert (row["prompt_tokens"], row["completion_tokens"], row["reasoning_tokens"],
            row["cached_tokens"]) == (30, 12, 5, 5)  # fmt: skip
    assert row["estimated_cost"] == pytest.approx(usd(turn1) + usd(turn2))
    assert (row["api_calls"], row["duration_ms"]) == (3, 150.5)
    assert (row["tool_uses"], row["tool_results_chars"]) == (3, 15)
    assert (row["code"], row["code_lines"], row["text"]) == ("score = 1.0", 1, turn2.text)
    assert (row["val_acc"], row["test_acc"], row["compile_error"]) == (1.0, 0.5, None)
    assert "only_first" in row and row["only_first"] is None  # turn 1's result, not kept
    assert row["stopped_early"] is True
    assert row["turns"][0]["feedback"] == "validation 0.2" and row["turns"][0]["val_acc"] == 0.2
    assert row["turns"][0]["usage"]["prompt_tokens"] == 10
    assert row["turns"][1]["usage"]["prompt_tokens"] == 20 and row["turns"][1]["val_acc"] == 1.0
    assert store.attempt_rows() == [row]


@pytest.mark.parametrize(("scores", "enough", "turns"), [
    ([0.5], 0.1, 1),  # no feedback after turn 1: a single turn
    ([0.2, 0.7], 0.6, 2),  # feedback after turn 1 only
    ([0.2, 0.3, 0.4], 2.0, 3),  # always feedback: max_turns
])  # fmt: skip
def test_turns_continue_only_while_there_is_feedback(store, scores, enough, turns):
    task = TalkTask("t", enough=enough)
    client = FakeClient({"t": [prog(s) for s in scores]})
    (row,) = run(store, client, [task], attempts=1).attempt_rows
    assert len(client.requests) == turns
    assert row["turns_used"] == turns and len(row["turns"]) == turns
    assert len(task.states) == min(turns, task.max_turns - 1)  # none after the last turn
    assert row["val_acc"] == scores[-1] and row["prompt_tokens"] == 10 * turns


def test_an_api_error_on_turn_two_ends_the_conversation_and_keeps_turn_one(store):
    task = TalkTask("t", enough=2.0)
    failed = answer("", usage=(0, 0, 0, 0), duration_ms=30.0, calls=3, error="timeout",
                    detail="read timeout")  # fmt: skip
    client = FakeClient({"t": [answer(prog(0.4), duration_ms=10.0), failed]})
    result = run(store, client, [task], attempts=1, cost=usd)
    (row,) = result.attempt_rows
    assert len(client.requests) == 2  # no third turn although feedback and max_turns allow it
    assert (row["code"], row["val_acc"], row["compile_error"]) == ("score = 0.4", 0.4, None)
    assert row["text"] == prog(0.4)
    assert row["turns_used"] == 2
    assert (row["turns"][1]["api_error"], row["turns"][1]["api_error_detail"]) == (
        "timeout", "read timeout")
    assert row["turns"][1]["code"] is None
    assert (row["api_calls"], row["duration_ms"]) == (4, 40.0)
    assert row["estimated_cost"] == pytest.approx(0.02)
    assert result.harness_errors == 0


def test_a_later_program_clears_the_no_code_of_turn_one(store):
    task = TalkTask("t", enough=0.5)
    client = FakeClient({"t": ["I am not sure.", prog(0.5)]})
    (row,) = run(store, client, [task], attempts=1).attempt_rows
    assert task.states[0]["code"] is None and task.states[0]["compile_error"] == "no_code_found"
    assert row["turns"][0]["compile_error"] == "no_code_found"
    assert row["turns"][1]["messages_added"] == [
        {"role": "assistant", "content": "I am not sure."},
        {"role": "user", "content": "no program"}]  # fmt: skip
    assert (row["code"], row["code_lines"], row["compile_error"], row["val_acc"]) == (
        "score = 0.5", 1, None, 0.5)
    assert row["outcome"] == "ok"


def test_a_harness_error_in_a_later_turn_is_the_attempts_row(store):
    task = TalkTask("t", enough=2.0)
    client = FakeClient({"t": [prog(0.4), prog(0.6, "raise")], "u": [prog(0.3)]})
    result = run(store, client, [task, FakeTask("u")], attempts=1)
    row = rows_of(result, "t")[0]
    assert row["compile_error"] == "harness_error" and row["outcome"] == "harness_error"
    assert result.harness_errors == 1 and len(result.attempt_rows) == 2
    assert len(client.requests) == 3  # t: two turns, then the fault; u still ran
    (event,) = log_events(store, "harness_error")
    assert event["task_id"] == "t" and "RuntimeError: evaluator bug" in event["traceback"]
    # the second answer was paid for: it is billed and recorded although its scoring failed
    assert row["compile_error_detail"] == "RuntimeError: evaluator bug"
    assert (row["prompt_tokens"], row["api_calls"], row["turns_used"]) == (20, 2, 2)
    assert row["turns"][1]["text"] == prog(0.6, "raise")


class BrokenExtract(FakeTask):
    def extract(self, completion: Completion) -> str | None:
        raise ValueError("extractor bug")


def test_a_fault_before_scoring_is_the_attempts_row_not_the_end_of_the_run(store):
    client = FakeClient({"x": [prog(0.5), prog(0.5)], "u": [prog(1.0)]})
    result = run(store, client, [BrokenExtract("x"), FakeTask("u")], attempts=2)
    rows = rows_of(result, "x")
    assert [r["compile_error"] for r in rows] == ["harness_error", "harness_error"]
    assert rows[0]["prompt_tokens"] == 10 and rows[0]["outcome"] == "harness_error"
    assert result.harness_errors == 2 and rows_of(result, "u")[0]["val_acc"] == 1.0


# ---------------------------------------------------------------------- the turn helpers
def test_answer_fields_record_usage_cost_and_errors():
    done = answer("hi", usage=(3, 2, 1, 0), duration_ms=9.96, calls=2)
    fields = answer_fields(done, usd)
    assert (fields["prompt_tokens"], fields["completion_tokens"], fields["reasoning_tokens"],
            fields["cached_tokens"]) == (3, 2, 1, 0)  # fmt: skip
    assert fields["estimated_cost"] == pytest.approx(0.007)
    assert (fields["duration_ms"], fields["api_calls"], fields["text"]) == (10.0, 2, "hi")
    assert answer_fields(done, None)["estimated_cost"] is None
    failed = answer_fields(answer(error="timeout", detail="slow"), None)
    assert (failed["api_error"], failed["api_error_detail"]) == ("timeout", "slow")


def test_first_turn_record_reads_turn_one_back_from_its_row():
    row = {"text": "t", "prompt_tokens": 4, "completion_tokens": 1, "estimated_cost": 0.5,
           "duration_ms": 3.0, "code": "x", "val_acc": 0.25, "other": 1,
           "compile_error": None}  # fmt: skip
    record = first_turn_record(row, ("val_acc",))
    assert record["turn"] == 1 and record["val_acc"] == 0.25 and "other" not in record
    assert record["usage"] == {"prompt_tokens": 4, "completion_tokens": 1,
                               "reasoning_tokens": None, "cached_tokens": None}  # fmt: skip
    assert "compile_error" not in record  # it has a program
    no_code = first_turn_record({**row, "code": None, "compile_error": "no_code_found"}, ())
    assert no_code["compile_error"] == "no_code_found"
    api = first_turn_record({**row, "code": None, "api_error": "timeout"}, ())
    assert api["api_error"] == "timeout" and "compile_error" not in api
