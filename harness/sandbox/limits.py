"""Limits and verdict kinds shared by every backend."""

from __future__ import annotations

from dataclasses import dataclass

VERDICTS = ("ok", "syntax", "restricted", "exception", "timeout", "memory", "invalid_output",
            "crash")
ERROR_VERDICTS = VERDICTS[1:]
POLICIES = ("standard", "strict", "off")


@dataclass(frozen=True)
class Limits:
    """What one program may use. Time is CPU time of the program's process, not wall time,
    so a verdict does not depend on how loaded the machine is."""

    time_limit_s: float = 0.5
    batch_budget_s: float = 10.0
    memory_mb: int = 1024
    policy: str = "standard"

    def __post_init__(self) -> None:
        if not 0 < self.time_limit_s <= 60:
            raise ValueError("time limit must be in (0, 60] seconds")
        if not 0 < self.batch_budget_s <= 3600:
            raise ValueError("batch budget must be in (0, 3600] seconds")
        if not 64 <= self.memory_mb <= 65536:
            raise ValueError("memory cap must be between 64 and 65536 MB")
        if self.policy not in POLICIES:
            raise ValueError(f"policy must be one of {', '.join(POLICIES)}")

    def host_deadline_s(self, n_inputs: int) -> float:
        """How long the host waits before it declares a worker wedged (never reached normally:
        the exec server's own backstops fire first)."""
        setup = max(2.0, 4 * self.time_limit_s)
        return 3 * (setup + self.batch_budget_s) + 0.002 * n_inputs + 15.0
