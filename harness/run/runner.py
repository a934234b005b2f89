"""The generic attempt loop: tasks x trials x attempts, concurrent, early stop, rows as they happen.

A task family (ERM now, ARC later) provides objects following `AttemptTask`; everything else is
shared: an asyncio semaphore bounds attempts in flight (model call + sandbox run), the trials run
concurrently and the attempts of one trial in order (attempt k+1 only if no earlier attempt
reached the perfect selection score: early stop). Each attempt is
model call -> extract -> sandbox -> score -> row, and the row is made durable by the store before
the next attempt of that trial starts. Retries of API calls live in the model client; an API
failure is a row (`api_error`), never an exception. The best attempt of a trial is chosen by the
selection score (validation, never test); ties go to the earlier attempt.

Resume: rows already in the store are reused; their (task, trial, attempt) are skipped, and so
are trials that already reached the perfect score. With ``retry_errors`` a stored row that ended
in an API error counts as not done: the attempt is made again and its new row, appended later,
wins when the store is read (``harness.run.store.latest_attempts``).
"""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from harness.models.base import Completion, ModelClient, ModelRequest
from harness.run import selection
from harness.run.rows import AttemptRow, BestRow, SummaryRow
from harness.run.store import RunStore
from harness.run.turns import TurnsInterrupted, answer_fields, more_turns
from harness.sandbox.limits import Limits

if TYPE_CHECKING:
    from harness.sandbox.backend import Backend


class AttemptTask(Protocol):
    """What the runner needs from one task (a grid point, an ARC puzzle...)."""

    @property
    def task_id(self) -> str: ...  # e.g. "fn_a/L20"; also the mock model's task header

    @property
    def key(self) -> dict[str, Any]: ...  # identifying fields copied into rows (fn, length)

    def messages(self) -> list[dict[str, str]]: ...

    def extract(self, completion: Completion) -> str | None: ...

    def row_fields(self) -> dict[str, Any]: ...  # dataset facts copied into rows

    async def evaluate(self, code: str, pool: Backend, limits: Limits) -> dict[str, Any]: ...
    # must return at least the selection score key (e.g. "val_acc"); may set "compile_error"

    # Optional: an int `max_turns` with `turn_keys` and `feedback(state)` makes the attempt a
    # conversation (`harness.run.turns.MultiTurnTask`; ARC feedback mode). Its rows then carry
    # `turns` and `turns_used`, unless the first answer already failed (API or harness error).


@dataclass(frozen=True)
class RunnerOptions:
    attempts: int = 5
    num_trials: int = 1
    concurrency: int = 5
    score_key: str = "val_acc"  # selection (and early stop) metric
    perfect_score: float = 1.0
    metrics: tuple[str, ...] = ("val_acc", "test_acc")  # summarised as mean/std over trials
    parallel_attempts: bool = False  # attempts of a trial run concurrently (no early stop)
    retry_errors: bool = False  # resume: stored rows with an api_error are made again
    max_cost: float | None = None  # USD: no new attempt once the rows' estimated_cost reach it


@dataclass
class RunResult:
    attempt_rows: list[AttemptRow]
    best_rows: list[BestRow]
    summary_rows: list[SummaryRow]
    new_attempts: int = 0
    harness_errors: int = 0
    elapsed_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    stop_reason: str | None = None  # "interrupted" (a signal) or "max_cost": the run is partial
    spent: float = 0.0  # USD: summed estimated_cost of the run's rows (resumed ones too)


RequestFactory = Callable[[AttemptTask], ModelRequest]
CostFn = Callable[[Completion], float | None]
OutcomeFn = Callable[[AttemptRow], str]
TrialDoneFn = Callable[[AttemptTask, int, list[AttemptRow]], None]


def _default_outcome(row: AttemptRow) -> str:
    return str(row.get("api_error") or row.get("compile_error") or "ok")


class Runner:
    """One run's loop. Build it, then `await runner.run(tasks)` (or `asyncio.run`)."""

    def __init__(
        self,
        *,
        client: ModelClient,
        pool: Backend,
        store: RunStore,
        make_request: RequestFactory,
        limits: Limits,
        options: RunnerOptions,
        row_base: dict[str, Any] | None = None,
        cost: CostFn | None = None,
        outcome: OutcomeFn = _default_outcome,
        progress: Any = None,
        on_trial_done: TrialDoneFn | None = None,
    ) -> None:
        self.client = client
        self.pool = pool
        self.store = store
        self.make_request = make_request
        self.limits = limits
        self.options = options
        self.row_base = dict(row_base or {})
        self.cost = cost
        self.outcome = outcome
        self.progress = progress  # a rich Progress (or None)
        self.on_trial_done = on_trial_done  # called with (task, trial, rows) as a trial ends
        self._bar: Any = None
        self._rows: dict[tuple[str, int, int], AttemptRow] = {}
        self._new = 0
        self._harness_errors = 0
        self._stop_reason: str | None = None
        self._spent = 0.0
        self._jobs: asyncio.Future[Any] | None = None
        self._running: dict[tuple[str, int, int], str] = {}  # what the bar says is in flight

    def interrupt(self) -> None:
        """Stop now (a signal): no new attempt, and the ones in flight are cancelled (their
        model calls with them); rows already written stay. Call on the loop's thread."""
        self._stop("interrupted")
        if self._jobs is not None:
            self._jobs.cancel()

    def _stop(self, reason: str) -> None:
        if self._stop_reason is None:
            self._stop_reason = reason
            self.store.log("stop_scheduling", reason=reason, spent=round(self._spent, 6))

    def _count_cost(self, row: AttemptRow) -> None:
        cost = row.get("estimated_cost")
        if isinstance(cost, int | float):
            self._spent += float(cost)
        limit = self.options.max_cost
        if limit is not None and self._spent >= limit:
            self._stop("max_cost")

    # ------------------------------------------------------------------ public
    async def run(self, tasks: Sequence[AttemptTask]) -> RunResult:
        started = time.perf_counter()
        opts = self.options
        for row in self.store.attempt_rows():
            if opts.retry_errors and row.get("api_error"):
                continue
            self._rows[(str(row["task_id"]), int(row["trial"]), int(row["attempt"]))] = row
            self._count_cost(row)
        known = {t.task_id for t in tasks}
        total = len(tasks) * opts.num_trials * opts.attempts
        done_before = sum(self._units_done(t.task_id, k) for t in tasks
                          for k in range(1, opts.num_trials + 1))  # fmt: skip
        if self.progress is not None:
            self._bar = self.progress.add_task("attempts", total=total, completed=done_before,
                                               now="", ran=0)  # fmt: skip
        self.store.log("run_start", tasks=len(tasks), trials=opts.num_trials,
                       attempts=opts.attempts, resumed_rows=len(self._rows))  # fmt: skip
        sem = asyncio.Semaphore(opts.concurrency)
        jobs = [self._trial(t, k, sem) for t in tasks for k in range(1, opts.num_trials + 1)]
        self._jobs = asyncio.gather(*jobs)
        try:
            await self._jobs
        except asyncio.CancelledError:
            if self._stop_reason != "interrupted":
                raise
        rows = sorted((r for r in self._rows.values() if r["task_id"] in known),
                      key=_row_order(tasks))  # fmt: skip
        order = [t.task_id for t in tasks]
        keys = {t.task_id: t.key for t in tasks}
        best = selection.best_rows(rows, order, opts.score_key, opts.perfect_score)
        summaries = selection.summary_rows(best, rows, order, opts.metrics, keys.__getitem__)
        return RunResult(rows, best, summaries, self._new, self._harness_errors,
                         time.perf_counter() - started, stop_reason=self._stop_reason,
                         spent=self._spent)  # fmt: skip

    # ------------------------------------------------------------------ internals
    def _trial_rows(self, task_id: str, trial: int) -> list[AttemptRow]:
        return sorted((r for (t, k, _), r in self._rows.items() if t == task_id and k == trial),
                      key=lambda r: int(r["attempt"]))  # fmt: skip

    def _perfect(self, row: AttemptRow) -> bool:
        score = row.get(self.options.score_key)
        return isinstance(score, int | float) and score >= self.options.perfect_score

    def _units_done(self, task_id: str, trial: int) -> int:
        rows = self._trial_rows(task_id, trial)
        if any(self._perfect(r) for r in rows):
            return self.options.attempts
        return len(rows)

    def _advance(self, n: int = 1) -> None:
        if self._bar is not None and n > 0:
            self.progress.advance(self._bar, n)

    async def _trial(self, task: AttemptTask, trial: int, sem: asyncio.Semaphore) -> None:
        attempts = self.options.attempts
        prior = self._trial_rows(task.task_id, trial)
        if any(self._perfect(r) for r in prior):
            self._trial_done(task, trial)
            return
        done = {int(r["attempt"]) for r in prior}
        todo = [a for a in range(1, attempts + 1) if a not in done]
        if not todo:  # finished before a resume: its log already ends with trial_done
            self._trial_done(task, trial)
            return
        if self.options.parallel_attempts:
            async def one(attempt: int) -> None:
                async with sem:
                    row = await self._attempt(task, trial, attempt)
                if row is not None:
                    self._record(task, trial, attempt, row)

            await asyncio.gather(*(one(a) for a in todo))
        else:
            for attempt in todo:
                async with sem:
                    row = await self._attempt(task, trial, attempt)
                if row is None:
                    return  # the run stopped scheduling: the trial is not done
                self._record(task, trial, attempt, row)
                if self._perfect(row):
                    self._advance(sum(1 for a in todo if a > attempt))  # never asked
                    self.store.log("early_stop", task_id=task.task_id, trial=trial,
                                   attempt=attempt)  # fmt: skip
                    break
        self.store.append_trial_event(task.task_id, trial, {"event": "trial_done",
                                                            "task_id": task.task_id,
                                                            "trial": trial})  # fmt: skip
        self._trial_done(task, trial)

    def _record(self, task: AttemptTask, trial: int, attempt: int, row: AttemptRow) -> None:
        self._rows[(task.task_id, trial, attempt)] = row
        self.store.append_attempt(row)
        self._new += 1
        self._count_cost(row)
        self._advance()
        self._show_running()
        self.store.log("attempt", task_id=task.task_id, trial=trial, attempt=attempt,
                       outcome=row.get("outcome"), score=row.get(self.options.score_key),
                       duration_ms=row.get("duration_ms"))  # fmt: skip

    def _trial_done(self, task: AttemptTask, trial: int) -> None:
        if self.on_trial_done is None:
            return
        try:
            self.on_trial_done(task, trial, self._trial_rows(task.task_id, trial))
        except Exception:  # noqa: BLE001 - a reporting fault must not stop the other trials
            self._harness_errors += 1
            self.store.log("harness_error", task_id=task.task_id, trial=trial,
                           where="on_trial_done", traceback=traceback.format_exc())

    async def _attempt(self, task: AttemptTask, trial: int, attempt: int) -> AttemptRow | None:
        """One attempt's row, whatever fails: a fault of the harness itself (the task's
        request, extraction, scoring) becomes the row's ``harness_error``, never lost work.
        None when the run has stopped scheduling (a signal, --max-cost): nothing was asked."""
        if self._stop_reason is not None:
            return None
        key = (task.task_id, trial, attempt)
        self._running[key] = f"{task.task_id} t{trial} a{attempt}"
        self._show_running()
        try:
            return await self._attempt_row(task, trial, attempt)
        finally:
            self._running.pop(key, None)
            self._show_running()

    def _show_running(self) -> None:
        """The bar's second field: the attempts in flight (the first two, then a count)."""
        if self._bar is None:
            return
        now = list(self._running.values())
        text = ", ".join(now[:2]) + (f" +{len(now) - 2}" if len(now) > 2 else "")
        self.progress.update(self._bar, now=text, ran=self._new)

    def _show_turn(self, task_id: str, trial: int, attempt: int, turn: int) -> None:
        self._running[(task_id, trial, attempt)] = f"{task_id} t{trial} a{attempt} turn {turn}"
        self._show_running()

    async def _attempt_row(self, task: AttemptTask, trial: int, attempt: int) -> AttemptRow:
        row = AttemptRow(**self.row_base, row_type="attempt", is_summary=False,
                         task_id=task.task_id, **task.key, trial=trial,
                         attempt=attempt)  # fmt: skip
        await self._guarded(row, trial, attempt, self._answer(task, row))
        # As the seed tools define it: this attempt reached the perfect score, so its trial
        # asks no more, on its last attempt too (nothing is stopped when attempts run at once).
        row["stopped_early"] = self._perfect(row) and not self.options.parallel_attempts
        row["outcome"] = self.outcome(row)
        row["finished_at"] = round(time.time(), 3)
        return row

    async def _answer(self, task: AttemptTask, row: AttemptRow) -> dict[str, Any]:
        """Ask, extract, evaluate, and continue the conversation: fills ``row`` in place."""
        trial, attempt = int(row["trial"] or 0), int(row["attempt"] or 0)
        request = replace(self.make_request(task), trial=trial, attempt=attempt, turn=1,
                          attempts=self.options.attempts)  # the mock's reply key (slots)
        started = time.time()
        row.update(task.row_fields())
        completion = await self.client.complete(request)
        answer = answer_fields(completion, self.cost)  # the row's key order is the artifact's
        row.update(started_at=round(started, 3), prompt=task.messages()[-1]["content"],
                   sampling=request.sampling(), **answer)  # fmt: skip
        row.update(code=None, code_lines=0, compile_error=None, **{self.options.score_key: 0.0})
        for metric in self.options.metrics:
            row.setdefault(metric, 0.0)
        results: dict[str, Any] = {}
        if completion.ok or completion.text:
            code = task.extract(completion)  # a fault here: the whole answer's harness_error
            if code is None:
                row["compile_error"] = "no_code_found"
            else:
                row["code"] = code
                row["code_lines"] = len(code.splitlines())
                t0 = time.perf_counter()
                results = await self._guarded(row, trial, attempt, task.evaluate(
                    code, self.pool, self.limits))  # fmt: skip
                row["eval_ms"] = round((time.perf_counter() - t0) * 1000.0, 1)
        if (isinstance(getattr(task, "max_turns", None), int) and not row.get("api_error")
                and row.get("compile_error") != "harness_error"):  # fmt: skip
            turn = [2]  # the bar names the turn being asked next
            self._show_turn(task.task_id, trial, attempt, turn[0])

            async def evaluate(code: str) -> dict[str, Any]:
                out = await task.evaluate(code, self.pool, self.limits)
                turn[0] += 1
                self._show_turn(task.task_id, trial, attempt, turn[0])
                return out

            await self._guarded(row, trial, attempt, more_turns(
                task, row, results, request, self.client, evaluate, self.cost))  # type: ignore[arg-type]  # fmt: skip
        return {}

    async def _guarded(self, row: AttemptRow, trial: int, attempt: int,
                       step: Awaitable[dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
        """Run a step whose fields update the row; a harness fault becomes the row's
        ``harness_error`` (logged with its traceback) instead of losing the row."""
        try:
            fields = await step
        except Exception as exc:  # noqa: BLE001 - a harness fault must not lose the row
            if isinstance(exc, TurnsInterrupted):
                row.update(exc.update)  # the turns made so far are billed and recorded
                exc = exc.__cause__ if isinstance(exc.__cause__, Exception) else exc
            self._harness_errors += 1
            row["compile_error"] = "harness_error"
            row["compile_error_detail"] = f"{type(exc).__name__}: {exc}"[:500]
            self.store.log("harness_error", task_id=row["task_id"], trial=trial,
                           attempt=attempt, traceback=traceback.format_exc())  # fmt: skip
            return {}
        row.update(fields)
        return fields


# ---------------------------------------------------------------------- selection, summaries
def _row_order(tasks: Sequence[AttemptTask]) -> Callable[[AttemptRow], tuple]:
    order = {t.task_id: i for i, t in enumerate(tasks)}
    return lambda r: (order.get(r["task_id"], 1 << 30), int(r["trial"]), int(r["attempt"]))
