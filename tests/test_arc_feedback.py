"""Multi-turn feedback of the ARC task family: train pairs only, stop when train is solved.

No program is executed here: the fake pool answers with canned verdicts keyed by the source
text, so these tests need neither Docker nor a model.
"""

from __future__ import annotations

import asyncio
from typing import Any

from harness.families.arc.data import ArcPair, ArcTask
from harness.families.arc.prompt import format_grid
from harness.families.arc.task import ArcEvalTask, attempt_outcome, task_result
from harness.models.base import Completion, ModelRequest, Usage
from harness.run.turns import more_turns
from harness.sandbox.limits import Limits
from harness.sandbox.results import ProgramResult, Verdict

TRAIN = [ArcPair([[1, 2], [3, 4]], [[2, 1], [4, 3]]), ArcPair([[5, 6, 7]], [[7, 6, 5]])]
SECRET = [[9, 9, 8], [8, 9, 9]]  # the test output: must never reach the model
TASK = ArcTask("t1", TRAIN, [ArcPair([[8, 9, 9], [9, 9, 8]], SECRET)])

FLIP_OUT = [[[2, 1], [4, 3]], [[7, 6, 5]], SECRET]
IDENT_OUT = [[[1, 2], [3, 4]], [[5, 6, 7]], [[8, 9, 9], [9, 9, 8]]]


class FakePool:
    """Canned results per source text; records every batch it was given."""

    def __init__(self, results: dict[str, list[Verdict]]) -> None:
        self.results = results
        self.batches: list[Any] = []

    def batch(self, inputs: list) -> list:
        self.batches.append(inputs)
        return inputs

    async def arun(self, source: str, batch: Any, entry: str | None = None,
                   limits: Limits | None = None) -> ProgramResult:  # fmt: skip
        assert entry == "transform"
        verdicts = self.results[source.strip()]
        fatal = verdicts[0] if verdicts[0].verdict == "syntax" else None
        return ProgramResult(list(verdicts), fatal=fatal)


class FakeClient:
    """Answers each request with the next scripted text; records the messages it was sent."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = list(texts)
        self.sent: list[list[dict[str, str]]] = []

    async def complete(self, request: ModelRequest) -> Completion:
        self.sent.append(request.messages)
        return Completion(text=self.texts.pop(0), usage=Usage(prompt_tokens=10,
                                                              completion_tokens=5))


def ok(outputs: list) -> list[Verdict]:
    return [Verdict("ok", o) for o in outputs]


def block(code: str) -> str:
    return f"Here it is.\n```python\n{code}\n```\n"


FLIP = "def transform(grid):\n    return [r[::-1] for r in grid]"
IDENT = "def transform(grid):\n    return grid"
CRASH = "def transform(grid):\n    return grid[9]"
POOL = {
    FLIP: ok(FLIP_OUT),
    IDENT: ok(IDENT_OUT),
    CRASH: [Verdict("exception", None, "IndexError: list index out of range")] * 3,
}


class Row(dict):
    """An attempt row after turn 1, with the fields turn 1's evaluation set (``results``)."""

    results: dict[str, Any]


def first_turn(task: ArcEvalTask, code: str | None, pool: FakePool) -> Row:
    row = Row({"attempt": 1, "text": block(code) if code else "no idea", "code": code,
               "prompt_tokens": 10, "completion_tokens": 5, "estimated_cost": None,
               "duration_ms": 1.0, "api_calls": 1, "compile_error": None})  # fmt: skip
    row.results = {}
    if code is None:
        row["compile_error"] = "no_code_found"
    else:
        row.results = asyncio.run(task.evaluate(code, pool, Limits()))
        row.update(row.results)
    return row


def converse(task: ArcEvalTask, row: Row, client: FakeClient, pool: FakePool) -> dict:
    """The runner's conversation after turn 1 (harness.run.turns), with fakes around it."""
    request = ModelRequest(messages=task.messages(), model="mock", task_id=task.task_id)

    async def evaluate(code: str) -> dict[str, Any]:
        return await task.evaluate(code, pool, Limits())

    update = asyncio.run(more_turns(task, row, row.results, request, client, evaluate, None))
    return {**row, **update}


def test_batch_holds_train_and_test_inputs_never_outputs() -> None:
    pool = FakePool(POOL)
    task = ArcEvalTask(TASK)
    asyncio.run(task.evaluate(FLIP, pool, Limits()))
    assert pool.batches == [[p.input for p in TRAIN] + [TASK.test[0].input]]


def test_feedback_lists_train_results_only() -> None:
    pool = FakePool(POOL)
    task = ArcEvalTask(TASK, max_turns=3)
    row = first_turn(task, IDENT, pool)
    text = task.feedback(row)
    assert "Training examples solved: 0/2" in text
    assert format_grid([[1, 2], [3, 4]]) in text  # its wrong output on train pair 1
    assert format_grid(SECRET) not in text and "9 9 8" not in text
    assert format_grid(IDENT_OUT[2]) not in text  # not even its own test prediction
    crash = task.feedback(first_turn(task, CRASH, pool))
    assert "error (exception)" in crash and "IndexError" in crash
    assert "no ```python block" in task.feedback(first_turn(task, None, pool))


def test_conversation_stops_when_train_solved_and_test_never_leaks() -> None:
    pool = FakePool(POOL)
    task = ArcEvalTask(TASK, max_turns=5)
    client = FakeClient([block(CRASH), block(FLIP), block(IDENT)])
    row = converse(task, first_turn(task, IDENT, pool), client, pool)
    assert row["turns_used"] == 3 and len(client.sent) == 2  # stopped after FLIP (turn 3)
    assert row["code"] == FLIP and row["all_train_correct"] and row["test_correct"] == [True]
    assert row["compile_error"] is None and row["prompt_tokens"] == 30
    assert [t["train_verdicts"] for t in row["turns"]] == [
        ["wrong", "wrong"], ["exception", "exception"], ["correct", "correct"]]
    for messages in client.sent:
        sent = "\n".join(m["content"] for m in messages)
        assert format_grid(SECRET) not in sent and str(SECRET) not in sent
        assert messages[-1]["role"] == "user" and messages[-2]["role"] == "assistant"
    assert "error (exception)" in client.sent[1][-1]["content"]
    assert attempt_outcome(row) == "train_perfect"


def test_no_follow_up_when_first_turn_solves_train_or_single_turn() -> None:
    pool = FakePool(POOL)
    client = FakeClient([])
    row = converse(ArcEvalTask(TASK, max_turns=4), first_turn(ArcEvalTask(TASK), FLIP, pool),
                   client, pool)  # fmt: skip
    assert row["turns_used"] == 1 and client.sent == []
    row = converse(ArcEvalTask(TASK, max_turns=1), first_turn(ArcEvalTask(TASK), IDENT, pool),
                   client, pool)  # fmt: skip
    assert row["turns_used"] == 1 and client.sent == []


def test_last_program_kept_when_a_later_turn_has_no_code_and_turn_cap() -> None:
    pool = FakePool(POOL)
    task = ArcEvalTask(TASK, max_turns=2)
    client = FakeClient(["I give up."])
    row = converse(task, first_turn(task, IDENT, pool), client, pool)
    assert row["turns_used"] == 2 and row["code"] == IDENT
    assert row["turns"][1]["compile_error"] == "no_code_found"


def test_hardcoded_program_is_not_run_and_feedback_says_so() -> None:
    pool = FakePool(POOL)
    task = ArcEvalTask(TASK, max_turns=2)
    hard = "def transform(grid):\n    return [[2, 1], [4, 3]]"
    row = first_turn(task, hard, pool)
    assert row["transductive"] and row["executed"] is False and pool.batches == []
    assert "hard-code" in task.feedback(row)
    off = ArcEvalTask(TASK, transduction_filter=False)
    pool.results[hard] = ok([[[2, 1], [4, 3]]] * 3)
    row = first_turn(off, hard, pool)
    assert row["transductive"] and row["executed"] is True


def test_task_result_votes_ties_and_failures() -> None:
    pool = FakePool(POOL)
    task = ArcEvalTask(TASK)
    rows = []
    for i, code in enumerate([IDENT, CRASH, None, IDENT, FLIP], start=1):
        row = first_turn(task, code, pool)
        row["attempt"] = i
        rows.append(row)
    res = task_result(task, rows)
    assert res["attempts"] == 5 and res["candidates"] == 3
    # FLIP (1 attempt, train 2/2: weight 1001) beats IDENT (2 attempts, weight 1 each)
    assert res["weighted_guesses"] == [[SECRET], [IDENT_OUT[2]]]
    assert res["score"] == 1.0 and res["oracle"] and res["train_perfect"]
    assert res["train_majority_guesses"] == [[SECRET]]
    # a tie between two equally weighted groups goes to the earliest attempt
    tie = [rows[0], rows[4]]
    tie[1] = {**rows[4], "train_correct": [False, False], "attempt": 2}
    res = task_result(task, tie)
    assert res["weighted_guesses"][0] == [IDENT_OUT[2]] and res["score"] == 1.0
