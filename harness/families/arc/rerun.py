"""Re-run the programs an ARC run stored, on the same tasks or on other ones (no model call).

Each stored program is treated as one "attempt" on each target task: it runs in the sandbox on
every train and test input, is scored exactly as in ``harness eval arc``, and the programs vote
as attempts do. So ``--dataset arc-agi-2 --subset all_evaluation`` answers "how far do the
programs written for ARC-AGI-1 get on ARC-AGI-2", with the official pass@2 score, and without a
``--dataset`` the run's own tasks are re-scored (e.g. under another policy or time limit).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from harness.errors import UserError
from harness.families.arc.data import DATASETS, DEFAULT_DATASET, ArcTask, find_task
from harness.families.arc.subsets import resolve_subset
from harness.families.arc.task import ENTRY, ArcEvalTask, task_result
from harness.judge.transduction import detect_transduction
from harness.report.rundir import RunData
from harness.run.rerun import RerunJob, RerunTarget, execute, program_hash, rerun_id, rerun_limits
from harness.run.store import RunStore
from harness.sandbox.limits import Limits
from harness.sandbox.results import ProgramResult
from harness.untrusted_text import check_task_id, printable


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
        sha = program_hash(row["code"])
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
    manifest_src = source.manifest
    run_id = rerun_id(source.run_id, run_id, f"{source.dir}/manifest.json: run_id")
    arc_opts = manifest_src.get("arc") or {}
    if not isinstance(arc_opts, dict):
        arc_opts = {}
    dataset = dataset or arc_opts.get("dataset") or manifest_src.get("dataset") or DEFAULT_DATASET
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
    _, limits = rerun_limits(manifest_src, policy, source.dir)
    plan = ArcRerunPlan(source, dataset, subset, targets, programs, limits, all_attempts)
    target = RerunTarget(out_dir=Path(out_dir), run_id=run_id, limits=limits, backend=backend,
                         runtime=runtime, workers=workers, argv=argv, progress=progress,
                         console=console)  # fmt: skip
    return execute(plan, target)


@dataclass
class ArcRerunPlan:
    """Every stored program as one attempt on every target task; hard-coded ones not run."""

    source: RunData
    dataset: str
    subset: str | None
    targets: list[ArcTask]
    programs: list[dict[str, Any]]
    limits: Limits
    all_attempts: bool
    family: str = "arc"
    tasks: dict[str, ArcEvalTask] = field(init=False)

    def __post_init__(self) -> None:
        self.tasks = {t.task_id: ArcEvalTask(t, dataset=self.dataset, subset=self.subset or "")
                      for t in self.targets}  # fmt: skip

    def inputs(self) -> dict[Hashable, list[Any]]:
        return {task_id: task.inputs for task_id, task in self.tasks.items()}

    def jobs(self) -> list[RerunJob]:
        jobs = []
        for task in self.tasks.values():
            for i, program in enumerate(self.programs):
                flagged, reason = detect_transduction(program["code"], task.train_outputs)
                jobs.append(RerunJob(program["code"], task.task_id, entry=ENTRY, run=not flagged,
                                     context=(i + 1, program, reason)))  # fmt: skip
        return jobs

    def manifest_fields(self) -> dict[str, Any]:
        return {
            "rerun_of": {"run_dir": str(self.source.dir.resolve()), "run_id": self.source.run_id,
                         "selection": "all_attempts" if self.all_attempts else "best_train"},
            "programs": [{k: p[k] for k in ("sha256", "source_task", "source_attempt")}
                         for p in self.programs],
            "dataset": self.dataset, "subset": self.subset or self.source.manifest.get("subset"),
            "task_ids": [t.task_id for t in self.targets],
            "limits": dataclasses.asdict(self.limits),
        }  # fmt: skip

    def rows(self, job: RerunJob, result: ProgramResult | None,
             eval_ms: float) -> list[dict[str, Any]]:  # fmt: skip
        index, program, reason = job.context
        task = self.tasks[str(job.batch)]
        if result is None:
            fields = {**task.empty_results(), "transductive": True, "transductive_reason": reason}
        else:
            fields = task.score(result)
            fields.update(executed=True, transductive=False)
        return [{"task_id": task.task_id, "arc_task": task.task_id, "trial": 1, "attempt": index,
                 "code": program["code"], "program_sha256": program["sha256"],
                 "source_task": program["source_task"], **fields}]  # fmt: skip

    def finish(self, store: RunStore, rows: list[dict[str, Any]],
               exec_s: float) -> tuple[ArcRerunResult, dict[str, Any]]:  # fmt: skip
        """Per task, the programs vote as attempts do; summary.json."""
        by_task: dict[str, list[dict[str, Any]]] = {t: [] for t in self.tasks}
        for row in rows:
            by_task[row["task_id"]].append(row)
        tasks = {tid: task_result(self.tasks[tid], task_rows) for tid, task_rows in by_task.items()}
        runs = len(self.tasks) * len(self.programs)
        summary = {"schema": "harness.arc.rerun_summary/1", "run_id": store.dir.name,
                   "dataset": self.dataset, "rerun_of": self.manifest_fields()["rerun_of"],
                   "programs": len(self.programs), "tasks": tasks,
                   "score": sum(t.get("score") or 0.0 for t in tasks.values()) / max(1, len(tasks))}
        store.write_json(store.dir / "summary.json", summary)  # atomic, never through a link
        result = ArcRerunResult(store.dir, tasks, len(self.programs), runs, exec_s)
        return result, {"program_runs": runs}
