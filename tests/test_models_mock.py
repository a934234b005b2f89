"""The model clients, driven through the REAL openai SDK over HTTP against the mock server.

Hostile programs served by the noisy/arc policies are only looked at here, never executed.
No assertion depends on sleeping: retries use a recording fake sleep, and the one wall-clock
bound (a timed-out call returns long before the server's 30 s stall ends) has a wide margin.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from harness.errors import UserError
from harness.extract import extract_arc_code, extract_code
from harness.models.base import Completion, ModelClient, ModelRequest
from harness.models.factory import (
    make_client,
    resolve_api_key,
    resolve_api_mode,
    resolve_base_url,
)
from harness.models.mock_arc import HOSTILE_PROGRAMS as ARC_HOSTILE
from harness.models.mock_arc import parse_arc_prompt
from harness.models.mock_policies import (
    ARC_MIX,
    NOISY_MIX,
    ArcPolicy,
    NoisyPolicy,
    TaskRef,
    identify,
)
from harness.models.mock_programs import HOSTILE_PROGRAMS, oracle_programs
from harness.models.mock_server import MockServer, derived_rng
from harness.models.retry import RetryPolicy

MODES = ("responses", "chat_completions")


def parity(x: str) -> str:
    return str(x.count("1") % 2)


def erm_prompt(length: int = 20, n: int = 40, seed: int = 0) -> str:
    rng = random.Random(seed)
    xs = ["".join(rng.choice("01") for _ in range(length)) for _ in range(n)]
    lines = "\n".join(f"{x} -> {parity(x)}" for x in xs)
    return (
        f"The inputs are binary sequences of length {length}; outputs are '0' or '1'.\n"
        f"```\n{lines}\n```\n"
        'Output only one JSON object {"code": "<python function>"}.'
    )


def request(task_id: str | None = "fn_a/L20", **kw: object) -> ModelRequest:
    return ModelRequest(
        messages=[{"role": "user", "content": erm_prompt()}], model="mock", task_id=task_id, **kw
    )  # type: ignore[arg-type]


def client_for(server: MockServer, mode: str, **kw: object) -> ModelClient:
    opts: dict[str, object] = {"timeout_s": 5.0, "max_retries": 0, "retry_delay": 0.0}
    opts.update(kw)
    return make_client(mode, "mock", base_url=server.base_url, api_key="test-key", **opts)  # type: ignore[arg-type]


class RecordingSleep:
    """Stands in for asyncio.sleep: records the delays, waits for nothing."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def with_retry(client: ModelClient, **kw: object) -> RecordingSleep:
    """Swap the client's retry policy for one with a fake sleep (other fields kept)."""
    sleep = RecordingSleep()
    old: RetryPolicy = client.retry  # type: ignore[attr-defined]
    fields = {
        "max_retries": old.max_retries,
        "retry_delay": old.retry_delay,
        "timeout_s": old.timeout_s,
        "rng": random.Random(7),
    }
    fields.update(kw)
    client.retry = RetryPolicy(sleep=sleep, **fields)  # type: ignore[attr-defined,arg-type]
    return sleep


async def ask(client: ModelClient, *requests: ModelRequest) -> list[Completion]:
    try:
        return list(await asyncio.gather(*(client.complete(r) for r in requests)))
    finally:
        await client.aclose()


def run(client: ModelClient, *requests: ModelRequest) -> list[Completion]:
    return asyncio.run(ask(client, *requests))


@pytest.fixture
def oracle_server():
    with MockServer("oracle", seed=3) as server:
        yield server


# --- happy path, both API modes ----------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_completion_fields_in_both_modes(oracle_server: MockServer, mode: str) -> None:
    client = client_for(oracle_server, mode)
    assert isinstance(client, ModelClient)
    first, second = asyncio.run(_sequential(client, request(), request()))
    prompt_tokens = len(erm_prompt().split())
    for c in (first, second):
        assert c.ok and c.error_kind is None and c.attempts_made == 1
        assert c.model == "mock" and c.finish_reason == "stop" and not c.max_tokens_hit
        assert c.response_id and c.response_id.startswith(
            "resp_" if mode == "responses" else "chat"
        )
        assert c.reasoning_text.startswith("Examined the examples for fn_a")
        assert c.usage.prompt_tokens == prompt_tokens
        assert c.usage.reasoning_tokens == len(c.reasoning_text.split())
        assert c.usage.completion_tokens == c.usage.reasoning_tokens + len(c.text.split())
        code = extract_code(c.text)
        assert code in oracle_programs("fn_a", 20)
    assert first.usage.cached_tokens == 0
    assert second.usage.cached_tokens == prompt_tokens // 2  # the mock's prompt-cache imitation
    log = [e for e in oracle_server.log if e["event"] == "reply"]
    assert [e["task"] for e in log] == ["fn_a/L20", "fn_a/L20"]  # X-Harness-Task arrived


async def _sequential(client: ModelClient, *requests: ModelRequest) -> list[Completion]:
    try:
        return [await client.complete(r) for r in requests]
    finally:
        await client.aclose()


@pytest.mark.parametrize("style", ["reasoning_content", "reasoning", "think"])
def test_chat_reasoning_is_normalised(style: str) -> None:
    with MockServer("oracle", seed=1, reasoning_style=style) as server:
        (c,) = run(client_for(server, "chat_completions"), request())
    assert c.reasoning_text.startswith("Examined the examples for fn_a")
    assert "<think>" not in c.text and "</think>" not in c.text
    assert extract_code(c.text) in oracle_programs("fn_a", 20)


@pytest.mark.parametrize("mode", MODES)
def test_max_output_tokens_hit_is_flagged(oracle_server: MockServer, mode: str) -> None:
    (c,) = run(client_for(oracle_server, mode), request(max_output_tokens=20))
    assert c.ok and c.max_tokens_hit and c.finish_reason == "length"
    assert c.usage.completion_tokens == 20
    assert c.usage.reasoning_tokens + len(c.text.split()) == 20


def test_task_inferred_from_prompt_without_header(oracle_server: MockServer) -> None:
    (c,) = run(client_for(oracle_server, "responses"), request(task_id=None))
    assert extract_code(c.text) in oracle_programs("fn_a", 20)
    assert oracle_server.log[-1]["task"] == "fn_a/L20"


def test_models_endpoint(oracle_server: MockServer) -> None:
    with urllib.request.urlopen(oracle_server.base_url + "/models", timeout=5) as resp:
        data = json.load(resp)
    assert data["object"] == "list" and {m["id"] for m in data["data"]} >= {"mock"}


# --- retries, Retry-After, timeouts ------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_retries_429_and_500_honouring_retry_after(mode: str) -> None:
    with MockServer("oracle", seed=3, fault_script=["429", "500"], retry_after="0.25") as server:
        client = client_for(server, mode, max_retries=3, retry_delay=100.0)
        sleep = with_retry(client)
        (c,) = run(client, request())
    assert c.ok and c.attempts_made == 3
    assert sleep.delays[0] == 0.25  # Retry-After, not a backoff of up to 100 s
    assert 0.0 <= sleep.delays[1] <= 200.0  # no header on the 500: jittered 100 * 2**1
    assert server.stats["fault_429"] == 1 and server.stats["fault_500"] == 1


def test_backoff_is_full_jitter_and_deterministic() -> None:
    a = RetryPolicy(retry_delay=1.0, max_delay=8.0, rng=random.Random(5))
    b = RetryPolicy(retry_delay=1.0, max_delay=8.0, rng=random.Random(5))
    delays = [a.backoff(i, None) for i in range(6)]
    assert delays == [b.backoff(i, None) for i in range(6)]
    assert all(0.0 <= d <= min(8.0, 2.0**i) for i, d in enumerate(delays))
    assert a.backoff(3, 2.5) == 2.5 and a.backoff(0, 1000.0) == 8.0


def test_exhausted_retries_record_api_error() -> None:
    with MockServer("oracle", fault_script=["500", "500", "500"]) as server:
        client = client_for(server, "responses", max_retries=2)
        with_retry(client)
        (c,) = run(client, request())
    assert c.error_kind == "api_error" and c.attempts_made == 3 and not c.ok
    assert c.error_detail and "500" in c.error_detail and c.text == ""


def test_client_errors_are_not_retried(oracle_server: MockServer) -> None:
    client = make_client(
        "responses",
        "mock",
        base_url=oracle_server.base_url + "/nowhere",
        api_key="k",
        max_retries=3,
    )
    sleep = with_retry(client)
    (c,) = run(client, request())
    assert c.error_kind == "api_error" and c.attempts_made == 1 and sleep.delays == []
    assert "404" in (c.error_detail or "")


@pytest.mark.parametrize("mode", MODES)
def test_timeout_really_stops_waiting_and_is_not_an_api_error(mode: str) -> None:
    with MockServer("oracle", fault_script=["slow", "slow"], slow_s=30.0) as server:
        client = client_for(server, mode, timeout_s=0.3, max_retries=1)
        sleep = with_retry(client)
        (c,) = run(client, request())
    assert c.error_kind == "timeout" and c.attempts_made == 2 and len(sleep.delays) == 1
    assert c.duration_ms < 15_000  # the server stalls 30 s per call; we left long before


def test_timeout_then_success_returns_the_same_answer() -> None:
    with MockServer("noisy", seed=11) as server:
        (plain,) = run(client_for(server, "responses"), request())
    with MockServer("noisy", seed=11, fault_script=["slow"], slow_s=30.0) as server:
        client = client_for(server, "responses", timeout_s=0.3, max_retries=2)
        with_retry(client)
        (retried,) = run(client, request())
    assert retried.ok and retried.attempts_made == 2
    assert retried.text == plain.text


@pytest.mark.parametrize("mode", MODES)
def test_fail_rate_still_completes_with_enough_retries(mode: str) -> None:
    tasks = [f"fn_{c}/L20" for c in "abcdefgj"] * 2
    with MockServer("oracle", seed=5, fail_rate=0.3, slow_s=30.0) as server:
        client = client_for(server, mode, timeout_s=0.5, max_retries=10)
        with_retry(client)
        results = run(client, *(request(task_id=t) for t in tasks))
        faults = sum(server.stats[k] for k in ("fault_429", "fault_500", "fault_slow"))
    assert all(c.ok for c in results)
    # every injected fault costs one failed call (a loaded machine may add a timeout or two)
    assert faults > 0 and sum(c.attempts_made - 1 for c in results) >= faults


# --- determinism ----------------------------------------------------------------------------------


def _texts(seed: int, concurrent: bool, tasks: list[str]) -> dict[str, list[str]]:
    with MockServer("noisy", seed=seed) as server:
        client = client_for(server, "chat_completions")
        reqs = [request(task_id=t) for t in tasks]
        if concurrent:
            results = run(client, *reqs)
        else:
            results = asyncio.run(_sequential(client, *reqs))
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
        results = asyncio.run(_sequential(client_for(server, "responses"), *reqs, arc, missing))
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


# --- request bodies, factory ----------------------------------------------------------------


def test_request_bodies_for_dry_run_need_no_key() -> None:
    req = ModelRequest(
        messages=[{"role": "user", "content": "hi"}],
        model="gpt-5",
        reasoning_effort="high",
        verbosity="low",
        max_output_tokens=20000,
        tool_choice="auto",
        enable_code_interpreter=True,
    )
    env: dict[str, str] = {}
    responses = make_client("responses", "gpt-5", env=env, require_key=False).request_body(req)
    assert responses == {
        "model": "gpt-5",
        "input": [{"role": "user", "content": "hi"}],
        "reasoning": {"effort": "high", "summary": "auto"},
        "text": {"verbosity": "low"},
        "max_output_tokens": 20000,
        "tools": [{"type": "code_interpreter", "container": {"type": "auto"}}],
        "tool_choice": "auto",
    }
    chat = make_client("chat_completions", "gpt-5", env=env, require_key=False).request_body(req)
    assert chat == {
        "model": "gpt-5",
        "messages": [{"role": "user", "content": "hi"}],
        "reasoning_effort": "high",
        "verbosity": "low",
        "max_completion_tokens": 20000,
    }


def test_key_base_url_and_mode_precedence() -> None:
    env = {"TAMU_API_KEY": "tamu", "OPENAI_API_KEY": "oa", "API_BASE_URL": "http://gw/v1"}
    assert resolve_api_key("flag", env) == "flag"
    assert resolve_api_key(None, env) == "tamu"
    assert resolve_api_key(None, {"OPENAI_API_KEY": "oa"}) == "oa"
    assert resolve_base_url(None, env) == "http://gw/v1"
    assert resolve_base_url(None, {"OPENAI_BASE_URL": "http://o/v1"}) == "http://o/v1"
    assert resolve_base_url("http://flag/v1", env) == "http://flag/v1"
    assert resolve_api_mode(None, {}) == "responses"
    assert resolve_api_mode(None, {"API_MODE": "chat_completions"}) == "chat_completions"
    with pytest.raises(UserError, match="unknown API mode"):
        resolve_api_mode("grpc", {})


def test_missing_key_for_a_real_model_is_a_user_error() -> None:
    with pytest.raises(UserError, match="no API key for model 'gpt-5'"):
        make_client("responses", "gpt-5", env={})
    assert make_client("chat_completions", "mock", env={}) is not None


# --- CLI ------------------------------------------------------------------------------------------


def test_cli_prints_url_serves_and_exits_cleanly_on_ctrl_c() -> None:
    code = "from harness.cli_mock import mock_server; mock_server()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "--policy", "oracle", "--seed", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        with urllib.request.urlopen(url + "/models", timeout=5) as resp:
            assert resp.status == 200
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and "Traceback" not in err


def test_cli_rejects_unknown_policy() -> None:
    from click.testing import CliRunner

    from harness.cli_mock import mock_server

    result = CliRunner().invoke(mock_server, ["--policy", "genius"])
    assert result.exit_code == 2 and "replay:FILE" in result.output


# ---------------------------------------------------------------- hostile requests (raw HTTP)
def _raw(server: MockServer, body: bytes | None, headers: dict[str, str]) -> tuple[int, dict]:
    import http.client

    host, port = server.base_url.split("//")[1].split("/")[0].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.putrequest("POST", "/v1/chat/completions")
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        if body:
            conn.send(body)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def test_mock_server_answers_hostile_requests_with_json_errors(capfd):
    def post(body: bytes) -> tuple[int, dict]:
        return _raw(server, body, {"Content-Type": "application/json",
                                   "Content-Length": str(len(body))})

    with MockServer("oracle") as server:
        for body in (b"{not json", b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000, b"[1, 2]",
                     b'{"messages": 5}', b'{"messages": [{"content": 7}]}',
                     b'{"messages": [], "max_tokens": "many"}', b'{"stream": "yes"}',
                     b'{"messages": ["x"]}', b'{"model": {"a": 1}}'):
            status, payload = post(body)
            assert status == 400, (body[:40], payload)
            assert payload["error"]["type"] == "invalid_request_error"
        status, payload = _raw(server, None, {"Content-Length": str(100 << 20)})
        assert status == 413 and "MiB" in payload["error"]["message"]
        status, payload = _raw(server, None, {"Content-Length": "lots"})
        assert status == 400
        status, payload = _raw(server, b"{}", {"Content-Length": "-5"})
        assert status == 400
        status, payload = post(json.dumps({"messages": [{"role": "user",
                                                         "content": "fn_a"}]}).encode())
        assert status == 200  # still serving
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
