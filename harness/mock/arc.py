"""ARC programs the mock model serves, and a parser for the ARC prompt's grids.

The generic library is "learning-free" (flips, rotations, tilings, a colour swap, cropping,
scaling): the arc policy can try them in-process on the prompt's train pairs (trusted code we
wrote) and prefer one that fits, so demos show some solved tasks. The wrong / broken / hard-coded
/ hostile entries exist to exercise the scorer, the transduction filter and the sandbox.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Grid = list[list[int]]

GENERIC_PROGRAMS: dict[str, str] = {
    "identity": "def transform(grid):\n    return [row[:] for row in grid]\n",
    "flip_horizontal": "def transform(grid):\n    return [list(reversed(row)) for row in grid]\n",
    "flip_vertical": "def transform(grid):\n    return [row[:] for row in grid[::-1]]\n",
    "rotate_90": "def transform(grid):\n    return [list(row) for row in zip(*grid[::-1])]\n",
    "rotate_180": "def transform(grid):\n    return [row[::-1] for row in grid[::-1]]\n",
    "rotate_270": "def transform(grid):\n    return [list(row) for row in zip(*grid)][::-1]\n",
    "transpose": "import numpy as np\n\n\ndef transform(grid):\n"
    "    return np.array(grid).T.tolist()\n",
    "swap_two_most_common": "from collections import Counter\n\n\ndef transform(grid):\n"
    "    counts = Counter(c for row in grid for c in row).most_common(2)\n"
    "    if len(counts) < 2:\n        return [row[:] for row in grid]\n"
    "    a, b = counts[0][0], counts[1][0]\n"
    "    swap = {a: b, b: a}\n    return [[swap.get(c, c) for c in row] for row in grid]\n",
    "tile_2x2": "def transform(grid):\n    rows = [row * 2 for row in grid]\n"
    "    return [r[:] for r in rows + rows]\n",
    "tile_3x3": "def tile(grid, k):\n    wide = [row * k for row in grid]\n"
    "    return [r[:] for _ in range(k) for r in wide]\n\n\n"
    "def transform(grid):\n    return tile(grid, 3)\n",
    "crop_nonzero": "def transform(grid):\n"
    "    cells = [(r, c) for r, row in enumerate(grid) for c, v in enumerate(row) if v]\n"
    "    if not cells:\n        return [row[:] for row in grid]\n"
    "    r0 = min(r for r, _ in cells)\n    r1 = max(r for r, _ in cells)\n"
    "    c0 = min(c for _, c in cells)\n    c1 = max(c for _, c in cells)\n"
    "    return [row[c0:c1 + 1] for row in grid[r0:r1 + 1]]\n",
    "scale_2x": "def transform(grid):\n    out = []\n    for row in grid:\n"
    "        wide = [v for v in row for _ in range(2)]\n        out.append(wide)\n"
    "        out.append(list(wide))\n    return out\n",
}

WRONG_PROGRAMS: tuple[str, ...] = (
    "def transform(grid):\n    return [[0]]\n",
    "def transform(grid):\n    return [[0 for _ in row] for row in grid]\n",
    "def transform(grid):\n    return [row[1:] for row in grid]\n",
)

BROKEN_PROGRAMS: tuple[str, ...] = (
    "def transform(grid)\n    return grid\n",
    "def transform(grid):\n    return grid[len(grid)][0]\n",
    "def transform(grid):\n    return 'not a grid'\n",
)

# Served to test the sandbox. NEVER execute these outside it.
HOSTILE_PROGRAMS: tuple[str, ...] = (
    "import os\n\n\ndef transform(grid):\n    os.system('touch /tmp/pwned')\n    return grid\n",
    "def transform(grid):\n    open('/etc/passwd').read()\n    return grid\n",
    "def transform(grid):\n    __import__('subprocess').run(['id'])\n    return grid\n",
    "def transform(grid):\n    for cls in ().__class__.__bases__[0].__subclasses__():\n"
    "        if cls.__name__ == 'Popen':\n            cls(['id'])\n    return grid\n",
    "class Liar(list):\n    def __eq__(self, other):\n        return True\n\n\n"
    "def transform(grid):\n    return Liar(grid)\n",
    "def transform(grid):\n    while True:\n        pass\n",
    "def transform(grid):\n    return [[1] * 10000 for _ in range(10000)]\n",
)

_GRID_HEADER = re.compile(r"^##\s*(Test\s+)?(Input|Output)\s+(\d+)[^\n]*\n", re.M | re.I)
_ROW = re.compile(r"\[([0-9,\s]*)\]")


def parse_grid(text: str) -> Grid | None:
    """`[[0 7 7] [7 7 7]]` (or with commas) -> list of rows; None when it is not a grid."""
    text = text.strip()
    if not (text.startswith("[[") and "]]" in text):
        return None
    inner = text[1 : text.index("]]") + 1]
    rows = [
        [int(v) for v in re.split(r"[,\s]+", m.group(1).strip()) if v] for m in _ROW.finditer(inner)
    ]
    return rows if rows and all(rows) else None


def parse_arc_prompt(prompt: str) -> tuple[list[tuple[Grid, Grid]], list[Grid]]:
    """(train pairs, test inputs) from the prompt's `## Input i` / `## Output i` sections."""
    inputs: dict[int, Grid] = {}
    outputs: dict[int, Grid] = {}
    tests: list[Grid] = []
    for m in _GRID_HEADER.finditer(prompt):
        grid = parse_grid(prompt[m.end() :].lstrip().split("\n", 1)[0])
        if grid is None:
            continue
        idx = int(m.group(3))
        if m.group(1):
            tests.append(grid)
        elif m.group(2).lower() == "input":
            inputs[idx] = grid
        else:
            outputs[idx] = grid
    pairs = [(inputs[i], outputs[i]) for i in sorted(inputs) if i in outputs]
    return pairs, tests


def fitting_programs(pairs: list[tuple[Grid, Grid]]) -> list[str]:
    """Names of generic programs that reproduce every train pair (run in-process: our code)."""
    if not pairs:
        return []
    names = []
    for name, source in GENERIC_PROGRAMS.items():
        func = _load(source)
        try:
            if all(func(inp) == out for inp, out in pairs):
                names.append(name)
        except Exception:  # noqa: BLE001 - a generic program may not apply to odd grids
            continue
    return names


def hardcoded_program(pairs: list[tuple[Grid, Grid]]) -> str:
    """A transductive program: returns the first train output whatever the input."""
    literal = pairs[0][1] if pairs else [[0, 0], [0, 0]]
    return f"def transform(grid):\n    return {literal!r}\n"


def _load(source: str) -> Callable[[Grid], Grid]:
    namespace: dict[str, object] = {}
    exec(compile(source, "<mock arc library>", "exec"), namespace)  # noqa: S102
    return namespace["transform"]  # type: ignore[return-value]
