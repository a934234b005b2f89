"""Transduction filter: long lines, hard-coded train outputs, lookup tables; train data only."""

from __future__ import annotations

import inspect

from harness.judge.transduction import detect_lookup_table, detect_transduction

TRAIN_OUTPUTS = [[[1, 2], [3, 4]], [[5, 5, 5]]]


def test_honest_program_passes() -> None:
    code = "def transform(grid):\n    return [row[::-1] for row in grid[::-1]]\n"
    assert detect_transduction(code, TRAIN_OUTPUTS) == (False, None)


def test_long_line_flagged() -> None:
    code = "def transform(grid):\n    x = '" + "a" * 200 + "'\n    return grid\n"
    flagged, reason = detect_transduction(code, TRAIN_OUTPUTS)
    assert flagged and "line 2" in reason and "> 200" in reason
    assert detect_transduction("x = 1\n" + "#" * 200, TRAIN_OUTPUTS)[0] is False


def test_hard_coded_output_variants() -> None:
    forms = [
        "return [[1, 2], [3, 4]]",
        "return [[1,2],[3,4]]",
        "return np.array([[1, 2],\n                 [3, 4]]).tolist()",
        "flat = [1, 2, 3, 4]",  # brackets removed: same digits in order
        "if x:\n    return [[5,5,5]]",
    ]
    for body in forms:
        flagged, reason = detect_transduction(f"def transform(grid):\n    {body}\n", TRAIN_OUTPUTS)
        assert flagged, body
        assert reason is not None and "train output" in reason


def test_one_cell_outputs_are_never_searched_and_keep_brackets() -> None:
    outputs = [[[7]], [[1, 2]]]
    # with a 1x1 train output, brackets stay: a de-bracketed "1,2" no longer matches
    assert detect_transduction("x = foo(1, 2)\n", outputs) == (False, None)
    assert detect_transduction("return [[1, 2]]\n", outputs)[0] is True
    # the 1x1 grid itself is not searched for
    assert detect_transduction("return [[7]]\n", [[[7]]]) == (False, None)
    # without a 1x1 output, brackets go and "1,2" does match
    assert detect_transduction("x = foo(1, 2)\n", [[[1, 2]]])[0] is True


def test_signature_has_no_test_outputs() -> None:
    params = list(inspect.signature(detect_transduction).parameters)
    assert params == ["code", "train_outputs"]
    assert not any("test" in p for p in inspect.signature(detect_lookup_table).parameters)


def test_lookup_table() -> None:
    inputs = ["0110100110", "1111000011", "0000011111", "101"]
    table = "T = {'0110100110': 1, '1111000011': 0}\ndef f(x):\n    return T.get(x, 0)\n"
    flagged, reason = detect_lookup_table(table, inputs)
    assert flagged and "2 of 3" in reason
    one = "T = {'0110100110': 1}\n"
    assert detect_lookup_table(one, inputs) == (False, None)
    honest = "def f(x):\n    return x.count('1') % 2\n"
    assert detect_lookup_table(honest, inputs) == (False, None)
    assert detect_lookup_table("x = '101'", ["101", "11"]) == (False, None)  # all too short
    wide = "T = '" + "0" * 300 + "'\n"
    assert detect_lookup_table(wide, inputs)[0] is True
    assert detect_lookup_table(wide, inputs, check_long_lines=False) == (False, None)
