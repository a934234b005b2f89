"""One exec server seen from the host: a transport plus the request/response logic.

The transport is whatever carries bytes to the server (a docker attach socket, a subprocess's
pipes); the logic is the same for every backend, so the conformance tests cover both.

Every request carries a fresh random nonce that the reply ending it must echo; during a run the
server sends a heartbeat at least every half second, so a stopped or replaced server is noticed
within ``FRAME_GAP_S`` rather than at the end of the run's whole deadline.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from harness.sandbox.limits import OUTPUT_CAPS, Limits
from harness.sandbox.protocol import (
    Batch,
    ProtocolError,
    ResultAssembler,
    WorkerLost,
    check_reply,
    new_nonce,
    read_frame,
    request,
)
from harness.sandbox.results import ProgramResult

#: Longest silence from a server while a run is in flight (it sends a heartbeat every 0.5 s).
FRAME_GAP_S = 10.0


class Transport(Protocol):
    name: str

    def send(self, data: bytes) -> None: ...

    def recv_exact(self, n: int, deadline: float) -> bytes: ...

    def buffered(self) -> int: ...

    def alive(self) -> bool: ...

    def close(self) -> None: ...


def _text(value: str) -> str:
    """``value`` as text that encodes to UTF-8 (a model may hand us lone surrogates)."""
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


class Worker:
    """A connection to one warm exec server; not thread-safe (the pool lends it to one caller)."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.name = transport.name
        self.batches: set[str] = set()
        self.programs_run = 0

    def _read(self, deadline: float, gap_s: float | None = None) -> tuple[bytes, bytes]:
        """The next frame that is not a heartbeat."""
        while True:
            until = deadline if gap_s is None else min(deadline, time.monotonic() + gap_s)
            kind, payload = read_frame(lambda n, u=until: self.transport.recv_exact(n, u))
            if kind != b"H":
                return kind, payload

    def _ask(self, meta: dict[str, Any], payload: bytes, timeout_s: float) -> dict[str, Any]:
        nonce = new_nonce()
        self.transport.send(request(nonce, meta, payload))
        kind, body = self._read(time.monotonic() + timeout_s)
        if kind != b"J":
            raise ProtocolError(f"expected a reply, got frame {kind!r}")
        reply = check_reply(body, nonce)
        if reply.get("ok") is not True:
            raise ProtocolError(f"server refused: {reply!r}"[:200])
        return reply

    def hello(self, timeout_s: float = 60.0) -> dict[str, Any]:
        return self._ask({"op": "hello"}, b"", timeout_s)

    def put(self, batch: Batch, timeout_s: float = 120.0) -> None:
        self._ask({"op": "put", "batch": batch.id}, batch.body, timeout_s)
        self.batches.add(batch.id)

    def run(self, source: str, batch: Batch, entry: str | None, limits: Limits) -> ProgramResult:
        if batch.id not in self.batches:
            self.put(batch)
        meta = {"op": "run", "batch": batch.id, "entry": None if entry is None else _text(entry),
                "policy": limits.policy, "time_limit": limits.time_limit_s,
                "setup_limit": limits.setup_limit_s, "batch_budget": limits.batch_budget_s,
                "memory_mb": limits.memory_mb, "caps": OUTPUT_CAPS.wire()}
        t0 = time.perf_counter()
        code = source.encode("utf-8", "surrogatepass")
        for _ in range(2):
            nonce = new_nonce()
            self.transport.send(request(nonce, meta, code))
            t_sent = time.perf_counter()
            decode = 0.0
            deadline = time.monotonic() + limits.host_deadline_s(batch.n)
            assembler = ResultAssembler(batch.n)
            while True:
                kind, payload = self._read(deadline, FRAME_GAP_S)
                if kind == b"C":
                    t_chunk = time.perf_counter()
                    try:
                        assembler.add_chunk(payload)
                    except ProtocolError as exc:  # the program's own bytes: its own crash
                        assembler.poison(str(exc))
                    decode += time.perf_counter() - t_chunk
                elif kind == b"D":
                    stats = check_reply(payload, nonce)
                    if self.transport.buffered():  # more than the server said: not ours
                        raise ProtocolError("unexpected bytes after the end of a run")
                    break
                else:
                    raise ProtocolError(f"unexpected frame {kind!r}")
            if stats.get("error") == "unknown_batch":  # evicted from the server's cache
                self.batches.discard(batch.id)
                self.put(batch)
                continue
            self.programs_run += 1
            t_end = time.perf_counter()
            result = assembler.result(stats)
            result.worker = self.name
            # Where the host's time went (make bench's decomposition; informative only).
            result.stats["host_ms"] = {
                "encode_send": round((t_sent - t0) * 1e3, 3),
                "wait": round((t_end - t_sent - decode) * 1e3, 3),
                "decode": round((decode + time.perf_counter() - t_end) * 1e3, 3)}
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
