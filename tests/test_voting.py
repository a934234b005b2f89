"""Voting, official scoring and repeated-run statistics."""

from __future__ import annotations

import math

import pytest

from harness.judge.voting import (
    AttemptOutcome,
    aggregate_runs,
    is_candidate,
    official_task_score,
    oracle_score,
    run_score,
    summarise,
    train_majority,
    vote_key,
    vote_task,
    weighted_majority,
)

A, B, C, D = [[1]], [[2]], [[3]], [[4]]


def att(
    i: int,
    preds: list,
    train: list[bool] | None = None,
    *,
    program: bool = True,
    transductive: bool = False,
    error: str | None = None,
) -> AttemptOutcome:
    train = [False, False] if train is None else train
    return AttemptOutcome(
        attempt_index=i,
        has_program=program,
        transductive=transductive,
        train_correct=train,
        train_pixel=0.0,
        test_predictions=preds,
        error=error,
    )


def test_weighted_majority_weights_train_accuracy() -> None:
    attempts = [
        att(0, [A]),
        att(1, [A]),
        att(2, [A]),  # 3 x weight 1
        att(3, [B], [True, False]),  # 1 + 500
        att(4, [C], [True, True]),  # 1 + 1000
    ]
    assert weighted_majority(attempts) == [[C], [B]]


def test_weighted_ties_break_by_earliest_attempt() -> None:
    attempts = [att(5, [B]), att(2, [C]), att(3, [A]), att(4, [B]), att(1, [A])]
    # A (earliest attempt 1) and B (earliest 4) both weigh 2; C weighs 1
    assert weighted_majority(attempts) == [[A], [B]]
    assert weighted_majority([att(1, [B]), att(0, [C])]) == [[C], [B]]


def test_failures_never_vote() -> None:
    attempts = [
        att(0, [None]),
        att(1, [None]),
        att(2, [None]),
        att(3, [A], program=False),
        att(4, [A], error="api timeout"),
        att(5, [A], transductive=True),
        att(6, [B]),
    ]
    assert weighted_majority(attempts) == [[B]]
    assert train_majority(attempts) == [[B]]
    assert not is_candidate(att(0, []))
    with pytest.raises(ValueError, match="never a vote key"):
        vote_key([A, None])


def test_partial_failure_on_multiple_tests_disqualifies() -> None:
    attempts = [att(0, [A, None]), att(1, [A, None]), att(2, [A, B])]
    assert weighted_majority(attempts) == [[A, B]]


def test_transduction_filter_can_be_disabled() -> None:
    attempts = [att(0, [A], [True, True], transductive=True), att(1, [B])]
    assert weighted_majority(attempts) == [[B]]
    assert weighted_majority(attempts, exclude_transductive=False) == [[A], [B]]


def test_multiple_test_outputs_group_as_one_key() -> None:
    attempts = [att(0, [A, B]), att(1, [A, C]), att(2, [A, C])]
    assert weighted_majority(attempts) == [[A, C], [A, B]]


def test_train_majority() -> None:
    attempts = [
        att(0, [A], [True, False]),
        att(1, [A], [True, False]),
        att(2, [A], [True, False]),
        att(3, [B], [True, True]),
        att(4, [C], [True, True]),
        att(5, [C], [True, True]),
        att(6, [D], [True, True], transductive=True),
    ]
    # only the 2/2-train candidates count: C (2 votes) then B
    assert train_majority(attempts) == [[C], [B]]
    assert train_majority([]) == []
    # if nobody gets any train pair right, the rule still ranks all candidates
    assert train_majority([att(0, [A]), att(1, [B]), att(2, [B])]) == [[B], [A]]


def test_official_score_fractional() -> None:
    expected = [A, B, C]
    assert official_task_score([[A, D, D], [D, B, D]], expected) == pytest.approx(2 / 3)
    assert official_task_score([[A, B, C]], expected) == 1.0
    assert official_task_score([], expected) == 0.0
    assert official_task_score([[None, B, None]], expected) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="at most 2"):
        official_task_score([[A, B, C]] * 3, expected)
    with pytest.raises(ValueError, match="test outputs"):
        official_task_score([[A]], expected)


def test_vote_task_and_oracle() -> None:
    expected = [A, B]
    attempts = [
        att(0, [A, C], [True, True]),
        att(1, [D, B], [False, True]),
        att(2, [D, D]),
        att(3, [D, D]),
        att(4, [A, B], [False, False], transductive=True),
        att(5, [None, None], error="crash"),
    ]
    votes = vote_task(attempts, expected)
    assert votes.n_attempts == 6 and votes.n_candidates == 4
    assert votes.weighted_guesses == [[A, C], [D, B]]
    assert votes.weighted_score == 1.0 and votes.weighted_all_solved
    assert votes.train_majority_guesses == [[A, C]]
    assert votes.train_majority_score == 0.5 and not votes.train_majority_all_solved
    assert votes.oracle_score == 1.0
    assert votes.any_all_train_correct and votes.any_train_correct
    assert oracle_score(attempts[2:], expected) == 0.0
    assert oracle_score(attempts[2:], expected, exclude_transductive=False) == 1.0


def test_vote_task_without_candidates() -> None:
    votes = vote_task([att(0, [None]), att(1, [A], program=False)], [A])
    assert votes.n_candidates == 0
    assert votes.weighted_guesses == [] and votes.weighted_score == 0.0
    assert votes.oracle_score == 0.0
    assert not votes.any_all_train_correct and not votes.any_train_correct


def test_run_score_counts_missing_as_zero() -> None:
    assert run_score({"a": 1.0, "b": 0.5}, ["a", "b", "c", "d"]) == pytest.approx(0.375)
    assert run_score({}, []) == 0.0


def test_summarise_and_aggregate() -> None:
    s = summarise([0.3, 0.2, 0.4])
    assert s.mean == pytest.approx(0.3)
    assert s.std == pytest.approx(0.1)
    half = 1.96 * 0.1 / math.sqrt(3)
    assert (s.ci_low, s.ci_high) == (pytest.approx(0.3 - half), pytest.approx(0.3 + half))
    one = summarise([0.7])
    assert one.std == 0.0 and one.ci_low == one.ci_high == 0.7
    agg = aggregate_runs([{"weighted": 0.5, "oracle": 1.0}, {"weighted": 0.7}])
    assert agg["weighted"].n == 2 and agg["weighted"].mean == pytest.approx(0.6)
    assert agg["oracle"].n == 1
    with pytest.raises(ValueError):
        summarise([])
