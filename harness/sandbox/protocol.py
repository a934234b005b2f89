"""Host side of the exec-server protocol: framing, and strict validation of what comes back.

Everything that arrives from a sandbox is treated as hostile data: it is parsed as plain JSON
(never pickle), every chunk's range and shape is checked, every index must be covered exactly
once, and outputs are checked to be nested lists of str/int/float/bool/None within size caps.
Anything else turns into ``crash``/``invalid_output`` verdicts for that one program.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from harness.sandbox.limits import ERROR_VERDICTS
from harness.sandbox.results import ProgramResult, Verdict

MAX_FRAME = 64 << 20
DETAIL_CAP = 500
MAX_OUTPUT_DEPTH = 6
MAX_OUTPUT_UNITS = 250_000


class ProtocolError(Exception):
    """The worker sent something that is not our protocol: treat the worker as compromised."""


class WorkerLost(Exception):
    """The worker died, hung up or stopped answering: replace it."""


@dataclass(frozen=True)
class Batch:
    """Inputs serialised once and named by content hash, so 10,000 inputs travel once per worker,
    not once per program."""

    id: str
    n: int
    payload: bytes  # the encoded "put" request

    @classmethod
    def of(cls, inputs: list[Any]) -> Batch:
        body = orjson.dumps(inputs)
        bid = hashlib.sha256(body).hexdigest()[:32]
        payload = b'{"op":"put","batch":"' + bid.encode() + b'","inputs":' + body + b"}"
        return cls(bid, len(inputs), frame(payload))


def frame(body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + body


def encode(obj: dict[str, Any]) -> bytes:
    return frame(orjson.dumps(obj))


def read_frame(recv_exact: Callable[[int], bytes]) -> tuple[bytes, bytes]:
    """One server frame: (kind, payload)."""
    (size,) = struct.unpack(">I", recv_exact(4))
    if size < 1 or size > MAX_FRAME:
        raise ProtocolError(f"frame of {size} bytes")
    data = recv_exact(size)
    return data[:1], data[1:]


def parse_json(payload: bytes) -> Any:
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise ProtocolError(f"bad JSON: {exc}") from None


def _detail(value: Any) -> str:
    return value[:DETAIL_CAP] if isinstance(value, str) else ""


def check_output(value: Any) -> str | None:
    """Why a program output is not acceptable plain data, or None."""
    units = 0
    stack = [(value, 0)]
    while stack:
        v, depth = stack.pop()
        t = type(v)
        if t is str:
            units += len(v)
        elif t is list:
            if depth >= MAX_OUTPUT_DEPTH:
                return "output nested too deeply"
            units += len(v)
            stack.extend((x, depth + 1) for x in v)
        elif t in (int, float, bool) or v is None:
            units += 1
        else:
            return f"output of type {t.__name__}"
        if units > MAX_OUTPUT_UNITS:
            return "output too large"
    return None


_OK_STR = {v: Verdict("ok", v, None) for v in ("0", "1", "True", "False", "")}


class ResultAssembler:
    """Collects the chunks of one run into exactly one verdict per input."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.slots: list[Verdict | None] = [None] * n
        self.fatal: Verdict | None = None

    def add_chunk(self, payload: bytes) -> None:
        if len(payload) < 8:
            raise ProtocolError("short chunk")
        a, b = struct.unpack_from(">ii", payload)
        body = parse_json(payload[8:])
        if not isinstance(body, dict):
            raise ProtocolError("chunk is not an object")
        if a == -1 and b == -1:
            fatal = body.get("fatal")
            if not (isinstance(fatal, list) and len(fatal) == 2 and fatal[0] in ERROR_VERDICTS):
                raise ProtocolError("bad fatal chunk")
            self.fatal = Verdict(fatal[0], None, _detail(fatal[1]))
            return
        if not (0 <= a < b <= self.n):
            raise ProtocolError(f"chunk range {a}..{b} outside 0..{self.n}")
        values, errors = body.get("v"), body.get("e", {})
        if not isinstance(values, list) or len(values) != b - a or not isinstance(errors, dict):
            raise ProtocolError("chunk shape")
        for key, err in errors.items():
            if not (key.isdigit() and a <= int(key) < b):
                raise ProtocolError(f"error index {key!r} outside chunk")
            if not (isinstance(err, list) and len(err) == 2 and err[0] in ERROR_VERDICTS):
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
            value = values[offset]
            if err is not None:
                fast[offset] = Verdict(err[0], None, _detail(err[1]))
            else:
                problem = check_output(value)
                fast[offset] = (Verdict("invalid_output", None, problem) if problem
                                else Verdict("ok", value, None))
        slots[a:b] = fast

    def result(self, stats: dict[str, Any]) -> ProgramResult:
        if self.fatal is not None:
            return ProgramResult([self.fatal] * self.n, fatal=self.fatal,
                                 cpu_s=float(stats.get("cpu_s", 0)),
                                 wall_s=float(stats.get("wall_s", 0)), stats=stats)
        verdicts = self.slots
        if None in verdicts:
            missing = Verdict("crash", None, "no result for this input")
            verdicts = [v if v is not None else missing for v in self.slots]
        return ProgramResult(verdicts, cpu_s=float(stats.get("cpu_s", 0)),
                             wall_s=float(stats.get("wall_s", 0)), stats=stats)
