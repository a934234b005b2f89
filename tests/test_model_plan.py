"""The capability table and the request plan (pure logic, no network): what a run's settings
become in the body each API mode sends, for non-reasoning and reasoning models, and the
settings no request to a model may carry (one-line user errors)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from harness.errors import UserError
from harness.models.capabilities import UNKNOWN, model_caps
from harness.models.factory import make_client
from harness.models.plan import Asked, call_timeout, endpoint_kind, plan_request

HI = [{"role": "user", "content": "hi"}]
# The run defaults (reasoning effort high, verbosity low, tool choice auto) and ARC's sampling.
ARC = {"reasoning_effort": "high", "verbosity": "low", "tool_choice": "auto",
       "sampling_mode": "auto"}  # fmt: skip


def body(model: str, mode: str = "responses", **asked: Any) -> dict[str, Any]:
    """The body ``--dry-run`` prints for one prompt ``hi`` (no key needed)."""
    request = plan_request(model, Asked(api_mode=mode, **{**ARC, **asked}))
    client = make_client(mode, model, base_url=asked.get("base_url"), env={}, require_key=False)
    out = client.request_body(dataclasses.replace(request, messages=HI))
    assert out.pop("model") == model and out.pop(client.messages_field) == HI  # type: ignore[attr-defined]
    return out


def test_capability_table() -> None:
    for name in ("gpt-4.1-mini", "gpt-4o-mini", "GPT-4o", "openai/gpt-4.1-mini"):
        caps = model_caps(name)
        assert caps.known and not caps.reasoning and not caps.verbosity and caps.sampling
        assert not caps.open_sampling
    assert model_caps("gpt-4.1-mini").max_output_tokens == 32768
    assert model_caps("gpt-4o-mini").max_output_tokens == 16384
    for name in ("gpt-5", "gpt-5-mini", "o3", "o4-mini", "o1", "openai/gpt-5", "gpt-5.2"):
        caps = model_caps(name)
        assert caps.reasoning and not caps.sampling and caps.max_output_tokens, name
    assert model_caps("gpt-5").verbosity and not model_caps("o3").verbosity
    assert "minimal" in model_caps("gpt-5").efforts and "minimal" not in model_caps("o3").efforts
    assert not model_caps("gpt-5-chat-latest").reasoning
    for name in ("Qwen/Qwen3-4B", "google/gemini-2.5-flash", "llama-3.1-8b", ""):
        assert model_caps(name) is UNKNOWN
    assert not UNKNOWN.reasoning and UNKNOWN.max_output_tokens is None and UNKNOWN.open_sampling


def test_endpoint_kind_from_the_host_name() -> None:
    assert endpoint_kind(None) == endpoint_kind("https://api.openai.com/v1") == "openai"
    assert endpoint_kind("https://openrouter.ai/api/v1") == "openrouter"
    assert endpoint_kind("http://157.66.254.42:15712/v1") == "tcp"
    assert endpoint_kind("http://localhost:8000/v1") == "tcp"
    assert endpoint_kind("https://tamu.example.edu/openai") == "other"
    assert endpoint_kind("https://openrouter.ai.evil.example/v1") == "other"


def test_non_reasoning_models_get_no_reasoning_or_verbosity_in_either_mode() -> None:
    assert body("gpt-4.1-mini") == {"max_output_tokens": 20000, "tool_choice": "auto",
                                    "top_p": 0.9}  # fmt: skip
    assert body("gpt-4.1-mini", "chat_completions") == {"max_completion_tokens": 20000,
                                                        "top_p": 0.9}  # fmt: skip
    assert body("gpt-4o-mini") == {"max_output_tokens": 16384, "tool_choice": "auto",
                                   "top_p": 0.9}  # the model's ceiling, not 20000  # fmt: skip
    assert body("gpt-4o-mini", "chat_completions") == {"max_completion_tokens": 16384,
                                                       "top_p": 0.9}  # fmt: skip


def test_reasoning_models_get_reasoning_and_no_sampling() -> None:
    assert body("gpt-5") == {"reasoning": {"effort": "high"}, "text": {"verbosity": "low"},
                             "max_output_tokens": 20000, "tool_choice": "auto"}  # fmt: skip
    assert body("gpt-5", "chat_completions") == {"reasoning_effort": "high", "verbosity": "low",
                                                 "max_completion_tokens": 20000}  # fmt: skip
    assert body("o3") == {"reasoning": {"effort": "high"}, "max_output_tokens": 20000,
                          "tool_choice": "auto"}  # fmt: skip
    assert body("o3", "chat_completions") == {"reasoning_effort": "high",
                                              "max_completion_tokens": 20000}  # fmt: skip


def test_reasoning_summary_only_when_asked_and_effort_none_sends_no_reasoning() -> None:
    assert body("gpt-5", reasoning_summary="auto")["reasoning"] == {"effort": "high",
                                                                     "summary": "auto"}
    assert "reasoning" not in body("gpt-4.1-mini", reasoning_summary="auto")
    for effort in ("none", None):
        assert "reasoning" not in body("gpt-5", reasoning_effort=effort)
        assert "reasoning_effort" not in body("o3", "chat_completions", reasoning_effort=effort)


def test_max_tokens_overrides_the_default_within_the_ceiling() -> None:
    assert body("gpt-4o-mini", max_output_tokens=2000)["max_output_tokens"] == 2000
    assert body("gpt-5", max_output_tokens=64000)["max_output_tokens"] == 64000
    with pytest.raises(UserError, match="--max-tokens 20000 is above gpt-4o-mini's ceiling"):
        body("gpt-4o-mini", max_output_tokens=20000)


def test_adaptive_sampling_by_endpoint_and_model() -> None:
    tcp, other = "http://157.66.254.42:15712/v1", "https://gateway.example/v1"
    qwen = "Qwen/Qwen3-4B"
    assert body(qwen, "chat_completions", base_url=tcp) == {"min_p": 0.05}  # no token cap
    assert body(qwen, "chat_completions", base_url=other) == {"top_k": 50, "top_p": 0.9}
    assert body(qwen, "chat_completions", base_url=other, max_output_tokens=2000,
                temperature=0.7) == {"max_tokens": 2000, "temperature": 0.7, "top_k": 50,
                                     "top_p": 0.9}  # fmt: skip
    # OpenAI's models never get top_k/min_p, wherever they are served
    assert body("gpt-4.1-mini", "chat_completions", base_url=tcp)["top_p"] == 0.9
    assert "min_p" not in body("gpt-4.1-mini", "chat_completions", base_url=tcp)
    # an unknown name on OpenAI's own endpoint: no sampling default, no token cap
    assert body("gpt-9-preview") == {"tool_choice": "auto"}
    assert body("gpt-4.1-mini", sampling_mode="off") == {"max_output_tokens": 20000,
                                                         "tool_choice": "auto"}  # fmt: skip
    request = plan_request(qwen, Asked(base_url=tcp, sampling_mode="auto", temperature=0.2))
    assert request.sampling() == {"temperature": 0.2, "min_p": 0.05}


def test_openrouter_reasoning_budgets() -> None:
    url = "https://openrouter.ai/api/v1"
    for effort, tokens in (("low", 2000), ("medium", 8000), ("high", 32000)):
        sent = body("google/gemini-2.5-flash", "chat_completions", base_url=url,
                    reasoning_effort=effort)  # fmt: skip
        assert sent == {"reasoning": {"max_tokens": tokens}, "top_k": 50, "top_p": 0.9}
    assert "reasoning" not in body("google/gemini-2.5-flash", "chat_completions", base_url=url,
                                   reasoning_effort="none")  # fmt: skip
    assert "reasoning" not in body("openai/gpt-4o-mini", "chat_completions", base_url=url)
    assert body("openai/o3", base_url=url)["reasoning"] == {"max_tokens": 32000}


def test_qwen_no_think() -> None:
    sent = body("Qwen/Qwen3-4B", "chat_completions", base_url="http://localhost:8000/v1",
                qwen_no_think=True)  # fmt: skip
    assert sent == {"min_p": 0.05, "chat_template_kwargs": {"enable_thinking": False}}
    assert call_timeout(1200.0, True) == 120.0 and call_timeout(60.0, True) == 60.0
    assert call_timeout(1200.0, False) == 1200.0
    with pytest.raises(UserError, match="--qwen-no-think"):
        body("Qwen/Qwen3-4B", qwen_no_think=True)  # OpenAI's endpoint


@pytest.mark.parametrize(("model", "mode", "asked", "words"), [
    ("gpt-5", "chat_completions", {"enable_code_interpreter": True},
     "--enable-code-interpreter needs --api-mode responses"),
    ("gpt-5", "chat_completions", {"reasoning_summary": "auto"}, "--reasoning-summary needs"),
    ("gpt-5", "responses", {"temperature": 0.5}, "gpt-5 takes no --temperature"),
    ("o3", "responses", {"reasoning_effort": "minimal"}, "o3 takes reasoning effort low|"),
])  # fmt: skip
def test_settings_a_model_cannot_take_are_one_line_errors(model, mode, asked, words) -> None:
    with pytest.raises(UserError, match=words) as info:
        body(model, mode, **asked)
    assert "\n" not in str(info.value)
