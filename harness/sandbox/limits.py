"""Limits and verdict kinds shared by every backend."""

from __future__ import annotations

from dataclasses import dataclass

VERDICTS = ("ok", "syntax", "restricted", "exception", "timeout", "memory", "invalid_output",
            "crash")
ERROR_VERDICTS = VERDICTS[1:]
POLICIES = ("standard", "strict", "off")
# The bounds `Limits` accepts; the run settings (harness.run.config) check flags against these.
MAX_TIME_LIMIT_S = 60.0
MAX_BATCH_BUDGET_S = 3600.0
MIN_MEMORY_MB, MAX_MEMORY_MB = 64, 65536


@dataclass(frozen=True)
class OutputCaps:
    """The one set of caps on what a program sends back. The host sends them with every run, so
    the child (sandbox_image/worker.py) applies exactly these, and the host checks the same
    numbers again (harness/sandbox/protocol.py) before it keeps anything.

    ``depth``: lists nested at most this deep in one output. ``frame_bytes``: one result frame
    (a chunk of outputs) as JSON; a single output larger than this is ``invalid_output``.
    ``total_bytes``: all frames of one program. ``retained_bytes``: the host's estimate of the
    memory the decoded outputs of one program take; beyond it the rest are ``invalid_output``.
    With one frame decoded at a time, one program costs the host at most about
    ``retained_bytes + 25 * frame_bytes`` (~300 MB) whatever it sends.
    """

    depth: int = 8
    frame_bytes: int = 2 << 20
    total_bytes: int = 128 << 20
    retained_bytes: int = 256 << 20

    def wire(self) -> dict[str, int]:
        return {"depth": self.depth, "frame_bytes": self.frame_bytes,
                "total_bytes": self.total_bytes}


OUTPUT_CAPS = OutputCaps()


@dataclass(frozen=True)
class Limits:
    """What one program may use. Time is CPU time of the program's process, not wall time,
    so a verdict does not depend on how loaded the machine is."""

    time_limit_s: float = 0.5
    batch_budget_s: float = 10.0
    memory_mb: int = 1024
    policy: str = "standard"

    def __post_init__(self) -> None:
        if not 0 < self.time_limit_s <= MAX_TIME_LIMIT_S:
            raise ValueError(f"time limit must be in (0, {MAX_TIME_LIMIT_S:g}] seconds")
        if not 0 < self.batch_budget_s <= MAX_BATCH_BUDGET_S:
            raise ValueError(f"batch budget must be in (0, {MAX_BATCH_BUDGET_S:g}] seconds")
        if not MIN_MEMORY_MB <= self.memory_mb <= MAX_MEMORY_MB:
            raise ValueError(f"memory cap must be between {MIN_MEMORY_MB} and {MAX_MEMORY_MB} MB")
        if self.policy not in POLICIES:
            raise ValueError(f"policy must be one of {', '.join(POLICIES)}")

    @property
    def setup_limit_s(self) -> float:
        """CPU time for compiling the program and running its module body."""
        return max(2.0, 4 * self.time_limit_s)

    def host_deadline_s(self, n_inputs: int) -> float:
        """How long the host waits in all before it declares a worker wedged (never reached
        normally: the exec server's own backstops fire first, and its heartbeats stop when it is
        stopped, which the host notices much sooner)."""
        kernel = max(2 * self.time_limit_s, self.memory_mb / 128)
        return 3 * (self.setup_limit_s + self.batch_budget_s + kernel) + 0.002 * n_inputs + 15.0
