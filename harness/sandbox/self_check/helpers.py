"""The shared vocabulary of the check modules, so that every section builds limits and programs
and judges a ``ProgramResult`` the same way."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from harness.sandbox.limits import VERDICTS, Limits
from harness.sandbox.results import ProgramResult
from harness.sandbox.self_check.base import Context

# The writable places a program might leave something in (an expression in the programs).
_DIRS = "('/tmp', '/dev/shm', '/var/tmp', os.environ.get('HOME') or '/tmp', os.getcwd())"


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


_PIDS = """
def _pids():
    me = os.getpid()
    return [int(n) for n in os.listdir('/proc') if n.isdigit() and int(n) != me]
"""
