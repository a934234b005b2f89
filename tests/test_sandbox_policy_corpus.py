"""Every legitimate construct of the standard policy compiles and scores right, in Docker."""

from __future__ import annotations

import pytest

from harness.sandbox.corpus import LEGIT
from harness.sandbox.limits import Limits

pytestmark = pytest.mark.docker


@pytest.mark.parametrize("case", LEGIT, ids=[c.name for c in LEGIT])
def test_legit_program_runs_correctly(docker_pool, case):
    result = docker_pool.run(case.source, case.inputs, limits=Limits(policy=case.policy))
    assert result.fatal is None, result.fatal
    assert [v.verdict for v in result.verdicts] == ["ok"] * len(case.inputs), result.verdicts
    assert [v.output for v in result.verdicts] == case.expected


def test_corpus_counts():
    assert len(LEGIT) >= 20


@pytest.mark.parametrize("case", LEGIT[:6], ids=[c.name for c in LEGIT[:6]])
def test_strict_policy_accepts_plain_programs(docker_pool, case):
    result = docker_pool.run(case.source, case.inputs, limits=Limits(policy="strict"))
    if "functools" in case.source or "operator" in case.source:
        # strict refuses the modules that reach attributes without the guard
        assert result.fatal is not None and result.fatal.verdict == "restricted"
    else:
        assert [v.output for v in result.verdicts] == case.expected


def test_strict_refuses_attribute_reaching_modules_and_code_reads(docker_pool):
    for src in ("import functools\ndef f(x):\n    return 1\n",
                "def f(x):\n    return f.__code__.co_argcount\n"):
        result = docker_pool.run(src, ["0"], limits=Limits(policy="strict"))
        assert result.fatal is not None and result.fatal.verdict == "restricted"


def test_process_backend_agrees_on_legit_corpus(process_pool, docker_pool):
    """Conformance: both backends give the same verdicts and outputs."""
    for case in LEGIT:
        a = process_pool.run(case.source, case.inputs)
        b = docker_pool.run(case.source, case.inputs)
        assert a.verdicts == b.verdicts, case.name
