"""Every oracle program the mock serves agrees with an independent label function.

The programs are our own trusted code, so they run in-process with plain exec. The label
functions below are written differently on purpose (numpy's MT19937 for the positions, bracket
reduction for Dyck-2, integer bit tricks for Rule 30) so a shared mistake is unlikely.
"""

from __future__ import annotations

import hashlib
import random

import numpy as np
import pytest
import sympy

from harness.mock.policies import identify, infer_fn
from harness.mock.programs import DECIMAL_FNS, FN_IDS, fixed_positions, oracle_programs

N_INPUTS = 240


def np_positions(length: int, k: int) -> list[int]:
    """Positions via numpy's RandomState(42) raw 32-bit draws (full-range randint is raw)."""
    rs = np.random.RandomState(42)
    r = list(range(length))
    for i in range(length - 1):
        z = int(rs.randint(0, 2**32, dtype=np.uint64)) % (length - i)
        r[i], r[i + z] = r[i + z], r[i]
    return r[:k]


def dyck2(x: str) -> bool:
    word = "".join(
        {"00": "(", "01": ")", "10": "[", "11": "]"}[x[i : i + 2]] for i in range(0, len(x), 2)
    )
    while "()" in word or "[]" in word:
        word = word.replace("()", "").replace("[]", "")
    return word == ""


def rule30_parity(x: str) -> int:
    """Rule 30 is left XOR (centre OR right); on an int, the left neighbour of every bit is
    n >> 1 and the right one (n << 1) masked to the width; zero padding comes for free."""
    n, mask = int(x, 2), (1 << len(x)) - 1
    new = (n >> 1) ^ (n | ((n << 1) & mask))
    return bin(new).count("1") % 2


def reference(fn: str, length: int):
    p3 = set(np_positions(length, 3))
    p10 = set(np_positions(length, 10))
    table = {
        "fn_a": lambda x: x.count("1") % 2 == 1,
        "fn_b": lambda x: x[: length // 2].count("1") % 2 == 1,
        "fn_c": lambda x: "10101010" in x,
        "fn_d": lambda x: "00111111" in x,
        "fn_e": lambda x: sum(x[i] == "1" for i in p3) % 2 == 1,
        "fn_f": lambda x: sum(x[i] == "1" for i in p10) % 2 == 1,
        "fn_g": lambda x: x == x[::-1],
        "fn_h": dyck2,
        "fn_i": lambda x: sympy.isprime(int(x)),
        "fn_j": lambda x: rule30_parity(x) == 1,
        "fn_k": lambda x: sympy.isprime(int(x)),
        "fn_l": lambda x: sum(bin(b).count("1") for b in hashlib.sha256(x.encode()).digest()) % 2,
    }
    return lambda x: "1" if table[fn](x) else "0"


def sample_inputs(fn: str, length: int, rng: random.Random) -> list[str]:
    """Random inputs plus positives that random strings rarely hit."""
    if fn in DECIMAL_FNS:
        lo, hi = 10 ** (length - 1), 10**length
        primes = [str(sympy.randprime(lo, hi)) for _ in range(N_INPUTS // 3)]
        others = [str(rng.randrange(lo, hi)) for _ in range(N_INPUTS - len(primes))]
        return primes + others
    xs = ["".join(rng.choice("01") for _ in range(length)) for _ in range(N_INPUTS)]
    for i in range(0, N_INPUTS, 3):
        x = xs[i]
        if fn in ("fn_c", "fn_d"):
            pat = "10101010" if fn == "fn_c" else "00111111"
            at = rng.randrange(length - 7)
            xs[i] = x[:at] + pat + x[at + 8 :]
        elif fn == "fn_g":
            half = x[: length // 2]
            xs[i] = half + half[::-1] if length % 2 == 0 else half + x[-1] + half[::-1]
        elif fn == "fn_h":
            xs[i] = random_dyck(length, rng)
    return xs


def random_dyck(length: int, rng: random.Random) -> str:
    pairs, stack, out = length // 2, [], []
    while len(out) < pairs:
        if stack and (len(stack) >= pairs - len(out) or rng.random() < 0.5):
            out.append(")" if stack.pop() == "(" else "]")
        else:
            ch = rng.choice("([")
            stack.append(ch)
            out.append(ch)
    return "".join({"(": "00", ")": "01", "[": "10", "]": "11"}[c] for c in out)


def lengths_for(fn: str) -> tuple[int, ...]:
    if fn == "fn_h":
        return (20, 40)
    if fn in DECIMAL_FNS:
        return (20, 30)
    return (20, 50)


CASES = [(fn, length) for fn in FN_IDS for length in lengths_for(fn)]


def test_positions_match_spec_and_numpy() -> None:
    assert sorted(fixed_positions(50, 3)) == [17, 30, 42]
    assert sorted(fixed_positions(100, 3)) == [42, 62, 96]
    assert sorted(fixed_positions(100, 10)) == [16, 24, 42, 46, 60, 62, 78, 95, 96, 98]
    assert sorted(fixed_positions(20, 3)) == [2, 14, 18]
    for length in (20, 25, 30, 50, 100):
        assert fixed_positions(length, 10) == np_positions(length, 10)


@pytest.mark.parametrize(("fn", "length"), CASES, ids=[f"{f}-L{n}" for f, n in CASES])
def test_every_oracle_variant_is_correct(fn: str, length: int) -> None:
    rng = random.Random(f"{fn}/{length}")
    inputs = sample_inputs(fn, length, rng)
    label = reference(fn, length)
    expected = [label(x) for x in inputs]
    assert 0 < expected.count("1") < len(expected), "inputs must cover both classes"
    variants = oracle_programs(fn, length)
    assert len(variants) >= 2
    for source in variants:
        namespace: dict[str, object] = {}
        exec(compile(source, f"<oracle {fn}>", "exec"), namespace)
        func = namespace["f"]
        got = [str(int(func(x))) for x in inputs]  # type: ignore[operator]
        wrong = [x for x, g, e in zip(inputs, got, expected, strict=True) if g != e]
        assert not wrong, f"{fn} L={length} variant disagrees on {wrong[:3]}\n{source}"


@pytest.mark.parametrize("fn", FN_IDS)
def test_mock_recognises_each_function_from_examples(fn: str) -> None:
    length = 30 if fn in DECIMAL_FNS else 40
    rng = random.Random(fn)
    label = reference(fn, length)
    xs = sample_inputs(fn, length, rng)
    xs = xs[:45] + xs[-45:]
    lines = [(x, label(x)) for x in xs]
    if fn == "fn_k":  # the fn_k construction: every negative ends in 1, 3, 7 or 9
        lines = [(x, y) for x, y in lines if y == "1" or x[-1] in "1379"]
    found = infer_fn(lines)
    assert found == (fn, length)
    prompt = "Examples:\n" + "\n".join(f"{x} -> {y}" for x, y in lines)
    task = identify(None, prompt)
    assert (task.kind, task.fn, task.length, task.key) == ("fn", fn, length, f"{fn}/L{length}")
