"""Hindsight-relabelled training records from ARC task logs, in the seed's competition format.

A program defines a task of its own: whatever it output on the train inputs *is* the right
answer for that task. So every usable program becomes one flat record holding the task
(``train_input``/``train_output``, ``test_input``/``test_output``), the program (``code``), what
it output (``predicted_train_output``, ``predicted_test_output``), which of those were right
(``correct_train_input``, ``correct_test_input``), and ``task_id``, ``model``, ``generation``
and ``reasoning``. A learner trains on ``predicted_train_output`` as the targets.

Which programs count follows the seed's quality rules: a program must run on at least one train
input (an input whose run failed is dropped from the record), must not return a malformed grid
anywhere (one malformed output rejects the program), and must get at least one train pair wrong
(a program that solves every train pair teaches nothing new: ``keep_train_perfect`` keeps
them). Hard-coded (transductive) programs are dropped, then duplicates within each source task
(the seed's rule: a test-correct program by its code without comments, any other by its outputs
on the train inputs). ``reasoning`` is the model's reasoning, kept only for test-correct
programs, as in the seed.

Unlike the seed, no program is executed: the outputs are those the run's sandbox recorded, and
correctness is recomputed here from them and the log's grids (a log's own verdicts are not
trusted for it).
"""

from __future__ import annotations

import io
import json
import logging
import tokenize
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.families.arc.data import ArcPair, ArcTask
from harness.families.arc.export.balance import assign_splits, balance
from harness.families.arc.export.sources import LogFilter, SourceLog, select_logs
from harness.families.arc.prompt import DEFAULT_VERSION, build_messages
from harness.judge.scoring import Grid, validate_grid
from harness.judge.transduction import detect_transduction
from harness.untrusted_text import printable

logger = logging.getLogger(__name__)

#: Verdicts of an input the program ran on and returned a grid for (or no verdict recorded).
_RAN = (None, "ok", "correct", "wrong")
_MALFORMED = "malformed"


@dataclass(frozen=True)
class ExportOptions:
    """How records are made; the defaults are the seed's."""

    reasoning: bool = True  # keep the reasoning of test-correct programs
    strip: bool = False  # remove comments from the code (the seed's --clean-code)
    dedup: bool = True
    transduction_filter: bool = True
    keep_train_perfect: bool = False  # the seed drops programs that solve every train pair
    balance: bool = True  # 50/50 tasks with / without a correct train example
    val_fraction: float = 0.0  # share of tasks (per difficulty group) in validation; the
    # seed makes no split unless asked (--validation: VALIDATION_FRACTION)
    seed: int = 0  # for balancing and the validation split
    generation: int = 0  # the `generation` field: which self-improvement round this is
    messages: bool = False  # add the harness's chat prompt and completion
    prompt_version: str = DEFAULT_VERSION


@dataclass
class ExportCounts:
    """What happened to every attempt read, for the console and export.json."""

    logs: int = 0
    attempts: int = 0
    programs: int = 0  # usable programs after dedup, before balancing
    kept: int = 0  # records written
    dropped: Counter = field(default_factory=Counter)
    strip_kept_original: int = 0  # comments could not be removed without breaking the code
    balance: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"logs": self.logs, "attempts": self.attempts, "programs": self.programs,
                "kept": self.kept, "dropped": dict(self.dropped),
                "strip_kept_original": self.strip_kept_original,
                "balance": self.balance}  # fmt: skip


def strip_comments(code: str) -> str | None:
    """Code without comments or blank lines (docstrings kept); None when the result no longer
    compiles, so a caller can fall back to the original as the seed does."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
        # rows ending inside a multi-line token (a triple-quoted string): their trailing
        # spaces and blank lines are the string's data, not layout
        inside = {row for t in tokens for row in range(t.start[0], t.end[0])}
        stripped = tokenize.untokenize(t for t in tokens if t.type != tokenize.COMMENT)
        lines = [line if n in inside else line.rstrip()
                 for n, line in enumerate(stripped.splitlines(), start=1)]
        cleaned = "\n".join(line for n, line in enumerate(lines, start=1)
                            if line or n in inside) + "\n"
        compile(cleaned, "<program>", "exec")  # compile only: nothing runs
    except (SyntaxError, tokenize.TokenError, ValueError, RecursionError, MemoryError):
        return None  # a program nested too deep for the compiler teaches nothing either
    return cleaned


def code_key(code: str) -> str:
    """The seed's dedup key for test-correct programs: the code after comment removal (and
    blank lines, trailing spaces), so two copies differing only in comments are one program."""
    cleaned = strip_comments(code)
    if cleaned is None:
        lines = (line.rstrip() for line in code.splitlines())
        return "\n".join(line for line in lines if line)
    return cleaned


def _outcome(verdict: Any, prediction: Any) -> Grid | str | None:
    """One input's result: its grid, None when the program failed on it (the example is
    dropped), or _MALFORMED when it returned something that is not a grid (the program is)."""
    if verdict == "invalid_output":
        return _MALFORMED
    if verdict not in _RAN or prediction is None:
        return None
    grid = validate_grid(prediction)
    return _MALFORMED if grid is None else grid


def _outcomes(attempt: dict[str, Any], split: str, n: int) -> list[Grid | str | None]:
    """Per input of ``split``; lists of the wrong length count as recorded for no input."""
    verdicts = attempt.get(f"{split}_verdicts")
    preds = attempt.get(f"{split}_predictions")
    verdicts = verdicts if isinstance(verdicts, list) and len(verdicts) == n else [None] * n
    preds = preds if isinstance(preds, list) and len(preds) == n else [None] * n
    return [_outcome(v, p) for v, p in zip(verdicts, preds, strict=True)]


@dataclass
class _Program:
    record: dict[str, Any]
    test_correct: bool
    signature: str  # the outputs on every train input (null where it failed): dedup key


#: Why a program is dropped, in words, for ``--debug`` (the keys are export.json's counts).
_WHY = {
    "no_program": "no program in the answer",
    "transductive": "hard-codes a train output",
    "invalid_output": "returned something that is not a grid",
    "no_train_output": "ran on no train input",
    "train_perfect": "solves every train pair (--keep-train-perfect keeps it)",
    "duplicate_code": "same code as an earlier test-correct program of the task",
    "duplicate_outputs": "same train outputs as an earlier program of the task",
}


@dataclass(frozen=True)
class _Drop:
    """A program left out: the reason counted, and what exactly was seen (for --debug)."""

    reason: str
    detail: str | None = None

    def explain(self) -> str:
        why = _WHY.get(self.reason, self.reason)
        return f"{why}: {printable(self.detail)}" if self.detail else why


def _transductive(code: str, attempt: dict[str, Any], train_outputs: list[Grid]) -> str | None:
    """Why the program counts as hard-coding its answers, or None: the run's own flag, or the
    harness's check run again on the code (a log's flag may be missing or wrong)."""
    if attempt.get("transductive") is True:
        return "the run flagged it"
    flagged, why = detect_transduction(code, train_outputs)
    return (why or "flagged") if flagged else None


def _program(src: SourceLog, attempt: dict[str, Any], opts: ExportOptions,
             counts: ExportCounts) -> _Program | _Drop:
    """The record of one attempt, or why it is dropped."""
    code = attempt.get("code")
    if not code:
        return _Drop("no_program")
    train, test = src.log.get("train") or [], src.log.get("test") or []
    train_outputs = [p["output"] for p in train]
    if opts.transduction_filter and (why := _transductive(code, attempt, train_outputs)):
        return _Drop("transductive", why)
    train_res, test_res = _outcomes(attempt, "train", len(train)), _outcomes(
        attempt, "test", len(test))
    if _MALFORMED in train_res or _MALFORMED in test_res:
        return _Drop("invalid_output")
    ran = [i for i, r in enumerate(train_res) if r is not None]
    if not ran:
        return _Drop("no_train_output")
    train_correct = [train_res[i] == train_outputs[i] for i in ran]
    if len(ran) == len(train) and all(train_correct) and not opts.keep_train_perfect:
        return _Drop("train_perfect")
    test_outputs = [p.get("output") for p in test]
    test_correct = [None if out is None else res == out
                    for res, out in zip(test_res, test_outputs, strict=True)]
    solved_test = bool(test) and all(c is True for c in test_correct)
    if opts.strip:
        stripped = strip_comments(code)
        if stripped is None:
            counts.strip_kept_original += 1  # the seed keeps the original when cleaning fails
        else:
            code = stripped
    reasoning = attempt.get("reasoning_text") if opts.reasoning and solved_test else None
    record: dict[str, Any] = {
        "task_id": src.log["task_id"],
        "reasoning": (reasoning or "").strip(),
        "code": code,
        "train_input": [train[i]["input"] for i in ran],
        "train_output": [train_outputs[i] for i in ran],
        "predicted_train_output": [train_res[i] for i in ran],
        "correct_train_input": train_correct,
        "test_input": [p["input"] for p in test],
        "test_output": test_outputs,
        "predicted_test_output": test_res,
        "correct_test_input": test_correct,
        "model": src.model,
        "generation": opts.generation,
        "dataset": src.dataset,
        "subset": src.subset,
        "source_run": src.run.run_id,
        "source_attempt": attempt.get("attempt"),
    }
    if opts.messages:
        record.update(_chat(record, opts.prompt_version))
    return _Program(record, solved_test, json.dumps(train_res, separators=(",", ":")))


def _chat(record: dict[str, Any], prompt_version: str) -> dict[str, Any]:
    """The harness prompt for the relabelled task (the program's outputs as the train outputs,
    test inputs only) and the answer it should get, the reasoning in think tags before it."""
    task = ArcTask(
        task_id=record["task_id"],
        train=[ArcPair(i, o) for i, o in zip(record["train_input"],
                                             record["predicted_train_output"], strict=True)],
        test=[ArcPair(i, None) for i in record["test_input"]])  # fmt: skip
    completion = f"```python\n{record['code'].rstrip()}\n```"
    if record["reasoning"]:
        completion = f"<think>\n{record['reasoning']}\n</think>\n\n{completion}"
    return {"messages": build_messages(task, prompt_version), "completion": completion}


class _Dedup:
    """The seed's dedup, within each source task: test-correct programs by ``code_key``, the
    others by their train outputs (what a learner sees of them); the first one is kept."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str, str]] = set()

    def duplicate(self, prog: _Program) -> str | None:
        task = prog.record["task_id"]
        key = ((task, "code", code_key(prog.record["code"])) if prog.test_correct
               else (task, "outputs", prog.signature))  # fmt: skip
        if key in self.seen:
            return "duplicate_code" if prog.test_correct else "duplicate_outputs"
        self.seen.add(key)
        return None


def export_records(run_dirs: Iterable[Path], opts: ExportOptions | None = None,
                   flt: LogFilter | None = None) -> tuple[list[dict[str, Any]], ExportCounts]:
    """Records (each with its ``split``) from the selected task logs of ``run_dirs``, balanced
    and split; and what was dropped and why."""
    opts = opts or ExportOptions()
    counts = ExportCounts()
    dedup = _Dedup()
    records: list[dict[str, Any]] = []
    for src in select_logs(run_dirs, flt or LogFilter()):
        counts.logs += 1
        for attempt in src.log.get("attempts") or []:
            counts.attempts += 1
            prog = _program(src, attempt, opts, counts)
            if isinstance(prog, _Program) and opts.dedup and (dup := dedup.duplicate(prog)):
                prog = _Drop(dup)
            where = f"{printable(src.path)} attempt {printable(attempt.get('attempt'))}"
            if isinstance(prog, _Drop):
                counts.dropped[prog.reason] += 1
                logger.debug("%s: dropped, %s", where, prog.explain())
                continue
            right = prog.record["correct_train_input"]
            logger.debug("%s: kept (%d of %d train pairs right%s)", where, sum(right),
                         len(right), ", solves the test" if prog.test_correct else "")
            records.append(prog.record)
    counts.programs = len(records)
    if opts.balance:
        records, counts.balance = balance(records, opts.seed)
        if counts.balance["dropped_records"]:
            counts.dropped["balance"] += counts.balance["dropped_records"]
    assign_splits(records, opts.val_fraction, opts.seed)
    counts.kept = len(records)
    return records, counts


def tasks_of(records: Sequence[dict[str, Any]]) -> int:
    """How many source tasks the records come from."""
    return len({r["task_id"] for r in records})
