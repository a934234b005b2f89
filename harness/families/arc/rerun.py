"""Re-run the programs an ARC run stored, on the same tasks or on other ones (no model call).

Each stored program is treated as one "attempt" on each target task: it runs in the sandbox on
every train and test input, is scored exactly as in ``harness eval arc``, and the programs vote
as attempts do. So ``--dataset arc-agi-2 --subset all_evaluation`` answers "how far do the
programs written for ARC-AGI-1 get on ARC-AGI-2", with the official pass@2 score, and without a
``--dataset`` the run's own tasks are re-scored (e.g. under another policy or time limit).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from harness.errors import UserError
from harness.families.arc.data import DATASETS, find_task
from harness.families.arc.subsets import resolve_subset
from harness.families.arc.task import ENTRY, ArcEvalTask, task_result
from harness.judge.transduction import detect_transduction
from harness.report.rundir import RunData
from harness.run.console import progress_bar
from harness.run.lock import RunLock
from harness.run.manifest import recorded_limits, recorded_policy
from harness.run.store import RunStore
from harness.sandbox.limits import Limits
from harness.untrusted_text import check_run_id, check_task_id, printable


@dataclass
class ArcRerunResult:
    run_dir: Path
    tasks: dict[str, dict[str, Any]]
    programs: int
    runs: int
    exec_s: float

    @property
    def programs_per_s(self) -> float:
        return self.runs / self.exec_s if self.exec_s > 0 else 0.0

    @property
    def score(self) -> float:
        scores = [t.get("score") or 0.0 for t in self.tasks.values()]
        return sum(scores) / len(scores) if scores else 0.0


def select_arc_programs(source: RunData, all_attempts: bool) -> list[dict[str, Any]]:
    """Per source task, the executed attempt with the most train pairs right (earliest on ties),
    or every executed, non-transductive attempt with ``all_attempts``."""
    by_task: dict[str, list[dict[str, Any]]] = {}
    for row in source.attempts:
        if row.get("code") and row.get("executed") and not row.get("transductive"):
            by_task.setdefault(str(row["task_id"]), []).append(row)
    chosen: list[dict[str, Any]] = []
    for rows in by_task.values():
        rows.sort(key=lambda r: (int(r.get("trial") or 1), int(r["attempt"])))
        if all_attempts:
            chosen += rows
        else:
            chosen.append(max(rows, key=lambda r: (float(r.get("train_acc") or 0.0),
                                                   -int(r["attempt"]))))
    if not chosen:
        raise UserError(f"run {source.dir} stores no executed programs to re-run")
    return chosen


def _programs(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for row in rows:
        sha = hashlib.sha256(row["code"].encode()).hexdigest()
        seen.setdefault(sha, {"sha256": sha, "code": row["code"],
                              "source_task": row["task_id"], "source_attempt": row["attempt"]})
    return list(seen.values())


def arc_rerun(source: RunData, *, dataset: str | None, subset: str | None,
              data_dir: Path | None, limit: int | None, all_attempts: bool, out_dir: Path,
              run_id: str | None, backend: str, workers: int | None, argv: Sequence[str],
              runtime: str = "runc", policy: str | None = None,
              progress: bool, console: Console) -> ArcRerunResult:
    """Re-score an ARC run's programs. The source manifest is untrusted: its run id and task
    ids must be plain names, its policy is used only when ``standard`` or stricter (else only
    with ``--policy``), and the new run directory is locked while it is written."""
    from harness.run.resume_trust import check_rerun_policy

    manifest_src = source.manifest
    source_id = check_run_id(source.run_id, f"{source.dir}/manifest.json: run_id")
    run_id = check_run_id(run_id, "--run-id") if run_id is not None else (
        f"{source_id}-rerun-{time.strftime('%Y%m%d-%H%M%S')}")
    arc_opts = manifest_src.get("arc") or {}
    if not isinstance(arc_opts, dict):
        arc_opts = {}
    dataset = dataset or arc_opts.get("dataset") or manifest_src.get("dataset") or "arc-agi-1"
    if dataset not in DATASETS:
        raise UserError(f"{source.dir}/manifest.json names an unknown dataset "
                        f"{printable(dataset)[:80]}; pass --dataset")
    programs = _programs(select_arc_programs(source, all_attempts))
    if subset:
        targets = resolve_subset(dataset, subset, data_dir)
    else:
        ids = manifest_src.get("task_ids") or sorted({p["source_task"] for p in programs})
        if not isinstance(ids, list):
            raise UserError(f"{source.dir}/manifest.json: task_ids is not a list")
        targets = [find_task(dataset, check_task_id(str(task_id)), data_dir)
                   for task_id in ids]
    if limit:
        targets = targets[:limit]
    run_policy = check_rerun_policy(recorded_policy(manifest_src), policy, source.dir)
    try:
        limits = recorded_limits(manifest_src, run_policy)
    except (TypeError, ValueError) as exc:
        raise UserError(f"{source.dir}/manifest.json: bad limits ({exc})") from None
    store = RunStore.create(str(out_dir), run_id)
    with RunLock(store.dir, notice=console.out):  # console.out: no markup applied
        return _arc_rerun_locked(store, source, run_id, dataset, subset, targets, programs,
                                 limits, all_attempts, backend, workers, runtime, argv,
                                 progress, console)


def _arc_rerun_locked(store: RunStore, source: RunData, run_id: str, dataset: str,
                      subset: str | None, targets: list[Any], programs: list[dict[str, Any]],
                      limits: Limits, all_attempts: bool, backend: str, workers: int | None,
                      runtime: str, argv: Sequence[str], progress: bool,
                      console: Console) -> ArcRerunResult:
    from harness.run.resume_trust import redact_argv

    manifest: dict[str, Any] = {
        "run_id": run_id, "task_family": "arc", "kind": "rerun", "status": "running",
        "argv": redact_argv(argv), "created_at": round(time.time(), 3),
        "rerun_of": {"run_dir": str(source.dir.resolve()), "run_id": source.run_id,
                     "selection": "all_attempts" if all_attempts else "best_train"},
        "programs": [{k: p[k] for k in ("sha256", "source_task", "source_attempt")}
                     for p in programs],
        "dataset": dataset, "subset": subset or source.manifest.get("subset"),
        "task_ids": [t.task_id for t in targets], "limits": limits.__dict__,
    }
    store.write_manifest(manifest)
    eval_tasks = {t.task_id: ArcEvalTask(t, dataset=dataset, subset=subset or "") for t in targets}
    rows_by_task: dict[str, list[dict[str, Any]]] = {t: [] for t in eval_tasks}

    from harness.sandbox.backend import make_backend

    with make_backend(backend, workers=workers, limits=limits, runtime=runtime,
                      warn=lambda m: console.print(f"[yellow]WARNING: {m}")) as pool:
        manifest["sandbox"] = pool.describe()

        def run_one(task: ArcEvalTask, index: int, program: dict[str, Any]) -> dict[str, Any]:
            flagged, reason = detect_transduction(program["code"], task.train_outputs)
            if flagged:
                fields = {**task.empty_results(), "transductive": True,
                          "transductive_reason": reason}
            else:
                if task.batch is None:
                    task.batch = pool.batch(task.inputs)
                fields = task.score(pool.run(program["code"], task.batch, ENTRY, limits))
                fields.update(executed=True, transductive=False)
            return {"task_id": task.task_id, "arc_task": task.task_id, "trial": 1,
                    "attempt": index, "code": program["code"],
                    "program_sha256": program["sha256"], "source_task": program["source_task"],
                    **fields}

        jobs = [(task, i + 1, p) for task in eval_tasks.values()
                for i, p in enumerate(programs)]
        for task in eval_tasks.values():  # encode each task's inputs once, before the threads
            task.batch = pool.batch(task.inputs)
        started = time.perf_counter()
        bar = progress_bar("rerun", progress)
        with bar, ThreadPoolExecutor(max_workers=pool.size) as ex:
            tid = bar.add_task("programs", total=len(jobs))
            futures = [ex.submit(run_one, *job) for job in jobs]
            for fut in as_completed(futures):
                row = fut.result()
                store.append_attempt(row)
                rows_by_task[row["task_id"]].append(row)
                bar.advance(tid)
        exec_s = time.perf_counter() - started

    tasks = {tid: task_result(eval_tasks[tid], rows) for tid, rows in rows_by_task.items()}
    summary = {"schema": "harness.arc.rerun_summary/1", "run_id": run_id, "dataset": dataset,
               "rerun_of": manifest["rerun_of"], "programs": len(programs), "tasks": tasks,
               "score": sum(t.get("score") or 0.0 for t in tasks.values()) / max(1, len(tasks))}
    store.write_json(store.dir / "summary.json", summary)  # atomic, never through a link
    manifest.update(status="complete", exec_s=round(exec_s, 3), program_runs=len(jobs),
                    programs_per_s=round(len(jobs) / exec_s, 2) if exec_s else None)
    store.write_manifest(manifest)
    return ArcRerunResult(store.dir, tasks, len(programs), len(jobs), exec_s)
