"""The mock model's policies: determinism per seed, the noisy and ARC mixes, replay files, task
identification. Hostile programs served by the mixes are only looked at here, never executed."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

import pytest

from harness.judge.extract import extract_arc_code, extract_code
from harness.mock.arc import HOSTILE_PROGRAMS as ARC_HOSTILE
from harness.mock.arc import parse_arc_prompt
from harness.mock.policies import (
    ARC_MIX,
    NOISY_MIX,
    ArcPolicy,
    NoisyPolicy,
    TaskRef,
    derived_rng,
    identify,
)
from harness.mock.programs import HOSTILE_PROGRAMS
from harness.mock.server import MockServer
from harness.models.base import ModelRequest
from tests.model_helpers import (
    client_for,
    erm_prompt,
    request,
    run,
    sequential,
)

# --- determinism ----------------------------------------------------------------------------------


def _texts(seed: int, concurrent: bool, tasks: list[str]) -> dict[str, list[str]]:
    with MockServer("noisy", seed=seed) as server:
        client = client_for(server, "chat_completions")
        reqs = [request(task_id=t) for t in tasks]
        if concurrent:
            results = run(client, *reqs)
        else:
            results = asyncio.run(sequential(client, *reqs))
    out: dict[str, list[str]] = {}
    for t, c in zip(tasks, results, strict=True):
        out.setdefault(t, []).append(c.text)
    return out


def test_same_seed_same_replies_regardless_of_scheduling() -> None:
    tasks = [f"fn_{c}/L20" for c in "abcdefgh"]
    sequential = _texts(1, False, tasks + tasks)
    assert _texts(1, False, tasks + tasks) == sequential
    concurrent = _texts(1, True, tasks)
    assert {t: v[:1] for t, v in sequential.items()} == concurrent
    assert _texts(2, False, tasks + tasks) != sequential


# --- policies -------------------------------------------------------------------------------------


def test_noisy_mix_serves_every_kind_in_documented_proportions() -> None:
    policy = NoisyPolicy()
    task = identify("fn_a/L20", erm_prompt())
    choices = Counter()
    hostile_texts = []
    n = 3000
    for i in range(n):
        reply = policy.reply(task, derived_rng(0, task.key, i), i)
        kind = reply.choice.split(":")[1]
        choices[kind if kind != "fn_a" else "correct"] += 1
        if kind == "hostile":
            hostile_texts.append(reply.text)
    for kind, share in NOISY_MIX:
        got = (choices["correct"] if kind == "correct" else choices[kind]) / n
        assert abs(got - share) < 0.04, (kind, got, share)
    served = {extract_code(t) for t in hostile_texts}  # looked at, never executed
    assert served == set(HOSTILE_PROGRAMS)
    assert any("os.system" in s for s in served) and any("__subclasses__" in s for s in served)


ARC_PROMPT = (
    "You solve ARC tasks. Write def transform(grid: list[list[int]]) -> list[list[int]].\n"
    "## Input 1 (grid shape: 3 by 2):\n[[1 2 3] [4 5 6]]\n"
    "## Output 1 (grid shape: 3 by 2):\n[[3 2 1] [6 5 4]]\n"
    "## Input 2 (grid shape: 2 by 2):\n[[0 7] [7 0]]\n"
    "## Output 2 (grid shape: 2 by 2):\n[[7 0] [0 7]]\n"
    "## Test Input 1 (grid shape: 2 by 1):\n[[1 2]]\n"
)


def test_arc_prompt_parsing_and_oracle_fit() -> None:
    pairs, tests = parse_arc_prompt(ARC_PROMPT)
    assert pairs[0] == ([[1, 2, 3], [4, 5, 6]], [[3, 2, 1], [6, 5, 4]]) and tests == [[[1, 2]]]
    with MockServer("oracle", seed=0) as server:
        msgs = [
            {"role": "system", "content": "ARC solver"},
            {"role": "user", "content": ARC_PROMPT},
        ]
        req = ModelRequest(messages=msgs, model="mock", task_id="0a1b2c3d")
        (c,) = run(client_for(server, "responses"), req)
    assert "```python" in c.text
    code = extract_arc_code(c.text)
    assert code is not None and "reversed(row)" in code
    assert server.log[-1]["choice"] == "arc:fit:flip_horizontal"


def test_arc_mix_serves_every_kind() -> None:
    policy = ArcPolicy()
    task = identify(None, ARC_PROMPT)
    assert task.kind == "arc" and task.key.startswith("arc:")
    replies = [policy.reply(task, derived_rng(0, "t", i), i) for i in range(600)]
    kinds = Counter(r.choice.split(":")[1] for r in replies)
    assert set(kinds) == {name for name, _ in ARC_MIX}
    hostile = {extract_arc_code(r.text) for r in replies if r.choice.startswith("arc:hostile")}
    assert hostile == {p.rstrip("\n") for p in ARC_HOSTILE}  # served, never executed
    hardcoded = [r for r in replies if r.choice == "arc:hardcoded"]
    assert "[[3, 2, 1], [6, 5, 4]]" in hardcoded[0].text


def test_replay_policy(tmp_path: Path) -> None:
    path = tmp_path / "replay.jsonl"
    rows = [
        {"task": "fn_a", "code": "def f(x):\n    return 'bare'\n"},
        {"task": "fn_a/L20", "code": "def f(x):\n    return 'one'\n"},
        {"task": "fn_a/L20", "code": "def f(x):\n    return 'two'\n"},
        {"task": "007bbfd7", "code": "def transform(grid):\n    return grid\n"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    with MockServer(f"replay:{path}") as server:
        reqs = [request(task_id=t) for t in ("fn_a/L20", "fn_a/L20", "fn_a/L20", "fn_a/L50")]
        arc = ModelRequest(
            messages=[{"role": "user", "content": ARC_PROMPT}], model="mock", task_id="007bbfd7"
        )
        missing = request(task_id="fn_b/L20")
        results = asyncio.run(sequential(client_for(server, "responses"), *reqs, arc, missing))
    codes = [extract_code(c.text) for c in results[:4]]
    assert [c.split("'")[1] for c in codes] == ["one", "two", "one", "bare"]  # type: ignore[union-attr]
    assert json.loads(results[0].text)["code"] == rows[1]["code"]
    assert "```python" in results[4].text and extract_arc_code(results[4].text) is not None
    assert extract_code(results[5].text) is None


def test_replay_file_errors_are_clear(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"task": "fn_a", "code": "x"}\nnot json\n')
    with pytest.raises(ValueError, match="line 2"):
        MockServer(f"replay:{bad}")
    with pytest.raises(ValueError, match="unknown mock policy"):
        MockServer("genius")


def test_identify_prefers_header() -> None:
    assert identify("fn_e/L50", "anything").key == "fn_e/L50"
    bare = identify("fn_c", erm_prompt(length=30))
    assert (bare.fn, bare.length) == ("fn_c", 30)
    assert identify(None, "hello").kind == "unknown"
    assert isinstance(identify("abc123", ARC_PROMPT), TaskRef)
