"""Detection of transductive (hard-coded) programs, from the program text and TRAIN data only.

The seed tool compared programs against test ground truth, which leaks the answer into the
filter. Here the functions cannot even receive test outputs: their signatures take train
outputs (ARC) or train inputs (hidden mappings) and nothing else.

Reading of the ARC rule ("a train output grid of more than one cell appears in the code after
normalisation: remove spaces; remove brackets unless a train output is 1x1"):
- a grid is rendered as Python writes it, `[[1, 2], [3, 4]]`;
- whitespace is removed from both code and grid strings. We remove *all* whitespace (spaces,
  tabs, newlines), not only spaces, so a literal spread over several lines is still caught;
- square brackets are removed from both as well, so `[[1,2],[3,4]]`, `np.array([[1,2],[3,4]])`
  and a flat `[1,2,3,4]` all reduce to `1,2,3,4`; but when any train output of the task is
  1x1 the brackets are kept (such tasks have tiny outputs, and without brackets their short
  digit runs would match ordinary code);
- grids of a single cell are never searched for (a lone digit is everywhere in code).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from harness.judge.scoring import Grid

MAX_LINE_LENGTH = 200
LOOKUP_MIN_INPUT_LENGTH = 8
LOOKUP_MIN_FRACTION = 0.5

_WHITESPACE = re.compile(r"\s+")


def _normalise(text: str, strip_brackets: bool) -> str:
    text = _WHITESPACE.sub("", text)
    return text.replace("[", "").replace("]", "") if strip_brackets else text


def _long_line(code: str) -> str | None:
    for number, line in enumerate(code.splitlines(), start=1):
        if len(line) > MAX_LINE_LENGTH:
            return f"line {number} has {len(line)} characters (> {MAX_LINE_LENGTH})"
    return None


def detect_transduction(code: str, train_outputs: Sequence[Grid]) -> tuple[bool, str | None]:
    """(flagged, reason) for an ARC program, judged against the TRAIN outputs only."""
    if reason := _long_line(code):
        return True, reason
    strip_brackets = not any(len(g) == 1 and len(g[0]) == 1 for g in train_outputs)
    norm_code = _normalise(code, strip_brackets)
    for i, grid in enumerate(train_outputs):
        if sum(len(row) for row in grid) <= 1:
            continue
        if _normalise(repr(grid), strip_brackets) in norm_code:
            return True, f"train output {i + 1} is hard-coded in the program"
    return False, None


def detect_lookup_table(
    code: str,
    train_inputs: Sequence[str],
    min_length: int = LOOKUP_MIN_INPUT_LENGTH,
    min_fraction: float = LOOKUP_MIN_FRACTION,
    check_long_lines: bool = True,
) -> tuple[bool, str | None]:
    """(flagged, reason) for a hidden-mapping program that memorises train inputs.

    Only inputs of at least `min_length` characters are considered (short strings such as
    "0101" occur in honest code by chance); the program is a lookup table when at least
    `min_fraction` of those appear literally in it. Long lines are flagged too: a table is
    usually written as one enormous dict literal (`check_long_lines=False` turns that off).
    """
    if check_long_lines and (reason := _long_line(code)):
        return True, reason
    eligible = list(dict.fromkeys(s for s in map(str, train_inputs) if len(s) >= min_length))
    if not eligible:
        return False, None
    hits = sum(1 for s in eligible if s in code)
    if hits / len(eligible) >= min_fraction:
        return True, f"{hits} of {len(eligible)} train inputs appear literally (lookup table)"
    return False, None
