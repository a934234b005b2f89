"""Balanced generators for the decimal prime tasks (fn_i, fn_k).

Positives are uniform random L-digit primes. Almost all of the time goes into primality tests, so
each batch of candidates is first sieved in bulk with numpy (residues of the digit vectors modulo
small primes, in stages so that later primes only see the rows earlier ones left), then screened
with one base-2 Fermat test, and only the survivors are confirmed with a Baillie-PSW test.

The published code confirmed with `sympy.isprime`, which for these sizes is a strong BPSW test
(gmpy2's when installed, else its own). We run GMP's own (`mpz_probab_prime_p`, which per GMP's
manual does trial divisions, a Baillie-PSW test, then reps - 24 Miller-Rabin rounds: none for
reps=1), ~1.8x faster than gmpy2's. All of them are exact below 2**64 and no composite passing
any BPSW variant has ever been found, so they accept the same numbers. The sieve and the Fermat
screen never reject a prime, so they change the speed, never the data (`sympy.isprime` is used
when gmpy2 is missing).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

from generators.errors import DatasetError

try:  # gmpy2 makes the tests ~10x faster; sympy also picks it up by itself
    import gmpy2

    _TWO = gmpy2.mpz(2)

    def _fermat_base2(n: gmpy2.mpz) -> bool:
        """A screen no odd prime fails; rejects most sieve survivors at one modular power."""
        return gmpy2.powmod(_TWO, n - 1, n) == 1

    def _isprime_large(n: gmpy2.mpz) -> bool:
        """GMP's BPSW (reps=1 adds no random Miller-Rabin rounds); see the module docstring."""
        return bool(gmpy2.is_prime(n, 1))

    _as_number: Callable[[str], object] = gmpy2.mpz
except ImportError:  # pragma: no cover - depends on the environment

    def _fermat_base2(n) -> bool:  # type: ignore[no-untyped-def]
        return pow(2, n - 1, n) == 1

    def _isprime_large(n) -> bool:  # type: ignore[no-untyped-def]
        import sympy

        return bool(sympy.isprime(int(n)))

    _as_number = int


def _small_primes(limit: int) -> np.ndarray:
    """Primes below `limit` (Eratosthenes; avoids importing sympy just for this list)."""
    is_p = np.ones(limit, dtype=bool)
    is_p[:2] = False
    for p in range(2, int(limit**0.5) + 1):
        if is_p[p]:
            is_p[p * p :: p] = False
    return np.flatnonzero(is_p)


# Sieve primes in stages: the first few remove ~70% of the rows, so the many larger ones only see
# the rest. 2 and 5 are excluded (the last digit is 1, 3, 7 or 9). The bound trades numpy work per
# (row, prime) pair against the Fermat tests a deeper sieve avoids; measured near-optimal.
_SIEVE_BOUND = 4096
_SIEVE_PRIMES = _small_primes(_SIEVE_BOUND)
_SIEVE_PRIMES = _SIEVE_PRIMES[(_SIEVE_PRIMES != 2) & (_SIEVE_PRIMES != 5)]
_SIEVE_STAGES = (60, 2000, _SIEVE_BOUND)
_ODD_TAILS = np.array([1, 3, 7, 9], dtype=np.int64)
_CHUNK = 9  # digits per chunk: chunk values stay below 10**9
_BLOCK_CELLS = 1 << 15  # (rows x primes) per sieve block: 256 KiB of float64, stays in L2


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


def _chunks(d: np.ndarray) -> np.ndarray:
    """The numbers as base-10**9 digit vectors (float64, most significant chunk first)."""
    n, L = d.shape
    k = -(-L // _CHUNK)
    padded = np.zeros((n, k * _CHUNK), dtype=np.float64)
    padded[:, k * _CHUNK - L :] = d
    weights = 10.0 ** np.arange(_CHUNK - 1, -1, -1)
    return np.einsum("ijk,k->ij", padded.reshape(n, k, _CHUNK), weights)


@lru_cache(maxsize=64)
def _stage_table(k: int, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the sieve primes in [lo, hi): (10**(9*(k-1-j)) mod p as a (k, P) matrix, p, 1/p)."""
    primes = _SIEVE_PRIMES[(_SIEVE_PRIMES >= lo) & (_SIEVE_PRIMES < hi)]
    powers = np.empty((k, len(primes)), dtype=np.int64)
    powers[k - 1] = 1
    step = 10**_CHUNK % primes
    for j in range(k - 2, -1, -1):
        powers[j] = powers[j + 1] * step % primes
    p = primes.astype(np.float64)
    return powers.astype(np.float64), p, 1.0 / p


def _divisible_by_any(chunks: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Rows whose number is a multiple of a sieve prime in [lo, hi).

    The residue sums stay below 100 * 10**9 * 4096 < 2**53 (L <= 900), so the float64 product
    is exact, and `rint(s / p) * p == s` holds exactly when p divides s. Rows go in blocks so the
    (rows x primes) temporaries stay in cache instead of being fresh megabytes. The product is an
    einsum, not `@`: these thin shapes are as fast without BLAS, and without BLAS threads the
    forked grid workers cannot oversubscribe the cores.
    """
    powers, p, inv = _stage_table(chunks.shape[1], lo, hi)
    out = np.empty(chunks.shape[0], dtype=bool)
    block = max(1, _BLOCK_CELLS // len(p))
    for start in range(0, chunks.shape[0], block):
        sums = np.einsum("ij,jk->ik", chunks[start : start + block], powers)
        q = sums * inv
        np.rint(q, out=q)
        q *= p
        out[start : start + block] = (q == sums).any(axis=1)
    return out


def _sieve_survivors(d: np.ndarray) -> np.ndarray:
    """Boolean mask of rows whose number has no prime factor below `_SIEVE_BOUND`.

    Candidates have at least 7 digits, so none of them is itself a sieve prime: no prime is lost.
    """
    chunks = _chunks(d)
    alive = np.arange(d.shape[0])
    lo = 0
    for hi in _SIEVE_STAGES:
        alive = alive[~_divisible_by_any(chunks[alive], lo, hi)]
        lo = hi
    mask = np.zeros(d.shape[0], dtype=bool)
    mask[alive] = True
    return mask


def _small_random_primes(L: int, need: int, rng: np.random.Generator) -> list[str]:
    import sympy  # slow to import; only the tiny spaces need its prime list

    every = [str(p) for p in sympy.primerange(10 ** (L - 1), 10**L)]
    order = rng.permutation(len(every))
    return [every[i] for i in order[:need]]


def random_primes(L: int, need: int, rng: np.random.Generator) -> list[str]:
    """`need` distinct uniformly random primes with exactly L digits, as strings."""
    if L < 1:
        raise DatasetError(f"prime tasks need L >= 1, got {L}")
    if L > 900:
        raise DatasetError(f"prime tasks support at most 900 digits, got L={L}")
    if L <= 6:
        return _small_random_primes(L, need, rng)
    found: list[str] = []
    seen: set[str] = set()
    while len(found) < need:
        d = _digits(rng, 8192, L, _ODD_TAILS)
        for s in _as_ints(d[_sieve_survivors(d)]):
            if s in seen:
                continue
            n = _as_number(s)
            if _fermat_base2(n) and _isprime_large(n):
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
