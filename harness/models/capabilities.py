"""What each model accepts, looked up by its name: one table, read by the request plan (what
the harness sends) and by the mock server (what it refuses, as the real API does).

Why a table: OpenAI's APIs answer 400 to a field the model does not take (a reasoning effort
or a verbosity for gpt-4.1-mini, a temperature for o3, an output cap above gpt-4o's ceiling),
and the ARC seed runs non-reasoning and reasoning models alike with no flag. So the request is
fitted to the model instead of the user fitting the flags to it.

Rows are matched in order on the lowercased name without a provider prefix (``openai/gpt-5``
is ``gpt-5``); the first shell-style pattern that matches wins. A name no row matches (an
open-weight model on vLLM, ``google/gemini-2.5-flash`` on OpenRouter) gets ``UNKNOWN``: no
reasoning effort, no verbosity, no ceiling, and the open-weight servers' sampling parameters.
What the plan does with an unknown model on OpenAI's own endpoint is safer still (see
``harness.models.plan``).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

ALL_EFFORTS: tuple[str, ...] = ("minimal", "low", "medium", "high")
O_EFFORTS: tuple[str, ...] = ("low", "medium", "high")


@dataclass(frozen=True)
class ModelCaps:
    """What one model takes. ``known``: an OpenAI model (or the mock) whose API rejects what
    it does not take; ``open_sampling``: takes ``top_k``/``min_p``/``chat_template_kwargs``
    (open-weight servers do, OpenAI's API refuses them as unrecognised)."""

    reasoning: bool  # takes a reasoning effort: reasoning.effort / reasoning_effort
    efforts: tuple[str, ...]  # the efforts it takes (empty when not ``reasoning``)
    verbosity: bool  # takes text.verbosity / verbosity
    sampling: bool  # takes temperature / top_p (OpenAI's reasoning models refuse them)
    max_output_tokens: int | None  # its output-token ceiling; None: unknown, not capped
    known: bool = True
    open_sampling: bool = False


def _openai(ceiling: int, *, efforts: tuple[str, ...] = (), verbosity: bool = False) -> ModelCaps:
    """An OpenAI model: a reasoning model when it has efforts (then it refuses sampling)."""
    return ModelCaps(reasoning=bool(efforts), efforts=efforts, verbosity=verbosity,
                     sampling=not efforts, max_output_tokens=ceiling)  # fmt: skip


MOCK = ModelCaps(reasoning=True, efforts=ALL_EFFORTS, verbosity=True, sampling=True,
                 max_output_tokens=None, open_sampling=True)  # fmt: skip
"""The mock model stands for any model: it takes every field."""

UNKNOWN = ModelCaps(reasoning=False, efforts=(), verbosity=False, sampling=True,
                    max_output_tokens=None, known=False, open_sampling=True)  # fmt: skip

# (pattern, caps), first match wins: specific names before their family.
CAPABILITIES: tuple[tuple[str, ModelCaps], ...] = (
    ("mock*", MOCK),
    ("gpt-5*chat*", _openai(16384)),  # gpt-5-chat-latest: the non-reasoning gpt-5
    ("gpt-5.*", _openai(128000, efforts=O_EFFORTS, verbosity=True)),  # 5.1, 5.2: no "minimal"
    ("gpt-5*", _openai(128000, efforts=ALL_EFFORTS, verbosity=True)),
    ("o1-mini*", ModelCaps(False, (), False, False, 65536)),  # reasoning, but takes no effort
    ("o1-preview*", ModelCaps(False, (), False, False, 32768)),
    ("o1*", _openai(100000, efforts=O_EFFORTS)),
    ("o3*", _openai(100000, efforts=O_EFFORTS)),
    ("o4*", _openai(100000, efforts=O_EFFORTS)),
    ("gpt-4.1*", _openai(32768)),
    ("gpt-4o*", _openai(16384)),
    ("chatgpt-4o*", _openai(16384)),
    ("gpt-4.5*", _openai(16384)),
    ("gpt-4*", _openai(4096)),  # gpt-4, gpt-4-turbo
    ("gpt-3.5*", _openai(4096)),
)


def bare_name(model: str) -> str:
    """``Openai/GPT-5`` -> ``gpt-5``: the name the table matches."""
    return model.strip().lower().rsplit("/", 1)[-1]


def model_caps(model: str) -> ModelCaps:
    """The capabilities of ``model`` (``UNKNOWN`` when no row matches)."""
    name = bare_name(model)
    for pattern, caps in CAPABILITIES:
        if fnmatchcase(name, pattern):
            return caps
    return UNKNOWN
