"""Generators: labels vs independent implementations, balance, disjointness, determinism, cache."""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import pytest

import generators
from generators import TARGETS, DatasetError, build_dataset, derived_seed, positions

SMALL = {"train_size": 20, "val_size": 20, "test_size": 200}


# ---- independent reference implementations (deliberately naive) ---------------------------


class MT19937:
    """Textbook MT19937 (init_genrand + genrand_int32), independent of numpy."""

    def __init__(self, seed: int) -> None:
        self.mt = [0] * 624
        self.mt[0] = seed
        for i in range(1, 624):
            prev = self.mt[i - 1]
            self.mt[i] = (1812433253 * (prev ^ (prev >> 30)) + i) & 0xFFFFFFFF
        self.index = 624

    def next_u32(self) -> int:
        if self.index >= 624:
            for i in range(624):
                y = (self.mt[i] & 0x80000000) | (self.mt[(i + 1) % 624] & 0x7FFFFFFF)
                self.mt[i] = self.mt[(i + 397) % 624] ^ (y >> 1) ^ (0x9908B0DF if y & 1 else 0)
            self.index = 0
        y = self.mt[self.index]
        self.index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C5680
        y ^= (y << 15) & 0xEFC60000
        y ^= y >> 18
        return y


@functools.cache
def ref_positions(L: int, k: int) -> frozenset[int]:
    mt = MT19937(42)
    r = list(range(L))
    for i in range(L - 1):
        z = mt.next_u32() % (L - i)
        r[i], r[i + z] = r[i + z], r[i]
    return frozenset(r[:k])


def ref_is_prime(n: int) -> bool:
    if n < 2:
        return False
    small = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71]
    for p in small:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in small:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def ref_dyck(x: str) -> bool:
    symbols = {"00": "(", "01": ")", "10": "[", "11": "]"}
    word = "".join(symbols[x[i : i + 2]] for i in range(0, len(x), 2))
    while "()" in word or "[]" in word:
        word = word.replace("()", "").replace("[]", "")
    return word == ""


RULE30 = {"000": 0, "001": 1, "010": 1, "011": 1, "100": 1, "101": 0, "110": 0, "111": 0}


def ref_label(fn: str, x: str) -> str:
    L = len(x)
    bits = [int(c) for c in x]
    if fn == "fn_a":
        v = sum(bits) % 2 == 1
    elif fn == "fn_b":
        v = sum(bits[: L // 2]) % 2 == 1
    elif fn == "fn_c":
        v = any(x[i : i + 8] == "10101010" for i in range(L - 7))
    elif fn == "fn_d":
        v = any(x[i : i + 8] == "00111111" for i in range(L - 7))
    elif fn == "fn_e":
        v = sum(bits[p] for p in ref_positions(L, 3)) % 2 == 1
    elif fn == "fn_f":
        v = sum(bits[p] for p in ref_positions(L, 10)) % 2 == 1
    elif fn == "fn_g":
        v = all(x[i] == x[L - 1 - i] for i in range(L))
    elif fn == "fn_h":
        v = ref_dyck(x)
    elif fn in ("fn_i", "fn_k"):
        v = ref_is_prime(int(x))
    elif fn == "fn_j":
        p = "0" + x + "0"
        v = sum(RULE30[p[i : i + 3]] for i in range(L)) % 2 == 1
    elif fn == "fn_l":
        v = bin(int(hashlib.sha256(x.encode()).hexdigest(), 16)).count("1") % 2 == 1
    else:
        raise AssertionError(fn)
    return "1" if v else "0"


# ---- positions and seeds ----------------------------------------------------------------------


def test_published_positions() -> None:
    assert set(positions(50, 3)) == {17, 30, 42}
    assert set(positions(100, 3)) == {42, 62, 96}
    assert set(positions(100, 10)) == {16, 24, 42, 46, 60, 62, 78, 95, 96, 98}
    assert set(positions(20, 3)) == {2, 14, 18}


@pytest.mark.parametrize("L", [20, 25, 30, 50, 100, 7])
def test_positions_match_textbook_mt19937(L: int) -> None:
    assert set(positions(L, 3)) == ref_positions(L, 3)
    if L >= 10:
        assert set(positions(L, 10)) == ref_positions(L, 10)


def test_derived_seed_example() -> None:
    assert derived_seed("fn_a", 50, 200, 10000, 42) == 106437611


# ---- label functions --------------------------------------------------------------------------


STRING_FNS = [f for f, s in TARGETS.items() if s.kind != "tabular"]


def test_registry() -> None:
    assert STRING_FNS == [f"fn_{c}" for c in "abcdefghijkl"]
    assert TARGETS["fn_h"].default_lengths == (100, 80, 60, 40, 20)
    assert TARGETS["fn_a"].default_lengths == (100, 50, 30, 25, 20)
    assert {f for f, s in TARGETS.items() if s.decimal} == {"fn_i", "fn_k"}
    assert TARGETS["fn_k"].name == "prime_decimal_tf_check"
    assert TARGETS["fn_l"].name == "sha256_parity"


@pytest.mark.parametrize("fn", STRING_FNS)
def test_label_function_matches_reference_on_random_strings(fn: str) -> None:
    import random

    rnd = random.Random(fn)
    label = TARGETS[fn].label
    for L in (20, 24, 40):
        for _ in range(300):
            if TARGETS[fn].decimal:
                x = str(rnd.randrange(10 ** (L - 1), 10**L))
            else:
                x = "".join(rnd.choice("01") for _ in range(L))
            assert label(x) == ref_label(fn, x), (fn, x)


def test_label_functions_on_handpicked_cases() -> None:
    t = {f: TARGETS[f].label for f in STRING_FNS}
    assert t["fn_c"]("0001010101000") == "1" and t["fn_c"]("1010101") == "0"
    assert t["fn_d"]("1000111111") == "1" and t["fn_d"]("0011111011") == "0"
    assert t["fn_g"]("0110") == "1" and t["fn_g"]("0111") == "0"
    assert t["fn_h"]("00101101") == "1"  # ( [ ] )
    assert t["fn_h"]("00100111") == "0"  # ( [ ) ]
    assert t["fn_h"]("00110110") == "0"  # ( ] ) [
    assert t["fn_h"]("0001") == "1" and t["fn_h"]("0100") == "0"
    assert t["fn_i"]("97") == "1" and t["fn_i"]("91") == "0"
    assert t["fn_j"]("1") == "1"  # 010 -> 1
    assert t["fn_j"]("11") == "1"  # 011 -> 1, 110 -> 0
    assert t["fn_j"]("111") == "1"  # 011 -> 1, 111 -> 0, 110 -> 0


# ---- datasets ---------------------------------------------------------------------------------


def _check_dataset(fn: str, ds: generators.Dataset) -> None:
    splits = {"train": ds.train, "val": ds.val, "test": ds.test}
    seen: dict[str, str] = {}
    L = ds.meta["length"]
    for name, rows in splits.items():
        assert len(rows) == ds.meta["sizes"][name]
        assert sum(y == "1" for _, y in rows) * 2 == len(rows), name
        for x, y in rows:
            assert len(x) == L
            assert y == ref_label(fn, x), (fn, x, y)
            if TARGETS[fn].decimal:
                assert x[0] != "0" and x.isdigit()
            else:
                assert set(x) <= {"0", "1"}
            assert seen.setdefault(x, name) == name, f"{x} in {seen[x]} and {name}"
    if "small_space" not in ds.meta:
        assert sum(len(r) for r in splits.values()) == len(seen), "duplicates"


@pytest.mark.parametrize("fn", STRING_FNS)
@pytest.mark.parametrize("L", [20, 28, 100])
def test_small_datasets_are_balanced_disjoint_and_correct(fn: str, L: int, tmp_path: Path) -> None:
    if fn == "fn_h" and L % 4:
        pytest.skip("dyck lengths are multiples of 4")
    ds = build_dataset(fn, L, seed=7, dataset_dir=tmp_path, **SMALL)
    _check_dataset(fn, ds)
    meta = json.loads((ds.path / "meta.json").read_text())
    assert meta["fn"] == fn and meta["length"] == L and meta["decimal"] == TARGETS[fn].decimal
    assert meta["derived_seed"] == derived_seed(fn, L, 40, 200, 7)
    assert ds.path == tmp_path / TARGETS[fn].name / f"L{L}" / f"seed{meta['derived_seed']}"
    if fn == "fn_k":
        assert all(x[-1] in "1379" for x, y in ds.train + ds.val + ds.test if y == "0")
    if fn in ("fn_e", "fn_f"):
        assert set(meta["positions"]) == ref_positions(L, 3 if fn == "fn_e" else 10)


def test_same_arguments_give_byte_identical_files(tmp_path: Path) -> None:
    for fn, L in (("fn_a", 30), ("fn_g", 20), ("fn_h", 20), ("fn_k", 25), ("fn_c", 40)):
        a = build_dataset(fn, L, dataset_dir=tmp_path / "a", **SMALL)
        b = build_dataset(fn, L, dataset_dir=tmp_path / "b", **SMALL)
        for name in ("train.txt", "val.txt", "test.txt", "meta.json"):
            assert (a.path / name).read_bytes() == (b.path / name).read_bytes(), (fn, name)


def test_line_format_and_hashes(tmp_path: Path) -> None:
    ds = build_dataset("fn_a", 10, dataset_dir=tmp_path, **SMALL)
    text = (ds.path / "train.txt").read_text()
    first = text.splitlines()[0]
    assert first == f"{ds.train[0][0]} -> {ds.train[0][1]}"
    assert ds.meta["hashes"]["train"] == hashlib.sha256(text.encode()).hexdigest()
    assert not list(ds.path.glob("*.tmp"))


def test_cache_is_reused_and_revalidated(tmp_path: Path) -> None:
    events: list[str] = []
    first = build_dataset("fn_b", 30, dataset_dir=tmp_path, progress=events.append, **SMALL)
    again = build_dataset("fn_b", 30, dataset_dir=tmp_path, progress=events.append, **SMALL)
    assert events == ["generated", "cached"] and again.test == first.test
    original = (first.path / "test.txt").read_bytes()
    (first.path / "test.txt").write_text("0101 -> 1\n")
    fixed = build_dataset("fn_b", 30, dataset_dir=tmp_path, progress=events.append, **SMALL)
    assert events[-1] == "generated" and (first.path / "test.txt").read_bytes() == original
    (first.path / "meta.json").write_text("{not json")
    build_dataset("fn_b", 30, dataset_dir=tmp_path, progress=events.append, **SMALL)
    assert events[-1] == "generated" and fixed.test == first.test


def test_full_size_cell(tmp_path: Path) -> None:
    ds = build_dataset("fn_f", 100, dataset_dir=tmp_path)
    assert [len(ds.train), len(ds.val), len(ds.test)] == [100, 100, 10000]
    _check_dataset("fn_f", ds)
    assert ds.meta["positions"] == [16, 24, 42, 46, 60, 62, 78, 95, 96, 98]


@pytest.mark.parametrize("fn", ["fn_g", "fn_h"])
def test_small_space_at_L20_is_recorded_and_test_never_sees_train(fn: str, tmp_path: Path) -> None:
    ds = build_dataset(fn, 20, dataset_dir=tmp_path)
    info = ds.meta["small_space"]["positive"]
    assert info["distinct"] == (1024 if fn == "fn_g" else 1344)
    assert info["test_resampled"] > 0
    seen = {x for x, _ in ds.train + ds.val}
    assert not seen & {x for x, _ in ds.test}
    assert len(seen) == 200
    _check_dataset(fn, ds)
    if fn == "fn_g":
        assert ds.meta["near_miss_negatives"] > 0
        mismatches = [sum(a != b for a, b in zip(x, x[::-1], strict=True)) for x, _ in ds.test]
        assert 2 in mismatches, "expected one-bit near misses among the negatives"


def test_palindrome_odd_length(tmp_path: Path) -> None:
    ds = build_dataset("fn_g", 25, dataset_dir=tmp_path, **SMALL)
    _check_dataset("fn_g", ds)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fn": "fn_z", "length": 20}, "unknown function"),
        ({"fn": "fn_h", "length": 22}, "multiple of 4"),
        ({"fn": "fn_a", "length": 20, "train_size": 11}, "even"),
        ({"fn": "fn_a", "length": 20, "test_size": 0}, "non-empty test"),
        ({"fn": "fn_g", "length": 4, "train_size": 10}, "only 4 distinct positive"),
        ({"fn": "fn_c", "length": 6}, "pattern length"),
        ({"fn": "fn_a", "length": 0}, "positive length"),
    ],
)
def test_impossible_requests_fail_clearly(kwargs: dict, message: str, tmp_path: Path) -> None:
    args = {**SMALL, **kwargs}
    with pytest.raises(DatasetError, match=message):
        build_dataset(dataset_dir=tmp_path, **args)


def test_tiny_binary_space_enumerates_and_splits(tmp_path: Path) -> None:
    ds = build_dataset("fn_a", 6, dataset_dir=tmp_path, train_size=8, val_size=8, test_size=60)
    _check_dataset("fn_a", ds)
    assert ds.meta["small_space"]["positive"]["distinct"] == 32


def test_generators_do_not_import_harness() -> None:
    for path in Path(generators.__file__).parent.glob("*.py"):
        text = path.read_text()
        assert "import harness" not in text and "from harness" not in text, path


@pytest.mark.parametrize("L", [7, 20, 100, 900])
def test_prime_sieve_drops_exactly_the_multiples_of_small_primes(L: int) -> None:
    """The float64 sieve is exact: it keeps a number iff no sieve prime divides it."""
    import numpy as np

    from generators import primes

    rng = np.random.default_rng(L)
    d = primes._digits(rng, 3000, L, primes._ODD_TAILS)
    keep = primes._sieve_survivors(d)
    small = [int(p) for p in primes._SIEVE_PRIMES]
    for row, kept in zip(primes._as_ints(d), keep, strict=True):
        n = int(row)
        assert kept == all(n % p for p in small), row


def test_prime_confirmation_rejects_what_passes_the_fermat_screen() -> None:
    """Composites that fool the base-2 Fermat screen (its pseudoprimes below 2*10**5, Chernick
    Carmichael numbers of ~30 and ~40 digits) are rejected by the confirmation, as by sympy."""
    import sympy

    from generators import primes

    fooling = [n for n in range(3, 2 * 10**5, 2) if pow(2, n - 1, n) == 1 and not sympy.isprime(n)]
    m = 10**10
    while len(fooling) < 100:
        m += 1
        factors = (6 * m + 1, 12 * m + 1, 18 * m + 1, 36 * m + 1)
        if all(sympy.isprime(f) for f in factors[:3]):
            fooling.append(factors[0] * factors[1] * factors[2])
            if sympy.isprime(factors[3]):
                fooling.append(fooling[-1] * factors[3])
    for n in fooling:
        number = primes._as_number(str(n))
        assert primes._fermat_base2(number), n
        assert not primes._isprime_large(number), n
    for p in (10**6 + 3, 2**61 - 1, 2**89 - 1, int(sympy.nextprime(10**99))):
        assert primes._isprime_large(primes._as_number(str(p)))
