"""Conformance suite for sandbox backends (after inspect_ai's sandbox ``self_check``).

``run_self_check(pool)`` runs plain-function checks against a started pool and returns one
``CheckResult`` per check; nothing here imports pytest, so the same suite can run from a test,
from the CLI or from a notebook.

Sections:

* ``legit``: the legitimate corpus (harness.sandbox.corpus) gives exactly its expected outputs.
* ``limits``: busy loop, memory bomb, huge output, exception, syntax, one slow input among fast
  ones, batch budget exhaustion: each gets its own verdict, and only the inputs concerned.
* ``isolation`` (Docker only, never the process backend: these programs attack the machine):
  an attacker A runs with full Python (``--policy off``); then B (a legitimate program on
  another batch, ``standard``) and C (a legitimate program, ``strict``) must get exactly their
  own correct verdicts and outputs, optional probe programs must find nothing A left behind,
  and ``pool.health()`` must tell the truth. Isolation checks run on a one-worker pool built
  from the caller's factory, so A, B and C share one container; after a failed check that pool
  is thrown away, so one successful attack does not fail every later check.

Every check is bounded in time: it runs in a thread, and when it overstays ``check_timeout_s``
it is reported as failed (the worker it hung is destroyed, which unblocks the thread).

These checks are written against the sandbox contract (shared/ARCHITECTURE.md, "The program
cannot reach what judges it"), not against what the current code happens to do: a failing
check is a finding, not a check to relax.
"""

from __future__ import annotations

import textwrap
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from harness.sandbox.corpus import LEGIT
from harness.sandbox.limits import VERDICTS, Limits
from harness.sandbox.results import ProgramResult

SECTIONS = ("legit", "limits", "isolation")
SAFE_BACKEND_SECTIONS = ("legit", "limits")  # all a backend without containment may run
CHECK_TIMEOUT_S = 30.0
# The writable places a program might leave something in (an expression in the programs).
_DIRS = "('/tmp', '/dev/shm', '/var/tmp', os.environ.get('HOME') or '/tmp', os.getcwd())"


@dataclass(frozen=True)
class CheckResult:
    name: str
    section: str
    passed: bool
    detail: str = ""
    seconds: float = 0.0

    def __str__(self) -> str:
        mark = "PASS" if self.passed else "FAIL"
        return f"{mark} {self.section}/{self.name} ({self.seconds:.1f}s) {self.detail}".rstrip()


@dataclass(frozen=True)
class Check:
    """One conformance check: ``run(ctx)`` returns the problems found (empty: passed) and may
    add notes to ``ctx.notes`` (what was observed, reported even when it passes)."""

    name: str
    section: str
    run: Callable[[Context], list[str]]
    doc: str = ""


class Context:
    """What a check runs against; ``stage`` says what it was doing if it hangs."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self.stage = "start"
        self.notes: list[str] = []


# ---------------------------------------------------------------------------- helpers


def limits(policy: str = "standard", time_limit_s: float = 0.5, batch_budget_s: float = 4.0,
           memory_mb: int = 512) -> Limits:
    return Limits(time_limit_s=time_limit_s, batch_budget_s=batch_budget_s,
                  memory_mb=memory_mb, policy=policy)


def _short(value: Any, n: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= n else text[:n] + "..."


def _summary(result: ProgramResult) -> str:
    first_bad = next((v for v in result.verdicts if not v.ok), None)
    tail = (f", first error {first_bad.verdict}: {_short(first_bad.detail, 120)}"
            if first_bad else "")
    return f"{result.counts()}{tail}"


def expect_outputs(result: ProgramResult, expected: Sequence[Any], who: str) -> list[str]:
    """Every input ok, with exactly the expected plain value (type included)."""
    problems = []
    if len(result.verdicts) != len(expected):
        return [f"{who}: {len(result.verdicts)} verdicts for {len(expected)} inputs"]
    for i, (v, want) in enumerate(zip(result.verdicts, expected, strict=True)):
        if not v.ok or v.output != want or type(v.output) is not type(want):
            problems.append(f"{who}: input {i} gave {v.verdict} {_short(v.output, 60)} "
                            f"({_short(v.detail, 100)}), expected {_short(want, 60)}")
            break
    return problems


def expect_kinds(result: ProgramResult, safe: Sequence[str], who: str) -> list[str]:
    kinds = {v.verdict for v in result.verdicts}
    bad = kinds - set(safe)
    if bad:
        return [f"{who}: verdicts {sorted(kinds)} not within {sorted(safe)} ({_summary(result)})"]
    if not all(v.verdict in VERDICTS for v in result.verdicts):
        return [f"{who}: unknown verdict kind"]
    return []


def _run(ctx: Context, stage: str, source: str, inputs: Sequence[Any], lim: Limits,
         entry: str | None = None) -> ProgramResult:
    ctx.stage = stage
    return ctx.pool.run(source, list(inputs), entry=entry, limits=lim)


def _program(*parts: str) -> str:
    """A program from parts, each dedented on its own."""
    text = "\n".join(textwrap.dedent(part).strip("\n") for part in parts) + "\n"
    return text.replace("_DIRS_", _DIRS)


# ---------------------------------------------------------------------------- legit


def _legit_check(case: Any) -> Check:
    def run(ctx: Context) -> list[str]:
        result = _run(ctx, "program", case.source, case.inputs, limits(case.policy, 2.0, 20.0,
                                                                       1024))
        return expect_outputs(result, case.expected, case.name)

    return Check(case.name, "legit", run, "a legitimate program gives its exact outputs")


# ---------------------------------------------------------------------------- limits


def _limits_checks() -> list[Check]:
    checks: list[Check] = []

    def add(name: str, doc: str) -> Callable[[Callable[[Context], list[str]]], None]:
        def deco(fn: Callable[[Context], list[str]]) -> None:
            checks.append(Check(name, "limits", fn, doc))
        return deco

    @add("busy_loop_timeout", "a busy loop is a timeout, within a bounded wall time")
    def _(ctx: Context) -> list[str]:
        t0 = time.monotonic()
        r = _run(ctx, "program", "def f(x):\n    while True:\n        pass\n", ["a", "b"],
                 limits(time_limit_s=0.3, batch_budget_s=2))
        wall = time.monotonic() - t0
        problems = expect_kinds(r, ("timeout",), "busy loop")
        if wall > 15:
            problems.append(f"busy loop took {wall:.1f}s of wall time")
        return problems

    @add("memory_bomb", "allocating past the memory cap is memory, not a dead worker")
    def _(ctx: Context) -> list[str]:
        r = _run(ctx, "program", "def f(x):\n    a = []\n    while True:\n"
                 "        a.append(' ' * 10**7)\n", ["a"], limits(time_limit_s=5,
                                                                  memory_mb=256))
        return expect_kinds(r, ("memory",), "memory bomb") + _follow_up(ctx)

    @add("huge_output", "an output past the size cap is invalid_output")
    def _(ctx: Context) -> list[str]:
        r = _run(ctx, "program", "def f(x):\n    return 'a' * (10**7)\n", ["a", "b"], limits())
        return expect_kinds(r, ("invalid_output",), "huge output")

    @add("exception", "an exception is exception, with its type in the detail")
    def _(ctx: Context) -> list[str]:
        r = _run(ctx, "program", "def f(x):\n    return 1 // (len(x) - 1)\n", ["a", "ab"],
                 limits())
        problems = []
        if r.verdicts[0].verdict != "exception" or "ZeroDivisionError" not in str(
                r.verdicts[0].detail):
            problems.append(f"input 0: {r.verdicts[0]}")
        if r.verdicts[1] != ("ok", 1, None) and not (r.verdicts[1].ok
                                                     and r.verdicts[1].output == 1):
            problems.append(f"input 1: {r.verdicts[1]}")
        return problems

    @add("syntax", "a syntax error is syntax for every input")
    def _(ctx: Context) -> list[str]:
        r = _run(ctx, "program", "def f(x)\n    return x\n", ["a", "b", "c"], limits())
        return expect_kinds(r, ("syntax",), "syntax error") + (
            [] if len(r.verdicts) == 3 else ["not one verdict per input"])

    @add("restricted_import", "an import outside the allow-list is restricted (standard)")
    def _(ctx: Context) -> list[str]:
        r = _run(ctx, "program", "import os\ndef f(x):\n    return os.getcwd()\n", ["a"],
                 limits())
        return expect_kinds(r, ("restricted",), "import os")

    @add("one_slow_input", "one slow input among fast ones is a timeout for that input only")
    def _(ctx: Context) -> list[str]:
        inputs = ["a", "bb", "slow", "ccc", "dddd", "slow", "e"]
        src = ("def f(x):\n    if x == 'slow':\n        while True:\n            pass\n"
               "    return len(x)\n")
        r = _run(ctx, "program", src, inputs, limits(time_limit_s=0.3, batch_budget_s=5))
        problems = []
        for i, (x, v) in enumerate(zip(inputs, r.verdicts, strict=True)):
            want = "timeout" if x == "slow" else "ok"
            if v.verdict != want or (want == "ok" and v.output != len(x)):
                problems.append(f"input {i} ({x}): {v.verdict} {v.output!r}, wanted {want}")
        return problems

    @add("batch_budget", "a batch that burns its CPU budget stops with timeout verdicts")
    def _(ctx: Context) -> list[str]:
        src = ("def f(x):\n    if x == 'fast':\n        return 'done'\n    n = 0\n"
               "    for i in range(10**9):\n        n += i\n"
               "        if i > 5 * 10**5:\n            break\n    return 'done'\n")
        inputs = ["fast"] * 64 + ["slow"] * 40
        t0 = time.monotonic()
        r = _run(ctx, "program", src, inputs, limits(time_limit_s=2, batch_budget_s=1.0))
        wall = time.monotonic() - t0
        problems = expect_kinds(r, ("ok", "timeout"), "budget")
        timeouts = [v for v in r.verdicts if v.verdict == "timeout"]
        if not timeouts:
            problems.append("no input ran out of the batch budget")
        if not any(v.ok for v in r.verdicts):
            problems.append("no input ran before the budget was spent")
        elif not any("budget" in str(v.detail) for v in timeouts):
            problems.append(f"timeouts do not name the budget: {timeouts[0].detail!r}")
        if r.verdicts and r.verdicts[-1].verdict != "timeout":
            problems.append("the last input still ran after the budget")
        if wall > 20:
            problems.append(f"took {wall:.1f}s of wall time for a 1s budget")
        ctx.notes.append(f"{len(timeouts)}/{len(inputs)} out of budget, cpu_s={r.cpu_s}")
        return problems

    return checks


# ---------------------------------------------------------------------------- isolation

B_INPUTS = [format((i * 2654435761) % (1 << 20), "020b") for i in range(48)]
B_SOURCE = _program("""
    import math
    import numpy as np
    def f(x):
        ones = len([c for c in x if c == '1'])
        total = int(np.sum(np.array([int(c) for c in x])))
        return f"{ones % 2}:{total}:{math.pi:.5f}:{sorted(x)[-1]}"
""")
B_EXPECTED = [f"{x.count('1') % 2}:{x.count('1')}:3.14159:{sorted(x)[-1]}" for x in B_INPUTS]
C_INPUTS = [[[1, 2, 3], [4, 5, 6]], [[0]], [[7, 8], [9, 0], [1, 1]]]
C_SOURCE = _program("""
    def transform(grid):
        out = []
        for row in grid:
            out.append([v for v in reversed(row)])
        out.append([len(grid), sum(len(r) for r in grid), max(max(r) for r in grid)])
        return out
""")
C_EXPECTED = [[list(reversed(r)) for r in g] + [[len(g), sum(len(r) for r in g),
                                                   max(max(r) for r in g)]] for g in C_INPUTS]
ONE = ["0101"]
HOSTILE_SAFE = ("ok", "exception", "crash", "timeout", "memory", "invalid_output", "restricted")


def _follow_up(ctx: Context) -> list[str]:
    """B (standard, another batch) and C (strict) must get exactly their own outputs."""
    b = _run(ctx, "B", B_SOURCE, B_INPUTS, limits("standard", 2.0, 20.0))
    c = _run(ctx, "C", C_SOURCE, C_INPUTS, limits("strict", 2.0, 20.0), entry="transform")
    return expect_outputs(b, B_EXPECTED, "B (standard)") + expect_outputs(
        c, C_EXPECTED, "C (strict)")


@dataclass(frozen=True)
class Attack:
    """Attacker A (``policy off`` unless said), its safe verdicts, what else must hold."""

    name: str
    source: str
    safe: tuple[str, ...] = HOSTILE_SAFE
    inputs: tuple[Any, ...] = tuple(ONE)
    expect: Callable[[ProgramResult], str | None] | None = None  # a problem with A's result
    probe: str | None = None  # a policy-off program run after B and C; judged by probe_ok
    probe_ok: Callable[[Any], str | None] | None = None
    may_replace: bool = False  # A may kill its own exec server (then replaced must count it)
    policy: str = "off"
    time_limit_s: float = 0.5
    batch_budget_s: float = 2.0
    memory_mb: int = 512
    max_wall_s: float | None = None
    doc: str = ""
    #: What A may do under gVisor (runsc), whose /proc lets another uid open a process's
    #: descriptors; the programs after A must still get exactly their own verdicts.
    gvisor_allows: str = ""


def _runtime(pool: Any) -> str:
    try:
        return str(pool.describe().get("runtime") or "runc")
    except Exception:  # noqa: BLE001 - a backend without a runtime is not gVisor
        return "runc"


def _output_is(want: Any) -> Callable[[ProgramResult], str | None]:
    def check(r: ProgramResult) -> str | None:
        v = r.verdicts[0]
        if v.ok and v.output == want:
            return None
        return f"A's first result {v.verdict} {_short(v.output)} ({_short(v.detail, 100)}), " \
               f"wanted ok {_short(want)}"
    return check


def _if_ok(want: Any) -> Callable[[ProgramResult], str | None]:
    """A may fail any safe way; if it returns, the output must be ``want``."""
    def check(r: ProgramResult) -> str | None:
        for v in r.verdicts:
            if v.ok and v.output != want:
                return f"A returned {_short(v.output)}, wanted {_short(want)}"
        return None
    return check


def _empty_probe(what: str) -> Callable[[Any], str | None]:
    def check(out: Any) -> str | None:
        return None if out in ([], {}) else f"{what}: {_short(out, 300)}"
    return check


def _attack_check(attack: Attack) -> Check:
    def run(ctx: Context) -> list[str]:
        pool = ctx.pool
        problems: list[str] = []
        replaced0 = pool.replaced
        t0 = time.monotonic()
        lim = limits(attack.policy, attack.time_limit_s, attack.batch_budget_s, attack.memory_mb)
        a: ProgramResult | None = None
        try:
            a = _run(ctx, "A", attack.source, list(attack.inputs), lim)
        except Exception as exc:  # noqa: BLE001 - the host must never raise: that is a finding
            problems.append(f"host raised {type(exc).__name__} on A: {_short(str(exc), 200)}")
        wall = time.monotonic() - t0
        if a is not None:
            if len(a.verdicts) != len(attack.inputs):
                problems.append(f"A: {len(a.verdicts)} verdicts for {len(attack.inputs)} inputs")
            problems += expect_kinds(a, attack.safe, "A")
            if attack.expect is not None and a.verdicts:
                problem = attack.expect(a)
                if problem and attack.gvisor_allows and _runtime(pool) == "runsc":
                    ctx.notes.append(f"gVisor: {attack.gvisor_allows} ({problem})")
                elif problem:
                    problems.append(problem)
            ctx.notes.append(f"A: {_summary(a)}; first output {_short(a.verdicts[0].output, 200)}"
                             if a.verdicts else "A: no verdicts")
            if attack.max_wall_s is not None and wall > attack.max_wall_s:
                problems.append(f"A took {wall:.1f}s of wall time (max {attack.max_wall_s}s)")
        try:
            problems += _follow_up(ctx)
            if attack.probe is not None:
                p = _run(ctx, "probe", attack.probe, ["probe"], limits("off", 5.0, 10.0))
                v = p.verdicts[0]
                if not v.ok:
                    problems.append(f"probe failed: {v.verdict} {_short(v.detail, 200)}")
                elif attack.probe_ok is not None:
                    problem = attack.probe_ok(v.output)
                    if problem:
                        problems.append(problem)
            problems += _follow_up(ctx)  # again: nothing A left acts late
            ctx.stage = "health"
            health = pool.health()
        except Exception as exc:  # noqa: BLE001
            problems.append(f"host raised {type(exc).__name__} after A: {_short(str(exc), 200)}")
            return problems
        if health.get("replaced_now"):
            problems.append(f"health() had to replace {health['replaced_now']} worker(s) after "
                            "B and C had run")
        if health.get("replaced_total") != pool.replaced:
            problems.append(f"health() reports replaced_total={health.get('replaced_total')}, "
                            f"pool.replaced={pool.replaced}")
        delta = pool.replaced - replaced0
        lost = a is not None and any("lost" in str(v.detail) for v in a.verdicts)
        if delta and not attack.may_replace:
            problems.append(f"the worker was replaced {delta} time(s): A damaged its exec server")
        if (lost or (a is not None and a.retried)) and delta == 0:
            problems.append("A lost its worker but pool.replaced did not count it")
        if delta:
            ctx.notes.append(f"worker replaced {delta}x")
        return problems

    return Check(attack.name, "isolation", run, attack.doc)


# --- the attacker programs ---------------------------------------------------------------

_PIDS = """
def _pids():
    me = os.getpid()
    return [int(n) for n in os.listdir('/proc') if n.isdigit() and int(n) != me]
"""

TAKEOVER = _program("""
    import json, os, select, signal, struct, time
    """, _PIDS, """
    def _send(fd, kind, payload):
        data = struct.pack('>I', len(payload) + 1) + kind + payload
        try:
            os.write(fd, data)
        except OSError:
            pass

    def serve_forged(fins, fouts, seconds):
        sizes, buf = {}, b''
        end = time.time() + seconds
        while time.time() < end and fins:
            ready, _, _ = select.select(fins[:1], [], [], 0.1)
            if not ready:
                continue
            chunk = os.read(fins[0], 1 << 20)
            if not chunk:
                return
            buf += chunk
            while len(buf) >= 4:
                (size,) = struct.unpack('>I', buf[:4])
                if len(buf) < 4 + size:
                    break
                body, buf = buf[4:4 + size], buf[4 + size:]
                try:
                    req = json.loads(body)
                except ValueError:
                    continue
                for out in fouts:
                    op = req.get('op')
                    if op == 'put':
                        sizes[req.get('batch')] = len(req.get('inputs') or [])
                        _send(out, b'J', b'{"ok":true}')
                    elif op == 'hello':
                        _send(out, b'J', b'{"ok":true,"protocol":1,"pid":1,"python":"3"}')
                    elif op == 'run':
                        n = sizes.get(req.get('batch'), 48)
                        body = json.dumps({'v': ['PWNED'] * n, 'e': {}}).encode()
                        _send(out, b'C', struct.pack('>ii', 0, n) + body)
                        _send(out, b'D', json.dumps({'id': req.get('id')}).encode())

    def stop_everyone():
        for pid in _pids():
            try:
                os.kill(pid, signal.SIGSTOP)
            except OSError:
                pass

    def f(x):
        me, srv = os.getpid(), os.getppid()
        fins, fouts = [], []
        for pid in _pids():
            for fd, mode in (('0', os.O_RDONLY), ('1', os.O_WRONLY)):
                try:
                    (fins if fd == '0' else fouts).append(os.open(f'/proc/{pid}/fd/{fd}', mode))
                except OSError:
                    pass
            try:
                for fd in os.listdir(f'/proc/{pid}/fd'):
                    try:
                        fouts.append(os.open(f'/proc/{pid}/fd/{fd}', os.O_WRONLY))
                    except OSError:
                        pass
            except OSError:
                pass
        try:
            child = os.fork()
        except OSError:
            child = -1
        if child == 0:  # the classic route: a grandchild outlives the program
            try:
                os.setsid()
                if os.fork() > 0:
                    os._exit(0)
                end = time.time() + 5
                while time.time() < end:  # wait until the program's result has gone out
                    try:
                        state = open(f'/proc/{me}/stat').read().rsplit(')', 1)[1].split()[0]
                    except OSError:
                        break
                    if state in 'ZX':
                        break
                stop_everyone()
                serve_forged(fins, fouts, 25)
            finally:
                os._exit(0)
        if child > 0:
            os.waitpid(child, 0)
            return [len(fins), len(fouts), 'forked']
        # no fork: stop the server and every sibling from here and answer the host ourselves
        if fins and fouts:
            stop_everyone()
            serve_forged(fins, fouts, 25)
        return [len(fins), len(fouts), 'no fork']
""")

REACH_PROBE = _program("""
    import os
    """, _PIDS, """
    def f(x):
        found = []
        for pid in _pids():
            try:
                os.kill(pid, 0)
                found.append(f'signal {pid}')
            except OSError:
                pass
            for fd in ('0', '1'):
                try:
                    os.close(os.open(f'/proc/{pid}/fd/{fd}', os.O_WRONLY))
                    found.append(f'open /proc/{pid}/fd/{fd}')
                except OSError:
                    pass
        return found
""")

SIGNAL_ALL = _program("""
    import os, signal
    """, _PIDS, """
    def f(x):
        hits = []
        for pid in _pids():
            try:
                os.kill(pid, signal.{sig})
                hits.append(pid)
            except OSError:
                pass
        return len(hits)
""")

FORGE_FRAMES = _program("""
    import json, os, struct
    def frame(a, b, body, declared=None):
        body = body if isinstance(body, bytes) else json.dumps(body).encode()
        size = len(body) + 8 if declared is None else declared
        return struct.pack('>Iii', size, a, b) + body
    def f(x):
        frames = [
            frame(0, 1, {'v': [None], 'e': {'\\u00b2': ['exception', 'unicode digit key']}}),
            frame(0, 1, {'v': ['1'], 'e': {}}),
            frame(1, 3, {'v': ['1'], 'e': {}}),
            frame(0, 10**6, {'v': ['1'], 'e': {}}),
            frame(-1, -1, {'fatal': ['ok', 'forged fatal']}),
            frame(0, 1, {'v': ['1'], 'e': {}}, declared=7),
            frame(0, 1, {'v': ['1'], 'e': {}}, declared=400),
            frame(-2, -2, {'stdout': '', 'timing_ms': {'compile': 'x'}}),
        ]
        data = b''.join(frames)
        wrote = []
        for fd in range(256):
            try:
                os.write(fd, data)
                wrote.append(fd)
            except OSError:
                pass
        return '0'
""")

FORGE_HUGE_LENGTH = _program("""
    import os, struct
    def f(x):
        for fd in range(3, 256):
            try:
                os.write(fd, struct.pack('>Iii', 0xFFFFFFF0, 0, 1) + b'{"v":["1"]')
            except OSError:
                pass
        return '0'
""")

FORGE_HOST_CHANNEL = _program("""
    import json, os, struct
    """, _PIDS, """
    def f(x):
        bad = [b'D' + json.dumps({'id': i, 'cpu_s': 'x', 'wall_s': 'y'}).encode()
               for i in range(1, 3000)]
        bad.append(b'C' + struct.pack('>ii', 0, 1) + b'{"v":[null],"e":{"\\xc2\\xb2":["ok",1]}}')
        data = b''.join(struct.pack('>I', len(p)) + p for p in bad)
        data += struct.pack('>I', 0x7FFFFFFF) + b'J'
        opened = 0
        for pid in _pids():
            try:
                names = os.listdir(f'/proc/{pid}/fd')
            except OSError:
                names = [str(fd) for fd in range(64)]
            for fd in names:
                try:
                    out = os.open(f'/proc/{pid}/fd/{fd}', os.O_WRONLY | os.O_NONBLOCK)
                except OSError:
                    continue
                opened += 1
                try:
                    os.write(out, data)
                except OSError:
                    pass
        return opened
""")

PROGRESS_RESET = _program("""
    import ctypes, gc, time
    def f(x):
        gc.unfreeze()
        cells = []
        for line in open('/proc/self/maps'):
            parts = line.split()
            lo, hi = (int(v, 16) for v in parts[0].split('-'))
            if parts[1].endswith('s') and hi - lo <= 8192 and parts[1].startswith('rw'):
                cells.append((ctypes.c_int64.from_address(lo),
                              ctypes.c_int64.from_address(lo + 8)))
        def usable(o):
            try:
                return o.format == 'q' and not o.readonly and 1 <= len(o) <= 4
            except ValueError:  # released
                return False
        views = [o for o in gc.get_objects() if type(o) is memoryview and usable(o)]
        t0, k = time.process_time(), 0
        while time.process_time() - t0 < 4.0:
            k += 1
            for c, flush in cells:  # the counter always rising, flush requests ignored
                c.value = k
                flush.value = 0
            for v in views:
                v[0] = k
                if len(v) > 1:
                    v[1] = 0
            s = 0
            for i in range(3000):
                s += i
        return f'ran 4s with {len(cells)} mappings and {len(views)} views reset'
""")

LEAVE_FILES = _program("""
    import os
    def f(x):
        made = []
        for d in _DIRS_:
            for kind in ('file', 'dir', 'fifo'):
                p = os.path.join(d, f'hleak-{kind}-{os.getpid()}')
                try:
                    if kind == 'file':
                        open(p, 'w').close()
                    elif kind == 'dir':
                        os.mkdir(p)
                    else:
                        os.mkfifo(p)
                    made.append(p)
                except OSError:
                    pass
        return made
""")

FILES_PROBE = _program("""
    import os
    def f(x):
        found = []
        for d in _DIRS_:
            try:
                for root, dirs, files in os.walk(d):
                    if root.count('/') - d.count('/') > 2:
                        continue
                    found += [os.path.join(root, n) for n in dirs + files if 'hleak' in n]
            except OSError:
                pass
        return sorted(set(found))
""")

PATCH_MODULES = _program("""
    import builtins, collections, json, math, sys
    import numpy as np
    def f(x):
        builtins.len = lambda o: 42
        builtins.sorted = lambda *a, **k: ['pwned']
        builtins.sum = lambda *a, **k: -1
        builtins.max = lambda *a, **k: -1
        builtins.reversed = lambda s: ['pwned']
        math.pi = 3
        np.sum = lambda *a, **k: 7
        np.array = lambda *a, **k: [1]
        sys.modules['math'] = json
        collections.Counter = dict
        return 'patched'
""")

PROCS_PROBE = _program("""
    import os
    def _field(pid, name):
        for line in open(f'/proc/{pid}/status'):
            if line.startswith(name + ':'):
                return line.split()[1]
        return ''
    def f(x):
        me, srv = os.getpid(), os.getppid()
        extra = []
        for n in os.listdir('/proc'):
            if not n.isdigit():
                continue
            pid = int(n)
            try:
                ppid = int(_field(pid, 'PPid'))
                cmd = open(f'/proc/{pid}/cmdline', 'rb').read().replace(b'\\0', b' ')
            except (OSError, ValueError):
                continue
            if pid in (1, me, srv) or ppid == srv:
                continue
            extra.append([pid, ppid, _field(pid, 'State'), cmd.decode(errors='replace')[:60]])
        return extra
""")

LEAVE_PROCESS = _program("""
    import os, time
    def f(x):
        try:
            pid = os.fork()
        except OSError as exc:
            return f'fork refused: {exc}'
        if pid == 0:
            try:
                os.setsid()
                if os.fork() == 0:
                    if os.fork() == 0:
                        time.sleep(100)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        return 'left a process'
""")

LEAVE_THREAD = _program("""
    import threading, time
    def f(x):
        started = 0
        for daemon in (False, True):
            try:
                threading.Thread(target=time.sleep, args=(100,), daemon=daemon).start()
                started += 1
            except RuntimeError:
                pass
        return started
""")

SYSV_IPC = _program("""
    import ctypes
    def f(x):
        libc = ctypes.CDLL(None, use_errno=True)
        return [libc.shmget(0x484C4B31, 4096, 0o1000 | 0o666),
                libc.msgget(0x484C4B32, 0o1000 | 0o666),
                libc.semget(0x484C4B33, 1, 0o1000 | 0o666)]
""")

SYSV_PROBE = _program("""
    import ctypes, os
    def f(x):
        libc = ctypes.CDLL(None, use_errno=True)
        found = []
        if libc.shmget(0x484C4B31, 0, 0) >= 0:
            found.append('shm')
        if libc.msgget(0x484C4B32, 0) >= 0:
            found.append('msg')
        if libc.semget(0x484C4B33, 0, 0) >= 0:
            found.append('sem')
        for kind in ('shm', 'msg', 'sem'):
            try:
                lines = open(f'/proc/sysvipc/{kind}').read().splitlines()[1:]
            except OSError:
                lines = []
            found += [f'/proc/sysvipc/{kind}: ' + ln.split()[0] for ln in lines if ln.strip()]
        return found
""")

_MQ = """
    import ctypes, ctypes.util, os
    def _mq_open():
        for name in (None, ctypes.util.find_library('rt')):
            try:
                lib = ctypes.CDLL(name, use_errno=True)
                fn = lib.mq_open
            except (OSError, AttributeError):
                continue
            fn.restype = ctypes.c_int
            return fn
        return None
"""

POSIX_MQ = _program(_MQ, """
    def f(x):
        mq_open = _mq_open()
        if mq_open is None:
            return 'no mq_open'
        return mq_open(b'/hleak-mq', os.O_CREAT | os.O_RDWR, 0o666, None)
""")

POSIX_MQ_PROBE = _program(_MQ, """
    def f(x):
        mq_open = _mq_open()
        if mq_open is None:
            return []
        fd = mq_open(b'/hleak-mq', os.O_RDONLY)
        return ['mqueue /hleak-mq'] if fd >= 0 else []
""")

ABSTRACT_SOCKET = _program("""
    import socket
    KEEP = []
    def f(x):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(b'\\0harness-leak')
        s.listen(4)
        KEEP.append(s)
        return 'bound'
""")

ABSTRACT_PROBE = _program("""
    import socket
    def f(x):
        found = []
        try:  # the syscall filter may refuse sockets altogether: then nothing can connect
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(b'\\0harness-leak')
            found.append('connected to @harness-leak')
        except OSError:
            pass
        try:
            found += [ln for ln in open('/proc/net/unix') if '@harness-leak' in ln]
        except OSError:
            pass
        return found
""")

SOURCE_MARK, INPUT_MARK = "SRCMARK-7f3a", "INMARK-91c2"

SNOOP = _program("""
    import os
    def f(x):
        src, inp = 'SRCMARK' + '-7f3a', 'INMARK' + '-91c2'
        src_b, inp_b = src.encode(), inp.encode()
        seen = {'disk_src': [], 'disk_in': [], 'proc_src': [], 'mem_src': 0, 'mem_in': 0}
        for d in _DIRS_ + ('/opt', '/var', '/run', '/home', '/root'):
            try:
                walk = list(os.walk(d))[:2000]
            except OSError:
                continue
            for root, _, files in walk:
                for n in files:
                    p = os.path.join(root, n)
                    try:
                        if os.path.getsize(p) > 4 << 20:
                            continue
                        data = open(p, 'rb').read()
                    except OSError:
                        continue
                    if src_b in data:
                        seen['disk_src'].append(p)
                    if inp_b in data:
                        seen['disk_in'].append(p)
        for n in os.listdir('/proc'):
            if not n.isdigit() or int(n) == os.getpid():
                continue
            for part in ('cmdline', 'environ'):
                try:
                    with open(f'/proc/{n}/{part}', 'rb') as fh:
                        data = fh.read(1 << 20)
                except OSError:
                    continue
                if src_b in data:
                    seen['proc_src'].append(f'/proc/{n}/{part}')
        import ctypes
        # Search memory through a byte mask, so that the needles themselves (src_b, inp_b
        # above are dropped first) never stand in memory as the markers: only copies that came
        # from elsewhere are counted.
        mask = bytes(b ^ 0x5A for b in range(256))
        src_m, inp_m = src_b.translate(mask), inp_b.translate(mask)
        del src, inp, src_b, inp_b
        import gc
        gc.collect()
        for line in open('/proc/self/maps'):  # own memory, read in place (rw regions only)
            parts = line.split()
            lo, hi = (int(v, 16) for v in parts[0].split('-'))
            if not parts[1].startswith('rw') or hi - lo > 256 << 20:
                continue
            data = ctypes.string_at(lo, hi - lo).translate(mask)
            seen['mem_src'] += data.count(src_m)
            seen['mem_in'] += data.count(inp_m)
            del data
        return [seen['disk_src'], seen['disk_in'], seen['proc_src'], seen['mem_src'],
                seen['mem_in']]
""")

NESTING = _program("""
    def f(x):
        v = 'x'
        for _ in range(int(x)):
            v = [v]
        return v
""")

BIG_FRAME = _program("""
    import os, stat, struct
    def f(x):
        body = b'{"v":[[' + b'0,' * (15 * 10**6 - 1) + b'0]],"e":{}}'
        data = struct.pack('>Iii', len(body) + 8, 0, 1) + body
        for fd in range(3, 64):
            try:
                if stat.S_ISFIFO(os.fstat(fd).st_mode):
                    os.write(fd, data)
            except OSError:
                pass
        return '0'
""")


def _nested(depth: int) -> Any:
    v: Any = "x"
    for _ in range(depth):
        v = [v]
    return v


def _special_checks() -> list[Check]:
    """Isolation checks whose shape differs from plain attack-then-B-and-C."""
    checks: list[Check] = []

    def add(name: str, doc: str) -> Callable[[Callable[[Context], list[str]]], None]:
        def deco(fn: Callable[[Context], list[str]]) -> None:
            checks.append(Check(name, "isolation", fn, doc))
        return deco

    @add("read_other_programs_sources", "a later program cannot read an earlier one's source "
         "from disk or /proc (its own inherited memory may hold cached inputs: by design)")
    def _(ctx: Context) -> list[str]:
        victim = f"# {SOURCE_MARK}\ndef f(x):\n    return str(len(x) % 2)\n"
        inputs = [f"{INPUT_MARK}-{i}" for i in range(6)]
        r = _run(ctx, "B (victim)", victim, inputs, limits())
        problems = expect_outputs(r, [str(len(x) % 2) for x in inputs], "victim")
        s = _run(ctx, "A (snoop)", SNOOP, ["x"], limits("off", 10.0, 20.0, 1024))
        v = s.verdicts[0]
        if not v.ok or not isinstance(v.output, list) or len(v.output) != 5:
            return problems + [f"snoop did not report: {v.verdict} {_short(v.detail)}"]
        seen = dict(zip(("disk_src", "disk_in", "proc_src", "mem_src", "mem_in"), v.output,
                        strict=True))
        if seen.get("disk_src") or seen.get("proc_src"):
            problems.append(f"the victim's source is readable: {_short(seen, 300)}")
        if seen.get("disk_in"):
            problems.append(f"the victim's inputs are on disk: {seen['disk_in'][:5]}")
        ctx.notes.append("visible in the snooper's own memory: source marker "
                         f"x{seen.get('mem_src')}, input marker x{seen.get('mem_in')}")
        return problems + _follow_up(ctx)

    @add("lone_surrogate_output", "an output with a lone surrogate is invalid_output, no restart")
    def _(ctx: Context) -> list[str]:
        replaced0 = ctx.pool.replaced
        problems = []
        try:
            r = _run(ctx, "A", "def f(x):\n    return 'ok' + chr(0xD800)\n", ["a", "b"],
                     limits("off"))
            problems += expect_kinds(r, ("invalid_output",), "surrogate output")
            ctx.notes.append(f"A: {_summary(r)}")
        except Exception as exc:  # noqa: BLE001
            problems.append(f"host raised {type(exc).__name__}: {_short(str(exc))}")
        if ctx.pool.replaced != replaced0:
            problems.append(f"worker replaced {ctx.pool.replaced - replaced0}x")
        return problems + _follow_up(ctx)

    @add("lone_surrogate_exception", "an exception message with a lone surrogate is an "
         "exception with an escaped, encodable detail, no restart")
    def _(ctx: Context) -> list[str]:
        replaced0 = ctx.pool.replaced
        problems = []
        try:
            r = _run(ctx, "A", "def f(x):\n    raise ValueError('bad ' + chr(0xDC80) + x)\n",
                     ["a", "b"], limits("off"))
            problems += expect_kinds(r, ("exception",), "surrogate exception")
            for v in r.verdicts:
                try:
                    str(v.detail).encode("utf-8")
                except UnicodeEncodeError:
                    problems.append(f"detail not encodable: {v.detail!r}")
                    break
            ctx.notes.append(f"A: {_summary(r)}")
        except Exception as exc:  # noqa: BLE001
            problems.append(f"host raised {type(exc).__name__}: {_short(str(exc))}")
        if ctx.pool.replaced != replaced0:
            problems.append(f"worker replaced {ctx.pool.replaced - replaced0}x")
        return problems + _follow_up(ctx)

    @add("big_outputs_10k", "a legitimate 9 KB output on each of 10,000 inputs is ok")
    def _(ctx: Context) -> list[str]:
        replaced0 = ctx.pool.replaced
        inputs = [format(i, "05d") for i in range(10_000)]
        r = _run(ctx, "A", "def f(x):\n    return x * 1800\n", inputs,
                 limits("standard", 0.5, 20.0))
        problems = expect_kinds(r, ("ok",), "9 KB outputs")
        if not problems and any(v.output != x * 1800 for v, x in zip(r.verdicts, inputs,
                                                                       strict=True)):
            problems.append("wrong outputs")
        if ctx.pool.replaced != replaced0:
            problems.append(f"worker replaced {ctx.pool.replaced - replaced0}x")
        return problems + _follow_up(ctx)

    @add("output_nesting_depth", "an output nested 7 deep passes; past the cap it is "
         "invalid_output, consistently, never a crash")
    def _(ctx: Context) -> list[str]:
        replaced0 = ctx.pool.replaced
        depths = list(range(0, 40)) + [100, 5000]
        r = _run(ctx, "A", NESTING, [str(d) for d in depths], limits("off", 2.0, 10.0))
        problems = expect_kinds(r, ("ok", "invalid_output"), "nesting")
        verdicts = [v.verdict for v in r.verdicts]
        for d, v in zip(depths, r.verdicts, strict=True):
            if d <= 7 and not (v.ok and v.output == _nested(d)):
                problems.append(f"depth {d}: {v.verdict} {_short(v.detail)}")
                break
            if d >= 32 and v.verdict != "invalid_output":
                problems.append(f"depth {d}: {v.verdict}, wanted invalid_output")
                break
        if "invalid_output" in verdicts:
            cap = verdicts.index("invalid_output")
            if "ok" in verdicts[cap:]:
                problems.append("verdicts not monotone in depth")
            ctx.notes.append(f"first invalid depth: {depths[cap]}")
        if ctx.pool.replaced != replaced0:
            problems.append(f"worker replaced {ctx.pool.replaced - replaced0}x")
        return problems + _follow_up(ctx)

    @add("huge_frame_small_ints", "a forged 30 MB frame of 15M small ints is crash or "
         "invalid_output for that program; host memory stays bounded")
    def _(ctx: Context) -> list[str]:
        import psutil

        proc = psutil.Process()
        base = proc.memory_info().rss
        peak = [base]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], proc.memory_info().rss)
                time.sleep(0.01)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        problems = []
        try:
            r = _run(ctx, "A", BIG_FRAME, ["a", "b"], limits("off", 5.0, 10.0, 1024))
            problems += expect_kinds(r, ("crash", "invalid_output"), "30 MB frame")
            ctx.notes.append(f"A: {_summary(r)}")
        except Exception as exc:  # noqa: BLE001
            problems.append(f"host raised {type(exc).__name__}: {_short(str(exc))}")
        finally:
            done.set()
            sampler.join()
        growth = (peak[0] - base) / 2**20
        ctx.notes.append(f"host RSS grew by {growth:.0f} MB at peak")
        if growth >= 300:
            problems.append(f"host RSS grew by {growth:.0f} MB (limit 300)")
        return problems + _follow_up(ctx)

    @add("progress_counter_reset", "resetting the shared progress counter while burning 4 s "
         "of CPU on one input ends as timeout, never ok")
    def _(ctx: Context) -> list[str]:
        r = _run(ctx, "A", PROGRESS_RESET, ["a"], limits("off", 0.5, 10.0))
        ctx.notes.append(f"A: {_summary(r)} {_short(r.verdicts[0].output)}")
        return expect_kinds(r, ("timeout",), "progress reset") + _follow_up(ctx)

    return checks


def _probe_only(name: str, source: str, doc: str, want: Any = None, **kw: Any) -> Attack:
    """An attacker whose own output reports what it achieved: it must report ``want``
    (nothing reached, by default) or fail safely."""
    want = [] if want is None else want
    return Attack(name, _program(source), expect=_if_ok(want), doc=doc, **kw)


def _attacks() -> list[Attack]:
    attacks = [
        Attack("takeover_via_proc1_fd", TAKEOVER, may_replace=False, batch_budget_s=1.0,
               doc="open /proc/<pid>/fd/0,1 of every process, SIGSTOP the server, answer the "
                   "host's later requests (grandchild, else from the program itself)"),
        Attack("reach_host_channel_or_server", REACH_PROBE, expect=_output_is([]),
               gvisor_allows="opening another uid's /proc/<pid>/fd (never signalling it)",
               doc="no process the program can signal or whose fd 0/1 it can open"),
        Attack("kill_minus_one", _program("""
            import os, signal
            def f(x):
                os.kill(-1, signal.SIGKILL)
                return 'survived'
        """), may_replace=True, expect=_if_ok("survived"),
            doc="os.kill(-1, SIGKILL): the exec server and siblings survive, or the dead "
                "server is replaced and counted"),
        Attack("sigstop_every_pid", SIGNAL_ALL.replace("{sig}", "SIGSTOP"), may_replace=True,
               doc="SIGSTOP every pid: the server must not be stoppable"),
        Attack("sigterm_pid1", _program("""
            import os, signal, time
            def f(x):
                try:
                    os.kill(1, signal.SIGTERM)
                except OSError as exc:
                    return 'denied'
                time.sleep(1)
                return 'sent'
        """), may_replace=True, expect=_if_ok("denied"),
            doc="SIGTERM to pid 1 is refused (or its death is replaced and counted)"),
        Attack("forge_frames_every_fd", FORGE_FRAMES, inputs=("a", "b", "c"),
               safe=("crash", "invalid_output", "ok", "exception"),
               doc="forged frames (unicode-digit error key, bad ranges, wrong lengths, forged "
                   "fatal and end) on fds 0..255, the result pipe included"),
        Attack("forge_frame_huge_length", FORGE_HUGE_LENGTH, inputs=("a", "b"),
               safe=("crash", "invalid_output", "ok"), expect=_if_ok("0"),
               doc="a frame declaring ~4 GB on the result pipe"),
        Attack("forge_end_frame_on_host_channel", FORGE_HOST_CHANNEL, may_replace=True,
               gvisor_allows="writing into the host channel through /proc/1/fd: the server "
                             "and the host notice and replace the worker",
               expect=_if_ok(0),
               doc="forged end frames ('cpu_s': 'x'), an error key '\u00b2' and a 2 GB length "
                   "written on every fd of every process reachable through /proc"),
        Attack("leave_files", LEAVE_FILES, probe=FILES_PROBE,
               probe_ok=_empty_probe("files left by A are visible to a later program"),
               doc="files, dirs and fifos in /tmp, /dev/shm, /var/tmp, $HOME, cwd"),
        Attack("patch_modules_and_builtins", PATCH_MODULES,
               doc="builtins.len, sorted, sum, max, math.pi, numpy functions, sys.modules"),
        Attack("leave_process", LEAVE_PROCESS, probe=PROCS_PROBE,
               probe_ok=_empty_probe("processes outlived A"),
               doc="fork, setsid, double fork, sleep 100: nothing of A may remain"),
        Attack("leave_threads", LEAVE_THREAD, probe=PROCS_PROBE,
               probe_ok=_empty_probe("processes outlived A"),
               doc="non-daemon and daemon threads sleeping 100 s"),
        Attack("sysv_ipc_left_behind", SYSV_IPC, probe=SYSV_PROBE,
               probe_ok=_empty_probe("SysV IPC objects of A are visible"),
               doc="shmget/msgget/semget with IPC_CREAT|0666"),
        Attack("posix_mqueue_left_behind", POSIX_MQ, probe=POSIX_MQ_PROBE,
               probe_ok=_empty_probe("A's POSIX message queue is visible"),
               doc="mq_open('/hleak-mq', O_CREAT)"),
        Attack("abstract_socket_left_behind", ABSTRACT_SOCKET, probe=ABSTRACT_PROBE,
               probe_ok=_empty_probe("A's abstract unix socket is reachable"),
               doc="a socket bound to '\\0harness-leak'"),
    ]
    attacks += _extra_attacks()
    return attacks


def _extra_attacks() -> list[Attack]:
    """Further hostile programs: each states its safe outcome; B and C follow every one."""
    P = _probe_only
    return [
        Attack("stdio_closed_and_duplicated", _program("""
            import os, stat, sys
            def f(x):
                pipes = [fd for fd in range(3, 64) if _fifo(fd)]
                for fd in (0, 1, 2):
                    os.close(fd)
                for fd in pipes[:1]:
                    for target in (0, 1, 2):
                        os.dup2(fd, target)
                print('garbage on stdout', flush=True)
                sys.stderr.write('garbage on stderr')
                return '0'
            def _fifo(fd):
                try:
                    return stat.S_ISFIFO(os.fstat(fd).st_mode)
                except OSError:
                    return False
        """), safe=("ok", "crash", "exception"), expect=_if_ok("0"),
            doc="close fds 0-2, dup the result pipe onto them, print"),
        P("raise_hard_rlimits", """
            import resource
            def f(x):
                raised = []
                for name in ('RLIMIT_CPU', 'RLIMIT_AS', 'RLIMIT_NPROC', 'RLIMIT_NOFILE',
                             'RLIMIT_FSIZE', 'RLIMIT_CORE'):
                    which = getattr(resource, name)
                    soft, hard = resource.getrlimit(which)
                    if hard == resource.RLIM_INFINITY:
                        continue
                    try:
                        resource.setrlimit(which, (hard + 1, hard + 1))
                        raised.append(name)
                    except (ValueError, OSError):
                        pass
                return raised
        """, "no hard limit can be raised"),
        P("prctl_dumpable_then_read_others_memory", """
            import ctypes, os
            def f(x):
                ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)
                opened = []
                for n in os.listdir('/proc'):
                    if n.isdigit() and int(n) != os.getpid():
                        try:
                            open(f'/proc/{n}/mem', 'rb').close()
                            opened.append(int(n))
                        except OSError:
                            pass
                return opened
        """, "after PR_SET_DUMPABLE, no other process's /proc/<pid>/mem opens"),
        P("ptrace_attach_others", """
            import ctypes, os
            def f(x):
                libc = ctypes.CDLL(None, use_errno=True)
                libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p,
                                        ctypes.c_void_p]
                attached = []
                for n in os.listdir('/proc'):
                    if n.isdigit() and int(n) != os.getpid():
                        if libc.ptrace(16, int(n), None, None) == 0:  # PTRACE_ATTACH
                            attached.append(int(n))
                            libc.ptrace(17, int(n), None, None)  # PTRACE_DETACH
                return attached
        """, "PTRACE_ATTACH to every other process fails"),
        P("write_proc_files_of_others", """
            import os
            def f(x):
                wrote = []
                for n in os.listdir('/proc'):
                    if not n.isdigit() or int(n) == os.getpid():
                        continue
                    for name, data in (('comm', b'pwned'), ('oom_score_adj', b'1000'),
                                       ('mem', b'\\0'), ('attr/current', b'x'),
                                       ('coredump_filter', b'0')):
                        try:
                            fd = os.open(f'/proc/{n}/{name}', os.O_WRONLY)
                        except OSError:
                            continue
                        try:
                            os.write(fd, data)
                            wrote.append(f'{n}/{name}')
                        except OSError:
                            pass
                        finally:
                            os.close(fd)
                for path in ('/proc/sysrq-trigger', '/proc/sys/kernel/core_pattern',
                             '/proc/sys/vm/drop_caches'):
                    try:
                        with open(path, 'w') as fh:
                            fh.write('1')
                        wrote.append(path)
                    except OSError:
                        pass
                return wrote
        """, "no /proc file of another process (or the kernel) is writable"),
        Attack("personality_change", _program("""
            import ctypes
            def f(x):
                return ctypes.CDLL(None).personality(0x0040000)  # ADDR_NO_RANDOMIZE
        """), safe=("ok", "exception"), doc="personality(ADDR_NO_RANDOMIZE) stays with A"),
        Attack("signal_storm_self", _program("""
            import os, signal
            def f(x):
                got = [0]
                def handler(*a):
                    got[0] += 1
                for s in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM, signal.SIGCHLD):
                    signal.signal(s, handler)
                for s in (signal.SIGTERM, signal.SIGINT, signal.SIGXCPU, signal.SIGHUP):
                    signal.signal(s, signal.SIG_IGN)
                for i in range(20000):
                    os.kill(os.getpid(), (signal.SIGUSR1, signal.SIGUSR2, signal.SIGCHLD)[i % 3])
                signal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)
                while True:
                    pass
        """), safe=("timeout", "crash"),
            doc="a storm of signals to itself, then a busy loop with timers and SIGTERM "
                "ignored: timeout"),
        Attack("setsid_kill_group", _program("""
            import os, signal
            def f(x):
                try:
                    os.setsid()
                except OSError:
                    pass
                os.kill(0, signal.SIGKILL)
                return 'alive'
        """), safe=("crash", "memory"), doc="setsid then kill(0, SIGKILL): only itself dies"),
        Attack("sigstop_self", _program("""
            import os, signal
            def f(x):
                os.kill(os.getpid(), signal.SIGSTOP)
                return 'resumed'
        """), safe=("timeout", "crash"), max_wall_s=12.0, inputs=("a", "b"),
            doc="a stopped program becomes timeout quickly"),
        Attack("exhaust_pids", _program("""
            import os, time
            def f(x):
                n = 0
                for _ in range(10000):
                    try:
                        if os.fork() == 0:
                            time.sleep(100)
                            os._exit(0)
                        n += 1
                    except OSError:
                        break
                return n
        """), probe=PROCS_PROBE, probe_ok=_empty_probe("processes outlived A"),
            doc="fork until refused; nothing survives"),
        P("exhaust_fds", """
            import os
            def f(x):
                fds = []
                try:
                    while len(fds) < 100000:
                        fds.append(os.open('/dev/null', os.O_RDONLY))
                except OSError:
                    pass
                return len(fds) > 4096
        """, "opening fds stops at a small cap", want=False),
        P("read_environ_of_every_process", """
            import os
            def f(x):
                leaks = []
                for n in os.listdir('/proc'):
                    if not n.isdigit():
                        continue
                    try:
                        env = open(f'/proc/{n}/environ', 'rb').read()
                    except OSError:
                        continue
                    for key in (b'HARNESS_TEST_SECRET', b'OPENAI_API_KEY', b'TAMU_API_KEY',
                                b'DOCKER_HOST', b's3cr3t'):
                        if key in env:
                            leaks.append(f'{n}:{key.decode()}')
                return leaks
        """, "no process environment holds a host secret"),
        P("docker_socket", """
            import os
            def f(x):
                return [p for p in ('/var/run/docker.sock', '/run/docker.sock',
                                    '/run/containerd/containerd.sock', '/var/run/docker',
                                    '/run/docker', '/run/containerd')
                        if os.path.exists(p)]
        """, "no docker or containerd socket inside the sandbox"),
        P("loopback_ports", """
            import socket
            def f(x):
                open_ports = []
                for port in (22, 53, 80, 443, 2375, 2376, 3000, 5000, 6379, 8000, 8080, 8888):
                    s = socket.socket()
                    s.settimeout(0.2)
                    try:
                        s.connect(('127.0.0.1', port))
                        open_ports.append(port)
                    except OSError:
                        pass
                    finally:
                        s.close()
                return open_ports
        """, "nothing listens on loopback"),
        P("outbound_network_and_dns", """
            import socket
            def f(x):
                reached = []
                for host, port, kind in (('8.8.8.8', 53, socket.SOCK_DGRAM),
                                         ('1.1.1.1', 80, socket.SOCK_STREAM),
                                         ('172.17.0.1', 2375, socket.SOCK_STREAM)):
                    s = socket.socket(socket.AF_INET, kind)
                    s.settimeout(0.5)
                    try:
                        s.connect((host, port))
                        if kind == socket.SOCK_DGRAM:
                            s.send(b'x')
                        reached.append(host)
                    except OSError:
                        pass
                    finally:
                        s.close()
                try:
                    socket.getaddrinfo('example.com', 80)
                    reached.append('dns')
                except OSError:
                    pass
                return reached
        """, "no route out, no DNS"),
        P("read_shadow_and_root", """
            import os
            def f(x):
                got = []
                for p in ('/etc/shadow', '/etc/gshadow', '/root/.bash_history', '/root'):
                    try:
                        if os.path.isdir(p):
                            os.listdir(p)
                        else:
                            open(p, 'rb').read(1)
                        got.append(p)
                    except OSError:
                        pass
                return got
        """, "/etc/shadow and /root are unreadable"),
        P("chmod_and_hardlinks", """
            import glob, os
            def f(x):
                done = []
                for p in glob.glob('/opt/sandbox/*.py') + ['/tmp', '/etc/passwd']:
                    try:
                        os.chmod(p, 0o777)
                        done.append('chmod ' + p)
                    except OSError:
                        pass
                for src in ('/etc/passwd', '/opt/sandbox/exec_server.py', '/etc/shadow'):
                    dst = '/tmp/hleak-link-' + os.path.basename(src)
                    try:
                        os.link(src, dst)
                        done.append('link ' + src)
                        os.unlink(dst)
                    except OSError:
                        pass
                return done
        """, "no chmod of the image's files, no hard link to them"),
        Attack("nice_affinity_state", _program("""
            import os
            def f(x):
                os.nice(19)
                try:
                    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
                except OSError:
                    pass
                try:
                    os.nice(-20)
                    return 'raised priority'
                except OSError:
                    return 'ok'
        """), expect=_if_ok("ok"), probe=_program("""
            import os
            def f(x):
                bad = []
                prio = os.getpriority(os.PRIO_PROCESS, 0)  # (nice() itself is filtered)
                if prio != 0:
                    bad.append(f'nice {prio}')
                if len(os.sched_getaffinity(0)) != os.cpu_count():
                    bad.append(f'affinity {sorted(os.sched_getaffinity(0))}')
                return bad
        """), probe_ok=_empty_probe("A's niceness or affinity reached a later program"),
            doc="os.nice, sched_setaffinity stay with A; a negative nice is refused"),
        P("privileged_syscalls", """
            import ctypes, platform
            NR = {'x86_64': {'userfaultfd': 323, 'io_uring_setup': 425, 'add_key': 248,
                             'mount': 165, 'unshare': 272, 'bpf': 321, 'perf_event_open': 298,
                             'kexec_load': 246, 'init_module': 175, 'setns': 308},
                  'aarch64': {'userfaultfd': 282, 'io_uring_setup': 425, 'add_key': 217,
                              'mount': 40, 'unshare': 97, 'bpf': 280, 'perf_event_open': 241,
                              'kexec_load': 104, 'init_module': 105, 'setns': 268}}
            def f(x):
                libc = ctypes.CDLL(None, use_errno=True)
                libc.syscall.restype = ctypes.c_long
                table = NR.get(platform.machine(), {})
                ok = []
                buf = ctypes.create_string_buffer(256)
                args = {'userfaultfd': (0,), 'io_uring_setup': (8, buf),
                        'add_key': (b'user', b'hleak', b'x', 1, -4),
                        'mount': (b'none', b'/tmp', b'tmpfs', 0, None),
                        'unshare': (0x10000000,), 'bpf': (0, buf, 48),
                        'perf_event_open': (buf, 0, -1, -1, 0), 'kexec_load': (0, 0, None, 0),
                        'init_module': (buf, 0, b''), 'setns': (0, 0)}
                for name, nr in table.items():
                    if libc.syscall(nr, *args[name]) >= 0:
                        ok.append(name)
                return ok
        """, "userfaultfd, io_uring, keyctl, mount, unshare, bpf, perf, kexec, modules, setns "
             "all refused"),
        P("mlock_and_scheduler", """
            import ctypes, os
            def f(x):
                got = []
                if ctypes.CDLL(None).mlockall(3) == 0:
                    got.append('mlockall')
                try:
                    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
                    got.append('SCHED_FIFO')
                except OSError:
                    pass
                try:
                    import time
                    time.clock_settime(time.CLOCK_REALTIME, 0)
                    got.append('settime')
                except OSError:
                    pass
                return got
        """, "mlockall, real-time scheduling and clock_settime refused", safe=("ok", "memory",
                                                                              "exception")),
        P("become_root", """
            import os
            def f(x):
                got = []
                for name, call in (('setuid', lambda: os.setuid(0)),
                                   ('setgid', lambda: os.setgid(0)),
                                   ('setgroups', lambda: os.setgroups([0])),
                                   ('seteuid', lambda: os.seteuid(0))):
                    try:
                        call()
                        got.append(name)
                    except OSError:
                        pass
                return got
        """, "no way back to uid 0"),
        Attack("raise_cpu_limit_then_burn", _program("""
            import resource
            def f(x):
                try:
                    resource.setrlimit(resource.RLIMIT_CPU, (resource.RLIM_INFINITY,) * 2)
                except (ValueError, OSError):
                    pass
                while True:
                    pass
        """), safe=("timeout",), doc="trying to lift RLIMIT_CPU, then a busy loop: timeout"),
        Attack("lying_list_subclass", _program("""
            class L(list):
                def __iter__(self):
                    return iter(['1'] * 1000)
                def __len__(self):
                    return 0
                @property
                def __class__(self):
                    return list
            def f(x):
                return L(['0'])
        """), safe=("ok", "invalid_output"), expect=_if_ok(["0"]),
            doc="a list subclass that lies about its type, length and contents"),
        Attack("str_subclass_lies", _program("""
            class S(str):
                def __eq__(self, other):
                    return True
                def __hash__(self):
                    return 0
                def __str__(self):
                    return '1'
                def __len__(self):
                    return 0
            def f(x):
                return S('0')
        """), safe=("ok", "invalid_output"), expect=_if_ok("0"),
            doc="a str subclass with __eq__ always True and lying __str__/__len__"),
        Attack("giant_integer", _program("""
            import sys
            def f(x):
                sys.set_int_max_str_digits(0)
                return 10 ** 100000
        """), safe=("invalid_output",), doc="a 100,000-digit integer"),
        Attack("nan_and_inf_nested", _program("""
            def f(x):
                return [1.0, [float('inf')], float('nan')] if x == 'a' else float('-inf')
        """), inputs=("a", "b"), safe=("invalid_output",), doc="NaN and infinities in outputs"),
        Attack("recursion_bomb_raised_limit", _program("""
            import sys
            def f(x):
                sys.setrecursionlimit(10**7)
                def r(n):
                    return r(n + 1) + 1
                return r(0)
        """), safe=("crash", "exception", "memory", "timeout"),
            doc="deep recursion with the limit raised (C stack overflow): only A dies"),
        Attack("generator_returned", _program("""
            def f(x):
                return (c for c in x)
        """), safe=("invalid_output",), doc="a generator as output"),
        Attack("exception_str_hangs", _program("""
            class E(Exception):
                def __str__(self):
                    while True:
                        pass
            def f(x):
                raise E()
        """), safe=("timeout", "exception"), inputs=("a", "b"),
            doc="an exception whose __str__ never returns: timeout, not a wedged worker"),
        Attack("poison_cached_batches", _program("""
            import gc
            def f(x):
                gc.unfreeze()
                hit = 0
                for o in gc.get_objects():
                    if type(o) is list and o and all(type(v) is str for v in o[:4]):
                        try:
                            o[:] = ['1' * 20] * len(o)
                            hit += 1
                        except Exception:
                            pass
                return hit
        """), inputs=tuple(B_INPUTS), safe=("ok", "exception", "crash"),
            doc="rewrite every list of strings in memory (the cached input batches) on B's "
                "batch; B must still see its real inputs"),
        Attack("process_state_leaks", _program("""
            import os, signal
            def f(x):
                os.environ['HLEAK'] = '1'
                os.umask(0)
                os.chdir('/tmp')
                for s in (signal.SIGTERM, signal.SIGINT, signal.SIGXCPU):
                    signal.signal(s, signal.SIG_IGN)
                return 'changed'
        """), probe=_program("""
            import os, signal
            def f(x):
                bad = []
                if 'HLEAK' in os.environ:
                    bad.append('env')
                old = os.umask(0o22)
                if old == 0:
                    bad.append('umask')
                for s in (signal.SIGTERM, signal.SIGINT, signal.SIGXCPU):
                    if signal.getsignal(s) == signal.SIG_IGN:
                        bad.append(f'signal {int(s)} ignored')
                return bad
        """), probe_ok=_empty_probe("A's process state reached a later program"),
            doc="environment, umask, cwd and signal dispositions stay with A"),
        Attack("huge_mmap_noreserve", _program("""
            import mmap
            def f(x):
                m = mmap.mmap(-1, 1 << 40, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
                              | getattr(mmap, 'MAP_NORESERVE', 0))
                for i in range(0, 1 << 40, 1 << 20):
                    m[i] = 1
                return 'mapped'
        """), safe=("memory", "exception", "timeout", "crash"),
            doc="a 1 TB MAP_NORESERVE mapping touched page by page"),
    ]


# ---------------------------------------------------------------------------- registry


def checks(sections: Sequence[str] = SECTIONS) -> list[Check]:
    """The checks of the given sections, in order."""
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise ValueError(f"unknown self-check sections: {sorted(unknown)}")
    out: list[Check] = []
    if "legit" in sections:
        out += [_legit_check(c) for c in LEGIT]
    if "limits" in sections:
        out += _limits_checks()
    if "isolation" in sections:
        out += [_attack_check(a) for a in _attacks()]
        out += _special_checks()
    return out


def default_sections(pool: Any) -> tuple[str, ...]:
    return SECTIONS if getattr(pool, "name", "") == "docker" else SAFE_BACKEND_SECTIONS


class SelfCheck:
    """Runs checks against ``pool`` one at a time, each bounded in time.

    Isolation checks run on a private one-worker pool made from ``pool.factory`` (same image,
    runtime and limits), so attacker and victims share one container; it is replaced after any
    failed check."""

    def __init__(self, pool: Any, check_timeout_s: float = CHECK_TIMEOUT_S) -> None:
        self.pool = pool
        self.check_timeout_s = check_timeout_s
        self._iso: Any = None

    def _isolation_pool(self) -> Any:
        if getattr(self.pool, "name", "") == "process":
            raise ValueError("isolation checks run hostile programs: Docker backends only")
        if self._iso is None:
            from harness.sandbox.pool import WorkerPool

            self._iso = WorkerPool(self.pool.factory, 1)
        return self._iso

    def _drop_isolation_pool(self) -> None:
        if self._iso is not None:
            iso, self._iso = self._iso, None
            iso.close(drain_timeout_s=0)

    def run(self, check: Check) -> CheckResult:
        isolation = check.section == "isolation"
        ctx = Context(self._isolation_pool() if isolation else self.pool)
        box: dict[str, list[str]] = {}

        def target() -> None:
            try:
                box["problems"] = check.run(ctx)
            except Exception as exc:  # noqa: BLE001 - a check that raises has failed
                box["problems"] = [f"raised {type(exc).__name__} at {ctx.stage}: "
                                   f"{_short(str(exc), 300)}"]

        t0 = time.monotonic()
        thread = threading.Thread(target=target, name=f"self-check-{check.name}", daemon=True)
        thread.start()
        thread.join(self.check_timeout_s)
        if thread.is_alive():
            problems = [f"did not finish within {self.check_timeout_s:g}s (stuck at "
                        f"{ctx.stage}: the worker hung)"]
            if isolation:
                self._drop_isolation_pool()  # destroys the container: unblocks the thread
                thread.join(15)
        else:
            problems = box.get("problems", ["no result"])
            if problems and isolation:
                self._drop_isolation_pool()  # a clean slate for the next check
        seconds = time.monotonic() - t0
        detail = "; ".join(problems + ([f"[{'; '.join(ctx.notes)}]"] if ctx.notes else []))
        return CheckResult(check.name, check.section, not problems, detail[:2000], seconds)

    def close(self) -> None:
        self._drop_isolation_pool()

    def __enter__(self) -> SelfCheck:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run_self_check(pool: Any, sections: Sequence[str] | None = None, *,
                   names: Sequence[str] | None = None,
                   check_timeout_s: float = CHECK_TIMEOUT_S,
                   on_result: Callable[[CheckResult], None] | None = None) -> list[CheckResult]:
    """Run the conformance suite against ``pool`` (a started backend) and return one result per
    check. ``sections`` defaults to all three on Docker and to legit+limits elsewhere; asking
    for ``isolation`` on the process backend is refused (it would attack this machine)."""
    sections = tuple(sections) if sections is not None else default_sections(pool)
    if "isolation" in sections and getattr(pool, "name", "") == "process":
        raise ValueError("isolation checks run hostile programs: Docker backends only")
    selected = [c for c in checks(sections) if names is None or c.name in names]
    results = []
    with SelfCheck(pool, check_timeout_s) as runner:
        for check in selected:
            result = runner.run(check)
            results.append(result)
            if on_result is not None:
                on_result(result)
    return results
