"""The model clients through the REAL openai SDK over HTTP against the mock server: the
completion fields in both API modes, reasoning, token limits, request bodies and the factory."""

from __future__ import annotations

import asyncio
import json
import urllib.request

import pytest

from harness.errors import UserError
from harness.judge.extract import extract_code
from harness.mock.programs import oracle_programs
from harness.mock.server import MockServer
from harness.models.base import ModelClient, ModelRequest
from harness.models.factory import (
    make_client,
    resolve_api_key,
    resolve_api_mode,
    resolve_base_url,
)
from tests.model_helpers import (
    MODES,
    client_for,
    erm_prompt,
    request,
    run,
    sequential,
)

# --- happy path, both API modes ----------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_completion_fields_in_both_modes(oracle_server: MockServer, mode: str) -> None:
    client = client_for(oracle_server, mode)
    assert isinstance(client, ModelClient)
    first, second = asyncio.run(sequential(client, request(), request()))
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
        reasoning_summary="auto",
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
        "include": ["code_interpreter_call.outputs"],  # its logs: tool_results_chars
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
