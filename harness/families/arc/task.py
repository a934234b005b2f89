"""ARC as a runner task family: one `ArcEvalTask` per puzzle, and the per-task aggregation.

An attempt is: prompt -> completion -> `extract_arc_code` -> transduction check (train outputs
only) -> one sandbox batch holding every train input and every test input (never an output) ->
host-side scoring (exact and pixel accuracy). With `max_turns > 1` the runner's `follow_up` hook
continues the conversation: the model sees its results on the TRAIN pairs only (built by
`arc_prompt.feedback_message`, whose inputs hold no test data) and the loop stops as soon as
every train pair is solved. The attempt's answer is the last turn that produced a program.

When the attempts of a task (one run = one runner trial) are all done, `task_result` votes
(weighted majority, train majority, oracle) and `task_log` builds the per-task JSON log.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.families.arc.data import ArcTask
from harness.families.arc.prompt import (
    DEFAULT_VERSION,
    PROMPT_DIR,
    PairOutcome,
    build_messages,
    feedback_message,
)
from harness.judge.extract import extract_arc_code
from harness.judge.scoring import Grid, pixel_accuracy, validate_grid
from harness.judge.transduction import detect_transduction
from harness.judge.voting import AttemptOutcome, vote_task
from harness.models.base import Completion, ModelRequest
from harness.run.selection import sum_known
from harness.sandbox.limits import Limits

if TYPE_CHECKING:
    from harness.sandbox.backend import Backend

ENTRY = "transform"
INVALID_GRID = "not a rectangular list of lists of ints 0-9 (1x1 to 30x30)"
# Row keys holding one program's results (replaced as a whole when a later turn gives a program).
RESULT_KEYS: tuple[str, ...] = (
    "transductive", "transductive_reason", "executed", "fatal", "errors",
    "train_verdicts", "train_predictions", "train_details", "train_correct", "train_pixel",
    "train_solved", "train_acc", "train_pixel_mean", "all_train_correct",
    "test_verdicts", "test_predictions", "test_details", "test_correct", "test_pixel",
    "test_acc", "test_pixel_mean", "sandbox_cpu_s", "sandbox_wall_s",
)  # fmt: skip
USAGE_KEYS = ("prompt_tokens", "completion_tokens", "reasoning_tokens", "cached_tokens")
NO_CODE_FEEDBACK = (
    "Your previous answer contained no ```python block defining `transform`, so nothing was "
    "run. Give the complete program as one ```python block defining `transform`.\n"
)
HARDCODED_FEEDBACK = (
    "Your program was not run: it appears to hard-code training outputs ({reason}). Write a "
    "general rule that computes the output from the input grid, as one ```python block "
    "defining `transform`.\n"
)


@dataclass
class ArcEvalTask:
    """One ARC puzzle, ready to be attempted. Test outputs never leave the host side."""

    task: ArcTask
    prompt_version: str = DEFAULT_VERSION
    prompt_dir: Path = PROMPT_DIR
    transduction_filter: bool = True
    max_turns: int = 1
    dataset: str = ""
    subset: str = ""
    _messages: list[dict[str, str]] | None = field(default=None, repr=False)
    batch: Any = field(default=None, repr=False)  # the sandbox Batch of train + test inputs

    # ------------------------------------------------------------------ AttemptTask protocol
    @property
    def task_id(self) -> str:
        return self.task.task_id

    @property
    def key(self) -> dict[str, Any]:
        return {"arc_task": self.task.task_id}

    @property
    def n_train(self) -> int:
        return len(self.task.train)

    @property
    def n_test(self) -> int:
        return len(self.task.test)

    @property
    def train_outputs(self) -> list[Grid]:
        return [p.output for p in self.task.train if p.output is not None]

    @property
    def inputs(self) -> list[Grid]:
        """What the program receives: every train input, then every test input."""
        return [p.input for p in self.task.train] + [p.input for p in self.task.test]

    def messages(self) -> list[dict[str, str]]:
        if self._messages is None:
            self._messages = build_messages(self.task, self.prompt_version, self.prompt_dir)
        return [dict(m) for m in self._messages]

    def extract(self, completion: Completion) -> str | None:
        return extract_arc_code(completion.text, completion.reasoning_text)

    def row_fields(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "subset": self.subset, "n_train": self.n_train,
                "n_test": self.n_test, "prompt_version": self.prompt_version,
                "transduction_filter": self.transduction_filter}  # fmt: skip

    async def evaluate(self, code: str, pool: Backend, limits: Limits) -> dict[str, Any]:
        """Transduction check, then one sandbox batch over train + test inputs, scored here."""
        flagged, reason = detect_transduction(code, self.train_outputs)
        if flagged and self.transduction_filter:
            return {**self.empty_results(), "transductive": True,
                    "transductive_reason": reason, "executed": False}  # fmt: skip
        if self.batch is None:
            self.batch = pool.batch(self.inputs)
        result = await pool.arun(code, self.batch, entry=ENTRY, limits=limits)
        fields_ = self.score(result)
        fields_.update(transductive=flagged, transductive_reason=reason, executed=True)
        return fields_

    # ------------------------------------------------------------------ scoring
    def empty_results(self) -> dict[str, Any]:
        """Result fields of a program that was not run."""
        nt, ns = self.n_train, self.n_test
        return {"executed": False, "fatal": None, "errors": {},
                "train_verdicts": ["not_run"] * nt, "train_predictions": [None] * nt,
                "train_details": [None] * nt, "train_correct": [False] * nt,
                "train_pixel": [0.0] * nt, "train_solved": 0, "train_acc": 0.0,
                "train_pixel_mean": 0.0, "all_train_correct": False,
                "test_verdicts": ["not_run"] * ns, "test_predictions": [None] * ns,
                "test_details": [None] * ns,
                "test_correct": [False if p.output is not None else None for p in self.task.test],
                "test_pixel": [0.0] * ns, "test_acc": 0.0, "test_pixel_mean": 0.0,
                "transductive": False, "transductive_reason": None}  # fmt: skip

    def score(self, result: Any) -> dict[str, Any]:
        """Sandbox verdicts -> per-grid verdicts ("correct" / "wrong" / error kind), scores."""
        verdicts: list[str] = []
        preds: list[Grid | None] = []
        details: list[str | None] = []
        for v in result.verdicts:
            if v.verdict == "ok":
                grid = validate_grid(v.output)
                if grid is None:
                    verdicts.append("invalid_output")
                    preds.append(None)
                    details.append(INVALID_GRID)
                    continue
                verdicts.append("ok")
                preds.append(grid)
                details.append(None)
            else:
                verdicts.append(v.verdict)
                preds.append(None)
                details.append((v.detail or "")[:500] or None)
        if len(verdicts) != self.n_train + self.n_test:
            raise RuntimeError(f"sandbox returned {len(verdicts)} verdicts for "
                               f"{self.n_train + self.n_test} inputs")  # fmt: skip
        errors = Counter(v for v in verdicts if v != "ok")
        out: dict[str, Any] = {"fatal": result.fatal.verdict if result.fatal else None,
                               "errors": dict(errors),
                               "sandbox_cpu_s": round(float(result.cpu_s), 4),
                               "sandbox_wall_s": round(float(result.wall_s), 4)}  # fmt: skip
        if result.fatal is not None:
            out["compile_error"] = result.fatal.verdict
            out["compile_error_detail"] = (result.fatal.detail or "")[:500] or None
        for part, pairs, offset in (("train", self.task.train, 0),
                                    ("test", self.task.test, self.n_train)):  # fmt: skip
            p_verdicts, p_correct, p_pixel = [], [], []
            for j, pair in enumerate(pairs):
                pred, verdict = preds[offset + j], verdicts[offset + j]
                if pair.output is None:
                    p_correct.append(None)
                    p_pixel.append(None)
                    p_verdicts.append(verdict)
                    continue
                correct = pred is not None and pred == pair.output
                p_correct.append(correct)
                p_pixel.append(round(pixel_accuracy(pred, pair.output), 6) if pred else 0.0)
                p_verdicts.append(("correct" if correct else "wrong") if verdict == "ok"
                                  else verdict)  # fmt: skip
            known = [c for c in p_correct if c is not None]
            pixels = [p for p in p_pixel if p is not None]
            out[f"{part}_verdicts"] = p_verdicts
            out[f"{part}_predictions"] = preds[offset:offset + len(pairs)]
            out[f"{part}_details"] = details[offset:offset + len(pairs)]
            out[f"{part}_correct"] = p_correct
            out[f"{part}_pixel"] = p_pixel
            out[f"{part}_acc"] = sum(known) / len(known) if known else 0.0
            out[f"{part}_pixel_mean"] = round(sum(pixels) / len(pixels), 6) if pixels else 0.0
        out["train_solved"] = sum(1 for c in out["train_correct"] if c)
        out["all_train_correct"] = out["train_solved"] == self.n_train
        return out

    # ------------------------------------------------------------------ multi-turn
    def feedback(self, results: dict[str, Any]) -> str:
        """What the model is told after a turn: TRAIN pairs only (see module docstring)."""
        if results.get("code") is None:
            return NO_CODE_FEEDBACK
        if results.get("transductive") and not results.get("executed", True):
            return HARDCODED_FEEDBACK.format(reason=results.get("transductive_reason"))
        outcomes = [
            PairOutcome(index=i, expected=pair.output,
                        predicted=results["train_predictions"][i],
                        verdict=results["train_verdicts"][i],
                        detail=results["train_details"][i])
            for i, pair in enumerate(self.task.train) if pair.output is not None
        ]  # fmt: skip
        return feedback_message(outcomes, self.prompt_version, self.prompt_dir)

    async def follow_up(self, row: dict[str, Any], request: ModelRequest, client: Any,
                        pool: Backend, limits: Limits,
                        cost: Callable[[Completion], float | None] | None,
                        ) -> dict[str, Any]:  # fmt: skip
        """Turns 2..max_turns (the runner has done turn 1 into `row`); returns row updates."""
        first = _turn_from_row(1, row)
        if self.max_turns <= 1:
            return {"turns": [first], "turns_used": 1}
        turns = [first]
        messages = [dict(m) for m in request.messages]
        current = {**row}
        final: dict[str, Any] | None = None  # the latest turn that produced a program
        totals = {k: int(row.get(k) or 0) for k in USAGE_KEYS}
        costs = [row.get("estimated_cost")]
        duration = float(row.get("duration_ms") or 0.0)
        api_calls = int(row.get("api_calls") or 0)
        last = {"text": row.get("text"), "reasoning_text": row.get("reasoning_text"),
                "finish_reason": row.get("finish_reason"),
                "max_tokens_hit": row.get("max_tokens_hit"),
                "response_id": row.get("response_id")}  # fmt: skip
        for turn in range(2, self.max_turns + 1):
            if current.get("all_train_correct"):
                break
            feedback = self.feedback(current)
            turns[-1]["feedback"] = feedback
            reply = current.get("text") or (
                f"```python\n{current['code']}\n```" if current.get("code") else "(no answer)")
            added = [{"role": "assistant", "content": reply},
                     {"role": "user", "content": feedback}]  # fmt: skip
            messages = messages + added
            completion = await client.complete(dataclasses.replace(request, messages=messages))
            usage = completion.usage
            for k in USAGE_KEYS:
                totals[k] += int(getattr(usage, k) or 0)
            costs.append(cost(completion) if cost else None)
            duration += completion.duration_ms
            api_calls += completion.attempts_made
            record: dict[str, Any] = {
                "turn": turn, "messages_added": added, "text": completion.text,
                "reasoning_text": completion.reasoning_text,
                "usage": {k: getattr(usage, k) for k in USAGE_KEYS},
                "estimated_cost": costs[-1], "duration_ms": round(completion.duration_ms, 1),
                "finish_reason": completion.finish_reason,
                "max_tokens_hit": completion.max_tokens_hit,
                "api_error": completion.error_kind, "code": None,
            }  # fmt: skip
            turns.append(record)
            if completion.error_kind and not completion.text:
                record["api_error_detail"] = completion.error_detail
                break
            last = {"text": completion.text, "reasoning_text": completion.reasoning_text,
                    "finish_reason": completion.finish_reason,
                    "max_tokens_hit": completion.max_tokens_hit,
                    "response_id": completion.response_id}  # fmt: skip
            code = self.extract(completion)
            current = {"text": completion.text, "code": code}
            if code is not None:
                results = await self.evaluate(code, pool, limits)
                results.setdefault("compile_error", None)
                results.setdefault("compile_error_detail", None)
                current.update(results)
                record.update(_turn_results(results), code=code)
                final = {"code": code, "code_lines": len(code.splitlines()), **results}
            else:
                record["compile_error"] = "no_code_found"
        update: dict[str, Any] = {**totals, "turns": turns, "turns_used": len(turns),
                                  "duration_ms": round(duration, 1), "api_calls": api_calls,
                                  "estimated_cost": sum_known(costs, 8), **last}  # fmt: skip
        if final is not None:
            # results of a new program replace the previous turn's as a whole
            update.update({k: None for k in RESULT_KEYS if k in row and k not in final})
            update.update(final)
        return update


# ---------------------------------------------------------------------- turns
def _turn_results(results: dict[str, Any]) -> dict[str, Any]:
    keys = ("transductive", "transductive_reason", "executed", "fatal", "compile_error",
            "train_verdicts", "train_predictions", "train_correct", "train_pixel", "train_solved",
            "all_train_correct", "test_verdicts", "test_predictions", "test_correct",
            "test_acc")  # fmt: skip
    return {k: results.get(k) for k in keys}


def _turn_from_row(turn: int, row: dict[str, Any]) -> dict[str, Any]:
    out = {"turn": turn, "text": row.get("text"), "reasoning_text": row.get("reasoning_text"),
           "usage": {k: row.get(k) for k in USAGE_KEYS},
           "estimated_cost": row.get("estimated_cost"), "duration_ms": row.get("duration_ms"),
           "finish_reason": row.get("finish_reason"), "max_tokens_hit": row.get("max_tokens_hit"),
           "api_error": row.get("api_error"), "code": row.get("code")}  # fmt: skip
    out.update(_turn_results(row))
    if row.get("code") is None and not row.get("api_error"):
        out["compile_error"] = row.get("compile_error")
    return out



# ---------------------------------------------------------------------- outcomes
def attempt_outcome(row: dict[str, Any]) -> str:
    """One word per attempt (the runner's `outcome` column)."""
    if row.get("api_error") and not row.get("code"):
        return "api_timeout" if row["api_error"] == "timeout" else "api_error"
    error = row.get("compile_error")
    if row.get("code") is None:
        return "max_tokens" if row.get("max_tokens_hit") else "no_code"
    if error == "harness_error":
        return "harness_error"
    if row.get("transductive") and not row.get("executed", True):
        return "transductive"
    if row.get("fatal"):
        return str(row["fatal"])
    if any(v not in ("correct", "wrong", "ok") for v in row.get("test_verdicts") or []):
        return "test_error"
    if row.get("all_train_correct"):
        return "train_perfect"
    return "train_partial" if row.get("train_solved") else "train_none"


def attempt_error(row: dict[str, Any]) -> str | None:
    """An attempt-level failure that keeps it out of the vote (None: it may vote)."""
    if row.get("code") is None:
        return str(row.get("api_error") or row.get("compile_error") or "no_code_found")
    if row.get("compile_error") == "harness_error":
        return "harness_error"
    if row.get("fatal"):
        return str(row["fatal"])
    return None


def to_outcome(row: dict[str, Any], n_train: int, n_test: int) -> AttemptOutcome:
    preds = row.get("test_predictions") or [None] * n_test
    return AttemptOutcome(
        attempt_index=int(row["attempt"]),
        has_program=row.get("code") is not None,
        transductive=bool(row.get("transductive")),
        train_correct=[bool(c) for c in (row.get("train_correct") or [False] * n_train)],
        train_pixel=float(row.get("train_pixel_mean") or 0.0),
        test_predictions=[validate_grid(p) if p is not None else None for p in preds],
        error=attempt_error(row),
    )


# ---------------------------------------------------------------------- per-task aggregation
def task_result(task: ArcEvalTask, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Votes and scores of one task over its attempts (one run). Scores are None when the task
    has no shipped test outputs."""
    rows = sorted(rows, key=lambda r: int(r["attempt"]))
    outcomes = [to_outcome(r, task.n_train, task.n_test) for r in rows]
    expected = task.task.test_outputs
    grids = None if any(e is None for e in expected) else list(expected)
    votes = vote_task(outcomes, grids, task.transduction_filter)
    return {
        "task_id": task.task_id,
        "n_train": task.n_train,
        "n_test": task.n_test,
        "attempts": votes.n_attempts,
        "candidates": votes.n_candidates,
        "score": votes.weighted_score, "weighted_score": votes.weighted_score,
        "train_majority_score": votes.train_majority_score,
        "oracle_score": votes.oracle_score,
        "oracle": None if grids is None else bool(votes.attempts_test_correct),
        "all_test_solved": votes.weighted_all_solved,
        "train_majority_all_test_solved": votes.train_majority_all_solved,
        "train_perfect": votes.any_all_train_correct,
        "train_partial": votes.any_train_correct,
        "best_train_acc": votes.best_train_acc,
        "weighted_guesses": votes.weighted_guesses,
        "train_majority_guesses": votes.train_majority_guesses,
        "attempts_test_correct": votes.attempts_test_correct,
        "outcomes": dict(Counter(attempt_outcome(r) for r in rows)),
        "transductive": sum(1 for r in rows if r.get("transductive")),
        "estimated_cost": sum_known((r.get("estimated_cost") for r in rows), 8),
        **{k: sum(int(r.get(k) or 0) for r in rows) for k in USAGE_KEYS},
    }  # fmt: skip


def task_log(task: ArcEvalTask, run: int, rows: Sequence[dict[str, Any]],
             result: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    """The per-task JSON log: the task, the full prompt, every attempt and turn, the votes."""
    attempts = []
    for r in sorted(rows, key=lambda r: int(r["attempt"])):
        entry = {k: v for k, v in r.items() if k not in ("prompt", "run_id", "model",
                                                         "api_mode", "row_type", "is_summary")}
        entry.setdefault("turns", [_turn_from_row(1, r)])
        entry.setdefault("turns_used", 1)
        entry["usage"] = {k: r.get(k) for k in USAGE_KEYS}
        attempts.append(entry)
    return {
        "schema": "harness.arc.task_log/1",
        **meta,
        "run": run,
        "task_id": task.task_id,
        "prompt_version": task.prompt_version,
        "transduction_filter": task.transduction_filter,
        "max_turns": task.max_turns,
        "messages": task.messages(),
        "train": [{"input": p.input, "output": p.output} for p in task.task.train],
        "test": [{"input": p.input, "output": p.output} for p in task.task.test],
        "result": result,
        "attempts": attempts,
    }
