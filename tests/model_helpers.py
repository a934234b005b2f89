"""Shared by the model-client and mock tests: prompts, requests, clients on the mock, a fake
sleep for retries (the oracle server fixture is in conftest.py)."""

from __future__ import annotations

import asyncio
import random

from harness.mock.server import MockServer
from harness.models.base import Completion, ModelClient, ModelRequest
from harness.models.factory import make_client
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


async def sequential(client: ModelClient, *requests: ModelRequest) -> list[Completion]:
    """One request after the other (the order of the replies is the order of the requests)."""
    try:
        return [await client.complete(r) for r in requests]
    finally:
        await client.aclose()


def run(client: ModelClient, *requests: ModelRequest) -> list[Completion]:
    return asyncio.run(ask(client, *requests))
