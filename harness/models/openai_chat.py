"""Client for any Chat Completions endpoint (OpenAI, gateways such as TAMU's, vLLM, ...).

Providers disagree on where reasoning goes: `message.reasoning_content` (DeepSeek, vLLM),
`message.reasoning` (OpenRouter, some gateways) or `<think>...</think>` inside the content (raw
open-weight models). All three end up in `Completion.reasoning_text`, and think blocks are removed
from the text so that code extraction never picks a draft out of the reasoning.

`tool_choice` is only sent together with tools: Chat Completions rejects it otherwise, and the code
interpreter tool exists only in the Responses API.
"""

from __future__ import annotations

import re
import time
from typing import Any

from harness.models.base import Completion, ModelRequest, Usage
from harness.models.retry import RetryPolicy, call_with_retries
from harness.models.sdk import LazySdkClient, SdkSettings, task_headers

_THINK_BLOCK = re.compile(r"<think>(.*?)</think>", re.DOTALL | re.IGNORECASE)


class OpenAIChatClient:
    """`ModelClient` over `AsyncOpenAI().chat.completions.create`."""

    api_mode = "chat_completions"

    def __init__(self, settings: SdkSettings, retry: RetryPolicy) -> None:
        self.settings = settings
        self.retry = retry
        self._sdk = LazySdkClient(settings)

    def request_body(self, request: ModelRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": request.model,
            "messages": [{"role": m["role"], "content": m["content"]} for m in request.messages],
        }
        if request.reasoning_effort:
            body["reasoning_effort"] = request.reasoning_effort
        if request.verbosity:
            body["verbosity"] = request.verbosity
        if request.max_output_tokens is not None:
            body["max_completion_tokens"] = request.max_output_tokens
        if request.temperature is not None:
            body["temperature"] = request.temperature
        return body

    async def complete(self, request: ModelRequest) -> Completion:
        body = self.request_body(request)
        headers = task_headers(request.task_id)
        client = self._sdk.get()
        started = time.perf_counter()

        async def call() -> Any:
            return await client.chat.completions.create(**body, extra_headers=headers)

        outcome = await call_with_retries(call, self.retry)
        duration_ms = (time.perf_counter() - started) * 1000.0
        if outcome.value is None:
            return Completion(
                model=request.model,
                duration_ms=duration_ms,
                attempts_made=outcome.attempts,
                error_kind=outcome.error_kind,
                error_detail=outcome.error_detail,
            )
        return parse_chat_completion(outcome.value, request, duration_ms, outcome.attempts)

    async def aclose(self) -> None:
        await self._sdk.aclose()


def split_think(content: str) -> tuple[str, str]:
    """(text without think blocks, the think blocks' text). A lone `</think>` (some servers drop
    the opening tag) makes everything before it reasoning."""
    thoughts = [m.strip() for m in _THINK_BLOCK.findall(content)]
    text = _THINK_BLOCK.sub("", content)
    if "</think>" in text.lower():
        idx = text.lower().rindex("</think>")
        thoughts.append(text[:idx].replace("<think>", "").strip())
        text = text[idx + len("</think>") :]
    return text.strip(), "\n\n".join(t for t in thoughts if t)


def message_reasoning(message: Any) -> str:
    """Reasoning from the non-standard fields (not declared on the SDK model: look in extras)."""
    extra = getattr(message, "model_extra", None) or {}
    for name in ("reasoning_content", "reasoning"):
        value = extra.get(name, getattr(message, name, None))
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, dict):  # e.g. {"content": "..."} or {"summary": "..."}
            for key in ("content", "text", "summary"):
                if isinstance(value.get(key), str) and value[key].strip():
                    return value[key].strip()
    return ""


def parse_chat_completion(
    resp: Any, request: ModelRequest, duration_ms: float, attempts: int
) -> Completion:
    """SDK `ChatCompletion` -> Completion with reasoning normalised."""
    choices = getattr(resp, "choices", None) or []
    text, reasoning, finish = "", "", None
    if choices:
        choice = choices[0]
        finish = getattr(choice, "finish_reason", None)
        message = getattr(choice, "message", None)
        if message is not None:
            text, think = split_think(getattr(message, "content", None) or "")
            field_reasoning = message_reasoning(message)
            reasoning = "\n\n".join(r for r in (field_reasoning, think) if r)
    return Completion(
        text=text,
        reasoning_text=reasoning,
        model=getattr(resp, "model", None) or request.model,
        response_id=getattr(resp, "id", None),
        usage=_usage(getattr(resp, "usage", None)),
        finish_reason=finish,
        max_tokens_hit=finish == "length",
        duration_ms=duration_ms,
        attempts_made=attempts,
    )


def _usage(usage: Any) -> Usage:
    if usage is None:
        return Usage()
    prompt_details = getattr(usage, "prompt_tokens_details", None)
    completion_details = getattr(usage, "completion_tokens_details", None)
    return Usage(
        prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
        completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
        reasoning_tokens=int(getattr(completion_details, "reasoning_tokens", 0) or 0),
        cached_tokens=int(getattr(prompt_details, "cached_tokens", 0) or 0),
    )
