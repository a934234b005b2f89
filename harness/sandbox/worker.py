"""One exec server seen from the host: a transport plus the request/response logic.

The transport is whatever carries bytes to the server (a docker attach socket, a subprocess's
pipes); the logic is the same for every backend, so the conformance tests cover both.
"""

from __future__ import annotations

import itertools
import time
from typing import Any, Protocol

from harness.sandbox.limits import Limits
from harness.sandbox.protocol import (
    Batch,
    ProtocolError,
    ResultAssembler,
    WorkerLost,
    encode,
    parse_json,
    read_frame,
)
from harness.sandbox.results import ProgramResult

_nonces = itertools.count(1)


class Transport(Protocol):
    name: str

    def send(self, data: bytes) -> None: ...

    def recv_exact(self, n: int, deadline: float) -> bytes: ...

    def alive(self) -> bool: ...

    def close(self) -> None: ...


class Worker:
    """A connection to one warm exec server; not thread-safe (the pool lends it to one caller)."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.name = transport.name
        self.batches: set[str] = set()
        self.programs_run = 0

    def _read(self, deadline: float) -> tuple[bytes, bytes]:
        return read_frame(lambda n: self.transport.recv_exact(n, deadline))

    def _expect_json(self, deadline: float) -> dict[str, Any]:
        kind, payload = self._read(deadline)
        if kind != b"J":
            raise ProtocolError(f"expected a reply, got frame {kind!r}")
        reply = parse_json(payload)
        if not isinstance(reply, dict) or reply.get("ok") is not True:
            raise ProtocolError(f"server refused: {reply!r}"[:200])
        return reply

    def hello(self, timeout_s: float = 60.0) -> dict[str, Any]:
        self.transport.send(encode({"op": "hello"}))
        return self._expect_json(time.monotonic() + timeout_s)

    def put(self, batch: Batch, timeout_s: float = 120.0) -> None:
        self.transport.send(batch.payload)
        self._expect_json(time.monotonic() + timeout_s)
        self.batches.add(batch.id)

    def run(self, source: str, batch: Batch, entry: str | None, limits: Limits) -> ProgramResult:
        if batch.id not in self.batches:
            self.put(batch)
        for _ in range(2):
            nonce = next(_nonces)
            self.transport.send(encode({
                "op": "run", "id": nonce, "batch": batch.id, "source": source, "entry": entry,
                "policy": limits.policy, "time_limit": limits.time_limit_s,
                "batch_budget": limits.batch_budget_s, "memory_mb": limits.memory_mb,
            }))
            deadline = time.monotonic() + limits.host_deadline_s(batch.n)
            assembler = ResultAssembler(batch.n)
            while True:
                kind, payload = self._read(deadline)
                if kind == b"C":
                    assembler.add_chunk(payload)
                elif kind == b"D":
                    stats = parse_json(payload)
                    if not isinstance(stats, dict) or stats.get("id") != nonce:
                        raise ProtocolError("end frame for another request")
                    break
                else:
                    raise ProtocolError(f"unexpected frame {kind!r}")
            if stats.get("error") == "unknown_batch":  # evicted from the server's cache
                self.batches.discard(batch.id)
                self.put(batch)
                continue
            self.programs_run += 1
            result = assembler.result(stats)
            result.worker = self.name
            return result
        raise ProtocolError("batch could not be cached")

    def close(self) -> None:
        try:
            self.transport.close()
        except Exception:  # noqa: BLE001 - closing a dead worker must not raise
            pass


def recv_deadline_remaining(deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise WorkerLost("worker did not answer in time")
    return remaining
