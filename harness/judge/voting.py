"""Voting over a task's attempts, the official ARC score, and statistics over repeated runs.

Vocabulary:
- an *attempt* is one model response with, possibly, a program and its sandboxed results;
- a *candidate* is an attempt that may vote (see `is_candidate`);
- a *guess* is one complete answer for a task: one predicted grid per test input;
- the official score gives each test output up to 2 guesses; it is solved if either matches.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.judge.scoring import Grid, grid_correct, pixel_counts

MAX_GUESSES = 2
TRAIN_ACCURACY_WEIGHT = 1000.0
Z_95 = 1.96

VoteKey = tuple[tuple[tuple[int, ...], ...], ...]
"""Hashable form of a guess: test outputs -> rows -> cells."""


@dataclass(frozen=True)
class AttemptOutcome:
    """What one attempt produced, as voting needs it.

    train_correct: one bool per train pair. train_pixel: mean pixel accuracy over train pairs
    (reported, not used for votes). test_predictions: one entry per test input, None when the
    program failed on it or returned an invalid grid. error: an attempt-level failure (API error,
    no code, crash on a test input) that disqualifies the attempt from voting; failures on
    single train pairs are expressed by `train_correct` instead.
    """

    attempt_index: int
    has_program: bool
    transductive: bool
    train_correct: list[bool]
    train_pixel: float
    test_predictions: list[Grid | None]
    error: str | None = None

    @property
    def train_accuracy(self) -> float:
        return sum(self.train_correct) / len(self.train_correct) if self.train_correct else 0.0


@dataclass(frozen=True)
class TaskVotes:
    """Voting results of one task. Scores are official task scores in [0, 1], None when the
    task ships no test outputs (nothing to score against)."""

    n_attempts: int
    n_candidates: int
    weighted_guesses: list[list[Grid]]
    train_majority_guesses: list[list[Grid]]
    weighted_score: float | None
    train_majority_score: float | None
    oracle_score: float | None
    any_all_train_correct: bool
    any_train_correct: bool
    best_train_acc: float = 0.0
    attempts_test_correct: int | None = None  # candidates that solve every test output alone
    correct_pixels: int | None = None  # cells of the weighted vote's answer (`answer_pixels`)
    total_pixels: int | None = None

    @property
    def weighted_all_solved(self) -> bool | None:
        return None if self.weighted_score is None else self.weighted_score == 1.0

    @property
    def train_majority_all_solved(self) -> bool | None:
        return None if self.train_majority_score is None else self.train_majority_score == 1.0


@dataclass(frozen=True)
class MetricSummary:
    """Mean, sample std and a normal-approximation 95% interval (1.96 * sd / sqrt(n))."""

    n: int
    mean: float
    std: float
    ci_low: float
    ci_high: float
    values: list[float] = field(default_factory=list)


# --------------------------------------------------------------------------- candidates


def is_candidate(attempt: AttemptOutcome, exclude_transductive: bool = True) -> bool:
    """Produced a program, not flagged (unless the filter is off), ran on every test input.

    An attempt with any failed test prediction does not vote at all: the vote key is the whole
    guess (all test outputs together), and a failure must never become part of a key.
    """
    return (
        attempt.has_program
        and not (exclude_transductive and attempt.transductive)
        and attempt.error is None
        and bool(attempt.test_predictions)
        and all(p is not None for p in attempt.test_predictions)
    )


def vote_key(predictions: Sequence[Grid | None]) -> VoteKey:
    if any(p is None for p in predictions):
        raise ValueError("a failed prediction is never a vote key")
    return tuple(tuple(tuple(row) for row in grid) for grid in predictions if grid is not None)


def _key_to_guess(key: VoteKey) -> list[Grid]:
    return [[list(row) for row in grid] for grid in key]


def _top_groups(
    candidates: Iterable[AttemptOutcome], weight: Callable[[AttemptOutcome], float]
) -> list[list[Grid]]:
    """Group by vote key, rank by total weight desc then earliest attempt, keep the top 2."""
    totals: dict[VoteKey, float] = {}
    first_seen: dict[VoteKey, int] = {}
    for attempt in candidates:
        key = vote_key(attempt.test_predictions)
        totals[key] = totals.get(key, 0.0) + weight(attempt)
        first_seen[key] = min(first_seen.get(key, attempt.attempt_index), attempt.attempt_index)
    ranked = sorted(totals, key=lambda k: (-totals[k], first_seen[k]))
    return [_key_to_guess(k) for k in ranked[:MAX_GUESSES]]


def weighted_majority(
    attempts: Sequence[AttemptOutcome], exclude_transductive: bool = True
) -> list[list[Grid]]:
    """Top 2 guesses, each group weighted by sum of (1 + 1000 x train accuracy)."""
    cands = [a for a in attempts if is_candidate(a, exclude_transductive)]
    return _top_groups(cands, lambda a: 1.0 + TRAIN_ACCURACY_WEIGHT * a.train_accuracy)


def train_majority(
    attempts: Sequence[AttemptOutcome], exclude_transductive: bool = True
) -> list[list[Grid]]:
    """Among candidates with the most train pairs correct, plain majority; top 2 guesses."""
    cands = [a for a in attempts if is_candidate(a, exclude_transductive)]
    if not cands:
        return []
    best = max(sum(a.train_correct) for a in cands)
    return _top_groups((a for a in cands if sum(a.train_correct) == best), lambda a: 1.0)


# --------------------------------------------------------------------------- official score


def _solved_mask(guesses: Sequence[Sequence[Grid | None]], expected: Sequence[Grid]) -> list[bool]:
    solved = [False] * len(expected)
    for guess in guesses:
        if len(guess) != len(expected):
            raise ValueError(f"guess has {len(guess)} test outputs, task has {len(expected)}")
        for j, (pred, exp) in enumerate(zip(guess, expected, strict=True)):
            solved[j] = solved[j] or (pred is not None and grid_correct(pred, exp))
    return solved


def official_task_score(
    guesses: Sequence[Sequence[Grid | None]], expected: Sequence[Grid]
) -> float:
    """Fraction of test outputs matched exactly by either of at most 2 guesses."""
    if len(guesses) > MAX_GUESSES:
        raise ValueError(f"at most {MAX_GUESSES} guesses per task, got {len(guesses)}")
    if not expected:
        raise ValueError("task has no test outputs to score")
    mask = _solved_mask(guesses, expected)
    return sum(mask) / len(mask)


def answer_pixels(guesses: Sequence[Sequence[Grid | None]],
                  expected: Sequence[Grid]) -> tuple[int, int]:  # fmt: skip
    """(matching cells, expected cells) of a task's answer over all its test outputs.

    Per test output the better of the (at most 2) guesses counts, as the official score takes
    either; a guess of another shape matches 0 cells, and an output without a guess keeps its
    cells in the total (the seed counted failed tasks in the total, too)."""
    correct = total = 0
    for j, exp in enumerate(expected):
        counts = [pixel_counts(guess[j], exp) for guess in guesses]
        total += sum(len(row) for row in exp)
        correct += max((matching for matching, _ in counts), default=0)
    return correct, total


def oracle_score(
    attempts: Sequence[AttemptOutcome], expected: Sequence[Grid], exclude_transductive: bool = True
) -> float:
    """Upper bound: fraction of test outputs that some candidate predicted exactly."""
    cands = [a.test_predictions for a in attempts if is_candidate(a, exclude_transductive)]
    if not expected:
        raise ValueError("task has no test outputs to score")
    mask = _solved_mask(cands, expected)
    return sum(mask) / len(mask)


def vote_task(attempts: Sequence[AttemptOutcome], expected: Sequence[Grid] | None,
              exclude_transductive: bool = True) -> TaskVotes:
    """Everything a run's summary needs about one task (``expected``: its test outputs, host
    side; None when the task ships none). Train figures count attempts that produced a program,
    are not excluded as transductive and did not fail as a whole."""
    weighted = weighted_majority(attempts, exclude_transductive)
    by_train = train_majority(attempts, exclude_transductive)
    candidates = [a for a in attempts if is_candidate(a, exclude_transductive)]
    usable = [a for a in attempts if a.has_program and a.error is None
              and not (exclude_transductive and a.transductive)]  # fmt: skip
    scores: dict[str, Any] = {"weighted_score": None, "train_majority_score": None,
                              "oracle_score": None, "attempts_test_correct": None}
    if expected is not None:
        scores.update(
            weighted_score=official_task_score(weighted, expected),
            train_majority_score=official_task_score(by_train, expected),
            oracle_score=oracle_score(attempts, expected, exclude_transductive),
            attempts_test_correct=sum(
                1 for a in candidates
                if official_task_score([a.test_predictions], expected) == 1.0))  # fmt: skip
        scores["correct_pixels"], scores["total_pixels"] = answer_pixels(weighted, expected)
    return TaskVotes(
        n_attempts=len(attempts), n_candidates=len(candidates), weighted_guesses=weighted,
        train_majority_guesses=by_train,
        any_all_train_correct=any(a.train_correct and all(a.train_correct) for a in usable),
        any_train_correct=any(any(a.train_correct) for a in usable),
        best_train_acc=max((a.train_accuracy for a in usable), default=0.0), **scores)


def run_score(task_scores: Mapping[str, float], task_ids: Sequence[str]) -> float:
    """Mean task score over every task of the subset; missing or failed tasks count 0."""
    if not task_ids:
        return 0.0
    return sum(task_scores.get(t, 0.0) for t in task_ids) / len(task_ids)


# --------------------------------------------------------------------------- repeated runs


def summarise(values: Sequence[float]) -> MetricSummary:
    n = len(values)
    if n == 0:
        raise ValueError("no values to summarise")
    mean = statistics.fmean(values)
    std = statistics.stdev(values) if n > 1 else 0.0
    half = Z_95 * std / math.sqrt(n)
    return MetricSummary(n, mean, std, mean - half, mean + half, list(values))


def aggregate_runs(runs: Sequence[Mapping[str, float]]) -> dict[str, MetricSummary]:
    """Per-metric summary over independent runs; a metric absent from a run is skipped there
    (a failed run contributes nothing rather than a fake zero)."""
    names = list(dict.fromkeys(name for run in runs for name in run))
    return {name: summarise([run[name] for run in runs if name in run]) for name in names}
