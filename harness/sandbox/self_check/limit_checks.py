"""The ``limits`` section: each way a program can misbehave without attacking anything gets its
own verdict, for the inputs concerned only, within a bounded wall time."""

from __future__ import annotations

import time

from harness.sandbox.self_check.base import Check, Context, SectionChecks
from harness.sandbox.self_check.helpers import _run, expect_kinds, limits
from harness.sandbox.self_check.victims import _follow_up


def _limits_checks() -> list[Check]:
    section = SectionChecks("limits")
    add = section.add

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

    return section.checks
