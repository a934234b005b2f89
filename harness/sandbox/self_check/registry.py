"""Which checks make up each section, in run order: the one module that knows every check."""

from __future__ import annotations

from collections.abc import Sequence

from harness.sandbox.corpus import LEGIT
from harness.sandbox.self_check.attacks import _attacks
from harness.sandbox.self_check.base import SECTIONS, Check
from harness.sandbox.self_check.isolation import _attack_check
from harness.sandbox.self_check.legit import _legit_check
from harness.sandbox.self_check.limit_checks import _limits_checks
from harness.sandbox.self_check.special import _special_checks


def checks(sections: Sequence[str] = SECTIONS) -> list[Check]:
    """The checks of the given sections, in order."""
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise ValueError(f"unknown self-check sections: {sorted(unknown)}")
    out: list[Check] = []
    if "legit" in sections:
        out += [_legit_check(c) for c in LEGIT]
    if "limits" in sections:
        out += _limits_checks()
    if "isolation" in sections:
        out += [_attack_check(a) for a in _attacks()]
        out += _special_checks()
    return out
