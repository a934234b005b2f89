"""The program's side of the exec server: runs in a freshly forked child, one program, then exits.

It never trusts itself to stop: the parent watches its CPU time from outside and SIGKILLs it.
What it does is the bookkeeping that must happen *under* that watch: compiling under the policy,
calling the entry function once per input with a fresh copy of the input, turning every return
value into plain JSON (before any of the program's methods could be trusted), and sending results
in framed chunks over a private pipe, so that a program that hangs on input 7,000 loses nothing
that was already computed (but the range of inputs in progress, which the parent runs again).

Frame (child -> parent): ``>I`` length of the rest, ``>ii`` first index and end index of the
range covered, then JSON ``{"v": [outputs], "e": {"index": [kind, detail]}}`` (outputs ``null``
where ``e`` has an entry). Special ranges: ``-1, -1`` a fatal error of the whole program (only
before the first input starts), ``-2, -2`` the end.

Under ``--policy off`` the program owns this process and can write anything to the pipe: the
parent and the host check every frame, and nothing here is trusted by either.
"""

from __future__ import annotations

import json
import math
import os
import resource
import struct
import time
from typing import Any

import policy

FATAL = -1
END = -2
FLUSH_EVERY = 4096  # inputs per chunk at most
DETAIL_CAP = 300

#: The output caps. The host sends its own (harness/sandbox/limits.py, OutputCaps) with every
#: request, so both sides apply one set; these defaults only serve a request without them.
DEFAULT_CAPS = {"depth": 8, "frame_bytes": 2 << 20, "total_bytes": 128 << 20}
OUTPUT_UNITS_CAP = 1 << 20  # list elements + string characters of one output (a cheap pre-check)

try:  # orjson encodes a frame ten to twenty times faster; json remains the fallback
    import orjson as _orjson
except ImportError:  # pragma: no cover
    _orjson = None

try:  # numpy is optional for the worker: without it, numpy values simply cannot occur.
    import numpy as _np
except ImportError:  # pragma: no cover
    _np = None


class InvalidOutput(Exception):
    pass


class Budget:
    """What one output may still take (units), how deep it may nest, and an estimate of its size
    as JSON (so that chunks are cut by bytes before they are encoded)."""

    __slots__ = ("units", "depth", "size", "frame_bytes")

    def __init__(self, depth: int = DEFAULT_CAPS["depth"],
                 frame_bytes: int = DEFAULT_CAPS["frame_bytes"]) -> None:
        self.units = OUTPUT_UNITS_CAP
        self.depth = depth
        self.size = 0
        self.frame_bytes = frame_bytes

    def spend(self, n: int) -> None:
        self.units -= n
        if self.units < 0:
            raise InvalidOutput(f"output larger than {OUTPUT_UNITS_CAP} units")


def _plain_str(value: str, budget: Budget) -> str:
    budget.spend(len(value) + 1)
    if value.isascii():
        budget.size += len(value) + 3
    else:
        budget.size += 6 * len(value) + 3
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidOutput("string holds a lone surrogate (not valid Unicode)") from None
    return value


#: Elements encoded at a time when a list of ints is measured (stops soon after the frame cap).
_INT_SLICE = 1 << 15


def _plain_ints(value: list[Any], budget: Budget) -> bool:
    """An exact list of exact ints within the size rules, checked by C loops (a grid row, a
    list of numbers: the common large outputs) instead of one ``to_plain`` call per element.
    Only the base types' own iteration, comparison and ``repr`` run, as in ``to_plain``. Its
    JSON is measured slice by slice, so a list too large for a frame is refused after encoding
    about one frame of it, within the program's time for that input."""
    if set(map(type, value)) != {int}:
        return False
    if max(value).bit_length() > 256 or min(value).bit_length() > 256:
        raise InvalidOutput("integer too large")
    size = 0
    for k in range(0, len(value), _INT_SLICE):
        size += len(json.dumps(value[k:k + _INT_SLICE], separators=(",", ":")))
        if size > budget.frame_bytes:
            raise InvalidOutput(f"output larger than {budget.frame_bytes} bytes as JSON")
    budget.size += size - 8 * len(value)  # the exact size instead of the estimate
    return True


def to_plain(value: Any, budget: Budget, depth: int = 0) -> Any:
    """Return ``value`` as plain JSON data, reading it only through the base types' own methods.

    A subclass of ``str``/``int``/``float`` is converted to its base value (so an overridden
    ``__eq__`` never reaches the host); any other object is an ``invalid_output``. ``depth`` counts
    the lists around ``value``: a list may stand at most ``budget.depth`` lists deep, the same
    rule as the host's (harness/sandbox/protocol.py, check_output).
    """
    t = type(value)
    if t is str:
        return _plain_str(value, budget)
    if t is bool or value is None:
        return value
    if t is int:
        if value.bit_length() > 256:
            raise InvalidOutput("integer too large")
        return value
    if t is float:
        if not math.isfinite(value):
            raise InvalidOutput("non-finite float")
        return value
    if t is list or t is tuple:
        if depth >= budget.depth:
            raise InvalidOutput("output nested too deeply")
        budget.spend(len(value) + 1)
        budget.size += 8 * len(value) + 2
        if t is list and value and type(value[0]) is int and _plain_ints(value, budget):
            return list(value)
        return [to_plain(v, budget, depth + 1) for v in list.__iter__(value)] if t is list else [
            to_plain(v, budget, depth + 1) for v in tuple.__iter__(value)]
    if _np is not None:
        if t is _np.ndarray:
            if value.dtype.kind not in "biuf":
                raise InvalidOutput(f"numpy array of dtype {value.dtype}")
            budget.spend(int(value.size) + 1)
            return to_plain(value.tolist(), budget, depth)
        if isinstance(value, _np.generic) and t.__module__ == "numpy":
            if isinstance(value, (_np.bool_, _np.integer, _np.floating)):
                return to_plain(value.item(), budget, depth)
            raise InvalidOutput(f"numpy scalar {t.__name__}")
    if isinstance(value, str):
        return to_plain(str.__str__(value), budget, depth)
    if isinstance(value, bool):
        return bool(int.__index__(value))
    if isinstance(value, int):
        return to_plain(int.__index__(value), budget, depth)
    if isinstance(value, float):
        return to_plain(float.__float__(value), budget, depth)
    raise InvalidOutput(f"unsupported output type {_type_name(value)}")


def clean_text(text: str, cap: int = DETAIL_CAP) -> str:
    """Text that is valid UTF-8 whatever the program put in it (lone surrogates escaped)."""
    text = text[:cap]
    if not text.isascii():
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _type_name(value: Any) -> str:
    try:
        return clean_text(str(type.__getattribute__(type(value), "__name__")), 60)
    except Exception:
        return "?"


def _describe(exc: BaseException) -> str:
    try:
        text = f"{_type_name(exc)}: {exc}"
    except BaseException:
        text = _type_name(exc)
    return clean_text(text)


def _copier(sample: Any) -> Any:
    """How to hand each input over fresh: strings are immutable, grids are copied."""
    if isinstance(sample, str):
        return None
    if isinstance(sample, list):
        return lambda g: [r[:] if isinstance(r, list) else r for r in g]
    if isinstance(sample, dict):
        return dict.copy
    import copy
    return copy.deepcopy


class Sender:
    """Writes frames to the parent; a chunk larger than the frame cap is split in halves, and a
    single output that alone exceeds it becomes ``invalid_output`` (so frames are bounded by
    bytes, never by a count of inputs)."""

    def __init__(self, fd: int, frame_bytes: int = DEFAULT_CAPS["frame_bytes"]) -> None:
        self.fd = fd
        self.frame_bytes = frame_bytes

    def send(self, a: int, b: int, payload: dict[str, Any]) -> None:
        body = _encode(payload)
        if a >= 0 and b"\\ud" in body and _drop_lone_surrogates(a, payload):
            body = _encode(payload)
        if len(body) > self.frame_bytes and a >= 0:
            return self._split(a, b, payload["v"], payload["e"])
        data = struct.pack(">Iii", len(body) + 8, a, b) + body
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]

    def _split(self, a: int, b: int, values: list[Any], errors: dict[str, Any]) -> None:
        if b - a == 1:
            values = [None]
            errors = {str(a): ["invalid_output",
                               f"output larger than {self.frame_bytes} bytes as JSON"]}
            return self.send(a, b, {"v": values, "e": errors})
        mid = (a + b) // 2
        for lo, hi in ((a, mid), (mid, b)):
            part = {k: v for k, v in errors.items() if lo <= int(k) < hi}
            self.send(lo, hi, {"v": values[lo - a:hi - a], "e": part})


def _encode(payload: dict[str, Any]) -> bytes:
    """Compact JSON. orjson refuses what json accepts here (integers past 64 bits, lone
    surrogates, which json escapes and Sender.send then replaces): json takes those frames."""
    if _orjson is not None:
        try:
            return _orjson.dumps(payload)
        except TypeError:  # orjson.JSONEncodeError is a TypeError
            pass
    return json.dumps(payload, separators=(",", ":"), allow_nan=False).encode()


def _drop_lone_surrogates(a: int, payload: dict[str, Any]) -> bool:
    """Short string outputs skip to_plain (the hot path): the escaped JSON shows whether one
    holds a lone surrogate, and only then are they checked. True if any was replaced."""
    values, errors = payload["v"], payload["e"]
    changed = False
    for k, v in enumerate(values):
        if type(v) is str and not v.isascii():
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                values[k] = None
                errors[str(a + k)] = ["invalid_output",
                                      "string holds a lone surrogate (not valid Unicode)"]
                changed = True
    return changed


def apply_limits(memory_mb: int, cpu_seconds: float, in_container: bool) -> None:
    """Hard limits the program cannot raise again (soft == hard)."""
    def setl(which: int, value: int) -> None:
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            pass
    setl(resource.RLIMIT_AS, memory_mb * 1024 * 1024)
    setl(resource.RLIMIT_CPU, max(1, math.ceil(cpu_seconds)))
    setl(resource.RLIMIT_CORE, 0)
    setl(resource.RLIMIT_FSIZE, 0)
    setl(resource.RLIMIT_NOFILE, 64)
    setl(resource.RLIMIT_MSGQUEUE, 0)  # no POSIX message queue can outlive the program
    if in_container:  # per-uid: on a shared host it would count the user's own processes
        setl(resource.RLIMIT_NPROC, 0)


class WorkerBug(Exception):
    """An error in the worker's own code (not the program's): reported as a fatal crash."""


def run_job(job: dict[str, Any], source: str, inputs: list[Any], result_fd: int,
            ctl: Any) -> None:
    """Compile, set up and run one program over ``inputs[start:]`` (skipping ``skip``).

    ``ctl`` is the page shared with the parent: ``ctl[0]``..``ctl[2]`` the range of inputs being
    run (a hint for the parent's per-input clock; the parent never trusts it), ``ctl[1]`` set by
    the parent to ask for the results so far (it bounds CPU by the inputs answered, so it must
    hear of them)."""
    try:
        _run_job(job, source, inputs, result_fd, ctl)
    except (KeyError, TypeError, ValueError, AttributeError, ImportError) as exc:
        if ctl[0] < 0:
            raise WorkerBug(f"exec server error during setup: {type(exc).__name__}: {exc}"
                            [:DETAIL_CAP]) from None
        raise


def _run_job(job: dict[str, Any], source: str, inputs: list[Any], result_fd: int,
             ctl: Any) -> None:
    caps = job.get("caps") or DEFAULT_CAPS
    out = Sender(result_fd, int(caps["frame_bytes"]))
    depth = int(caps["depth"])
    policy_name = job["policy"]
    ctl[0] = -1
    mono_start = time.monotonic()
    t_start = time.perf_counter()
    try:
        code, module, sink = policy.compile_program(source, policy_name)
    except policy.PolicyError as exc:
        out.send(FATAL, FATAL, {"fatal": [exc.kind, clean_text(exc.detail, 1000)]})
        return
    policy.harden_libraries(policy_name)
    import sys
    sys.modules["solution"] = module
    sys.setrecursionlimit(6000)
    t_compiled = time.perf_counter()
    try:
        exec(code, module.__dict__)
        fn = _entry(module.__dict__, job.get("entry"), source)
    except _EntryError as exc:
        out.send(FATAL, FATAL, {"fatal": ["exception", clean_text(f"entry: {exc}")]})
        return
    except BaseException as exc:  # the module body itself failed
        out.send(FATAL, FATAL, {"fatal": [_kind(exc), f"module: {_describe(exc)}"]})
        return

    t_ready = time.perf_counter()
    n = len(inputs)
    skip = sorted(set(job.get("skip", ())))
    copy = _copier(inputs[0]) if n else None
    pacer = Pacer(float(job.get("time_limit", 0.5)), int(job.get("careful_until", 0)))
    i = job.get("start", 0)
    while i < n:
        while skip and skip[0] < i:
            skip.pop(0)
        if skip and skip[0] == i:
            i += 1
            continue
        end = min(n, i + FLUSH_EVERY, skip[0] if skip else n)
        end, values, errors = _run_range(fn, inputs, i, end, copy, ctl, depth,
                                         out.frame_bytes // 2, pacer)
        out.send(i, end, {"v": values, "e": errors})
        ctl[1] = 0
        i = end
    ctl[0] = n
    t_end = time.perf_counter()
    out.send(END, END, {"stdout": clean_text(sink.text(), 4096), "mono": [
        mono_start, time.monotonic()], "timing_ms": {
        "compile": round((t_compiled - t_start) * 1000, 3),
        "setup": round((t_ready - t_compiled) * 1000, 3),
        "inputs": round((t_end - t_ready) * 1000, 3)}})


#: Inputs per claimed range at most, and the CPU a range should take: small against the time
#: limit, so that a range that outlasts the limit almost surely holds one slow input.
MAX_SPAN = 1024
SPAN_SHARE = 16  # a range aims at time_limit / SPAN_SHARE at most
SPAN_TARGET_S = 0.005  # ... and at this much at most (so flush requests are heard soon)


class Pacer:
    """How many inputs the child claims at once. It starts at one and doubles while ranges stay
    fast, so fast programs run whole ranges through one C-level ``map`` (no per-input bytecode
    of ours: the per-input bookkeeping was a third of a 1 µs program's time) and slow ones run
    one input per claim, exactly as before. Up to ``careful_until`` every claim is one input:
    the parent sets it after a range was stopped, to learn which input of it was at fault."""

    __slots__ = ("span", "target", "careful_until")

    def __init__(self, time_limit: float, careful_until: int) -> None:
        self.span = 1
        self.target = min(SPAN_TARGET_S, time_limit / SPAN_SHARE)
        self.careful_until = careful_until

    def next_end(self, i: int, b: int) -> int:
        return i + 1 if i < self.careful_until else min(b, i + self.span)

    def took(self, seconds: float) -> None:
        if seconds < self.target:
            self.span = min(MAX_SPAN, 2 * self.span)
        elif seconds > 2 * self.target:
            self.span = 1


def _run_range(fn: Any, inputs: list[Any], a: int, b: int, copy: Any, ctl: Any, depth: int,
               flush_size: int, pacer: Pacer) -> tuple[int, list[Any], dict[str, list[str]]]:
    """The hot loop: one result slot per input, whatever happens. Each claimed range
    ``ctl[0]..ctl[2]`` runs as one ``list.extend(map(fn, ...))``: an exception stops the map at
    the input that raised (recorded, then the same map goes on), and the outputs are checked
    after the range, still within its claim. Stops early (returning the end it reached) when the
    parent asks for the results so far or the outputs gathered would make a large frame."""
    values: list[Any] = []
    errors: dict[str, list[str]] = {}
    size = 0
    perf = time.perf_counter
    i = a
    while i < b:
        stop = pacer.next_end(i, b)
        ctl[2] = stop  # the end first: the parent reads the start, then the end
        ctl[0] = i
        t = perf()
        out: list[Any] = []
        chunk = inputs[i:stop]
        calls = map(fn, chunk if copy is None else map(copy, chunk))
        while True:
            try:
                out.extend(calls)
                break
            except BaseException as exc:
                errors[str(i + len(out))] = [_kind(exc), _describe(exc)]
                out.append(None)
        chars = _ascii_chars(out)
        if chars < 0:
            size += _check_outputs(out, i, errors, depth, flush_size)
        else:
            size += chars + 3 * len(out)
        values += out
        pacer.took(perf() - t)
        i = stop
        if ctl[1] or size > flush_size:
            break
    return i, values, errors


_JOIN = "".join


def _ascii_chars(out: list[Any]) -> int:
    """The characters of a range's outputs when all are ASCII strings short enough that none
    can reach the per-output cap (the common case: labels), else -1. One C-level join checks
    them all; a ``str`` subclass passes, as its encoding reads only the base string. (A string
    of ``OUTPUT_UNITS_CAP`` characters or more is refused by ``Budget.spend``: it must take the
    slow path, so the total here stays below the cap.)"""
    try:
        text = _JOIN(out)
    except TypeError:
        return -1
    return len(text) if text.isascii() and len(text) < OUTPUT_UNITS_CAP else -1


def _check_outputs(out: list[Any], a: int, errors: dict[str, list[str]], depth: int,
                   flush_size: int) -> int:
    """Turn a range's outputs into plain JSON data in place (short strings, the common case,
    are already plain: see Sender.send for lone surrogates); return their estimated size."""
    size = 0
    for k, r in enumerate(out):
        if type(r) is str and len(r) < 64 or str(a + k) in errors:
            continue
        budget = Budget(depth, 2 * flush_size)
        try:
            out[k] = to_plain(r, budget)
        except InvalidOutput as exc:
            out[k] = None
            errors[str(a + k)] = ["invalid_output", clean_text(str(exc))]
        except BaseException as exc:
            out[k] = None
            errors[str(a + k)] = [_kind(exc), _describe(exc)]
        size += budget.size
    return size


def _kind(exc: BaseException) -> str:
    if isinstance(exc, policy.RestrictedError):
        return "restricted"
    if isinstance(exc, MemoryError):
        return "memory"
    return "exception"


class _EntryError(Exception):
    pass


def _entry(glb: dict[str, Any], entry: str | None, source: str) -> Any:
    """The given name, else ``f``, else ``transform``, else the only top-level function."""
    if entry:
        fn = glb.get(entry)
        if not callable(fn):
            raise _EntryError(f"no function named {entry!r}")
        return fn
    for name in ("f", "transform"):
        if callable(glb.get(name)):
            return glb[name]
    import ast
    defs = [n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)]
    if len(defs) == 1 and callable(glb.get(defs[0])):
        return glb[defs[0]]
    if not defs:
        raise _EntryError("the program defines no function")
    raise _EntryError(f"several top-level functions ({', '.join(defs[:5])}) and none is "
                      "named f or transform")
