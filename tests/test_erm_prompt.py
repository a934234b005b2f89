"""The hidden-mapping family: prompt wording, the grid, scoring of sandbox results."""

from __future__ import annotations

import pytest

from harness.errors import UserError
from harness.families.erm.task import (
    ERROR_KINDS,
    attempt_outcome,
    build_prompt,
    grid_points,
    load_task,
    problem_statement,
    score_result,
)
from harness.sandbox.results import ProgramResult, Verdict


def test_prompt_has_every_train_line_verbatim_and_no_val_or_test(tmp_path):
    task = load_task("fn_a", 20, test_size=200, dataset_dir=tmp_path)
    prompt = task.prompt
    block = prompt.split("```\n", 1)[1].split("\n```", 1)[0]
    assert block.splitlines() == [f"{x} -> {y}" for x, y in zip(
        task.train_inputs, (line.split(" -> ")[1] for line in block.splitlines()), strict=True)]
    assert len(block.splitlines()) == 100
    for x in task.eval_inputs:
        assert x not in prompt
    assert '{"code": "<python function>"}' in prompt
    assert "binary strings of length 20" in prompt and "not be a trainable model" in prompt
    assert task.messages() == [{"role": "user", "content": prompt}]
    assert task.task_id == "fn_a/L20" and len(task.eval_inputs) == 300


def test_decimal_and_tabular_wording():
    assert "decimal digit strings of length 20" in problem_statement("fn_i", 20)
    assert "decimal" in problem_statement("fn_k", 30)
    tab = problem_statement("fn_m", 14)
    assert "14 features" in tab and "dict" in tab
    prompt = build_prompt("fn_p", 8, [("x0:1.00,x1:c2", "1")])
    assert "```\nx0:1.00,x1:c2 -> 1\n```" in prompt


def test_grid_points():
    assert grid_points(("fn_a", "fn_h"), (20, 40)) == [("fn_a", 20), ("fn_a", 40),
                                                       ("fn_h", 20), ("fn_h", 40)]
    assert grid_points(("fn_h",), ())[0] == ("fn_h", 100)
    with pytest.raises(UserError, match="multiples of 4"):
        grid_points(("fn_h",), (30,))
    with pytest.raises(UserError, match="unknown"):
        grid_points(("fn_z",), (20,))


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
