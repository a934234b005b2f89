"""The JSON bodies the mock serves, for `/responses`, `/chat/completions` and `/models`.

Every body goes through the openai SDK's own type (`as_sdk`) before it is sent, so a field the
API requires and the mock forgot fails here rather than in a user's client: the mock cannot drift
from the SDK it is tested with. Token counts are whitespace-token counts, so usage is
deterministic for a given reply and prompt.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from harness.mock.policies import MockReply

REASONING_STYLES: tuple[str, ...] = ("reasoning_content", "reasoning", "think")
MOCK_MODELS: tuple[str, ...] = ("mock", "mock-reasoner")


@dataclass(frozen=True)
class MockUsage:
    input_tokens: int
    cached_tokens: int
    output_tokens: int
    reasoning_tokens: int


def count_tokens(text: str) -> int:
    return len(text.split())


def truncate_tokens(text: str, n: int) -> str:
    """The first n whitespace tokens of `text`, keeping its original spacing (a cut answer reads
    like a real truncated one, not a re-joined token list)."""
    if n <= 0:
        return ""
    for i, m in enumerate(re.finditer(r"\S+", text)):
        if i == n - 1:
            return text[: m.end()]
    return text


def budget(
    reply: MockReply,
    body: dict[str, Any],
    path: str,
    prompt_tokens: int,
    cached_tokens: int,
) -> tuple[MockUsage, str, str, bool]:
    """Apply the request's output-token limit: reasoning spends the budget first, then text,
    as with a real reasoning model (so a tight limit can leave no visible answer at all)."""
    keys = (
        ("max_output_tokens",) if path == "/responses" else ("max_completion_tokens", "max_tokens")
    )
    limit = next((int(body[k]) for k in keys if body.get(k) is not None), None)
    text, reasoning = reply.text, reply.reasoning
    r_tokens, t_tokens = count_tokens(reasoning), count_tokens(text)
    truncated = limit is not None and r_tokens + t_tokens > limit
    if truncated and limit is not None:
        r_tokens = min(r_tokens, limit)
        t_tokens = limit - r_tokens
        reasoning = truncate_tokens(reasoning, r_tokens)
        text = truncate_tokens(text, t_tokens)
    usage = MockUsage(prompt_tokens, cached_tokens, r_tokens + t_tokens, r_tokens)
    return usage, text, reasoning, truncated


def as_sdk(model_type: Any, payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` parsed by the openai SDK's own type, then dumped: a field the API requires
    and the mock forgot, or a value of the wrong type, fails here and in the tests rather than
    in a user's client (the mock cannot drift from the SDK it is tested with)."""
    return model_type.model_validate(payload).model_dump(mode="json", exclude_unset=True)


def model_obj(model_id: str) -> dict[str, Any]:
    from openai.types import Model

    return as_sdk(Model, {"id": model_id, "object": "model", "created": 1700000000,
                          "owned_by": "harness-mock"})


def responses_payload(
    uid: str,
    model: str,
    body: dict[str, Any],
    text: str,
    reasoning: str,
    usage: MockUsage,
    truncated: bool,
) -> dict[str, Any]:
    """A Responses API body. The request's settings are echoed back, as the real API does, so
    clients that read them from the response see what they sent."""
    now = int(time.time())
    status = "incomplete" if truncated else "completed"
    output: list[dict[str, Any]] = [
        {
            "id": f"rs_{uid}",
            "type": "reasoning",
            "summary": [{"type": "summary_text", "text": reasoning}] if reasoning else [],
        }
    ]
    if text or not truncated:
        output.append(
            {
                "id": f"msg_{uid}",
                "type": "message",
                "status": status,
                "role": "assistant",
                "content": [
                    {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
                ],
            }
        )
    text_config: dict[str, Any] = {"format": {"type": "text"}}
    if isinstance(body.get("text"), dict) and body["text"].get("verbosity"):
        text_config["verbosity"] = body["text"]["verbosity"]
    from openai.types.responses import Response

    return as_sdk(Response, {
        "id": f"resp_{uid}",
        "object": "response",
        "created_at": now,
        "completed_at": None if truncated else now,
        "status": status,
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if truncated else None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "model": model,
        "output": output,
        "parallel_tool_calls": True,
        "reasoning": body.get("reasoning") or {"effort": None, "summary": None},
        "store": False,
        "temperature": body.get("temperature", 1.0),
        "text": text_config,
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools", []),
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": {
            "input_tokens": usage.input_tokens,
            "input_tokens_details": {"cached_tokens": usage.cached_tokens, "cache_write_tokens": 0},
            "output_tokens": usage.output_tokens,
            "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
            "total_tokens": usage.input_tokens + usage.output_tokens,
        },
        "metadata": {},
    })


def chat_payload(
    uid: str,
    model: str,
    text: str,
    reasoning: str,
    usage: MockUsage,
    truncated: bool,
    reasoning_style: str,
) -> dict[str, Any]:
    """A Chat Completions body. `reasoning_style` imitates the three places OpenAI-compatible
    servers put reasoning (see `REASONING_STYLES`), so the client's parsing of each is tested."""
    message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
    if reasoning_style == "think":
        message["content"] = f"<think>\n{reasoning}\n</think>\n\n{text}" if reasoning else text
    elif reasoning:
        message[reasoning_style] = reasoning
    from openai.types.chat import ChatCompletion

    return as_sdk(ChatCompletion, {
        "id": f"chatcmpl-{uid}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "fp_harness_mock",
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "length" if truncated else "stop",
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": usage.input_tokens,
            "completion_tokens": usage.output_tokens,
            "total_tokens": usage.input_tokens + usage.output_tokens,
            "prompt_tokens_details": {"cached_tokens": usage.cached_tokens},
            "completion_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
        },
    })
