"""The mock server refuses what the real API refuses for the named model (HTTP 400 in OpenAI's
error shape), and the harness's planned requests pass it: real HTTP, the real openai SDK."""

from __future__ import annotations

import dataclasses
import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from harness.mock.server import MockServer
from harness.models.factory import make_client
from harness.models.plan import Asked, plan_request
from tests.model_helpers import MODES, erm_prompt, run

PATHS = {"responses": "/responses", "chat_completions": "/chat/completions"}


@pytest.fixture(scope="module")
def server():
    with MockServer("oracle", seed=2) as srv:
        yield srv


def post(server: MockServer, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    conversation = {"input" if path == "/responses" else "messages":
                    [{"role": "user", "content": erm_prompt()}]}  # fmt: skip
    data = json.dumps({**conversation, **body}).encode()
    req = urllib.request.Request(server.base_url + path, data=data,
                                 headers={"Content-Type": "application/json"})  # fmt: skip
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


@pytest.mark.parametrize(("path", "body", "param", "code"), [
    ("/responses", {"model": "gpt-4.1-mini", "reasoning": {"effort": "high"}},
     "reasoning.effort", "unsupported_parameter"),
    ("/chat/completions", {"model": "gpt-4.1-mini", "reasoning_effort": "high"},
     "reasoning_effort", "unsupported_parameter"),
    ("/responses", {"model": "gpt-4o-mini", "text": {"verbosity": "low"}},
     "text.verbosity", "unsupported_parameter"),
    ("/chat/completions", {"model": "o3", "verbosity": "low"}, "verbosity",
     "unsupported_parameter"),
    ("/responses", {"model": "gpt-4o-mini", "max_output_tokens": 20000}, "max_output_tokens",
     "invalid_value"),
    ("/chat/completions", {"model": "gpt-4o-mini", "max_completion_tokens": 16385},
     "max_completion_tokens", "invalid_value"),
    ("/responses", {"model": "o3", "temperature": 0.5}, "temperature", "unsupported_parameter"),
    ("/chat/completions", {"model": "gpt-5", "top_p": 0.9}, "top_p", "unsupported_parameter"),
    ("/chat/completions", {"model": "o3", "max_tokens": 100}, "max_tokens",
     "unsupported_parameter"),
    ("/responses", {"model": "o3", "reasoning": {"effort": "minimal"}}, "reasoning.effort",
     "unsupported_value"),
    ("/responses", {"model": "gpt-4.1-mini", "top_k": 50}, "top_k", "unknown_parameter"),
    ("/chat/completions", {"model": "gpt-4.1-mini", "min_p": 0.05}, None, None),
])  # fmt: skip
def test_forbidden_fields_get_the_real_apis_400(server, path, body, param, code) -> None:
    status, payload = post(server, path, body)
    assert status == 400
    assert set(payload) == {"error"}
    error = payload["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    assert (error["param"], error["code"]) == (param, code)
    assert isinstance(error["message"], str) and error["message"]


def test_the_mock_model_and_unknown_models_take_everything(server) -> None:
    extras = {"reasoning": {"effort": "high"}, "text": {"verbosity": "low"}, "top_k": 50,
              "min_p": 0.05, "temperature": 0.3, "max_output_tokens": 500_000}  # fmt: skip
    for model in ("mock", "Qwen/Qwen3-4B"):
        status, payload = post(server, "/responses", {"model": model, **extras})
        assert status == 200, payload


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("model", ["gpt-4.1-mini", "gpt-4o-mini", "gpt-5", "o3"])
def test_planned_requests_pass_the_real_apis_rules(server, model: str, mode: str) -> None:
    """Run defaults plus ARC's adaptive sampling, through the SDK: never a 400."""
    asked = Asked(api_mode=mode, base_url=server.base_url, reasoning_effort="high",
                  verbosity="low", tool_choice="auto", sampling_mode="auto")  # fmt: skip
    request = dataclasses.replace(plan_request(model, asked), task_id="fn_a/L20",
                                  messages=[{"role": "user", "content": erm_prompt()}])
    client = make_client(mode, model, base_url=server.base_url, api_key="k", timeout_s=5.0,
                         max_retries=0)  # fmt: skip
    (completion,) = run(client, request)
    assert completion.ok, completion.error_detail
    sent = [e for e in server.log if e["event"] == "request"][-1]
    expected = client.request_body(request)
    expected.pop(client.messages_field)  # type: ignore[attr-defined]
    assert sent["options"] == expected and sent["path"] == PATHS[mode]  # what --dry-run shows


def test_a_forbidden_field_is_an_api_error_through_the_sdk(server) -> None:
    request = dataclasses.replace(plan_request("gpt-5", Asked(reasoning_effort="high")),
                                  model="gpt-4.1-mini", task_id="fn_a/L20",
                                  messages=[{"role": "user", "content": erm_prompt()}])
    client = make_client("responses", "gpt-4.1-mini", base_url=server.base_url, api_key="k",
                         timeout_s=5.0, max_retries=2, retry_delay=0.0)  # fmt: skip
    (completion,) = run(client, request)
    assert completion.error_kind == "api_error" and "400" in (completion.error_detail or "")
    assert "reasoning.effort" in (completion.error_detail or "")
    assert completion.attempts_made == 1  # a 400 is not retried
