"""Legitimate programs with their exact expected outputs: the corpus every backend must run
correctly (used by the conformance suite, harness.sandbox.self_check, and by the tests).

LEGIT uses every construct the standard policy accepts; each must compile and produce exactly
the expected outputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Case:
    name: str
    source: str
    inputs: list[Any]
    expected: list[Any] | None = None  # legit: exact outputs
    safe: tuple[str, ...] = ()  # hostile: acceptable verdicts
    policy: str = "standard"
    check: Any = None  # hostile: extra predicate on the ProgramResult


BITS = ["0110", "1111", "1000", "0000"]
PARITY = ["0", "0", "1", "0"]
GRID = [[1, 2], [3, 4]]
RING = [[0, 0, 0, 0, 0], [0, 3, 3, 3, 0], [0, 3, 0, 3, 0], [0, 3, 3, 3, 0], [0, 0, 0, 0, 0]]
FILLED_RING = [[4 if (r, c) == (2, 2) else v for c, v in enumerate(row)]
               for r, row in enumerate(RING)]

LEGIT: list[Case] = [
    Case("loop", "def f(x):\n    n = 0\n    for c in x:\n        if c == '1':\n"
         "            n += 1\n    return str(n % 2)\n", BITS, PARITY),
    Case("comprehension", "def f(x):\n    return str(sum([int(c) for c in x]) % 2)\n",
         BITS, PARITY),
    Case("top_level_import_and_helper",
         "import math\nfrom functools import reduce\n\ndef ones(x):\n    return x.count('1')\n\n"
         "def f(x):\n    return str(reduce(lambda a, b: a ^ b, [int(c) for c in x], 0))\n",
         BITS, PARITY),
    Case("dict_item_augassign", "from collections import defaultdict\ndef f(x):\n"
         "    counts = {}\n    for c in x:\n        counts[c] = counts.get(c, 0)\n"
         "        counts[c] += 1\n    d = defaultdict(int)\n    d['1'] += counts.get('1', 0)\n"
         "    return str(d['1'] % 2)\n", BITS, PARITY),
    Case("class_private_attr", "class Counter:\n    def __init__(self):\n        self._n = 0\n"
         "    def add(self, k):\n        self._n += k\n        return self\n"
         "    def __len__(self):\n        return self._n\n"
         "def f(x):\n    c = Counter()\n    for ch in x:\n        c.add(int(ch))\n"
         "    return str(len(c) % 2)\n", BITS, PARITY),
    Case("dataclass_annotations", "from dataclasses import dataclass, field\n@dataclass\n"
         "class Acc:\n    total: int = 0\n    seen: list = field(default_factory=list)\n"
         "def f(x):\n    a: Acc = Acc()\n    for c in x:\n        a.total += int(c)\n"
         "        a.seen.append(c)\n    return str(a.total % 2)\n", BITS, PARITY),
    Case("nonlocal_and_global", "TOTAL = 0\ndef f(x):\n    global TOTAL\n    n = 0\n"
         "    def bump():\n        nonlocal n\n        n += 1\n    for c in x:\n"
         "        if c == '1':\n            bump()\n    TOTAL = n\n    return str(TOTAL % 2)\n",
         BITS, PARITY),
    Case("generator_and_walrus", "def ones(x):\n    for c in x:\n        if c == '1':\n"
         "            yield 1\ndef f(x):\n    if (n := sum(ones(x))) >= 0:\n"
         "        return str(n % 2)\n", BITS, PARITY),
    Case("match_statement", "def f(x):\n    match x.count('1') % 2:\n        case 0:\n"
         "            return '0'\n        case 1:\n            return '1'\n        case _:\n"
         "            return None\n", BITS, PARITY),
    Case("fstring_format_try", "def f(x):\n    try:\n        n = int(x, 2)\n"
         "    except ValueError:\n        return 'bad'\n    finally:\n        pass\n"
         "    s = f'{n:b}'\n    t = '{}'.format(s.count('1') % 2)\n    return t\n",
         BITS, PARITY),
    Case("main_guard_and_print", "def f(x):\n    print('debug', x)\n"
         "    return str(x.count('1') % 2)\n"
         "if __name__ == '__main__':\n    print(f('0101'))\n    raise SystemExit(1)\n",
         BITS, PARITY),
    Case("numpy", "import numpy as np\ndef f(x):\n    a = np.array([int(c) for c in x])\n"
         "    return int(a.sum() % 2)\n", BITS, [0, 0, 1, 0]),
    Case("sympy_isprime", "from sympy import isprime\ndef f(x):\n"
         "    return '1' if isprime(int(x)) else '0'\n", ["7", "8", "97", "91"],
         ["1", "0", "1", "0"]),
    Case("hashlib_sha256", "import hashlib\ndef f(x):\n"
         "    h = hashlib.sha256(x.encode('ascii')).digest()\n"
         "    return str(sum(bin(b).count('1') for b in h) % 2)\n", ["abc"],
         [str(sum(bin(b).count("1") for b in __import__("hashlib").sha256(b"abc").digest())
              % 2)]),
    Case("itertools_re_heapq", "import itertools, re, heapq, bisect\ndef f(x):\n"
         "    groups = [len(list(g)) for k, g in itertools.groupby(x) if k == '1']\n"
         "    heapq.heapify(groups)\n    m = re.findall(r'1', x)\n"
         "    return str(len(m) % 2)\n", BITS, PARITY),
    Case("with_and_lambda_sorted", "class Ctx:\n    def __enter__(self):\n        return 1\n"
         "    def __exit__(self, *a):\n        return False\n"
         "def f(x):\n    with Ctx() as one:\n        key = lambda c: -int(c)\n"
         "        s = sorted(x, key=key)\n    return str(s.count('1') % 2 * one)\n",
         BITS, PARITY),
    Case("star_import_and_builtins", "from math import *\ndef f(x):\n"
         "    vals = list(map(int, x))\n    return str(int(fsum(vals)) % 2) if any(vals) or "
         "all(v == 0 for v in vals) else None\n", BITS, PARITY),
    Case("arc_transform_grid", "def transform(grid: list[list[int]]) -> list[list[int]]:\n"
         "    h, w = len(grid), len(grid[0])\n    return [[grid[h - 1 - r][w - 1 - c] for c in "
         "range(w)] for r in range(h)]\n", [GRID], [[[4, 3], [2, 1]]]),
    Case("code_introspection_dsl", "def apply(fn, *args):\n"
         "    n = fn.__code__.co_argcount\n    return fn(*args[:n])\n"
         "def transform(grid):\n    return apply(lambda g: [row[::-1] for row in g], grid, 0)\n",
         [GRID], [[[2, 1], [4, 3]]]),
    Case("numpy_grid_return", "import numpy as np\ndef transform(grid):\n"
         "    return np.rot90(np.array(grid), 2)\n", [GRID], [[[4, 3], [2, 1]]]),
    Case("tuple_unpack_slices_sets", "def f(x):\n    a, *rest = x\n    s = set(rest) | {a}\n"
         "    first, second = x[:2], x[2:]\n    return str((first + second).count('1') % 2)\n",
         BITS, PARITY),
    Case("only_function_not_named_f", "def solve(x):\n    return str(x.count('1') % 2)\n",
         BITS, PARITY),
    # ARC programs reach for scipy.ndimage (loaded into the warm parent when a program names it)
    Case("scipy_ndimage_label", "import numpy as np\nfrom scipy import ndimage\n"
         "def transform(grid):\n    labels, n = ndimage.label(np.array(grid) > 0)\n"
         "    return [[int(n)]] + labels.tolist()\n", [[[1, 1, 0], [0, 0, 0], [0, 1, 1]]],
         [[[2], [1, 1, 0], [0, 0, 0], [0, 2, 2]]]),
    Case("scipy_binary_fill_holes", "import numpy as np\nimport scipy.ndimage as ndi\n"
         "def transform(grid):\n    g = np.array(grid)\n"
         "    inside = ndi.binary_fill_holes(g > 0) & (g == 0)\n"
         "    return np.where(inside, 4, g).tolist()\n", [RING], [FILLED_RING]),
    Case("operator_lru_cache", "from functools import lru_cache\nfrom operator import itemgetter\n"
         "@lru_cache(maxsize=None)\ndef ones(x):\n    return x.count('1')\n"
         "def f(x):\n    return str(itemgetter(0)([ones(x) % 2]))\n", BITS, PARITY),
]
