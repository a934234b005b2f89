"""Fault injection for the mock server: which requests get a 429, a 500 or a stall.

A seeded share (`fail_rate`) of requests is answered with 429 (+ `Retry-After`), 500, or a stall
of `slow_s` seconds (beyond the client's timeout) before a normal answer, so the client's retry
and timeout paths run against real HTTP. `script` forces the faults of the first requests, in
arrival order, for tests that need an exact sequence.

Decisions derive from seed + task key + the request's slot (trial/attempt/turn/retry, the
`X-Harness-Attempt` header, see `slots`) when it has one, else + a per-task counter of requests.
Keyed by slot, whether a call fails does not depend on how requests interleave or on what a
resume already has; its retry re-rolls by retry number only. Faults never change the answers: a
retried request gets the answer the failed one would have had.
"""

from __future__ import annotations

import threading
from collections import defaultdict

from harness.mock.policies import derived_rng
from harness.mock.slots import Slot

FAULT_KINDS: tuple[str, ...] = ("429", "500", "slow")


class FaultPlan:
    """The fault decisions of one server, and its per-task request counter."""

    def __init__(
        self,
        seed: int = 0,
        fail_rate: float = 0.0,
        slow_s: float = 30.0,
        retry_after: str = "0",
        script: list[str] | None = None,
    ) -> None:
        if not 0.0 <= fail_rate <= 1.0:
            raise ValueError(f"fail_rate must be within [0, 1], got {fail_rate}")
        for fault in script or []:
            if fault not in FAULT_KINDS + ("ok",):
                raise ValueError(f"unknown fault {fault!r}: use {FAULT_KINDS + ('ok',)}")
        self.seed = seed
        self.fail_rate = fail_rate
        self.slow_s = slow_s
        self.retry_after = retry_after
        self._script = list(script or [])
        self._lock = threading.Lock()
        self._requests: defaultdict[str, int] = defaultdict(int)

    def choose(self, task_key: str, slot: Slot | None = None) -> str | None:
        """Count a request for `task_key` and pick its fault (one of `FAULT_KINDS`), or None.
        A script, when given, still goes by arrival order (tests that need an exact sequence)."""
        with self._lock:
            n = self._requests[task_key]
            self._requests[task_key] += 1
            scripted = self._script.pop(0) if self._script else None
        if scripted is not None:
            return None if scripted == "ok" else scripted
        if self.fail_rate <= 0:
            return None
        if slot is not None:
            rng = derived_rng(
                self.seed, task_key, slot.trial, slot.attempt, slot.turn, slot.retry, "fault"
            )
        else:
            rng = derived_rng(self.seed, task_key, n, "fault")
        if rng.random() >= self.fail_rate:
            return None
        return rng.choice(FAULT_KINDS)

    def requests_seen(self, task_key: str) -> int:
        """Requests counted so far for `task_key` (the prompt-cache imitation reads it for a
        request without a slot: a repeat of a task's prompt is what a real cache would hit)."""
        with self._lock:
            return self._requests[task_key]
