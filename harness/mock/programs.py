"""Program sources the mock model serves for the hidden-mapping tasks fn_a..fn_l.

`oracle_programs(fn, L)` gives every correct variant, deliberately in different styles (loops,
comprehensions, helpers, top-level imports, a class, regexes, int or str results) so the
harness's loading rules (module-level imports and helpers visible to `f`) are exercised.
`noisy_program(kind, ...)` builds the wrong / broken / slow / hostile ones.

Nothing here is executed by the mock server except the oracle programs, which the mock uses
in-process to recognise which function a prompt's examples come from (trusted code we wrote).
"""

from __future__ import annotations

import random
from collections.abc import Callable

FN_IDS: tuple[str, ...] = tuple(f"fn_{c}" for c in "abcdefghijkl")
DECIMAL_FNS = frozenset({"fn_i", "fn_k"})


# --- MT19937 positions for fn_e / fn_f (the spec's published construction) --------------------


def mt19937(seed: int) -> Callable[[], int]:
    """Raw 32-bit outputs of MT19937 seeded by `init_genrand(seed)` (numpy RandomState(seed))."""
    mt = [0] * 624
    mt[0] = seed & 0xFFFFFFFF
    for i in range(1, 624):
        mt[i] = (1812433253 * (mt[i - 1] ^ (mt[i - 1] >> 30)) + i) & 0xFFFFFFFF
    index = 624

    def next_u32() -> int:
        nonlocal index
        if index >= 624:
            for k in range(624):
                y = (mt[k] & 0x80000000) | (mt[(k + 1) % 624] & 0x7FFFFFFF)
                mt[k] = mt[(k + 397) % 624] ^ (y >> 1) ^ (0x9908B0DF if y & 1 else 0)
            index = 0
        y = mt[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C5680
        y ^= (y << 15) & 0xEFC60000
        y ^= y >> 18
        return y & 0xFFFFFFFF

    return next_u32


def fixed_positions(length: int, k: int) -> list[int]:
    """P3 / P10: the first k entries of a Fisher-Yates-style shuffle of range(L) by MT19937(42)."""
    nxt = mt19937(42)
    r = list(range(length))
    for i in range(length - 1):
        z = nxt() % (length - i)
        r[i], r[i + z] = r[i + z], r[i]
    return r[:k]


# --- oracle variants ---------------------------------------------------------------------------


def oracle_programs(fn: str, length: int) -> list[str]:
    """Every correct program for (fn, L); each defines `f(x)`."""
    if fn not in _ORACLES:
        raise KeyError(f"unknown function id {fn!r}")
    return [src.strip() + "\n" for src in _ORACLES[fn](length)]


def _fn_a(length: int) -> list[str]:
    return [
        "def f(x):\n    return str(x.count('1') % 2)",
        "def f(x):\n    parity = 0\n    for ch in x:\n        if ch == '1':\n"
        "            parity ^= 1\n    return '1' if parity else '0'",
        "from functools import reduce\nimport operator\n\n\ndef f(x):\n"
        "    return reduce(operator.xor, (int(c) for c in x), 0)",
    ]


def _fn_b(length: int) -> list[str]:
    return [
        "def f(x):\n    half = x[: len(x) // 2]\n    return str(half.count('1') % 2)",
        "def first_half(s):\n    return s[: len(s) // 2]\n\n\ndef count_ones(s):\n"
        "    return sum(1 for c in s if c == '1')\n\n\ndef f(x):\n"
        "    return '1' if count_ones(first_half(x)) % 2 == 1 else '0'",
        f"HALF = {length // 2}\n\n\ndef f(x):\n    return sum(map(int, x[:HALF])) & 1",
    ]


def _fn_c(length: int) -> list[str]:
    return [
        "def f(x):\n    return '1' if '10101010' in x else '0'",
        "import re\n\nPATTERN = re.compile('10101010')\n\n\ndef f(x):\n"
        "    return '1' if PATTERN.search(x) else '0'",
        "def f(x):\n    for i in range(len(x) - 7):\n        if x[i:i + 8] == '10101010':\n"
        "            return '1'\n    return '0'",
    ]


def _fn_d(length: int) -> list[str]:
    return [
        "def f(x):\n    return str(int(x.find('00111111') >= 0))",
        "class Matcher:\n    def __init__(self, pattern):\n        self.pattern = pattern\n\n"
        "    def matches(self, s):\n        return self.pattern in s\n\n\n"
        "_M = Matcher('00111111')\n\n\ndef f(x):\n    return '1' if _M.matches(x) else '0'",
        "def f(x):\n    windows = [x[i:i + 8] for i in range(len(x) - 7)]\n"
        "    return '1' if any(w == '00111111' for w in windows) else '0'",
    ]


def _fn_e(length: int) -> list[str]:
    p = fixed_positions(length, 3)
    return [
        f"POSITIONS = {p}\n\n\ndef f(x):\n    acc = 0\n    for i in POSITIONS:\n"
        "        acc ^= int(x[i])\n    return str(acc)",
        f"def f(x):\n    return str((int(x[{p[0]}]) + int(x[{p[1]}]) + int(x[{p[2]}])) % 2)",
    ]


def _fn_f(length: int) -> list[str]:
    p = fixed_positions(length, 10)
    return [
        f"from functools import reduce\n\nPOSITIONS = {p}\n\n\ndef f(x):\n"
        "    return str(reduce(lambda a, i: a ^ (x[i] == '1'), POSITIONS, 0))",
        f"def f(x):\n    bits = [x[i] for i in {sorted(p)}]\n    return str(bits.count('1') % 2)",
    ]


def _fn_g(length: int) -> list[str]:
    return [
        "def f(x):\n    return '1' if x == x[::-1] else '0'",
        "def f(x):\n    i, j = 0, len(x) - 1\n    while i < j:\n        if x[i] != x[j]:\n"
        "            return '0'\n        i += 1\n        j -= 1\n    return '1'",
        "def f(x):\n    return int(all(a == b for a, b in zip(x, reversed(x))))",
    ]


def _fn_h(length: int) -> list[str]:
    return [
        "SYMBOLS = {'00': '(', '01': ')', '10': '[', '11': ']'}\nPAIRS = {')': '(', ']': '['}\n\n\n"
        "def f(x):\n    stack = []\n    for i in range(0, len(x), 2):\n"
        "        s = SYMBOLS[x[i:i + 2]]\n        if s in '([':\n            stack.append(s)\n"
        "        elif not stack or stack.pop() != PAIRS[s]:\n            return '0'\n"
        "    return '1' if not stack else '0'",
        "def decode(x):\n    return [x[i:i + 2] for i in range(0, len(x), 2)]\n\n\n"
        "def balanced(tokens):\n    stack = []\n    for t in tokens:\n"
        "        if t[1] == '0':\n            stack.append(t[0])\n"
        "        elif not stack or stack[-1] != t[0]:\n            return False\n"
        "        else:\n            stack.pop()\n    return not stack\n\n\n"
        "def f(x):\n    return '1' if len(x) % 2 == 0 and balanced(decode(x)) else '0'",
    ]


_MILLER_RABIN = (
    "def is_probable_prime(n):\n    if n < 2:\n        return False\n"
    "    small = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71]\n"
    "    for p in small:\n        if n % p == 0:\n            return n == p\n"
    "    d, s = n - 1, 0\n    while d % 2 == 0:\n        d //= 2\n        s += 1\n"
    "    for a in small:\n        y = pow(a, d, n)\n"
    "        if y in (1, n - 1):\n            continue\n"
    "        for _ in range(s - 1):\n            y = y * y % n\n            if y == n - 1:\n"
    "                break\n        else:\n            return False\n    return True\n"
)


def _fn_i(length: int) -> list[str]:
    return [
        "from sympy import isprime\n\n\ndef f(x):\n    return '1' if isprime(int(x)) else '0'",
        _MILLER_RABIN + "\n\ndef f(x):\n    return str(int(is_probable_prime(int(x))))",
    ]


def _fn_k(length: int) -> list[str]:
    return [
        "import sympy\n\n\ndef f(x):\n    n = int(x)\n    return str(int(bool(sympy.isprime(n))))",
        _MILLER_RABIN + "\n\ndef f(x):\n    n = int(x)\n    if n % 2 == 0 or n % 5 == 0:\n"
        "        return '1' if n in (2, 5) else '0'\n"
        "    return '1' if is_probable_prime(n) else '0'",
    ]


def _fn_j(length: int) -> list[str]:
    return [
        "RULE30 = {'000': 0, '001': 1, '010': 1, '011': 1, '100': 1, '101': 0, '110': 0,"
        " '111': 0}\n\n\ndef f(x):\n    padded = '0' + x + '0'\n"
        "    row = [RULE30[padded[i - 1:i + 2]] for i in range(1, len(padded) - 1)]\n"
        "    return str(sum(row) % 2)",
        "def step(bits):\n    n = len(bits)\n    out = []\n    for i in range(n):\n"
        "        left = bits[i - 1] if i > 0 else 0\n"
        "        right = bits[i + 1] if i < n - 1 else 0\n"
        "        out.append(left ^ (bits[i] | right))\n    return out\n\n\n"
        "def f(x):\n    return str(sum(step([int(c) for c in x])) & 1)",
    ]


def _fn_l(length: int) -> list[str]:
    return [
        "import hashlib\n\n\ndef f(x):\n    digest = hashlib.sha256(x.encode('ascii')).digest()\n"
        "    return str(bin(int.from_bytes(digest, 'big')).count('1') % 2)",
        "from hashlib import sha256\n\n\ndef f(x):\n    ones = 0\n"
        "    for byte in sha256(x.encode()).digest():\n        ones += bin(byte).count('1')\n"
        "    return '1' if ones % 2 else '0'",
    ]


_ORACLES: dict[str, Callable[[int], list[str]]] = {
    "fn_a": _fn_a,
    "fn_b": _fn_b,
    "fn_c": _fn_c,
    "fn_d": _fn_d,
    "fn_e": _fn_e,
    "fn_f": _fn_f,
    "fn_g": _fn_g,
    "fn_h": _fn_h,
    "fn_i": _fn_i,
    "fn_j": _fn_j,
    "fn_k": _fn_k,
    "fn_l": _fn_l,
}


def label_function(fn: str, length: int) -> Callable[[str], str]:
    """The first oracle variant loaded in-process, with its result normalised to '0'/'1'.
    Used only by the mock to recognise tasks (trusted source, never model output)."""
    namespace: dict[str, object] = {}
    exec(compile(oracle_programs(fn, length)[0], f"<oracle {fn}>", "exec"), namespace)  # noqa: S102
    func = namespace["f"]

    def label(x: str) -> str:
        return str(int(func(x)))  # type: ignore[operator]

    return label


# --- noisy programs ----------------------------------------------------------------------------

WRONG_PROGRAMS: tuple[str, ...] = (
    "def f(x):\n    return '0'\n",
    "def f(x):\n    return str(x[len(x) // 2:].count('1') % 2)\n",
    "def f(x):\n    return '1' if x[0] == '1' else '0'\n",
    "def f(x):\n    return str(len(x) % 2)\n",
)

SYNTAX_ERRORS: tuple[str, ...] = (
    "def f(x)\n    return x.count('1') % 2\n",
    "def f(x):\n    return str(x.count('1') % 2\n",
    "def f(x):\nreturn '0'\n",
)

SLOW_PROGRAMS: tuple[str, ...] = (
    "def f(x):\n    while True:\n        pass\n",
    "def f(x):\n    n = 0\n    while n >= 0:\n        n += 1\n    return '0'\n",
    "def f(x):\n    return str(sum(i for i in range(10 ** 12)) % 2)\n",
)

# Served by the noisy/arc policies to test the sandbox. NEVER execute these outside it.
HOSTILE_PROGRAMS: tuple[str, ...] = (
    "import os\n\n\ndef f(x):\n    os.system('echo pwned > /tmp/pwned')\n    return '0'\n",
    "def f(x):\n    with open('/etc/passwd') as fh:\n        return fh.read()[:1]\n",
    "def f(x):\n    sp = __import__('subprocess')\n"
    "    return sp.check_output(['id']).decode()[:1]\n",
    "def f(x):\n    classes = ().__class__.__bases__[0].__subclasses__()\n"
    "    return str(len(classes) % 2)\n",
    "class AlwaysEqual(str):\n    def __eq__(self, other):\n        return True\n\n"
    "    def __hash__(self):\n        return 0\n\n\ndef f(x):\n    return AlwaysEqual('1')\n",
    "def f(x):\n    return '1' * (10 ** 8)\n",
    "def f(x):\n    blob = bytearray(8 * 1024 ** 3)\n    return str(len(blob) % 2)\n",
    "import socket\n\n\ndef f(x):\n    s = socket.create_connection(('example.com', 80), 1)\n"
    "    return str(int(bool(s)))\n",
    "import os\n\n\ndef f(x):\n    while True:\n        os.fork()\n",
)


def lookup_table_program(train: list[tuple[str, str]], rng: random.Random) -> str:
    """A transductive program: memorises the prompt's examples, guesses elsewhere."""
    table = {x: y for x, y in train}
    default = rng.choice(["'0'", "'1'", "str(x.count('1') % 2)"])
    return (
        f"TABLE = {table!r}\n\n\ndef f(x):\n    if x in TABLE:\n"
        f"        return TABLE[x]\n    return {default}\n"
    )
