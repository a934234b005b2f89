"""Client for the OpenAI Responses API (`POST /v1/responses`).

Output text is the concatenation of `output_text` parts of `message` items; reasoning text is the
concatenation of reasoning-item summaries (and raw reasoning content when a provider returns it).
A response with status "incomplete" and reason "max_output_tokens" is a max-tokens hit: the
attempt is kept (its text may still hold usable code) but flagged.
"""

from __future__ import annotations

import time
from typing import Any

from harness.models.base import Completion, ModelRequest, Usage
from harness.models.retry import RetryPolicy, call_with_retries
from harness.models.sdk import LazySdkClient, SdkSettings, task_headers


class OpenAIResponsesClient:
    """`ModelClient` over `AsyncOpenAI().responses.create`."""

    api_mode = "responses"

    def __init__(self, settings: SdkSettings, retry: RetryPolicy) -> None:
        self.settings = settings
        self.retry = retry
        self._sdk = LazySdkClient(settings)

    def request_body(self, request: ModelRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": request.model,
            "input": [{"role": m["role"], "content": m["content"]} for m in request.messages],
        }
        if request.reasoning_effort:
            reasoning: dict[str, Any] = {"effort": request.reasoning_effort}
            if request.reasoning_summary:
                reasoning["summary"] = request.reasoning_summary
            body["reasoning"] = reasoning
        if request.verbosity:
            body["text"] = {"verbosity": request.verbosity}
        if request.max_output_tokens is not None:
            body["max_output_tokens"] = request.max_output_tokens
        if request.enable_code_interpreter:
            body["tools"] = [{"type": "code_interpreter", "container": {"type": "auto"}}]
        if request.tool_choice:
            body["tool_choice"] = request.tool_choice
        if request.temperature is not None:
            body["temperature"] = request.temperature
        return body

    async def complete(self, request: ModelRequest) -> Completion:
        body = self.request_body(request)
        headers = task_headers(request.task_id)
        client = self._sdk.get()
        started = time.perf_counter()

        async def call() -> Any:
            return await client.responses.create(**body, extra_headers=headers)

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
        return parse_response(outcome.value, request, duration_ms, outcome.attempts)

    async def aclose(self) -> None:
        await self._sdk.aclose()


def parse_response(
    resp: Any, request: ModelRequest, duration_ms: float, attempts: int
) -> Completion:
    """SDK `Response` object -> Completion (tolerant of missing optional parts)."""
    texts: list[str] = []
    reasoning: list[str] = []
    for item in getattr(resp, "output", None) or []:
        kind = getattr(item, "type", None)
        if kind == "message":
            for part in getattr(item, "content", None) or []:
                if getattr(part, "type", None) == "output_text" and part.text:
                    texts.append(part.text)
        elif kind == "reasoning":
            for part in getattr(item, "summary", None) or []:
                if getattr(part, "text", None):
                    reasoning.append(part.text)
            for part in getattr(item, "content", None) or []:
                if getattr(part, "text", None):
                    reasoning.append(part.text)
    status = getattr(resp, "status", None)
    details = getattr(resp, "incomplete_details", None)
    reason = getattr(details, "reason", None) if details is not None else None
    max_hit = status == "incomplete" and reason == "max_output_tokens"
    if status == "incomplete":
        finish = (
            "length"
            if max_hit
            else ("content_filter" if reason == "content_filter" else "incomplete")
        )
    else:
        finish = "stop" if status in (None, "completed") else str(status)
    return Completion(
        text="".join(texts),
        reasoning_text="\n\n".join(reasoning),
        model=getattr(resp, "model", None) or request.model,
        response_id=getattr(resp, "id", None),
        usage=_usage(getattr(resp, "usage", None)),
        finish_reason=finish,
        max_tokens_hit=max_hit,
        duration_ms=duration_ms,
        attempts_made=attempts,
    )


def _usage(usage: Any) -> Usage:
    if usage is None:
        return Usage()
    in_details = getattr(usage, "input_tokens_details", None)
    out_details = getattr(usage, "output_tokens_details", None)
    return Usage(
        prompt_tokens=int(getattr(usage, "input_tokens", 0) or 0),
        completion_tokens=int(getattr(usage, "output_tokens", 0) or 0),
        reasoning_tokens=int(getattr(out_details, "reasoning_tokens", 0) or 0),
        cached_tokens=int(getattr(in_details, "cached_tokens", 0) or 0),
    )
