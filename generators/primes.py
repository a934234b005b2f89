"""Balanced generators for the decimal prime tasks (fn_i, fn_k).

Positives are uniform random L-digit primes. Most of the time goes into primality tests, so
candidates are first sieved in bulk with numpy (residues of the digit vectors modulo small primes),
then screened with one strong-probable-prime test (gmpy2 when present), and only the survivors are
confirmed with `sympy.isprime`, which is the authority.
"""

from __future__ import annotations

import numpy as np
import sympy

from generators.errors import DatasetError

try:  # gmpy2 makes the screening test ~5x faster; sympy also picks it up by itself
    import gmpy2

    def _probable_prime(n: int) -> bool:
        return bool(gmpy2.is_strong_prp(n, 2))
except ImportError:  # pragma: no cover - depends on the environment

    def _probable_prime(n: int) -> bool:
        return pow(2, n - 1, n) == 1


_SIEVE_PRIMES = np.array(list(sympy.primerange(3, 2000)), dtype=np.int64)
_SIEVE_PRIMES = _SIEVE_PRIMES[_SIEVE_PRIMES != 5]
_ODD_TAILS = np.array([1, 3, 7, 9], dtype=np.int64)


def _digits(rng: np.random.Generator, n: int, L: int, tails: np.ndarray | None) -> np.ndarray:
    """n random L-digit numbers as digit matrices (no leading zero; optional last-digit set)."""
    d = rng.integers(0, 10, size=(n, L), dtype=np.int64)
    d[:, 0] = rng.integers(1, 10, size=n)
    if tails is not None and L > 1:
        d[:, -1] = tails[rng.integers(0, len(tails), size=n)]
    return d


def _as_ints(d: np.ndarray) -> list[str]:
    chars = np.ascontiguousarray((d + ord("0")).astype(np.uint8))
    return [s.decode("ascii") for s in chars.view(f"S{d.shape[1]}").ravel()]


def _sieve_survivors(d: np.ndarray) -> np.ndarray:
    """Rows whose number has no prime factor below 2000 (2 and 5 are excluded by the tails).

    Residues come from one float32 matrix product of the digits with 10**k mod p; the sums stay
    below 2**24 for L <= 900, so they are exact, and an exact multiple of p divides exactly.
    """
    L = d.shape[1]
    powers = np.empty((L, len(_SIEVE_PRIMES)), dtype=np.int64)
    powers[L - 1] = 1
    for i in range(L - 2, -1, -1):
        powers[i] = powers[i + 1] * 10 % _SIEVE_PRIMES
    primes = _SIEVE_PRIMES.astype(np.float32)
    sums = d.astype(np.float32) @ powers.astype(np.float32)
    multiple = np.floor(sums / primes) * primes == sums
    return ~multiple.any(axis=1)


def random_primes(L: int, need: int, rng: np.random.Generator) -> list[str]:
    """`need` distinct uniformly random primes with exactly L digits, as strings."""
    if L < 1:
        raise DatasetError(f"prime tasks need L >= 1, got {L}")
    if L > 900:
        raise DatasetError(f"prime tasks support at most 900 digits, got L={L}")
    if L <= 6:
        lo = 10 ** (L - 1)
        every = [str(p) for p in sympy.primerange(lo, 10**L)]
        order = rng.permutation(len(every))
        return [every[i] for i in order[:need]]
    found: list[str] = []
    seen: set[str] = set()
    while len(found) < need:
        d = _digits(rng, 8192, L, _ODD_TAILS)
        for s in _as_ints(d[_sieve_survivors(d)]):
            if s in seen:
                continue
            n = int(s)
            if _probable_prime(n) and sympy.isprime(n):
                seen.add(s)
                found.append(s)
                if len(found) == need:
                    break
    return found


def _composite_products(L: int, need: int, rng: np.random.Generator, odd_tail: bool) -> list[str]:
    """Products of a floor(L/2)- and a ceil(L/2)-digit number that have exactly L digits."""
    a, b = L // 2, L - L // 2
    if a < 1:
        raise DatasetError(f"prime tasks need L >= 2 for product negatives, got L={L}")
    tails = _ODD_TAILS if odd_tail else None
    found: list[str] = []
    seen: set[str] = set()
    stalls = 0
    lo, hi = 10 ** (L - 1), 10**L
    while len(found) < need and stalls < 6:
        n = 2 * (need - len(found)) + 64
        left = [max(int(s), 2) for s in _as_ints(_digits(rng, n, a, tails))]
        right = [max(int(s), 2) for s in _as_ints(_digits(rng, n, b, tails))]
        before = len(found)
        for x, y in zip(left, right, strict=True):
            p = x * y
            s = str(p)
            if lo <= p < hi and s not in seen and (not odd_tail or s[-1] in "1379"):
                seen.add(s)
                found.append(s)
                if len(found) == need:
                    break
        stalls = stalls + 1 if len(found) == before else 0
    return found


def prime_pools(fn: str, L: int, need_pos: int, need_neg: int, rng: np.random.Generator):
    """(positives, negatives, notes) for fn_i (any product) or fn_k (products ending 1/3/7/9)."""
    odd_tail = fn == "fn_k"
    pos = random_primes(L, need_pos, rng)
    neg = _composite_products(L, need_neg, rng, odd_tail)
    notes = {"negatives": "products of a floor(L/2)- and a ceil(L/2)-digit number"}
    if odd_tail:
        notes["negative_tails"] = "1,3,7,9"
    return pos, neg, notes
