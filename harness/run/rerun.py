"""Re-running stored programs without a model: what every family's rerun shares.

A family's ``RerunPlan`` says which programs run on which input batches and turns each result
into rows (scored on the host, as in the run that wrote them); ``execute`` does the rest the
same way for every family: a new locked run directory, a manifest written before the first
program runs and again at the end, one input batch per key encoded once, the programs on a
thread pool as wide as the sandbox pool, every row durable as its program returns, a progress
bar with the programs/s rate.

The source run directory is untrusted: its run id must be a plain name (``rerun_id``) and its
recorded policy and limits are used only as ``harness.run.resume_trust`` allows
(``rerun_limits``).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from rich.console import Console

from harness.errors import UserError
from harness.run.console import progress_bar
from harness.run.lock import RunLock
from harness.run.manifest import (
    ARTIFACT_SCHEMAS,
    MANIFEST_SCHEMA,
    recorded_limits,
    recorded_policy,
)
from harness.run.store import RunStore
from harness.sandbox.limits import Limits
from harness.sandbox.results import ProgramResult
from harness.untrusted_text import check_run_id


def program_hash(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


@dataclass
class RerunJob:
    """One program on one input batch. ``run=False``: scored as not executed (a hard-coded
    program the family refuses to run); ``context`` is the family's, handed back to ``rows``."""

    code: str
    batch: Hashable
    context: Any = None
    run: bool = True
    entry: str | None = None  # the function to call (None: the sandbox's default, ``f``)


class RerunPlan(Protocol):
    family: str

    def inputs(self) -> dict[Hashable, list[Any]]: ...  # one batch of program inputs per key

    def jobs(self) -> list[RerunJob]: ...

    def manifest_fields(self) -> dict[str, Any]: ...  # what was selected, from where

    def rows(self, job: RerunJob, result: ProgramResult | None,
             eval_ms: float) -> list[dict[str, Any]]: ...  # fmt: skip

    def finish(self, store: RunStore, rows: list[dict[str, Any]],
               exec_s: float) -> tuple[Any, dict[str, Any]]: ...  # fmt: skip
    # after every job: the family's files; returns its result and the manifest's final keys


@dataclass
class RerunTarget:
    """Where and how a rerun runs: the new run directory and the sandbox settings."""

    out_dir: Path
    run_id: str
    limits: Limits
    backend: str = "docker"
    runtime: str = "runc"
    workers: int | None = None
    argv: Sequence[str] = ()
    progress: bool = True
    console: Console = field(default_factory=Console)
    warn: Callable[[str], None] | None = None


def rerun_id(source_id: Any, run_id: str | None, where: str) -> str:
    """``--run-id``, or ``<source run id>-rerun-<time>``; both checked to be plain names."""
    source_id = check_run_id(source_id, where)
    if run_id is not None:
        return check_run_id(run_id, "--run-id")
    return f"{source_id}-rerun-{time.strftime('%Y%m%d-%H%M%S')}"


def rerun_limits(manifest: dict[str, Any], policy: str | None,
                 source_dir: Path) -> tuple[str, Limits]:  # fmt: skip
    """The policy and limits a rerun uses: the source run's, when it is safe to take them."""
    from harness.run.resume_trust import check_rerun_policy

    run_policy = check_rerun_policy(recorded_policy(manifest), policy, source_dir)
    try:
        return run_policy, recorded_limits(manifest, run_policy)
    except (TypeError, ValueError) as exc:
        raise UserError(f"{source_dir}/manifest.json: bad limits ({exc})") from None


def execute(plan: RerunPlan, target: RerunTarget) -> Any:
    """Run every job of ``plan`` into a new run directory (see the module docstring)."""
    store = RunStore.create(str(target.out_dir), target.run_id)
    with RunLock(store.dir, notice=target.console.out):  # console.out: no markup applied
        return _execute_locked(plan, target, store)


def _execute_locked(plan: RerunPlan, target: RerunTarget, store: RunStore) -> Any:
    from harness.run.resume_trust import redact_argv
    from harness.sandbox.backend import make_backend

    started = time.time()
    manifest: dict[str, Any] = {
        "schema": MANIFEST_SCHEMA, "run_id": target.run_id, "task_family": plan.family,
        "kind": "rerun", "status": "running", "created_at": round(started, 3),
        "argv": redact_argv(list(target.argv)), **plan.manifest_fields(),
        "artifacts": dict(ARTIFACT_SCHEMAS),
    }  # fmt: skip
    store.write_manifest(manifest)
    jobs = plan.jobs()
    store.log("rerun_start", programs=len(jobs), batches=len(plan.inputs()))
    rows: list[dict[str, Any]] = []
    warn = target.warn or (lambda m: target.console.print(f"[yellow]WARNING: {m}"))
    with make_backend(target.backend, workers=target.workers, limits=target.limits,
                      runtime=target.runtime, warn=warn) as pool:
        manifest["sandbox"] = pool.describe()
        batches = {key: pool.batch(inputs) for key, inputs in plan.inputs().items()}

        def run_one(job: RerunJob) -> tuple[RerunJob, ProgramResult | None, float]:
            if not job.run:
                return job, None, 0.0
            t0 = time.perf_counter()
            result = pool.run(job.code, batches[job.batch], job.entry, limits=target.limits)
            return job, result, round((time.perf_counter() - t0) * 1000.0, 1)

        exec_started = time.perf_counter()
        bar = progress_bar("rerun", target.progress, rate=True)
        with bar, ThreadPoolExecutor(max_workers=pool.size) as ex:
            tid = bar.add_task("programs", total=len(jobs), rate="")
            for done, fut in enumerate(as_completed([ex.submit(run_one, j) for j in jobs]), 1):
                for row in plan.rows(*fut.result()):
                    store.append_attempt(row)
                    rows.append(row)
                elapsed = time.perf_counter() - exec_started
                bar.update(tid, advance=1, rate=f"{done / elapsed:.1f} prog/s" if elapsed else "")
        exec_s = time.perf_counter() - exec_started
    outcome, final = plan.finish(store, rows, exec_s)
    executed = sum(1 for j in jobs if j.run)
    manifest.update(status="complete", updated_at=round(time.time(), 3),
                    elapsed_s=round(time.time() - started, 2), exec_s=round(exec_s, 3),
                    programs_per_s=round(executed / exec_s, 2) if exec_s > 0 else None,
                    **final)  # fmt: skip
    store.write_manifest(manifest)
    store.log("rerun_done", programs=executed, exec_s=round(exec_s, 3))
    return outcome
