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
import hashlib
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
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
from harness.run.console import progress_bar
from harness.run.lock import RunLock
from harness.run.manifest import recorded_limits, recorded_policy
from harness.run.store import RunStore
from harness.sandbox.limits import Limits
from harness.untrusted_text import check_run_id

SOURCE_FIELDS = ("fn", "length", "trial", "attempt", "model", "api_mode", "reasoning_effort",
                 "verbosity", "policy", "code", "code_lines")
RERUN_COLUMNS: tuple[str, ...] = (
    "run_id", "row_type", "is_summary", "fn", "length", "trial", "attempt", "model",
    "source_run_id", "program_sha256", "code_lines", "val_acc", "test_acc", "source_val_acc",
    "source_test_acc", "val_acc_std", "test_acc_std", "best_attempt", "compile_error",
    "outcome", "transductive", *(f"errors_{k}" for k in ERROR_KINDS), "eval_ms",
    "dataset_seed", "dataset_path", "train_size", "val_size", "test_size", "code",
)  # fmt: skip


def program_hash(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


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
    from harness.run.resume_trust import check_dataset_dirs, check_rerun_policy

    console = console or Console()
    source = load_run(run_dir)
    if source.family != "erm":
        raise UserError(f"{source.dir} is a {source.family} run; rerun handles hidden-mapping "
                        "(erm) runs only")
    raw = source.manifest.get("config")
    if not isinstance(raw, dict):
        raise UserError(f"{source.dir}/manifest.json has no config: cannot rebuild its datasets")
    src_config = RunConfig.from_dict(raw)
    source_id = check_run_id(source.run_id, f"{source.dir}/manifest.json: run_id")
    if run_id is not None:
        check_run_id(run_id, "--run-id")
    rows, skipped = select_programs(source, all_attempts=all_attempts, functions=functions,
                                    lengths=lengths)  # fmt: skip
    points = [(str(r["fn"]), int(r["length"])) for r in rows]
    points = list(dict.fromkeys(points))
    new_id = run_id or f"{source_id}-rerun-{time.strftime('%Y%m%d-%H%M%S')}"
    user = dataclasses.asdict(RunConfig.resolve({"run_id": new_id}))
    dirs = check_dataset_dirs(dataclasses.asdict(src_config), user,
                              {"dataset_dir": dataset_dir, "tabular_dir": tabular_dir},
                              source.dir)
    run_policy = check_rerun_policy(recorded_policy(source.manifest), policy, source.dir)
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
        limits = recorded_limits(source.manifest, run_policy)
    except (TypeError, ValueError) as exc:
        raise UserError(f"bad rerun settings: {exc}") from None

    tasks: dict[tuple[str, int], ErmTask] = {}
    for fn, L in points:
        tasks[(fn, L)] = load_task(fn, L, train_size=config.train_size,
                                   val_size=config.val_size, test_size=config.test_size,
                                   seed=config.seed, dataset_dir=config.dataset_dir,
                                   tabular_dir=config.tabular_dir)  # fmt: skip
        verify_task_dataset(tasks[(fn, L)].meta, tasks[(fn, L)].path, config.tabular_dir)

    store = RunStore.create(config.out_dir, config.run_id)
    with RunLock(store.dir, notice=console.out):  # console.out: no markup applied
        return _rerun_locked(store, config, source, src_config, rows, skipped, tasks, limits,
                             all_attempts, argv, progress, console, warn)


def _rerun_locked(store: RunStore, config: RunConfig, source: RunData, src_config: RunConfig,
                  rows: list[dict[str, Any]], skipped: list[dict[str, Any]],
                  tasks: dict[tuple[str, int], ErmTask], limits: Limits, all_attempts: bool,
                  argv: Sequence[str] | None, progress: bool, console: Console,
                  warn: Callable[[str], None] | None) -> RerunResult:
    from harness.run.resume_trust import redact_argv

    started = time.time()
    programs = [{"task_id": r["task_id"], "trial": r["trial"], "attempt": r["attempt"],
                 "sha256": program_hash(r["code"])} for r in rows]  # fmt: skip
    manifest: dict[str, Any] = {
        "run_id": config.run_id,
        "task_family": "erm",
        "kind": "rerun",
        "status": "running",
        "created_at": round(started, 3),
        "argv": redact_argv(argv or []),
        "rerun_of": {"run_dir": str(source.dir.resolve()), "run_id": source.run_id,
                     "selection": "all_attempts" if all_attempts else "best",
                     "test_size": src_config.test_size, "seed": src_config.seed},
        "programs": programs,
        "skipped": skipped,
        "config": config.to_dict(),
        "limits": dataclasses.asdict(limits),
        "datasets": {t.task_id: {"path": str(t.path), "derived_seed": t.meta.get("derived_seed"),
                                 "hashes": t.meta.get("hashes"), "sizes": t.meta.get("sizes")}
                     for t in tasks.values()},
    }  # fmt: skip
    store.write_manifest(manifest)
    store.log("rerun_start", source=str(source.dir), programs=len(rows), tasks=len(tasks))

    # one job per (dataset, unique source); rows sharing a source share its result
    jobs: dict[tuple[str, int, str], list[dict[str, Any]]] = {}
    for r, p in zip(rows, programs, strict=True):
        jobs.setdefault((str(r["fn"]), int(r["length"]), p["sha256"]), []).append(r)

    from harness.sandbox.backend import make_backend

    out_rows: list[dict[str, Any]] = []
    with make_backend(config.backend, workers=config.workers, limits=limits,
                      **config.sandbox_options(),
                      warn=warn or (lambda m: console.print(f"[yellow]WARNING: {m}"))) as pool:
        sandbox_info = pool.describe()
        batches = {key: pool.batch(task.eval_inputs) for key, task in tasks.items()}
        exec_started = time.perf_counter()
        bar = progress_bar("rerun", progress, rate=True)
        with bar, ThreadPoolExecutor(max_workers=pool.size) as ex:
            tid = bar.add_task("programs", total=len(jobs), rate="")
            futures = {}
            for (fn, L, sha), group in jobs.items():
                code = group[0]["code"]
                futures[ex.submit(_run_one, pool, code, batches[(fn, L)], limits)] = (fn, L,
                                                                                      sha, group)
            done = 0
            for fut in as_completed(futures):
                fn, L, sha, group = futures[fut]
                result, eval_ms = fut.result()
                task = tasks[(fn, L)]
                scored = score_result(result, task.val_labels, task.test_labels)
                flagged, reason = detect_lookup_table(group[0]["code"], task.train_inputs)
                for src in group:
                    row = _row(config, source, src, task, scored, sha, eval_ms)
                    row["transductive"], row["transductive_reason"] = flagged, reason
                    row["outcome"] = attempt_outcome(row)
                    store.append_attempt(row)
                    out_rows.append(row)
                done += 1
                elapsed = time.perf_counter() - exec_started
                bar.update(tid, advance=1, rate=f"{done / elapsed:.1f} prog/s" if elapsed else "")
        exec_s = time.perf_counter() - exec_started

    order = {t: i for i, t in enumerate(task_order(rows))}
    out_rows.sort(key=lambda r: (order.get(r["task_id"], 0), r["trial"], r["attempt"]))
    best = selection.best_rows(out_rows)  # by the NEW validation accuracy
    summary = selection.summary_rows(best, out_rows, task_order(out_rows), RERUN_METRICS)
    store.append_rows(best + summary)
    store.write_csv(out_rows + best + summary, RERUN_COLUMNS)
    manifest.update(status="complete", updated_at=round(time.time(), 3), sandbox=sandbox_info,
                    elapsed_s=round(time.time() - started, 2), exec_s=round(exec_s, 3),
                    programs_executed=len(jobs),
                    programs_per_s=round(len(jobs) / exec_s, 2) if exec_s > 0 else None,
                    row_counts={"attempt": len(out_rows), "best": len(best),
                                "summary": len(summary)})  # fmt: skip
    store.write_manifest(manifest)
    store.log("rerun_done", programs=len(jobs), exec_s=round(exec_s, 3))
    return RerunResult(store.dir, out_rows, best, summary, len(jobs), exec_s, skipped)


def _run_one(pool: Any, code: str, batch: Any, limits: Limits) -> tuple[Any, float]:
    t0 = time.perf_counter()
    result = pool.run(code, batch, limits=limits)
    return result, round((time.perf_counter() - t0) * 1000.0, 1)


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
