"""The hidden target functions fn_a..fn_q and their registry.

Each string task has a plain per-string `label(x)`; the generators use vectorised versions
(`generators.binary`) and the tests check both against independent code. Positions for the random
parities must match the published ones, so they come from MT19937 seeded exactly as there.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

PATTERN_C = "10101010"
PATTERN_D = "00111111"
BINARY_LENGTHS = (100, 50, 30, 25, 20)
DYCK_LENGTHS = (100, 80, 60, 40, 20)


@lru_cache(maxsize=256)
def positions(L: int, k: int) -> tuple[int, ...]:
    """The k fixed positions of the random parities for length L (published Fisher-Yates order).

    MT19937 is seeded with 42 by `init_genrand` (the legacy RandomState seeding) and its raw 32-bit
    outputs drive the swaps; the first k entries of the permuted range are the positions.
    """
    if not 0 < k <= L:
        raise ValueError(f"need 0 < k <= L, got k={k}, L={L}")
    bitgen = np.random.MT19937()
    bitgen.state = np.random.RandomState(42).get_state(legacy=False)
    raw = bitgen.random_raw(max(L - 1, 1))
    r = list(range(L))
    for i in range(L - 1):
        z = int(raw[i]) % (L - i)
        r[i], r[i + z] = r[i + z], r[i]
    return tuple(r[:k])


def _bit(cond: bool) -> str:
    return "1" if cond else "0"


def parity_all(x: str) -> str:
    return _bit(x.count("1") % 2 == 1)


def parity_first_half(x: str) -> str:
    return _bit(x[: len(x) // 2].count("1") % 2 == 1)


def patternmatch1(x: str) -> str:
    return _bit(PATTERN_C in x)


def patternmatch2(x: str) -> str:
    return _bit(PATTERN_D in x)


def parity_rand_3(x: str) -> str:
    return _bit(sum(x[p] == "1" for p in positions(len(x), 3)) % 2 == 1)


def parity_rand_10(x: str) -> str:
    return _bit(sum(x[p] == "1" for p in positions(len(x), 10)) % 2 == 1)


def palindrome(x: str) -> str:
    return _bit(x == x[::-1])


_DYCK_SYMBOLS = {"00": "(", "01": ")", "10": "[", "11": "]"}


def dyck2(x: str) -> str:
    """Bit pairs map to ( ) [ ]; the label is 1 iff the bracket word is well nested."""
    if len(x) % 2:
        return "0"
    stack: list[str] = []
    for i in range(0, len(x), 2):
        sym = _DYCK_SYMBOLS[x[i : i + 2]]
        if sym in "([":
            stack.append(sym)
        elif not stack or stack.pop() != ("(" if sym == ")" else "["):
            return "0"
    return _bit(not stack)


def prime_decimal(x: str) -> str:
    import sympy  # imported lazily: it costs ~0.5 s and most commands never need it

    return _bit(sympy.isprime(int(x)))


def automata_parity(x: str) -> str:
    """One Rule 30 step with zero padding (new = left XOR (centre OR right)), then parity."""
    padded = "0" + x + "0"
    ones = 0
    for i in range(1, len(padded) - 1):
        left, centre, right = (c == "1" for c in padded[i - 1 : i + 2])
        ones += left ^ (centre or right)
    return _bit(ones % 2 == 1)


def sha256_parity(x: str) -> str:
    digest = hashlib.sha256(x.encode("ascii")).digest()
    return _bit(int.from_bytes(digest, "big").bit_count() % 2 == 1)


@dataclass(frozen=True)
class TargetSpec:
    """One hidden mapping: its id, published name, default lengths and how its inputs look."""

    id: str
    name: str
    default_lengths: tuple[int, ...]
    decimal: bool
    kind: str  # "binary", "decimal" or "tabular"
    label: Callable[[str], str] | None
    description: str


def _spec(id_: str, fn: Callable[[str], str], lengths: tuple[int, ...], desc: str) -> TargetSpec:
    decimal = fn is prime_decimal or id_ == "fn_k"
    return TargetSpec(
        id=id_,
        name=fn.__name__ if id_ != "fn_k" else "prime_decimal_tf_check",
        default_lengths=lengths,
        decimal=decimal,
        kind="decimal" if decimal else "binary",
        label=fn,
        description=desc,
    )


# fn_q: the UCI kr-vs-kp file has 36 attributes (the task notes say 35); we use the real file.
TABULAR_FEATURES = {"fn_m": 14, "fn_n": 20, "fn_o": 21, "fn_p": 8, "fn_q": 36}

_STRING_TARGETS = [
    _spec("fn_a", parity_all, BINARY_LENGTHS, "odd number of ones"),
    _spec("fn_b", parity_first_half, BINARY_LENGTHS, "odd number of ones in the first half"),
    _spec("fn_c", patternmatch1, BINARY_LENGTHS, f"contains {PATTERN_C}"),
    _spec("fn_d", patternmatch2, BINARY_LENGTHS, f"contains {PATTERN_D}"),
    _spec("fn_e", parity_rand_3, BINARY_LENGTHS, "parity of 3 fixed positions"),
    _spec("fn_f", parity_rand_10, BINARY_LENGTHS, "parity of 10 fixed positions"),
    _spec("fn_g", palindrome, BINARY_LENGTHS, "palindrome"),
    _spec("fn_h", dyck2, DYCK_LENGTHS, "well-nested Dyck-2 word over bit pairs"),
    _spec("fn_i", prime_decimal, BINARY_LENGTHS, "prime"),
    _spec("fn_j", automata_parity, BINARY_LENGTHS, "parity after one Rule 30 step"),
    _spec("fn_k", prime_decimal, BINARY_LENGTHS, "prime (negatives end in 1, 3, 7, 9)"),
    _spec("fn_l", sha256_parity, BINARY_LENGTHS, "parity of the SHA-256 bits"),
]

_TABULAR_NAMES = {
    "fn_m": ("adult_income", "income >50K"),
    "fn_n": ("mushroom", "edible secondary mushroom"),
    "fn_o": ("cdc_diabetes", "Diabetes_binary == 1"),
    "fn_p": ("htru2", "pulsar candidate (class 1)"),
    "fn_q": ("chess", "king-rook vs king-pawn: white can win"),
}

TARGETS: dict[str, TargetSpec] = {s.id: s for s in _STRING_TARGETS}
TARGETS.update(
    {
        fid: TargetSpec(
            id=fid,
            name=name,
            default_lengths=(TABULAR_FEATURES[fid],),
            decimal=False,
            kind="tabular",
            label=None,
            description=desc,
        )
        for fid, (name, desc) in _TABULAR_NAMES.items()
    }
)

DEFAULT_GRID = tuple(s.id for s in _STRING_TARGETS)
