"""The hidden-mapping family's scoring: sandbox results to accuracies and error counts, and
the one outcome word of an attempt row."""

from __future__ import annotations

import pytest

from harness.families.erm.task import ERROR_KINDS, attempt_outcome, score_result
from harness.sandbox.results import ProgramResult, Verdict


def _result(outputs, fatal=None):
    return ProgramResult([v if isinstance(v, Verdict) else Verdict("ok", v) for v in outputs],
                         fatal=fatal)


def test_score_result_counts_errors_and_invalid_outputs():
    val, test = ["1", "0", "1", "0"], ["1", "1", "0", "0"]
    res = _result(["1", 0, True, " 1 ",  # val: the last is wrong
                   1, Verdict("timeout"), 0.0, [1]])  # test: floats and lists are invalid
    s = score_result(res, val, test)
    assert s["val_acc"] == 0.75
    assert s["errors"]["timeout"] == 1 and s["errors"]["invalid_output"] == 2
    assert s["test_acc"] == 0.25 and s["compile_error"] is None
    assert set(s["errors"]) == set(ERROR_KINDS)


def test_score_result_fatal_is_compile_error():
    fatal = Verdict("syntax", None, "line 1")
    res = ProgramResult([fatal] * 3, fatal=fatal)
    s = score_result(res, ["1"], ["0", "1"])
    assert s["compile_error"] == "syntax" and s["val_acc"] == 0.0 and s["errors"]["syntax"] == 3
    with pytest.raises(ValueError):
        score_result(res, ["1"], ["0"])


def test_attempt_outcome():
    assert attempt_outcome({"api_error": "timeout"}) == "timeout"
    assert attempt_outcome({"compile_error": "no_code_found"}) == "no_code_found"
    assert attempt_outcome({"errors": {"timeout": 2, "memory": 5}}) == "memory"
    assert attempt_outcome({"errors": {"timeout": 0}}) == "ok"
