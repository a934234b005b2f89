"""Reply text -> program source, for the ERM JSON contract and the ARC fenced-block contract."""

from __future__ import annotations

import json

import pytest

from harness.judge.extract import (
    after_think,
    extract_arc_code,
    extract_code,
    extract_def_block,
    extract_fenced,
    extract_json_code,
)

CODE = "def f(x):\n    return str(x.count('1') % 2)\n"


def as_json(code: str) -> str:
    return json.dumps({"code": code})


@pytest.mark.parametrize(
    "text",
    [
        as_json(CODE),
        f"Here you go:\n\n{as_json(CODE)}\n\nHope it helps.",
        f"```json\n{json.dumps({'code': CODE}, indent=2)}\n```",
        f"```\n{as_json(CODE)}\n```",
        "Sure." + as_json(CODE) + "}}}",
    ],
    ids=["bare", "prose", "json-fence", "bare-fence", "trailing-junk"],
)
def test_json_code_in_wrappings(text: str) -> None:
    assert extract_code(text) == CODE


def test_last_json_object_wins() -> None:
    first = as_json("def f(x):\n    return 0\n")
    text = f"First try: {first}\nBetter: {as_json(CODE)}"
    assert extract_code(text) == CODE


def test_braces_and_quotes_inside_code_string() -> None:
    code = "T = {'a': '}', 'b': \"{\"}\n\n\ndef f(x):\n    return '1' if x in T else '0'\n"
    assert extract_code("answer: " + as_json(code) + " done") == code


def test_raw_newlines_inside_json_string_are_tolerated() -> None:
    text = '{"code": "def f(x):\n    return \'0\'\n"}'
    assert extract_code(text) == "def f(x):\n    return '0'\n"


def test_nested_code_object_is_found() -> None:
    text = json.dumps({"result": {"code": CODE}, "confidence": 0.9})
    assert extract_json_code(text) == CODE


def test_objects_without_code_are_ignored() -> None:
    text = as_json(CODE) + '\n{"note": "the code above is final"}'
    assert extract_code(text) == CODE
    assert extract_code('{"code": 42}') is None


def test_think_blocks_are_skipped() -> None:
    draft = as_json("def f(x):\n    return 'draft'\n")
    assert extract_code(f"<think>{draft}</think>\n{as_json(CODE)}") == CODE
    assert extract_code(f"<think>{draft}</think>\nI give up.") is None
    assert after_think("a</think>b</think>c") == "c"


def test_fenced_python_fallback_takes_last_block() -> None:
    text = f"```python\ndef f(x):\n    return '0'\n```\nfixed:\n```python\n{CODE}```\n"
    assert extract_code(text) == CODE.rstrip("\n")
    assert extract_fenced(f"```\n{CODE}```") == CODE.rstrip("\n")
    assert extract_fenced(f"```\n{CODE}```", allow_bare=False) is None


def test_bare_def_block_with_imports_and_helpers() -> None:
    text = (
        "The rule is SHA parity.\n\n"
        "import hashlib\n\n"
        "def ones(d):\n    return sum(bin(b).count('1') for b in d)\n\n"
        "def f(x):\n    return str(ones(hashlib.sha256(x.encode()).digest()) % 2)\n\n"
        "This runs in linear time."
    )
    code = extract_code(text)
    assert code is not None
    assert code.startswith("import hashlib") and code.rstrip().endswith("% 2)")
    assert "linear time" not in code
    compile(code, "<t>", "exec")


def test_no_code_returns_none() -> None:
    assert extract_code("") is None
    assert extract_code(None) is None
    assert extract_code("I could not find a rule.") is None
    assert extract_code('{"code": "   "}') is None
    assert extract_def_block("import os\nprint('hi')\n") is None


def test_reasoning_is_a_fallback_only() -> None:
    assert extract_code("nothing here", reasoning_text=as_json(CODE)) == CODE
    assert extract_code(as_json(CODE), reasoning_text=as_json("x = 1")) == CODE


ARC = "def transform(grid):\n    return [row[::-1] for row in grid]\n"


def test_arc_last_python_block() -> None:
    first = "def transform(grid):\n    return grid\n"
    text = f"Idea one:\n```python\n{first}```\nBetter:\n```python\n{ARC}```"
    assert extract_arc_code(text) == ARC.rstrip("\n")


def test_arc_bare_transform_block_and_untagged_fence() -> None:
    text = f"The rule flips rows.\n\n{ARC}\nThat is all."
    assert extract_arc_code(text) == ARC.rstrip("\n")
    assert extract_arc_code(f"```\n{ARC}```") == ARC.rstrip("\n")
    helper = "def helper(r):\n    return r[::-1]\n\nprose line\n\n" + ARC
    assert extract_arc_code(helper) == ARC.rstrip("\n")


def test_arc_looks_in_reasoning_when_content_is_empty() -> None:
    assert extract_arc_code("", reasoning_text=f"```python\n{ARC}```") == ARC.rstrip("\n")
    assert extract_arc_code("no code, sorry") is None
    assert extract_arc_code('```json\n{"code": "x"}\n```') is None
