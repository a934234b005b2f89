"""The legitimate programs that follow every attacker.

An attack counts as contained only if programs run after it in the same container still get
exactly their own outputs: B (``standard``, on another batch) and C (``strict``, another
entry point) are those programs.
"""

from __future__ import annotations

from harness.sandbox.self_check.base import Context
from harness.sandbox.self_check.helpers import _program, _run, expect_outputs, limits

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


def _follow_up(ctx: Context) -> list[str]:
    """B (standard, another batch) and C (strict) must get exactly their own outputs."""
    b = _run(ctx, "B", B_SOURCE, B_INPUTS, limits("standard", 2.0, 20.0))
    c = _run(ctx, "C", C_SOURCE, C_INPUTS, limits("strict", 2.0, 20.0), entry="transform")
    return expect_outputs(b, B_EXPECTED, "B (standard)") + expect_outputs(
        c, C_EXPECTED, "C (strict)")
