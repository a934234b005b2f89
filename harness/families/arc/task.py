"""ARC as a runner task family: one `ArcEvalTask` per puzzle, and the per-task aggregation.

An attempt is: prompt -> completion -> `extract_arc_code` -> transduction check (train outputs
only) -> one sandbox batch holding every train input and every test input (never an output) ->
host-side scoring (exact and pixel accuracy). With `max_turns > 1` the runner continues the
conversation (`harness.run.turns`): the model sees its results on the TRAIN pairs only (built
by `prompt.feedback_message`, whose inputs hold no test data) and the conversation stops as
soon as every train pair is solved. The attempt's answer is the last turn that produced a
program.

When the attempts of a task (one run = one runner trial) are all done, `task_result` votes
(weighted majority, train majority, oracle) and `task_log` builds the per-task JSON log.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
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
from harness.models.base import USAGE_FIELDS, Completion
from harness.run.selection import sum_known
from harness.run.turns import first_turn_record
from harness.sandbox.limits import Limits

if TYPE_CHECKING:
    from harness.sandbox.backend import Backend

ENTRY = "transform"
INVALID_GRID = "not a rectangular list of lists of ints 0-9 (1x1 to 30x30)"
# A program's result fields kept in the record of each turn of a conversation.
TURN_KEYS: tuple[str, ...] = (
    "transductive", "transductive_reason", "executed", "fatal", "compile_error",
    "train_verdicts", "train_predictions", "train_correct", "train_pixel", "train_solved",
    "all_train_correct", "test_verdicts", "test_predictions", "test_correct", "test_acc",
)  # fmt: skip
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
    turn_keys: tuple[str, ...] = TURN_KEYS
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
    def feedback(self, results: dict[str, Any]) -> str | None:
        """What the model is told after a turn: TRAIN pairs only (see module docstring); None
        once every train pair is solved (the conversation stops there)."""
        if results.get("all_train_correct"):
            return None
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
def pixel_ratio(correct: int | None, total: int | None) -> float | None:
    """Matching cells / expected cells, rounded for the summary; None when nothing is scored."""
    return None if correct is None or not total else round(correct / total, 6)


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
        "correct_pixels": votes.correct_pixels, "total_pixels": votes.total_pixels,
        "pixel_accuracy": pixel_ratio(votes.correct_pixels, votes.total_pixels),
        "outcomes": dict(Counter(attempt_outcome(r) for r in rows)),
        "transductive": sum(1 for r in rows if r.get("transductive")),
        "estimated_cost": sum_known((r.get("estimated_cost") for r in rows), 8),
        **{k: sum(int(r.get(k) or 0) for r in rows) for k in USAGE_FIELDS},
    }  # fmt: skip


def task_log(task: ArcEvalTask, run: int, rows: Sequence[dict[str, Any]],
             result: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    """The per-task JSON log: the task, the full prompt, every attempt and turn, the votes."""
    attempts = []
    for r in sorted(rows, key=lambda r: int(r["attempt"])):
        entry = {k: v for k, v in r.items() if k not in ("prompt", "run_id", "model",
                                                         "api_mode", "row_type", "is_summary")}
        entry.setdefault("turns", [first_turn_record(r, TURN_KEYS)])
        entry.setdefault("turns_used", 1)
        entry["usage"] = {k: r.get(k) for k in USAGE_FIELDS}
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
