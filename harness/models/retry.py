"""Retries and per-call timeouts that WE control (the SDK runs with max_retries=0).

Why not the SDK's own retries: its timeout is per HTTP read, not per call, so a server that
trickles bytes can hold an attempt forever, and its retry count is invisible to us. Here each call
is wrapped in `asyncio.wait_for`, which cancels the request when the deadline passes, and every
retry is counted so the attempt record says how many calls it took.

Backoff is exponential with *full jitter* (delay ~ U(0, min(cap, base * 2**n))), except that a
`Retry-After` header from the server wins. Pass a seeded `random.Random` for reproducible delays
and a fake `sleep` in tests.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import openai

from harness.models.base import ErrorKind
from harness.untrusted_text import printable

T = TypeVar("T")

RETRYABLE_STATUS = frozenset({408, 409, 429})
_LOG = logging.getLogger("harness.models")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. `max_retries` counts retries after the first call; `request_delay`
    is a pause before each request (not before its retries, which have their backoff)."""

    max_retries: int = 3
    retry_delay: float = 1.0
    request_delay: float = 0.0
    max_delay: float = 60.0
    timeout_s: float = 600.0
    rng: random.Random | None = None
    sleep: Callable[[float], Awaitable[Any]] = field(default=asyncio.sleep)

    def backoff(self, retry_index: int, retry_after: float | None) -> float:
        """Delay before retry number `retry_index` (0-based)."""
        if retry_after is not None:
            return max(0.0, min(retry_after, self.max_delay))
        cap = min(self.max_delay, self.retry_delay * (2.0**retry_index))
        rng = self.rng if self.rng is not None else random
        return rng.uniform(0.0, cap)


@dataclass
class RetryOutcome(Generic[T]):
    """Result of `call_with_retries`: a value, or the kind and detail of the last failure."""

    value: T | None
    attempts: int
    error_kind: ErrorKind | None = None
    error_detail: str | None = None
    delays: list[float] = field(default_factory=list)
    duration_ms: float = 0.0


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from `retry-after-ms` / `Retry-After` (seconds or an HTTP date)."""
    if not headers:
        return None
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) / divisor)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value:
        try:
            parsed = email.utils.parsedate_tz(value)
            if parsed is not None:
                return max(0.0, email.utils.mktime_tz(parsed) - time.time())
        except (TypeError, ValueError, OverflowError):
            return None
    return None


def classify(exc: BaseException) -> tuple[ErrorKind, bool, float | None]:
    """(error kind, retryable?, retry-after seconds) for an exception from one call."""
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError, openai.APITimeoutError)):
        return "timeout", True, None
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        retryable = status in RETRYABLE_STATUS or status >= 500
        headers = exc.response.headers if exc.response is not None else None
        return "api_error", retryable, parse_retry_after(headers)
    if isinstance(exc, openai.APIConnectionError):
        return "api_error", True, None
    return "api_error", False, None


def describe(exc: BaseException) -> str:
    """One line for the attempt record."""
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return "call exceeded the per-call timeout"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}: {exc.message}"[:500]
    return f"{type(exc).__name__}: {exc}"[:500]


async def call_with_retries(
    call: Callable[[], Awaitable[T]], policy: RetryPolicy
) -> RetryOutcome[T]:
    """Run `call` until it succeeds, fails for good, or retries run out. Never raises for API
    errors (programming errors such as TypeError propagate: they are bugs, not weather)."""
    start = time.perf_counter()
    delays: list[float] = []
    attempts = 0
    while True:
        attempts += 1
        try:
            value = await asyncio.wait_for(call(), timeout=policy.timeout_s)
        except (openai.OpenAIError, TimeoutError) as exc:
            kind, retryable, retry_after = classify(exc)
            if not retryable or attempts > policy.max_retries:
                _LOG.info("model call failed for good after %d call(s): %s", attempts,
                          printable(describe(exc)))  # fmt: skip
                return RetryOutcome(
                    value=None,
                    attempts=attempts,
                    error_kind=kind,
                    error_detail=describe(exc),
                    delays=delays,
                    duration_ms=(time.perf_counter() - start) * 1000.0,
                )
            delay = policy.backoff(attempts - 1, retry_after)
            delays.append(delay)
            _LOG.info("model call %d failed (%s); retrying in %.2f s", attempts,
                      printable(describe(exc)), delay)  # fmt: skip
            await policy.sleep(delay)
            continue
        return RetryOutcome(
            value=value,
            attempts=attempts,
            delays=delays,
            duration_ms=(time.perf_counter() - start) * 1000.0,
        )
