"""The hidden-mapping family's prompt: one user message, in one of two wordings (versions).

Every version shows the same things: what the inputs are, every train line verbatim in a fenced
block, and the rule to answer with one JSON object ``{"code": ...}``; validation and test lines
are never in it. The versions differ in wording only:

- ``llm_erm`` (the default): the seed tools' prompt, word for word (the LLM-ERM runner; the
  LLM-PV runner's wording for tabular rows). The published LLM-ERM / LLM-PV numbers were
  measured with it, and a model answers what it is asked, so a run meant to be compared with
  them must ask exactly that.
- ``erm_v1``: ours, the wording of runs made before versions existed. It also says what ``x``
  is (the string; for tabular rows the dict the program receives, which the seed's later runner
  came to say too), that ``f`` returns '0' or '1', and that top-level imports and helper
  functions are allowed (a program is a module here).

The version is a run setting (``--prompt-version``; ``harness.run.config`` lists the same
names) and every attempt row records it.
"""

from __future__ import annotations

from collections.abc import Callable

from generators import TARGETS
from harness.errors import UserError

DEFAULT_PROMPT_VERSION = "llm_erm"

ANSWER_RULE = 'You must output ONLY a single JSON object: {"code": "<python function>"}.'
OUR_ANSWER_RULE = (
    f"{ANSWER_RULE} The value is the complete Python source defining f(x); top-level imports "
    "and helper functions are allowed. No other text."
)
_TASK = (
    "and their corresponding scalar binary outputs ('0' or '1'), find a concise Python function "
    "`f(x)` that accurately approximates the underlying relationship. The function should not "
    "be a trainable model, but a direct logical or mathematical representation of the target "
    "function."
)

Train = list[tuple[str, str]]


def _statement(subject: str, note: str = "") -> str:
    """The problem statement both versions share, about ``subject``, plus ``note``."""
    return f"**Problem Statement:**\nGiven {subject} {_TASK}{note}"


def _message(statement: str, train: Train, rule: str, gap: str) -> str:
    """Statement, ``gap``, every train line verbatim in a fenced block, the answer rule."""
    lines = "\n".join(f"{x} -> {y}" for x, y in train)
    return f"{statement}{gap}**Data Examples:**\n```\n{lines}\n```\n\n{rule}"


# ---------------------------------------------------------------------- llm_erm: the seed's
def seed_statement(fn: str, length: int) -> str:
    """The seed tools' problem statement: binary, decimal or tabular wording."""
    kind = TARGETS[fn].kind
    if kind == "tabular":
        return _statement("tabular input data (comma-separated feature:value pairs)")
    word = "decimal" if kind == "decimal" else "binary"
    return _statement(f"a sequence of input vectors ({word}, length {length})")


def seed_prompt(fn: str, length: int, train: Train) -> str:
    return _message(seed_statement(fn, length), train, ANSWER_RULE, "\n")


# ---------------------------------------------------------------------- erm_v1: ours
def problem_statement(fn: str, length: int) -> str:
    """Our problem statement: binary, decimal or tabular wording, and what ``x`` is."""
    kind = TARGETS[fn].kind
    if kind == "decimal":
        what = (
            f"input vectors (decimal digit strings of length {length}, i.e. {length}-digit "
            "numbers without leading zeros)"
        )
        arg = "x is the digit string"
    elif kind == "tabular":
        what = (
            f"input rows (tabular records with {length} features, written as comma-separated "
            "feature:value pairs named x0, x1, ...; numeric values are real numbers and "
            "categorical values are codes such as c0, c1, ...)"
        )
        arg = (
            "x is a dict mapping each feature name (x0, x1, ...) to its value: a float for "
            "numeric features, a str code for categorical ones"
        )
    else:
        what = f"input vectors (binary strings of length {length})"
        arg = "x is the bit string"
    return _statement(f"a sequence of {what}", f" In `f(x)`, {arg}; `f` returns '0' or '1'.")


def our_prompt(fn: str, length: int, train: Train) -> str:
    return _message(problem_statement(fn, length), train, OUR_ANSWER_RULE, "\n\n")


PROMPTS: dict[str, Callable[[str, int, Train], str]] = {
    "llm_erm": seed_prompt,
    "erm_v1": our_prompt,
}
PROMPT_VERSIONS: tuple[str, ...] = tuple(PROMPTS)


def build_prompt(fn: str, length: int, train: Train,
                 version: str = DEFAULT_PROMPT_VERSION) -> str:  # fmt: skip
    """The one user message of a grid point in prompt version ``version``."""
    try:
        make = PROMPTS[version]
    except KeyError:
        raise UserError(f"unknown prompt version '{version}'; available: "
                        f"{', '.join(PROMPT_VERSIONS)}") from None  # fmt: skip
    return make(fn, length, train)
