"""The ``legit`` section: a backend is only worth attacking once ordinary programs give exactly
their expected outputs on it."""

from __future__ import annotations

from typing import Any

from harness.sandbox.self_check.base import Check, Context
from harness.sandbox.self_check.helpers import _run, expect_outputs, limits


def _legit_check(case: Any) -> Check:
    def run(ctx: Context) -> list[str]:
        result = _run(ctx, "program", case.source, case.inputs, limits(case.policy, 2.0, 20.0,
                                                                       1024))
        return expect_outputs(result, case.expected, case.name)

    return Check(case.name, "legit", run, "a legitimate program gives its exact outputs")
