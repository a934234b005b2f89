"""The program's side of the exec server: runs in a freshly forked child, one program, then exits.

It never trusts itself to stop: the parent watches its CPU time from outside and SIGKILLs it.
What it does is the bookkeeping that must happen *under* that watch: compiling under the policy,
calling the entry function once per input with a fresh copy of the input, turning every return
value into plain JSON (before any of the program's methods could be trusted), and sending results
in framed chunks over a private pipe, so that a program that hangs on input 7,000 loses nothing
that was already computed.

Frame (child -> parent): ``>I`` length of the rest, ``>ii`` first index and end index of the
range covered (``-1, -1`` for a fatal error of the whole program, ``-2, -2`` for the end), then
JSON ``{"v": [outputs], "e": {"index": [kind, detail]}}`` (outputs ``null`` where ``e`` has an
entry).
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
FLUSH_EVERY = 4096  # inputs
FLUSH_SECONDS = 0.05
DETAIL_CAP = 300
OUTPUT_UNITS_CAP = 200_000  # list elements + string characters of one output
MAX_DEPTH = 8

try:  # numpy is optional for the worker: without it, numpy values simply cannot occur.
    import numpy as _np
except ImportError:  # pragma: no cover
    _np = None


class InvalidOutput(Exception):
    pass


class Budget:
    __slots__ = ("units",)

    def __init__(self) -> None:
        self.units = OUTPUT_UNITS_CAP

    def spend(self, n: int) -> None:
        self.units -= n
        if self.units < 0:
            raise InvalidOutput(f"output larger than {OUTPUT_UNITS_CAP} units")


def to_plain(value: Any, budget: Budget, depth: int = 0) -> Any:
    """Return ``value`` as plain JSON data, reading it only through the base types' own methods.

    A subclass of ``str``/``int``/``float`` is converted to its base value (so an overridden
    ``__eq__`` never reaches the host); any other object is an ``invalid_output``.
    """
    t = type(value)
    if t is str:
        budget.spend(len(value) + 1)
        return value
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
    if depth >= MAX_DEPTH:
        raise InvalidOutput("output nested too deeply")
    if t is list or t is tuple:
        budget.spend(len(value) + 1)
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


def _type_name(value: Any) -> str:
    try:
        return str(type.__getattribute__(type(value), "__name__"))[:60]
    except Exception:
        return "?"


def _describe(exc: BaseException) -> str:
    try:
        text = f"{_type_name(exc)}: {exc}"
    except BaseException:
        text = _type_name(exc)
    return text[:DETAIL_CAP]


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
    def __init__(self, fd: int) -> None:
        self.fd = fd

    def send(self, a: int, b: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload, separators=(",", ":"), allow_nan=False).encode()
        data = struct.pack(">Iii", len(body) + 8, a, b) + body
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]


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
    if in_container:  # per-uid: on a shared host it would count the user's own processes
        setl(resource.RLIMIT_NPROC, 0)


class WorkerBug(Exception):
    """An error in the worker's own code (not the program's): reported as a fatal crash."""


def run_job(job: dict[str, Any], inputs: list[Any], result_fd: int, progress: Any) -> None:
    """Compile, set up and run one program over ``inputs[start:]`` (skipping ``skip``)."""
    try:
        _run_job(job, inputs, result_fd, progress)
    except (KeyError, TypeError, ValueError, AttributeError, ImportError) as exc:
        if progress[0] < 0:
            raise WorkerBug(f"exec server error during setup: {type(exc).__name__}: {exc}"
                            [:DETAIL_CAP]) from None
        raise


def _run_job(job: dict[str, Any], inputs: list[Any], result_fd: int, progress: Any) -> None:
    out = Sender(result_fd)
    policy_name = job["policy"]
    progress[0] = -1
    t_start = time.perf_counter()
    try:
        code, module, sink = policy.compile_program(job["source"], policy_name)
    except policy.PolicyError as exc:
        out.send(FATAL, FATAL, {"fatal": [exc.kind, exc.detail[:1000]]})
        return
    policy.harden_libraries(policy_name)
    import sys
    sys.modules["solution"] = module
    sys.setrecursionlimit(6000)
    t_compiled = time.perf_counter()
    try:
        exec(code, module.__dict__)
        fn = _entry(module.__dict__, job.get("entry"), job["source"])
    except _EntryError as exc:
        out.send(FATAL, FATAL, {"fatal": ["exception", f"entry: {exc}"]})
        return
    except BaseException as exc:  # the module body itself failed
        out.send(FATAL, FATAL, {"fatal": [_kind(exc), f"module: {_describe(exc)}"]})
        return

    t_ready = time.perf_counter()
    n = len(inputs)
    skip = sorted(set(job.get("skip", ())))
    copy = _copier(inputs[0]) if n else None
    i = job.get("start", 0)
    chunk = 64  # grows while inputs are fast, so slow programs still report often
    while i < n:
        while skip and skip[0] < i:
            skip.pop(0)
        if skip and skip[0] == i:
            i += 1
            continue
        end = min(n, i + chunk, skip[0] if skip else n)
        t0 = time.monotonic()
        values, errors = _run_range(fn, inputs, i, end, copy, progress)
        out.send(i, end, {"v": values, "e": errors})
        if time.monotonic() - t0 < FLUSH_SECONDS:
            chunk = min(chunk * 8, FLUSH_EVERY)
        else:
            chunk = max(16, chunk // 4)
        i = end
    progress[0] = n
    t_end = time.perf_counter()
    out.send(END, END, {"stdout": sink.text(), "timing_ms": {
        "compile": round((t_compiled - t_start) * 1000, 3),
        "setup": round((t_ready - t_compiled) * 1000, 3),
        "inputs": round((t_end - t_ready) * 1000, 3)}})


def _run_range(fn: Any, inputs: list[Any], a: int, b: int, copy: Any,
               progress: Any) -> tuple[list[Any], dict[str, list[str]]]:
    """The hot loop: one call per input, one result slot per input, whatever happens."""
    values: list[Any] = []
    errors: dict[str, list[str]] = {}
    append = values.append
    for i in range(a, b):
        progress[0] = i
        try:
            r = fn(inputs[i] if copy is None else copy(inputs[i]))
            if type(r) is str and len(r) < 64:
                append(r)
            else:
                append(to_plain(r, Budget()))
        except InvalidOutput as exc:
            append(None)
            errors[str(i)] = ["invalid_output", str(exc)[:DETAIL_CAP]]
        except BaseException as exc:
            append(None)
            errors[str(i)] = [_kind(exc), _describe(exc)]
    return values, errors


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
