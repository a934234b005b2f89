"""Issue 14: the mock answers a call of a run by which call it is (`X-Harness-Attempt`), not by
how many requests of its task came first, so concurrency and resume cannot change a run's rows.
Everything goes over real HTTP through the real openai SDK."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from harness.mock.server import MockServer
from harness.mock.slots import Slot, parse_slot
from harness.models.base import Completion
from harness.models.sdk import request_headers
from tests.model_helpers import MODES, ask, client_for, request, sequential, with_retry

SLOTS = [(trial, attempt) for trial in (1, 2, 3) for attempt in (1, 2, 3, 4)]


def _replies(
    server: MockServer,
    mode: str,
    slots: list[tuple[int, int]],
    *,
    concurrent: bool = False,
    **client_kw: object,
) -> dict[tuple[int, int], Completion]:
    client = client_for(server, mode, **client_kw)
    if client_kw.get("max_retries"):
        with_retry(client)
    requests = [request(trial=t, attempt=a, turn=1, attempts=4) for t, a in slots]
    go = ask if concurrent else sequential
    return dict(zip(slots, asyncio.run(go(client, *requests)), strict=True))


@pytest.mark.parametrize("mode", MODES)
def test_same_call_same_reply_whatever_the_arrival_order(mode: str) -> None:
    with MockServer("noisy", seed=5) as server:
        forward = _replies(server, mode, SLOTS)
    with MockServer("noisy", seed=5) as server:  # a fresh server: what a resume talks to
        backward = _replies(server, mode, SLOTS[::-1])
    with MockServer("noisy", seed=5, latency_s=0.01) as server:
        together = _replies(server, mode, SLOTS, concurrent=True)
    for slot in SLOTS:
        texts = {forward[slot].text, backward[slot].text, together[slot].text}
        assert len(texts) == 1, slot
        assert forward[slot].response_id == backward[slot].response_id
        # only the run's first call of the task is a prompt-cache miss, whenever it arrives
        first = slot == (1, 1)
        assert (backward[slot].usage.cached_tokens == 0) == first
    assert len({forward[s].text for s in SLOTS}) > 4  # the trials are not copies of each other


def test_trial_one_replies_equal_the_counter_order_of_a_sequential_run() -> None:
    """Artifacts of single-trial sequential runs made before the header keep their replies."""
    with MockServer("noisy", seed=2) as server:
        plain = asyncio.run(sequential(client_for(server, "responses"),
                                       *(request() for _ in range(6))))  # fmt: skip
    with MockServer("noisy", seed=2) as server:
        slotted = _replies(server, "responses", [(1, a) for a in (6, 5, 4, 3, 2, 1)])
    for attempt, completion in enumerate(plain, start=1):
        assert slotted[(1, attempt)].text == completion.text
        assert slotted[(1, attempt)].response_id == completion.response_id


def test_replay_is_keyed_by_trial_and_attempt(tmp_path: Path) -> None:
    path = tmp_path / "replay.jsonl"
    codes = [f"def f(x):\n    return '{i % 2}'  # entry {i}\n" for i in range(3)]
    path.write_text("".join(json.dumps({"task": "fn_a", "code": c}) + "\n" for c in codes))
    with MockServer(f"replay:{path}") as server:
        got = _replies(server, "chat_completions", SLOTS[::-1])
    for (trial, attempt), completion in got.items():  # file order across the trials, as before
        assert json.loads(completion.text)["code"] == codes[((trial - 1) * 4 + attempt - 1) % 3]


def test_faults_are_keyed_by_call_and_retry_not_by_arrival() -> None:
    kw = {"max_retries": 6, "retry_delay": 0.0}
    with MockServer("noisy", seed=9, fail_rate=0.5, slow_s=0.0) as server:
        forward = _replies(server, "responses", SLOTS, **kw)
    with MockServer("noisy", seed=9, fail_rate=0.5, slow_s=0.0) as server:
        backward = _replies(server, "responses", SLOTS[::-1], concurrent=True, **kw)
    calls = [forward[s].attempts_made for s in SLOTS]
    assert calls == [backward[s].attempts_made for s in SLOTS] and max(calls) > 1
    assert all(forward[s].text == backward[s].text for s in SLOTS)


def test_attempt_header_round_trip_and_fallback() -> None:
    req = request(trial=2, attempt=3, turn=4, attempts=5)
    want = {"X-Harness-Task": "fn_a/L20", "X-Harness-Attempt": "2/3/4/1/5"}
    assert request_headers(req, 1) == want
    assert request_headers(request(), 0) == {"X-Harness-Task": "fn_a/L20"}  # not a run's call
    assert request_headers(request(task_id=None), 0) is None
    assert parse_slot("2/3/4/1/5") == Slot(2, 3, 4, 1, 5)
    assert parse_slot("2/3/4/1") == Slot(2, 3, 4, 1)
    assert parse_slot(" 1/2/1 ") == Slot(1, 2, 1, 0)
    for bad in (None, "", "0/1/1", "1/1", "1/1/1/1/1/1", "a/b/c", "1/1/1/-1", "9" * 12 + "/1/1"):
        assert parse_slot(bad) is None, bad
    assert Slot(1, 3).rng_key == 2 and Slot(2, 3).rng_key == "2/3/1"  # attempts unknown
    assert Slot(1, 3, turn=2).index == 3 and Slot(4, 3).index == 2
    assert Slot(2, 3, attempts=4).rng_key == 6 == Slot(2, 3, attempts=4).index
    assert Slot(2, 3, turn=2, attempts=4).rng_key == "2/3/2"
    assert Slot(2, 3, turn=2, attempts=4).index == 7


def test_runner_names_trial_attempt_and_turn_on_every_request(tmp_path: Path) -> None:
    """What the header carries comes from the runner (first turn) and the turns (later ones)."""
    from harness.run.store import RunStore
    from tests.test_runner_loop import FakeClient, TalkTask, prog, run

    client = FakeClient(default=prog(0.5))
    run(RunStore(tmp_path / "run"), client, [TalkTask("fn_a/L20", max_turns=2)],
        attempts=2, num_trials=2, concurrency=3)  # fmt: skip
    calls = sorted((r.trial, r.attempt, r.turn, r.attempts) for r in client.requests)
    assert calls == [(t, a, u, 2) for t in (1, 2) for a in (1, 2) for u in (1, 2)]
