"""Running checks against a pool, each bounded in time.

A check runs in a thread so that a worker it hangs cannot hang the suite; isolation checks get
a private one-worker pool that is thrown away after any failure, so one successful attack does
not fail every later check.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from harness.sandbox.self_check.base import (
    CHECK_TIMEOUT_S,
    Check,
    CheckResult,
    Context,
    default_sections,
    refuse_hostile,
)
from harness.sandbox.self_check.helpers import _short
from harness.sandbox.self_check.registry import checks


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
        refuse_hostile(self.pool)
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
    if "isolation" in sections:
        refuse_hostile(pool)
    selected = [c for c in checks(sections) if names is None or c.name in names]
    results = []
    with SelfCheck(pool, check_timeout_s) as runner:
        for check in selected:
            result = runner.run(check)
            results.append(result)
            if on_result is not None:
                on_result(result)
    return results
