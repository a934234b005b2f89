"""`harness rerun RUN_DIR`: score the programs a run stored on freshly generated datasets.

No model is called. The programs (each trial's selected best by default, every attempt with
`all_attempts`) are read from the source run, the datasets of their grid points are rebuilt with
the source run's train/val sizes and a new test size and/or base seed (`generators.build_dataset`),
and every program runs in the sandbox pool on validation + test inputs: one input batch per
dataset (encoded once and cached in the containers), identical sources run once per dataset. The
labels stay on the host, as in `eval erm`.

The result is a new run directory of the usual layout (rows, CSV, manifest, trial logs) whose
rows are attempt rows carrying the new accuracies plus `source_val_acc`/`source_test_acc`, and
whose manifest points to the source run (`rerun_of`) and names every program by the SHA-256 of
its source.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from harness.errors import UserError
from harness.families.erm.task import ERROR_KINDS, ErmTask, attempt_outcome, load_task, score_result
from harness.families.erm.verify import verify_task_dataset
from harness.judge.transduction import detect_lookup_table
from harness.report.rundir import RunData, load_run, task_order
from harness.run import selection
from harness.run.config import RunConfig
from harness.run.rerun import RerunJob, RerunTarget, execute, program_hash, rerun_id, rerun_limits
from harness.run.store import RunStore
from harness.sandbox.limits import Limits
from harness.sandbox.results import ProgramResult

SOURCE_FIELDS = ("fn", "length", "trial", "attempt", "model", "api_mode", "reasoning_effort",
                 "verbosity", "policy", "code", "code_lines")
RERUN_COLUMNS: tuple[str, ...] = (
    "run_id", "row_type", "is_summary", "fn", "length", "trial", "attempt", "model",
    "source_run_id", "program_sha256", "code_lines", "val_acc", "test_acc", "source_val_acc",
    "source_test_acc", "val_acc_std", "test_acc_std", "best_attempt", "compile_error",
    "outcome", "transductive", *(f"errors_{k}" for k in ERROR_KINDS), "eval_ms",
    "dataset_seed", "dataset_path", "train_size", "val_size", "test_size", "code",
)  # fmt: skip


@dataclass
class RerunResult:
    run_dir: Path
    rows: list[dict[str, Any]]
    best: list[dict[str, Any]]
    summary: list[dict[str, Any]]
    programs: int  # programs executed (unique per dataset)
    exec_s: float
    skipped: list[dict[str, Any]] = field(default_factory=list)

    @property
    def programs_per_s(self) -> float:
        return self.programs / self.exec_s if self.exec_s > 0 else 0.0


def select_programs(run: RunData, *, all_attempts: bool, functions: Sequence[str] = (),
                    lengths: Sequence[int] = ()) -> tuple[list[dict[str, Any]], list[dict]]:
    """The rows whose programs will run, and the selected rows that hold no program."""
    pool = run.attempts if all_attempts else (run.best or selection.best_rows(run.attempts))
    have_fns = {str(r.get("fn")) for r in pool}
    have_lengths = {int(r.get("length") or 0) for r in pool}
    missing_fns = [f for f in functions if f not in have_fns]
    if missing_fns:
        raise UserError(f"run {run.dir} has no programs for {', '.join(missing_fns)} "
                        f"(it holds {', '.join(sorted(have_fns)) or 'none'})")
    missing_l = [L for L in lengths if L not in have_lengths]
    if missing_l:
        raise UserError(f"run {run.dir} has no programs at length(s) "
                        f"{', '.join(map(str, missing_l))}")
    chosen = [r for r in pool if (not functions or r.get("fn") in functions)
              and (not lengths or int(r.get("length") or 0) in lengths)]  # fmt: skip
    with_code = [r for r in chosen if isinstance(r.get("code"), str) and r["code"].strip()]
    skipped = [{"task_id": r.get("task_id"), "trial": r.get("trial"), "attempt": r.get("attempt"),
                "reason": r.get("compile_error") or r.get("api_error") or "no program"}
               for r in chosen if r not in with_code]  # fmt: skip
    if not with_code:
        raise UserError(f"run {run.dir} stores no programs to re-run "
                        f"({len(chosen)} selected row(s), none with code)")
    return with_code, skipped


def rerun(run_dir: str | Path, *, test_size: int | None = None, seed: int | None = None,
          functions: Sequence[str] = (), lengths: Sequence[int] = (),
          out_dir: str | Path | None = None, run_id: str | None = None,
          all_attempts: bool = False, backend: str = "docker", runtime: str = "runc",
          workers: int | None = None, policy: str | None = None,
          dataset_dir: str | None = None, tabular_dir: str | None = None,
          progress: bool = True,
          argv: Sequence[str] | None = None, console: Console | None = None,
          warn: Callable[[str], None] | None = None) -> RerunResult:
    """Re-score a run's stored programs on new datasets; returns what it wrote.

    The source run directory is untrusted: its run id, policy and dataset folders are used only
    when safe (``harness.run.resume_trust``), every dataset reused is checked against its seed, and
    the new run directory is locked while it is written."""
    from harness.run.resume_trust import check_dataset_dirs

    source = load_run(run_dir)
    if source.family != "erm":
        raise UserError(f"{source.dir} is a {source.family} run; rerun handles hidden-mapping "
                        "(erm) runs only")
    raw = source.manifest.get("config")
    if not isinstance(raw, dict):
        raise UserError(f"{source.dir}/manifest.json has no config: cannot rebuild its datasets")
    src_config = RunConfig.from_dict(raw)
    new_id = rerun_id(source.run_id, run_id, f"{source.dir}/manifest.json: run_id")
    rows, skipped = select_programs(source, all_attempts=all_attempts, functions=functions,
                                    lengths=lengths)  # fmt: skip
    points = list(dict.fromkeys((str(r["fn"]), int(r["length"])) for r in rows))
    user = dataclasses.asdict(RunConfig.resolve({"run_id": new_id}))
    dirs = check_dataset_dirs(dataclasses.asdict(src_config), user,
                              {"dataset_dir": dataset_dir, "tabular_dir": tabular_dir},
                              source.dir)
    run_policy, limits = rerun_limits(source.manifest, policy, source.dir)
    try:
        config = dataclasses.replace(
            src_config,
            functions=tuple(dict.fromkeys(fn for fn, _ in points)),
            lengths=tuple(dict.fromkeys(L for _, L in points)),
            test_size=src_config.test_size if test_size is None else int(test_size),
            seed=src_config.seed if seed is None else int(seed),
            backend=backend, runtime=runtime, workers=workers or src_config.workers,
            policy=run_policy, base_url=None, mock_policy="oracle",
            out_dir=str(out_dir if out_dir is not None else source.dir.parent), run_id=new_id,
            **dirs,
        )
        config.validate()
    except (TypeError, ValueError) as exc:
        raise UserError(f"bad rerun settings: {exc}") from None
    tasks: dict[tuple[str, int], ErmTask] = {}
    for fn, L in points:
        tasks[(fn, L)] = load_task(fn, L, train_size=config.train_size,
                                   val_size=config.val_size, test_size=config.test_size,
                                   seed=config.seed, dataset_dir=config.dataset_dir,
                                   tabular_dir=config.tabular_dir,
                                   prompt_version=config.prompt_version)  # fmt: skip
        verify_task_dataset(tasks[(fn, L)].meta, tasks[(fn, L)].path, config.tabular_dir)
    plan = ErmRerunPlan(config, source, src_config, rows, skipped, tasks, limits, all_attempts)
    target = RerunTarget(out_dir=Path(config.out_dir), run_id=config.run_id, limits=limits,
                         backend=config.backend, runtime=config.runtime,
                         workers=config.workers, argv=argv or (), progress=progress,
                         console=console or Console(), warn=warn)  # fmt: skip
    return execute(plan, target)


@dataclass
class ErmRerunPlan:
    """Each distinct program once per dataset; the rows that share it share its result."""

    config: RunConfig
    source: RunData
    src_config: RunConfig
    selected: list[dict[str, Any]]
    skipped: list[dict[str, Any]]
    tasks: dict[tuple[str, int], ErmTask]
    limits: Limits
    all_attempts: bool
    family: str = "erm"

    def inputs(self) -> dict[Hashable, list[Any]]:
        return {key: task.eval_inputs for key, task in self.tasks.items()}

    def jobs(self) -> list[RerunJob]:
        groups: dict[tuple[str, int, str], list[dict[str, Any]]] = {}
        for r in self.selected:
            groups.setdefault((str(r["fn"]), int(r["length"]), program_hash(r["code"])),
                              []).append(r)  # fmt: skip
        return [RerunJob(group[0]["code"], (fn, L), context=(sha, group))
                for (fn, L, sha), group in groups.items()]  # fmt: skip

    def manifest_fields(self) -> dict[str, Any]:
        src = self.src_config
        return {
            "rerun_of": {"run_dir": str(self.source.dir.resolve()), "run_id": self.source.run_id,
                         "selection": "all_attempts" if self.all_attempts else "best",
                         "test_size": src.test_size, "seed": src.seed},
            "programs": [{"task_id": r["task_id"], "trial": r["trial"], "attempt": r["attempt"],
                          "sha256": program_hash(r["code"])} for r in self.selected],
            "skipped": self.skipped,
            "config": self.config.to_dict(),
            "limits": dataclasses.asdict(self.limits),
            "datasets": {t.task_id: {"path": str(t.path),
                                     "derived_seed": t.meta.get("derived_seed"),
                                     "hashes": t.meta.get("hashes"), "sizes": t.meta.get("sizes")}
                         for t in self.tasks.values()},
        }  # fmt: skip

    def rows(self, job: RerunJob, result: ProgramResult | None,
             eval_ms: float) -> list[dict[str, Any]]:  # fmt: skip
        sha, group = job.context
        task = self.tasks[job.batch]
        assert result is not None  # every ERM job runs
        scored = score_result(result, task.val_labels, task.test_labels)
        flagged, reason = detect_lookup_table(job.code, task.train_inputs)
        out = []
        for src in group:
            row = _row(self.config, self.source, src, task, scored, sha, eval_ms)
            row["transductive"], row["transductive_reason"] = flagged, reason
            row["outcome"] = attempt_outcome(row)
            out.append(row)
        return out

    def finish(self, store: RunStore, rows: list[dict[str, Any]],
               exec_s: float) -> tuple[RerunResult, dict[str, Any]]:  # fmt: skip
        """Best per trial by the NEW validation accuracy, summaries, the CSV."""
        order = {t: i for i, t in enumerate(task_order(self.selected))}
        rows.sort(key=lambda r: (order.get(r["task_id"], 0), r["trial"], r["attempt"]))
        best = selection.best_rows(rows)
        summary = selection.summary_rows(best, rows, task_order(rows), RERUN_METRICS)
        store.append_rows(best + summary)
        store.write_csv(rows + best + summary, RERUN_COLUMNS)
        executed = len(self.jobs())
        final = {"programs_executed": executed,
                 "row_counts": {"attempt": len(rows), "best": len(best), "summary": len(summary)}}
        return RerunResult(store.dir, rows, best, summary, executed, exec_s, self.skipped), final


def _row(config: RunConfig, source: RunData, src: dict[str, Any], task: ErmTask,
         scored: dict[str, Any], sha: str, eval_ms: float) -> dict[str, Any]:
    row: dict[str, Any] = {"run_id": config.run_id, "row_type": "attempt", "is_summary": False,
                           "task_id": task.task_id}  # fmt: skip
    row.update({k: src.get(k) for k in SOURCE_FIELDS})
    row.update(task.row_fields())
    row.update(scored)
    row.update(source_run_id=source.run_id, program_sha256=sha,
               source_val_acc=src.get("val_acc"), source_test_acc=src.get("test_acc"),
               source_test_size=src.get("test_size"), source_dataset_seed=src.get("dataset_seed"),
               eval_ms=eval_ms, prompt_tokens=0, completion_tokens=0, reasoning_tokens=0,
               cached_tokens=0, estimated_cost=None)  # fmt: skip
    return row


#: A rerun's summaries: the new scores and the source run's, each as mean/std over trials.
RERUN_METRICS = ("val_acc", "test_acc", "source_val_acc", "source_test_acc")
