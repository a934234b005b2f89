"""What both API modes share: the official `openai.AsyncOpenAI` client, one call with our
retries, and the parts of a response both APIs report alike (model, id, usage, timing).

The SDK client is built lazily (so `request_body` and `--dry-run` need no key) and once per event
loop: an httpx connection pool belongs to the loop that opened it, and tests or CLI commands may
run several loops in one process.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import quote

import openai

from harness.models.base import ATTEMPT_HEADER, TASK_HEADER, Completion, ModelRequest, Usage
from harness.models.retry import RetryPolicy, call_with_retries

#: Printable ASCII kept as is in the task header (``%`` is not: it starts an escape).
_HEADER_SAFE = "".join(chr(c) for c in range(0x21, 0x7f) if chr(c) != "%") + " "


@dataclass(frozen=True)
class SdkSettings:
    """Connection settings; `timeout_s` is the per-call limit (also given to the SDK as a
    backstop, slightly longer so that our own `asyncio.wait_for` fires first)."""

    api_key: str
    base_url: str | None = None
    timeout_s: float = 600.0


class LazySdkClient:
    """One `AsyncOpenAI` per running event loop, with SDK retries switched off."""

    def __init__(self, settings: SdkSettings) -> None:
        self.settings = settings
        self._client: openai.AsyncOpenAI | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # Clients of finished loops cannot be closed any more; keeping a reference stops their
        # __del__ from scheduling a close of dead sockets on the *new* loop (noisy tracebacks).
        self._stale: list[openai.AsyncOpenAI] = []

    def get(self) -> openai.AsyncOpenAI:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            if self._client is not None:
                self._stale.append(self._client)
            self._client = openai.AsyncOpenAI(
                api_key=self.settings.api_key,
                base_url=self.settings.base_url,
                timeout=self.settings.timeout_s + 5.0,
                max_retries=0,
            )
            self._loop = loop
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
            self._loop = None


def task_headers(task_id: str | None) -> dict[str, str] | None:
    """The per-request extra header naming the task (harmless to real APIs).

    Task ids come from data files: a header value must be printable ASCII (httpx refuses
    anything else, and CR/LF would split the header), so other characters are percent-encoded;
    a plain id such as ``fn_a/L20`` or ``007bbfb7`` is sent unchanged."""
    return {TASK_HEADER: quote(task_id, safe=_HEADER_SAFE)} if task_id else None


def request_headers(request: ModelRequest, retry: int) -> dict[str, str] | None:
    """The task header plus, for a call of a run, `X-Harness-Attempt`
    (`trial/attempt/turn/retry/attempts`, `retry` 0 for the first HTTP call, `attempts` 0 when
    unknown): what lets the mock answer a call the same way whatever the arrival order, and
    re-roll a fault only by retry number."""
    headers = dict(task_headers(request.task_id) or {})
    if request.trial is not None and request.attempt is not None:
        call = (request.trial, request.attempt, request.turn or 1, retry, request.attempts or 0)
        headers[ATTEMPT_HEADER] = "/".join(str(n) for n in call)
    return headers or None


class Answer(NamedTuple):
    """What only the API mode knows how to read out of its response."""

    text: str
    reasoning: str
    finish_reason: str | None
    max_tokens_hit: bool
    tool_uses: int = 0
    tool_results_chars: int = 0


def sdk_usage(usage: Any, prompt: str, completion: str) -> Usage:
    """Token counts from an SDK usage object. The APIs name the same counts differently:
    ``prompt``/``completion`` is "prompt"/"completion" for Chat Completions and "input"/"output"
    for Responses (``<prompt>_tokens``, ``<completion>_tokens_details`` ...)."""
    if usage is None:
        return Usage()
    prompt_details = getattr(usage, f"{prompt}_tokens_details", None)
    completion_details = getattr(usage, f"{completion}_tokens_details", None)
    return Usage(
        prompt_tokens=int(getattr(usage, f"{prompt}_tokens", 0) or 0),
        completion_tokens=int(getattr(usage, f"{completion}_tokens", 0) or 0),
        reasoning_tokens=int(getattr(completion_details, "reasoning_tokens", 0) or 0),
        cached_tokens=int(getattr(prompt_details, "cached_tokens", 0) or 0),
    )


@functools.cache
def sdk_parameters(create: Any) -> frozenset[str]:
    """The keyword arguments an SDK ``create`` method declares."""
    return frozenset(inspect.signature(create).parameters)


def split_body(body: dict[str, Any], create: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the fields ``create`` takes as keyword arguments, the rest): the rest (``top_k``,
    ``min_p``, ``chat_template_kwargs``, OpenRouter's ``reasoning`` in Chat Completions) travels
    in ``extra_body``, which the SDK merges into the same JSON body."""
    known = sdk_parameters(create)
    return ({k: v for k, v in body.items() if k in known},
            {k: v for k, v in body.items() if k not in known})  # fmt: skip


class SdkClient(ABC):
    """A `ModelClient` over one endpoint of the SDK. The modes differ only in where the
    conversation goes in the body, the options only they have, the SDK resource they call, how
    they read the answer and what they call the token counts; the rest is written here once."""

    api_mode: str
    #: The body field holding the conversation ("messages" or "input").
    messages_field: str
    #: The (prompt, completion) names of the token counts, as `sdk_usage` takes them.
    usage_names: tuple[str, str]
    #: The SDK method this mode calls (unbound): its parameters say what is not `extra_body`.
    create_method: Any

    def __init__(self, settings: SdkSettings, retry: RetryPolicy) -> None:
        self.settings = settings
        self.retry = retry
        self._sdk = LazySdkClient(settings)

    def request_body(self, request: ModelRequest) -> dict[str, Any]:
        """The JSON body as sent (`extra_body` fields merged in, as the SDK merges them)."""
        body: dict[str, Any] = {
            "model": request.model,
            self.messages_field: [{"role": m["role"], "content": m["content"]}
                                  for m in request.messages],
        }
        body.update(self.options(request))
        body.update(request.sampling())
        if request.enable_thinking is not None:
            body["chat_template_kwargs"] = {"enable_thinking": request.enable_thinking}
        return body

    @abstractmethod
    def options(self, request: ModelRequest) -> dict[str, Any]:
        """The body fields only this API has, in the order they are sent."""

    @abstractmethod
    def endpoint(self, client: openai.AsyncOpenAI) -> Any:
        """The SDK resource whose ``create`` this mode calls."""

    @abstractmethod
    def read(self, resp: Any) -> Answer: ...

    async def complete(self, request: ModelRequest) -> Completion:
        body, extra = split_body(self.request_body(request), self.create_method)
        client = self._sdk.get()
        if self.retry.request_delay > 0:  # --request-delay: pacing, not part of the call's time
            await self.retry.sleep(self.retry.request_delay)
        started = time.perf_counter()

        calls = 0

        async def call() -> Any:
            nonlocal calls
            headers, calls = request_headers(request, calls), calls + 1
            return await self.endpoint(client).create(**body, extra_body=extra or None,
                                                      extra_headers=headers)

        outcome = await call_with_retries(call, self.retry)
        duration_ms = (time.perf_counter() - started) * 1000.0
        resp = outcome.value
        if resp is None:
            return Completion(
                model=request.model,
                duration_ms=duration_ms,
                attempts_made=outcome.attempts,
                error_kind=outcome.error_kind,
                error_detail=outcome.error_detail,
            )
        answer = self.read(resp)
        return Completion(
            text=answer.text,
            reasoning_text=answer.reasoning,
            model=getattr(resp, "model", None) or request.model,
            response_id=getattr(resp, "id", None),
            usage=sdk_usage(getattr(resp, "usage", None), *self.usage_names),
            finish_reason=answer.finish_reason,
            max_tokens_hit=answer.max_tokens_hit,
            duration_ms=duration_ms,
            attempts_made=outcome.attempts,
            tool_uses=answer.tool_uses,
            tool_results_chars=answer.tool_results_chars,
        )

    async def aclose(self) -> None:
        await self._sdk.aclose()
