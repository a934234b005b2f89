"""`harness analyze RUN_DIR...`: summary statistics, error rates, attempt progression, leakage.

Tables (CSV) and plots (PNG) go to `RUN_DIR/analysis/`; with several runs, the pooled tables
(summaries over base seeds, with the seed spread) also go to the `combined/` folder of the
first run's analysis unless another folder is given.

Definitions (hidden-mapping runs):
- a trial's score is its selected (best-by-validation) attempt; mean/std (sample, ddof=1)/SEM/95%
  CI (Student t) are over trials; `seed` is the run's base dataset seed; seed spread = max - min
  of the per-seed means (several runs), seed std = std of those means;
- compile rate = attempts whose program compiled / attempts that produced a program; extraction
  rate = attempts that produced a program / attempts that got an answer from the model;
- attempt progression: mean over trials of the best validation (and its test) so far after k
  attempts (a trial that stopped early keeps its perfect attempt);
- improvement = best test - first-attempt test, per trial; gap = validation - test of the best;
- research gate: no dataset leakage and compile rate >= 0.99.

ARC runs add `arc_pass_at_k` (pass@k for k = 1..attempts; definition in `harness.report.passk`).

Files are written through `harness.safe_io` (atomic, never through a planted link; an
`analysis/` that is a symlink is refused) and CSV cells pass `csv_cell` (a task id or model name
starting with `=` is shown by a spreadsheet as text, not run as a formula).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.report.analysis_model import Analysis
from harness.report.leakage import SplitAudit, audit_run_datasets
from harness.report.passk import TABLE as PASS_AT_K_TABLE
from harness.report.passk import pass_at_k_table
from harness.report.rundir import RunData, load_run, task_order
from harness.run.store import csv_text
from harness.safe_io import make_folder, write_atomic
from harness.sandbox.limits import ERROR_VERDICTS

ANALYSIS_DIR = "analysis"
GATE_COMPILE_RATE = 0.99
# two-sided 97.5% quantiles of Student's t for df = 1..30 (then the normal 1.96)
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
         2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
         2.060, 2.056, 2.052, 2.048, 2.045, 2.042)  # fmt: skip


def t975(df: int) -> float:
    if df < 1:
        return math.nan
    return _T975[df - 1] if df <= len(_T975) else 1.96


@dataclass(frozen=True)
class Stats:
    n: int
    mean: float | None
    std: float | None  # sample std (ddof=1); None for n < 2
    sem: float | None
    ci_low: float | None
    ci_high: float | None

    @classmethod
    def of(cls, values: Iterable[float]) -> Stats:
        vals = [float(v) for v in values]
        n = len(vals)
        if n == 0:
            return cls(0, None, None, None, None, None)
        mean = sum(vals) / n
        if n < 2:
            return cls(n, mean, None, None, None, None)
        std = math.sqrt(sum((v - mean) ** 2 for v in vals) / (n - 1))
        sem = std / math.sqrt(n)
        half = t975(n - 1) * sem
        return cls(n, mean, std, sem, max(0.0, mean - half), min(1.0, mean + half))

    def cells(self, prefix: str) -> dict[str, Any]:
        return {f"{prefix}_{k}": _r(getattr(self, k)) for k in
                ("mean", "std", "sem", "ci_low", "ci_high")}  # fmt: skip


def _r(v: float | None, digits: int = 6) -> float | None:
    return None if v is None else round(v, digits)


def _f(v: Any) -> float:
    try:
        return float(v or 0.0)
    except (TypeError, ValueError):
        return 0.0


# ---------------------------------------------------------------------- tables
def _seed(run: RunData) -> Any:
    return run.config.get("seed")


def _point_key(r: Mapping[str, Any]) -> tuple[str, int]:
    return str(r.get("fn")), int(r.get("length") or 0)


def summary_tables(runs: Sequence[RunData]) -> dict[str, list[dict[str, Any]]]:
    """by (fn, L, seed), by (fn, L) pooled over seeds (with seed spread), by fn."""
    best = [(run, b) for run in runs for b in run.best]
    by_seed: dict[tuple[str, int, Any], list[Mapping[str, Any]]] = {}
    for run, b in best:
        by_seed.setdefault((*_point_key(b), _seed(run)), []).append(b)
    seed_rows = []
    for (fn, L, seed), rows in by_seed.items():
        seed_rows.append({"fn": fn, "length": L, "seed": seed, "n_trials": len(rows),
                          **Stats.of(_f(r.get("val_acc")) for r in rows).cells("val"),
                          **Stats.of(_f(r.get("test_acc")) for r in rows).cells("test")})
    point_rows = []
    points = list(dict.fromkeys((fn, L) for fn, L, _ in by_seed))
    for fn, L in points:
        rows = [b for (f_, l_, _), bs in by_seed.items() if (f_, l_) == (fn, L) for b in bs]
        seed_means = [s["test_mean"] for s in seed_rows
                      if (s["fn"], s["length"]) == (fn, L) and s["test_mean"] is not None]
        spread = (max(seed_means) - min(seed_means)) if len(seed_means) > 1 else None
        point_rows.append({"fn": fn, "length": L, "n_trials": len(rows),
                           "n_seeds": len(seed_means),
                           **Stats.of(_f(r.get("val_acc")) for r in rows).cells("val"),
                           **Stats.of(_f(r.get("test_acc")) for r in rows).cells("test"),
                           "seed_spread_test": _r(spread),
                           "seed_std_test": _r(Stats.of(seed_means).std)})  # fmt: skip
    fn_rows = []
    for fn in dict.fromkeys(fn for fn, _ in points):
        rows = [b for _, b in best if b.get("fn") == fn]
        fn_rows.append({"fn": fn, "lengths": " ".join(str(L) for f, L in points if f == fn),
                        "n_trials": len(rows),
                        **Stats.of(_f(r.get("val_acc")) for r in rows).cells("val"),
                        **Stats.of(_f(r.get("test_acc")) for r in rows).cells("test")})
    return {"summary_by_fn_length_seed": seed_rows, "summary_by_fn_length": point_rows,
            "summary_by_fn": fn_rows}


def error_table(attempts: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per (fn, L) and overall: extraction / compile / API error rates by kind, per-input errors."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for r in attempts:
        groups.setdefault(str(r.get("task_id")), []).append(r)
    order = [*task_order(list(attempts))]
    out = [_error_row(t, groups[t]) for t in order]
    if attempts:
        out.append(_error_row("ALL", list(attempts)))
    return out


def _error_row(task_id: str, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    answered = [r for r in rows if not r.get("api_error")]
    with_code = [r for r in answered if r.get("code")]
    compiled = [r for r in with_code if not r.get("compile_error")]
    kinds = Counter(str(r["compile_error"]) for r in rows if r.get("compile_error"))
    api = Counter(str(r["api_error"]) for r in rows if r.get("api_error"))
    per_input: Counter[str] = Counter()
    for r in rows:
        per_input.update({k: int(v) for k, v in (r.get("errors") or {}).items() if v})
    first = rows[0] if rows else {}
    row: dict[str, Any] = {
        "task_id": task_id, "fn": first.get("fn") if task_id != "ALL" else "ALL",
        "length": first.get("length") if task_id != "ALL" else None,
        "attempts": n, "api_errors": sum(api.values()),
        "no_code_found": kinds.get("no_code_found", 0),
        "programs": len(with_code), "compiled": len(compiled),
        "extraction_rate": _r(len(with_code) / len(answered)) if answered else None,
        "compile_rate": _r(len(compiled) / len(with_code)) if with_code else None,
        "transductive": sum(1 for r in rows if r.get("transductive")),
    }  # fmt: skip
    for k in ("no_code_found", *ERROR_VERDICTS, "harness_error"):
        row[f"fatal_{k}_rate"] = _r(kinds.get(k, 0) / n) if n else None
    for k in ERROR_VERDICTS:
        row[f"inputs_{k}"] = per_input.get(k, 0)
    row["api_error_kinds"] = " ".join(f"{k}={v}" for k, v in sorted(api.items()))
    return row


def progression_table(attempts: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Best-so-far (by validation) after k attempts, averaged over trials, per (fn, L)."""
    trials: dict[tuple[str, int], list[Mapping[str, Any]]] = {}
    for r in attempts:
        trials.setdefault((str(r.get("task_id")), int(r.get("trial") or 0)), []).append(r)
    max_k = max((int(r.get("attempt") or 0) for r in attempts), default=0)
    out = []
    for task_id in task_order(list(attempts)):
        keys = [k for k in trials if k[0] == task_id]
        first = trials[keys[0]][0]
        for k in range(1, max_k + 1):
            vals, tests, raw_n = [], [], 0
            for key in keys:
                rows = sorted(trials[key], key=lambda r: int(r.get("attempt") or 0))
                upto = [r for r in rows if int(r.get("attempt") or 0) <= k]
                raw_n += sum(1 for r in rows if int(r.get("attempt") or 0) == k)
                if not upto:
                    continue
                best = upto[0]
                for r in upto[1:]:
                    if _f(r.get("val_acc")) > _f(best.get("val_acc")):
                        best = r
                vals.append(_f(best.get("val_acc")))
                tests.append(_f(best.get("test_acc")))
            if not vals:
                continue
            out.append({"task_id": task_id, "fn": first.get("fn"), "length": first.get("length"),
                        "attempt": k, "trials": len(vals), "attempts_made_at_k": raw_n,
                        "best_val_so_far": _r(sum(vals) / len(vals)),
                        "best_test_so_far": _r(sum(tests) / len(tests))})  # fmt: skip
    return out


def improvement_table(attempts: Sequence[Mapping[str, Any]],
                      best: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per (fn, L): first-attempt vs selected accuracy; gap between validation and test."""
    first: dict[tuple[str, int], Mapping[str, Any]] = {}
    for r in attempts:
        if int(r.get("attempt") or 0) == 1:
            first[(str(r["task_id"]), int(r["trial"]))] = r
    out = []
    for task_id in task_order(list(best)):
        bs = [b for b in best if b["task_id"] == task_id]
        pairs = [(first.get((task_id, int(b["trial"]))), b) for b in bs]
        pairs = [(f, b) for f, b in pairs if f is not None]
        improve = [_f(b.get("test_acc")) - _f(f.get("test_acc")) for f, b in pairs]
        improve_val = [_f(b.get("val_acc")) - _f(f.get("val_acc")) for f, b in pairs]
        gap = [_f(b.get("val_acc")) - _f(b.get("test_acc")) for b in bs]
        out.append({"task_id": task_id, "fn": bs[0].get("fn"), "length": bs[0].get("length"),
                    "trials": len(bs),
                    "first_test_mean": _r(Stats.of(_f(f.get("test_acc")) for f, _ in pairs).mean),
                    "best_test_mean": _r(Stats.of(_f(b.get("test_acc")) for b in bs).mean),
                    "improvement_test_mean": _r(Stats.of(improve).mean),
                    "improvement_val_mean": _r(Stats.of(improve_val).mean),
                    "trials_improved": sum(1 for d in improve if d > 0),
                    "trials_best_not_first": sum(1 for b in bs
                                                 if int(b.get("best_attempt")
                                                        or b.get("attempt") or 1) != 1),
                    **Stats.of(gap).cells("val_test_gap"),
                    "max_abs_gap": _r(max((abs(g) for g in gap), default=None))})  # fmt: skip
    return out


def research_gate(errors: Sequence[Mapping[str, Any]], audits: Sequence[SplitAudit],
                  min_compile_rate: float = GATE_COMPILE_RATE) -> dict[str, Any]:
    overall = next((r for r in errors if r.get("task_id") == "ALL"), None)
    compile_rate = overall.get("compile_rate") if overall else None
    leaky = [a.name for a in audits if a.leaky]
    unread = [a.name for a in audits if a.error]
    reasons = []
    if leaky:
        reasons.append(f"leakage between splits in {', '.join(leaky)}")
    if unread:
        reasons.append(f"dataset(s) not found for the audit: {', '.join(unread)}")
    if not audits:
        reasons.append("no datasets to audit")
    if compile_rate is None:
        reasons.append("no programs: compile rate undefined")
    elif compile_rate < min_compile_rate:
        reasons.append(f"compile rate {compile_rate:.3f} < {min_compile_rate}")
    return {"passed": not reasons, "no_leakage": bool(audits) and not leaky and not unread,
            "datasets_audited": len(audits) - len(unread), "leaky_datasets": leaky,
            "compile_rate": compile_rate, "min_compile_rate": min_compile_rate,
            "reasons": reasons}  # fmt: skip


# ---------------------------------------------------------------------- driver
def analyze_runs(runs: Sequence[RunData], out_dir: Path | None = None,
                 plots: bool = True, root: Path | None = None) -> Analysis:
    """Compute every table for `runs` (pooled) and write them (and plots) to `out_dir`;
    `root` is the run directory `out_dir` lies in (no folder below it may be a link)."""
    attempts = [r for run in runs for r in run.attempts]
    best = [b for run in runs if run.family == "erm" for b in run.best]
    result = Analysis([run.run_id for run in runs], out_dir=out_dir, best=list(best))
    erm_runs = [run for run in runs if run.family == "erm"]
    if erm_runs:
        result.tables.update(summary_tables(erm_runs))
        result.tables["attempt_progression"] = progression_table(attempts)
        result.tables["improvement_and_gap"] = improvement_table(attempts, best)
    arc_runs = [run for run in runs if run.family == "arc"]
    if arc_runs:
        result.tables[PASS_AT_K_TABLE] = pass_at_k_table(arc_runs)
    result.tables["errors"] = error_table(attempts)
    audits: list[SplitAudit] = []
    for run in erm_runs:
        audits.extend(audit_run_datasets(run.manifest, run.dir, run.attempts))
    result.leakage = audits
    result.tables["leakage"] = [a.as_row() for a in audits]
    result.gate = research_gate(result.tables["errors"], audits)
    if out_dir is not None:
        write_analysis(result, out_dir, plots=plots, root=root)
    return result


def write_analysis(result: Analysis, out_dir: Path, plots: bool = True,
                   root: Path | None = None) -> None:
    """Tables, gate and plots into `out_dir` (inside run directory `root` when given; else a
    folder the user named, created as asked)."""
    if root is not None:
        make_folder(out_dir, root=root)
    else:
        out_dir.mkdir(parents=True, exist_ok=True)
    base = root if root is not None else out_dir
    for name, rows in result.tables.items():
        write_csv(out_dir / f"{name}.csv", rows, root=base)
    write_atomic(out_dir / "gate.json", json.dumps(result.gate, indent=2) + "\n", root=base)
    if plots:
        from harness.report.plots import write_plots  # matplotlib: imported only to plot

        result.plot_png = write_plots(result)
        for name, data in result.plot_png.items():
            write_atomic(out_dir / f"{name}.png", data, root=base)
            result.plots[name] = out_dir / f"{name}.png"


def write_csv(path: Path, rows: Sequence[Mapping[str, Any]], root: Path | None = None) -> None:
    """Rows as a CSV file (columns in order of first appearance), replaced atomically; cells
    neutralised against spreadsheet formulas. Without `root` only the file itself must not be a
    link (a path the user named)."""
    columns: list[str] = []
    for r in rows:
        for k in r:
            if k not in columns:
                columns.append(k)
    cells = ({k: "" if r.get(k) is None else r.get(k) for k in columns} for r in rows)
    write_atomic(path, csv_text(cells, columns), root=root if root is not None else path.parent)


def analyze(run_dirs: Sequence[str | Path], out_dir: str | Path | None = None,
            plots: bool = True) -> list[Analysis]:
    """Each run into its own `analysis/`; several runs also pooled (seed spread) into
    `out_dir` (default `<first run>/analysis/combined`)."""
    runs = [load_run(p) for p in run_dirs]
    results = [analyze_runs([run], run.dir / ANALYSIS_DIR, plots=plots, root=run.dir)
               for run in runs]
    if len(runs) > 1:
        if out_dir:
            results.append(analyze_runs(runs, Path(out_dir), plots=plots))
        else:
            results.append(analyze_runs(runs, runs[0].dir / ANALYSIS_DIR / "combined",
                                        plots=plots, root=runs[0].dir))
    return results
