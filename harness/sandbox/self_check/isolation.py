"""The shape of an isolation check: attacker A, then B and C, optional probes, then health.

Most attacks differ only in A's program and in what must hold afterwards, so they are data
(``Attack``) turned into checks here, and the judgement is written once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.sandbox.results import ProgramResult
from harness.sandbox.self_check.base import Check, Context
from harness.sandbox.self_check.helpers import (
    _program,
    _run,
    _short,
    _summary,
    expect_kinds,
    limits,
)
from harness.sandbox.self_check.victims import _follow_up

ONE = ["0101"]
HOSTILE_SAFE = ("ok", "exception", "crash", "timeout", "memory", "invalid_output", "restricted")


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


def _probe_only(name: str, source: str, doc: str, want: Any = None, **kw: Any) -> Attack:
    """An attacker whose own output reports what it achieved: it must report ``want``
    (nothing reached, by default) or fail safely."""
    want = [] if want is None else want
    return Attack(name, _program(source), expect=_if_ok(want), doc=doc, **kw)
