"""Construction of the official `openai.AsyncOpenAI` client, shared by both API modes.

The SDK client is built lazily (so `request_body` and `--dry-run` need no key) and once per event
loop: an httpx connection pool belongs to the loop that opened it, and tests or CLI commands may
run several loops in one process.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import quote

import openai

from harness.models.base import TASK_HEADER

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
