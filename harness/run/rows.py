"""The rows a run writes, as types: the schema of ``results_attempts.jsonl`` (``harness.rows/1``).

Rows cross every floor (runner, selection, store, report, rerun) as plain dicts, because they
are JSON lines on disk and must read back without a class; these TypedDicts say which keys a
row may hold and what they mean, and ``undeclared_keys`` lets tests hold real rows to them.
Every key is optional (``total=False``): rows written before a key existed still read.

A task family extends ``AttemptRow`` with its own fields (``harness.families.*.rows``).
"""

from __future__ import annotations

from typing import Any, TypedDict, is_typeddict


class RowIdentity(TypedDict, total=False):
    run_id: str
    row_type: str  # "attempt", "best" (per trial) or "summary" (per task)
    is_summary: bool  # best and summary rows: true (they repeat attempt rows' facts)
    task_id: str  # e.g. "fn_a/L20", an ARC puzzle id
    trial: int | None  # None on summary rows
    attempt: int | None


class RunSettings(TypedDict, total=False):
    """The run's settings, the same in every row: a row read alone (a CSV line, a spreadsheet
    filter) still says how it was made, as the seed tools' rows do."""

    model: str
    api_mode: str
    reasoning_effort: str | None
    verbosity: str | None
    policy: str  # the sandbox's language policy
    max_output_tokens: int | None
    tool_choice: str | None
    enable_code_interpreter: bool
    api_base_url: str | None  # as configured, credentials redacted; None: the API's default
    num_trials: int  # trials asked for per task
    pricing_source: str  # "table", "override" (a rate flag) or "unpriced"
    pricing_model: str | None  # the price table's key the model name matched
    input_rate_per_million: float | None  # USD per 1M tokens, as the costs use them
    output_rate_per_million: float | None
    cached_rate_per_million: float | None


class AnswerFields(TypedDict, total=False):
    """One model answer (summed over turns for a conversation; the text is the last turn's)."""

    started_at: float
    prompt: str  # the last user message of the first turn
    sampling: dict[str, float]  # temperature/top_p/top_k/min_p as sent; {}: the API's defaults
    prompt_tokens: int
    completion_tokens: int  # includes reasoning_tokens
    reasoning_tokens: int
    cached_tokens: int
    estimated_cost: float | None  # USD; None when the model has no known price
    duration_ms: float
    api_calls: int  # HTTP calls, retries included
    tool_uses: int  # tool calls the answer reports (e.g. code interpreter runs)
    tool_results_chars: int  # characters of tool output the answer carries back
    api_error: str | None  # "api_error" or "timeout" after the retries
    api_error_detail: str | None
    finish_reason: str | None
    max_tokens_hit: bool
    response_id: str | None
    text: str
    reasoning_text: str


class TurnRecord(TypedDict, total=False):
    """One turn of a multi-turn attempt (``harness.run.turns``) plus the family's
    ``turn_keys`` of the program it produced."""

    turn: int
    messages_added: list[dict[str, str]]
    feedback: str
    text: str | None
    reasoning_text: str | None
    usage: dict[str, int | None]
    estimated_cost: float | None
    duration_ms: float | None
    finish_reason: str | None
    max_tokens_hit: bool | None
    api_error: str | None
    api_error_detail: str | None
    code: str | None
    compile_error: str | None


class ProgramFields(TypedDict, total=False):
    """The program extracted from the answer and what the sandbox made of it."""

    code: str | None
    code_lines: int
    compile_error: str | None  # no_code_found, syntax, restricted, harness_error...
    compile_error_detail: str | None
    errors: dict[str, int]  # per-input error kind -> count
    sandbox_cpu_s: float | None
    sandbox_wall_s: float | None
    eval_ms: float
    transductive: bool  # looks hard-coded (lookup table of train data)
    transductive_reason: str | None


class AttemptRow(RowIdentity, RunSettings, AnswerFields, ProgramFields, total=False):
    """What the runner writes for every attempt, whatever the family."""

    stopped_early: bool
    outcome: str  # one word: the family's ``outcome(row)``
    finished_at: float
    turns: list[TurnRecord]  # multi-turn families only
    turns_used: int


class BestFields(TypedDict, total=False):
    """Added to a copy of a trial's best attempt (``harness.run.selection.best_rows``)."""

    best_attempt: int
    attempts_used: int
    trial_cost: float | None


class BestRow(AttemptRow, BestFields, total=False):
    """A trial's best attempt (``row_type`` "best", ``is_summary`` true)."""


class SummaryRow(RowIdentity, RunSettings, total=False):
    """One per task over its trials (``selection.summary_rows``); every metric ``m`` the
    family summarises adds ``m`` (the mean), ``m_mean`` and ``m_std``."""

    n_trials: int
    n_attempts: int
    errors: dict[str, int]
    outcomes: dict[str, int]
    compile_errors: dict[str, int]
    api_errors: int
    transductive_attempts: int
    stopped_early: int  # trials that stopped early
    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int
    cached_tokens: int
    estimated_cost: float | None
    duration_ms: float


def declared_keys(row_type: type) -> frozenset[str]:
    if not is_typeddict(row_type):
        raise TypeError(f"{row_type!r} is not a TypedDict")
    return row_type.__required_keys__ | row_type.__optional_keys__  # type: ignore[attr-defined]


def undeclared_keys(row: dict[str, Any], row_type: type,
                    metrics: tuple[str, ...] = ()) -> list[str]:  # fmt: skip
    """Keys of ``row`` its type does not declare (``metrics``: the summarised metrics, whose
    ``_mean``/``_std`` keys a summary row holds)."""
    known = declared_keys(row_type) | {f"{m}{s}" for m in metrics for s in ("", "_mean", "_std")}
    return sorted(k for k in row if k not in known)
