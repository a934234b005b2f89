"""What one model answer adds to a row, and the conversation after the first answer.

The runner asks once per attempt; a task family that wants more (ARC's feedback mode) declares
``max_turns`` and a ``feedback`` method, and the runner continues the conversation here. Usage,
cost, duration and API calls are counted by the same functions for the first turn and the
later ones, so a multi-turn attempt is billed exactly like a single-turn one, summed.

The family decides only what is specific to it: the message after a turn (or ``None`` to stop,
e.g. when every train pair is solved) and which result fields a turn's record keeps
(``turn_keys``). A later turn's program replaces the earlier program's results as a whole:
fields the earlier evaluation set that the new one does not are cleared, never left stale.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

from harness.models.base import USAGE_FIELDS, Completion, ModelClient, ModelRequest
from harness.run.selection import sum_known

USAGE_KEYS = USAGE_FIELDS
# Counts a multi-turn attempt sums over its turns: the tokens, and the tools the model used.
SUMMED_KEYS: tuple[str, ...] = (*USAGE_KEYS, "tool_uses", "tool_results_chars")
# The answer's own fields; on a multi-turn attempt they describe its last answer.
ANSWER_KEYS: tuple[str, ...] = ("text", "reasoning_text", "finish_reason", "max_tokens_hit",
                                "response_id")  # fmt: skip

CostFn = Callable[[Completion], float | None]
Evaluate = Callable[[str], Awaitable[dict[str, Any]]]


class TurnsInterrupted(Exception):
    """A harness fault in a later turn; ``update`` holds the turns made until then (their
    tokens, cost and records), so the attempt's row still bills and shows them."""

    def __init__(self, update: dict[str, Any]) -> None:
        super().__init__("a later turn failed")
        self.update = update


class MultiTurnTask(Protocol):
    """A task whose attempts may take several turns (``max_turns`` > 1 to use them)."""

    max_turns: int
    turn_keys: Sequence[str]  # result fields kept in each turn's record

    def extract(self, completion: Completion) -> str | None: ...

    def feedback(self, state: dict[str, Any]) -> str | None: ...
    # the next user message after a turn whose answer and results are ``state``; None: stop


def answer_fields(completion: Completion, cost: CostFn | None) -> dict[str, Any]:
    """A completion's contribution to its row: tokens, cost, timing, errors, the answer."""
    usage = completion.usage
    return {
        **{k: getattr(usage, k) for k in USAGE_KEYS},
        "estimated_cost": cost(completion) if cost else None,
        "duration_ms": round(completion.duration_ms, 1),
        "api_calls": completion.attempts_made,
        "tool_uses": completion.tool_uses,
        "tool_results_chars": completion.tool_results_chars,
        "api_error": completion.error_kind,
        "api_error_detail": completion.error_detail,
        "finish_reason": completion.finish_reason,
        "max_tokens_hit": completion.max_tokens_hit,
        "response_id": completion.response_id,
        "text": completion.text,
        "reasoning_text": completion.reasoning_text,
    }


def turn_record(turn: int, answer: Mapping[str, Any], code: str | None,
                added: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """One turn's record from the answer fields it holds (``answer_fields``, or a row):
    the same keys, in the same order, for turn 1 and the later ones."""
    out: dict[str, Any] = {"turn": turn}
    if added is not None:
        out["messages_added"] = added
    out.update({"text": answer.get("text"), "reasoning_text": answer.get("reasoning_text"),
                "usage": {k: answer.get(k) for k in USAGE_KEYS},
                "estimated_cost": answer.get("estimated_cost"),
                "duration_ms": answer.get("duration_ms"),
                "finish_reason": answer.get("finish_reason"),
                "max_tokens_hit": answer.get("max_tokens_hit"),
                "api_error": answer.get("api_error"), "code": code})  # fmt: skip
    return out


def first_turn_record(row: dict[str, Any], turn_keys: Sequence[str]) -> dict[str, Any]:
    """Turn 1 as a turn record, read back from the row that holds it."""
    out = turn_record(1, row, row.get("code"))
    out.update({k: row.get(k) for k in turn_keys})
    if row.get("code") is None and not row.get("api_error"):
        out["compile_error"] = row.get("compile_error")
    return out


def _reply(state: dict[str, Any]) -> str:
    """The assistant message the conversation continues from."""
    if state.get("text"):
        return str(state["text"])
    return f"```python\n{state['code']}\n```" if state.get("code") else "(no answer)"


async def more_turns(task: MultiTurnTask, row: dict[str, Any], first_results: dict[str, Any],
                     request: ModelRequest, client: ModelClient, evaluate: Evaluate,
                     cost: CostFn | None) -> dict[str, Any]:  # fmt: skip
    """Turns 2..max_turns after turn 1 (already in ``row``); returns the row's updates.

    ``first_results`` are the fields turn 1's evaluation set (empty without a program)."""
    turns = [first_turn_record(row, task.turn_keys)]
    if task.max_turns <= 1:
        return {"turns": turns, "turns_used": 1}
    talk = _Conversation(row, turns)
    try:
        await talk.go(task, request, client, evaluate, cost)
    except Exception as exc:
        raise TurnsInterrupted(talk.update(first_results)) from exc
    return talk.update(first_results)


class _Conversation:
    """Turns 2.. of one attempt, and what they add up to so far."""

    def __init__(self, row: dict[str, Any], turns: list[dict[str, Any]]) -> None:
        self.turns = turns
        self.totals = {k: int(row.get(k) or 0) for k in SUMMED_KEYS}
        self.costs = [row.get("estimated_cost")]
        self.duration = float(row.get("duration_ms") or 0.0)
        self.api_calls = int(row.get("api_calls") or 0)
        self.last = {k: row.get(k) for k in ANSWER_KEYS}
        self.state = dict(row)
        self.final: dict[str, Any] | None = None  # the latest turn that produced a program

    async def go(self, task: MultiTurnTask, request: ModelRequest, client: ModelClient,
                 evaluate: Evaluate, cost: CostFn | None) -> None:  # fmt: skip
        messages = [dict(m) for m in request.messages]
        for turn in range(2, task.max_turns + 1):
            feedback = task.feedback(self.state)
            if feedback is None:
                break
            self.turns[-1]["feedback"] = feedback
            added = [{"role": "assistant", "content": _reply(self.state)},
                     {"role": "user", "content": feedback}]  # fmt: skip
            messages = messages + added
            completion = await client.complete(dataclasses.replace(request, messages=messages,
                                                                   turn=turn))
            answer = answer_fields(completion, cost)
            for k in SUMMED_KEYS:
                self.totals[k] += int(answer[k] or 0)
            self.costs.append(answer["estimated_cost"])
            self.duration += completion.duration_ms
            self.api_calls += completion.attempts_made
            record = turn_record(turn, answer, None, added)
            self.turns.append(record)
            if completion.error_kind and not completion.text:
                record["api_error_detail"] = completion.error_detail
                break
            self.last = {k: answer[k] for k in ANSWER_KEYS}
            code = task.extract(completion)
            self.state = {"text": completion.text, "code": code}
            if code is None:
                record["compile_error"] = "no_code_found"
                continue
            results = await evaluate(code)
            results.setdefault("compile_error", None)
            results.setdefault("compile_error_detail", None)
            self.state.update(results)
            record.update({k: results.get(k) for k in task.turn_keys}, code=code)
            self.final = {"code": code, "code_lines": len(code.splitlines()), **results}

    def update(self, first_results: dict[str, Any]) -> dict[str, Any]:
        """The row's updates: usage and tool counts summed over turns, the last answer, the
        latest program."""
        out: dict[str, Any] = {**self.totals, "turns": self.turns, "turns_used": len(self.turns),
                               "duration_ms": round(self.duration, 1),
                               "api_calls": self.api_calls,
                               "estimated_cost": sum_known(self.costs, 8), **self.last}  # fmt: skip
        if self.final is not None:
            out.update({k: None for k in first_results if k not in self.final})
            out.update(self.final)
        return out
