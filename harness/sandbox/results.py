"""What a backend returns: one verdict per input, plain values only."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, NamedTuple


class Verdict(NamedTuple):
    """One input's outcome (a tuple: 10,000 of them are made per program, so they stay cheap)."""

    verdict: str
    output: Any = None
    detail: str | None = None

    @property
    def ok(self) -> bool:
        return self.verdict == "ok"

    def as_dict(self, i: int) -> dict[str, Any]:
        return {"i": i, "verdict": self.verdict, "output": self.output, "detail": self.detail}


@dataclass
class ProgramResult:
    """Verdicts for one program over one batch. ``fatal`` is set when the program never reached
    its inputs (syntax, policy refusal, module body failure, no entry function); then every
    verdict carries that same kind."""

    verdicts: list[Verdict]
    fatal: Verdict | None = None
    cpu_s: float = 0.0
    wall_s: float = 0.0
    retried: bool = False
    worker: str = ""
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def outputs(self) -> list[Any]:
        return [v.output if v.ok else None for v in self.verdicts]

    def counts(self) -> dict[str, int]:
        return dict(Counter(v.verdict for v in self.verdicts))

    @classmethod
    def failed(cls, n: int, kind: str, detail: str, **kw: Any) -> ProgramResult:
        v = Verdict(kind, None, detail)
        return cls([v] * n, fatal=v, **kw)
