"""What a check is and what it reports.

A check is a plain function from a ``Context`` to the problems it found, so the suite needs
neither pytest nor a particular backend: a test, the CLI or a notebook can run it alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SECTIONS = ("legit", "limits", "isolation")
SAFE_BACKEND_SECTIONS = ("legit", "limits")  # all a backend without containment may run
CHECK_TIMEOUT_S = 30.0


def default_sections(pool: Any) -> tuple[str, ...]:
    """Isolation checks attack the machine they run on: only a Docker pool contains them."""
    return SECTIONS if getattr(pool, "name", "") == "docker" else SAFE_BACKEND_SECTIONS


def refuse_hostile(pool: Any) -> None:
    """Asking for isolation on the process backend is refused rather than skipped: it would
    run the attacks against this machine."""
    if getattr(pool, "name", "") == "process":
        raise ValueError("isolation checks run hostile programs: Docker backends only")


@dataclass(frozen=True)
class CheckResult:
    name: str
    section: str
    passed: bool
    detail: str = ""
    seconds: float = 0.0

    def __str__(self) -> str:
        mark = "PASS" if self.passed else "FAIL"
        return f"{mark} {self.section}/{self.name} ({self.seconds:.1f}s) {self.detail}".rstrip()


@dataclass(frozen=True)
class Check:
    """One conformance check: ``run(ctx)`` returns the problems found (empty: passed) and may
    add notes to ``ctx.notes`` (what was observed, reported even when it passes)."""

    name: str
    section: str
    run: Callable[[Context], list[str]]
    doc: str = ""


class Context:
    """What a check runs against; ``stage`` says what it was doing if it hangs."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self.stage = "start"
        self.notes: list[str] = []


class SectionChecks:
    """The checks of one section, written as decorated functions (``@add(name, doc)``) so that
    each check's code sits under its name and doc; they run in the order they are written."""

    def __init__(self, section: str) -> None:
        self.section = section
        self.checks: list[Check] = []

    def add(self, name: str, doc: str) -> Callable[[Callable[[Context], list[str]]], None]:
        def deco(fn: Callable[[Context], list[str]]) -> None:
            self.checks.append(Check(name, self.section, fn, doc))
        return deco
