"""Host side of the exec-server protocol: framing, and strict validation of what comes back.

Everything that arrives from a sandbox is treated as hostile data: every frame's size is checked
before it is read, it is parsed as plain JSON (never pickle), every chunk's range and shape is
checked, every index must be covered exactly once, and outputs must be nested lists of
str/int/float/bool/None within the caps of ``OutputCaps``. A malformed chunk (which only the
program's own process can have written) makes that one program a ``crash``; a malformed frame
(the server's own framing) makes the worker lost, so it is replaced. Nothing here raises anything
but ``ProtocolError`` for what a sandbox sends.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from harness.sandbox.limits import ERROR_VERDICTS, OUTPUT_CAPS, OutputCaps
from harness.sandbox.results import ProgramResult, Verdict

NONCE_BYTES = 16
#: Largest server frame: a relayed chunk (range header + frame_bytes) or a small reply.
MAX_FRAME = OUTPUT_CAPS.frame_bytes + 64
FRAME_KINDS = (b"J", b"C", b"D", b"H")
DETAIL_CAP = 500
_ERROR_KINDS = frozenset(ERROR_VERDICTS)


class ProtocolError(Exception):
    """A sandbox sent something that is not our protocol."""


class WorkerLost(Exception):
    """The worker died, hung up or stopped answering: replace it."""


@dataclass(frozen=True)
class Batch:
    """Inputs serialised once and named by content hash, so 10,000 inputs travel once per worker,
    not once per program."""

    id: str
    n: int
    body: bytes  # the inputs as JSON

    @classmethod
    def of(cls, inputs: list[Any]) -> Batch:
        body = orjson.dumps(inputs)
        return cls(hashlib.sha256(body).hexdigest()[:32], len(inputs), body)


def new_nonce() -> bytes:
    return secrets.token_bytes(NONCE_BYTES)


def request(nonce: bytes, meta: dict[str, Any], payload: bytes = b"") -> bytes:
    """One host -> server frame (see sandbox_image/exec_server.py)."""
    head = orjson.dumps(meta)
    size = NONCE_BYTES + 4 + len(head) + len(payload)
    return struct.pack(">I", size) + nonce + struct.pack(">I", len(head)) + head + payload


def read_frame(recv_exact: Callable[[int], bytes], max_frame: int = MAX_FRAME) -> tuple[bytes,
                                                                                        bytes]:
    """One server frame: (kind, payload). Its size is checked before a byte of it is read."""
    (size,) = struct.unpack(">I", recv_exact(4))
    if size < 1 or size > max_frame:
        raise ProtocolError(f"frame of {size} bytes")
    data = recv_exact(size)
    kind = data[:1]
    if kind not in FRAME_KINDS:
        raise ProtocolError(f"unknown frame kind {kind!r}")
    return kind, data[1:]


def parse_json(payload: bytes) -> Any:
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise ProtocolError(f"bad JSON: {str(exc)[:100]}") from None


def check_reply(payload: bytes, nonce: bytes) -> dict[str, Any]:
    """A reply that ends a request: it must carry the request's nonce and a JSON object."""
    if len(payload) < NONCE_BYTES or not hmac.compare_digest(payload[:NONCE_BYTES], nonce):
        raise ProtocolError("reply for another request (nonce mismatch)")
    reply = parse_json(payload[NONCE_BYTES:])
    if not isinstance(reply, dict):
        raise ProtocolError("reply is not an object")
    return reply


def _number(value: Any) -> float:
    if type(value) in (int, float) and math.isfinite(value) and value >= 0:
        return float(value)
    return 0.0


def clean_stats(stats: dict[str, Any]) -> dict[str, Any]:
    """The run statistics of an end frame, with anything malformed dropped (they are
    informative only and never decide a verdict)."""
    children = stats.get("children")
    return {"cpu_s": _number(stats.get("cpu_s")), "wall_s": _number(stats.get("wall_s")),
            "children": children if type(children) is int and 0 <= children < 1 << 31 else 0,
            "child_ms": _timings(stats.get("child_ms")),
            "server_ms": _timings(stats.get("server_ms"))}


def _timings(value: Any) -> dict[str, float]:
    """A few named durations (ms), for ``make bench``'s decomposition; anything else dropped."""
    if not isinstance(value, dict):
        return {}
    return {str(k)[:20]: _number(v) for k, v in list(value.items())[:6]}


def _detail(value: Any) -> str:
    return value[:DETAIL_CAP] if isinstance(value, str) else ""


def check_output(value: Any, depth_cap: int = OUTPUT_CAPS.depth) -> tuple[str | None, int]:
    """(why ``value`` is not acceptable plain data or None, the bytes it takes in memory).

    Depth counts lists the same way as the child (sandbox_image/worker.py, to_plain): a list
    may stand at most ``depth_cap`` lists deep."""
    weight = 0
    stack = [(value, 0)]
    while stack:
        v, depth = stack.pop()
        t = type(v)
        if t is str:
            weight += 49 + (len(v) if v.isascii() else 4 * len(v) + 32)
        elif t is list:
            if depth >= depth_cap:
                return "output nested too deeply", weight
            weight += 56 + 8 * len(v)
            stack.extend((x, depth + 1) for x in v)
        elif t is int or t is float:
            weight += 32
        elif t is bool or v is None:
            pass
        else:
            return f"output of type {t.__name__}", weight
    return None, weight


_OK_STR = {v: Verdict("ok", v, None) for v in ("0", "1", "True", "False", "")}


class ResultAssembler:
    """Collects the chunks of one run into exactly one verdict per input."""

    def __init__(self, n: int, caps: OutputCaps = OUTPUT_CAPS) -> None:
        self.n = n
        self.caps = caps
        self.slots: list[Verdict | None] = [None] * n
        self.fatal: Verdict | None = None
        self.fault: str | None = None
        self.received = 0
        self.retained = 0
        self.filled = 0  # slots answered (each at most once: add_chunk refuses a second answer)

    def poison(self, detail: str) -> None:
        """The program's process sent something malformed: the whole program is a crash."""
        if self.fault is None:
            self.fault = detail[:DETAIL_CAP]

    def add_chunk(self, payload: bytes) -> None:
        self.received += len(payload)
        if self.received > self.caps.total_bytes + (1 << 20):
            raise ProtocolError("outputs exceeded the size cap")
        if len(payload) < 8:
            raise ProtocolError("short chunk")
        a, b = struct.unpack_from(">ii", payload)
        if not (a == b == -1 or 0 <= a < b <= self.n):
            raise ProtocolError(f"chunk range {a}..{b} outside 0..{self.n}")
        body = parse_json(payload[8:])
        if not isinstance(body, dict):
            raise ProtocolError("chunk is not an object")
        if a == -1:
            fatal = body.get("fatal")
            if not (isinstance(fatal, list) and len(fatal) == 2 and type(fatal[0]) is str
                    and fatal[0] in _ERROR_KINDS):
                raise ProtocolError("bad fatal chunk")
            self.fatal = Verdict(fatal[0], None, _detail(fatal[1]))
            return
        values, errors = body.get("v"), body.get("e", {})
        if not isinstance(values, list) or len(values) != b - a or not isinstance(errors, dict):
            raise ProtocolError("chunk shape")
        for key, err in errors.items():
            if not (key.isascii() and key.isdigit() and a <= int(key) < b):
                raise ProtocolError(f"error index {key[:20]!r} outside chunk")
            if not (isinstance(err, list) and len(err) == 2 and type(err[0]) is str
                    and err[0] in _ERROR_KINDS):
                raise ProtocolError("bad error entry")
        slots = self.slots
        if slots[a:b].count(None) != b - a:
            raise ProtocolError(f"inputs {a}..{b} answered twice")
        ok_get = _OK_STR.get
        # The common case, a short label per input, in one pass at C speed.
        try:
            fast = list(map(ok_get, values))
        except TypeError:  # unhashable outputs (grids): no fast path for this chunk
            fast = [None] * len(values)
        for offset in range(b - a) if (errors or None in fast) else ():
            if fast[offset] is not None and str(a + offset) not in errors:
                continue
            err = errors.get(str(a + offset))
            if err is not None:
                fast[offset] = Verdict(err[0], None, _detail(err[1]))
                continue
            fast[offset] = self._checked(values[offset])
        slots[a:b] = fast
        self.filled += b - a

    def _checked(self, value: Any) -> Verdict:
        problem, weight = check_output(value, self.caps.depth)
        if problem:
            return Verdict("invalid_output", None, problem)
        if self.retained + weight > self.caps.retained_bytes:
            return Verdict("invalid_output", None, "the program's outputs exceed "
                           f"{self.caps.retained_bytes >> 20} MB in total")
        self.retained += weight
        return Verdict("ok", value, None)

    def result(self, stats: dict[str, Any]) -> ProgramResult:
        stats = clean_stats(stats)
        timing = {"cpu_s": stats["cpu_s"], "wall_s": stats["wall_s"], "stats": stats}
        if self.fault is not None:
            v = Verdict("crash", None, f"malformed result from the program: {self.fault}")
            return ProgramResult([v] * self.n, fatal=v, **timing)
        if self.fatal is not None:
            return ProgramResult([self.fatal] * self.n, fatal=self.fatal, **timing)
        verdicts = self.slots
        if self.filled < self.n:
            missing = Verdict("crash", None, "no result for this input")
            verdicts = [v if v is not None else missing for v in self.slots]
        return ProgramResult(verdicts, **timing)
