"""`write_report(run_dir)`: one self-contained `RUN_DIR/report.html`.

Images are inlined as base64 PNG, the CSS is inline, nothing is fetched: the file can be mailed
or opened offline. The page holds the run's configuration, the summary table (mean and std of the
selected programs' validation/test accuracy per grid point, exactly the run's summary rows), the
analysis tables and plots (the analysis is (re)computed into `RUN_DIR/analysis/`), and, for
hidden-mapping runs, the selected program of every (fn, L) and trial with its accuracies. ARC
runs (a `summary.json` and `tasks/*.json`) get one section per task with input / expected /
predicted grids of each attempt in ARC colours.

Everything on the page that came from the run directory (task ids, program text, model names,
argv) is text to the template, which autoescapes it (`select_autoescape` on `.j2`): a task id
`<script>` is shown, never run. `report.html` is replaced atomically (`safe_io.write_atomic`),
so a planted `report.html` or `.tmp` symlink is replaced, never written through.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2

from harness.report.analysis_model import Analysis
from harness.report.analyze import ANALYSIS_DIR, analyze_runs
from harness.report.cells import cell_text
from harness.report.rundir import RunData, load_run, task_order
from harness.safe_io import write_atomic
from harness.untrusted_text import console_text

REPORT_NAME = "report.html"
TEMPLATE = "report.html.j2"
_TEMPLATES = Path(__file__).with_name("templates")


def _fmt(value: Any, digits: int = 4) -> str:
    return cell_text(None if value == "" else value, digits, missing="–")


def _png_data_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _table(rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str]],
           table_id: str, key: str | None = None) -> dict[str, Any]:
    """A table for the template: header labels and cells with their raw value kept for tests."""
    body = []
    for r in rows:
        cells = [{"col": col, "text": _fmt(r.get(col)),
                  "value": "" if r.get(col) is None else json.dumps(r.get(col), default=str),
                  "num": isinstance(r.get(col), int | float) and not isinstance(r.get(col), bool)}
                 for col, _ in columns]  # fmt: skip
        body.append({"key": str(r.get(key)) if key else "", "cells": cells})
    return {"id": table_id, "headers": [label for _, label in columns], "rows": body}


# ---------------------------------------------------------------------- sections
def _config_items(run: RunData) -> list[tuple[str, str]]:
    m = run.manifest
    items: list[tuple[str, str]] = [("run id", run.run_id), ("task family", run.family),
                                    ("status", str(m.get("status", "?")))]
    if m.get("created_at"):
        items.append(("created", _when(m["created_at"])))
    if m.get("argv"):
        items.append(("command", " ".join(map(str, m["argv"]))))
    if m.get("rerun_of"):
        ro = m["rerun_of"]
        items.append(("rerun of", f"{ro.get('run_id')} ({ro.get('run_dir')}), programs: "
                                  f"{ro.get('selection')}, source test size {ro.get('test_size')}"
                                  f", source seed {ro.get('seed')}"))
        if m.get("programs_per_s") is not None:
            items.append(("re-run speed", f"{m.get('programs_executed')} programs in "
                          f"{m.get('exec_s')} s ({m['programs_per_s']} programs/s)"))
    for k, v in (m.get("config") or {}).items():
        if v is None or v == [] or v == "":
            continue
        items.append((k, ", ".join(map(str, v)) if isinstance(v, list) else str(v)))
    for k, v in (m.get("limits") or {}).items():
        items.append((f"limit {k}", str(v)))
    sandbox = m.get("sandbox") or {}
    for k in ("backend", "workers", "image", "image_id"):
        if k in sandbox:
            items.append((f"sandbox {k}", str(sandbox[k])))
    if m.get("elapsed_s") is not None:
        items.append(("elapsed s", str(m["elapsed_s"])))
    return items


def _when(stamp: Any) -> str:
    """A Unix time as local date and time; a number no clock can show is shown as it is."""
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(stamp)))
    except (OverflowError, OSError, ValueError, TypeError):
        return str(stamp)


KEY_FACTS = ("run id", "task family", "status", "created", "command", "rerun of", "re-run speed",
             "model", "reasoning_effort", "functions", "lengths", "attempts", "num_trials",
             "train_size", "val_size", "test_size", "seed", "backend", "elapsed s")


ERM_ONLY = ("functions", "lengths", "train_size", "val_size", "test_size", "seed")
SUMMARY_COLUMNS = (("fn", "fn"), ("length", "L"), ("n_trials", "trials"),
                   ("n_attempts", "attempts"), ("val_acc_mean", "val mean"),
                   ("val_acc_std", "val std"), ("test_acc_mean", "test mean"),
                   ("test_acc_std", "test std"), ("stopped_early", "early stops"),
                   ("estimated_cost", "cost $"))  # fmt: skip
RERUN_EXTRA = (("source_val_acc_mean", "source val mean"),
               ("source_test_acc_mean", "source test mean"))  # fmt: skip
CI_COLUMNS = (("fn", "fn"), ("length", "L"), ("n_trials", "trials"), ("n_seeds", "seeds"),
              ("test_mean", "test mean"), ("test_std", "test std"), ("test_sem", "test SEM"),
              ("test_ci_low", "95% CI low"), ("test_ci_high", "95% CI high"),
              ("val_mean", "val mean"), ("seed_spread_test", "seed spread"))  # fmt: skip
ERROR_COLUMNS = (("task_id", "task"), ("attempts", "attempts"), ("api_errors", "API errors"),
                 ("no_code_found", "no code"), ("programs", "programs"),
                 ("compiled", "compiled"), ("extraction_rate", "extraction rate"),
                 ("compile_rate", "compile rate"), ("transductive", "transductive"),
                 ("inputs_exception", "inputs: exception"), ("inputs_timeout", "inputs: timeout"),
                 ("inputs_invalid_output", "inputs: invalid"))  # fmt: skip
GAP_COLUMNS = (("task_id", "task"), ("trials", "trials"), ("first_test_mean", "first test"),
               ("best_test_mean", "selected test"), ("improvement_test_mean", "improvement"),
               ("trials_best_not_first", "trials best ≠ 1st"),
               ("val_test_gap_mean", "val − test gap"), ("max_abs_gap", "max |gap|"))
LEAK_COLUMNS = (("dataset", "dataset"), ("status", "status"), ("n_train", "train"),
                ("n_val", "val"), ("n_test", "test"), ("inputs_train_val", "train∩val"),
                ("inputs_train_test", "train∩test"), ("inputs_val_test", "val∩test"),
                ("lines_train_test", "lines train∩test"), ("dup_test", "dup in test"),
                ("small_space_note", "small space"))  # fmt: skip


def _programs(run: RunData) -> list[dict[str, Any]]:
    """The selected program of every (fn, L) and trial, grouped by grid point."""
    groups = []
    for task_id in task_order(run.best):
        rows = sorted((b for b in run.best if b["task_id"] == task_id),
                      key=lambda b: int(b.get("trial") or 0))  # fmt: skip
        groups.append({"task_id": task_id, "programs": [{
            "trial": b.get("trial"), "attempt": b.get("best_attempt") or b.get("attempt"),
            "val": _fmt(b.get("val_acc")), "test": _fmt(b.get("test_acc")),
            "source_test": _fmt(b.get("source_test_acc")) if "source_test_acc" in b else None,
            "outcome": b.get("outcome") or b.get("compile_error") or "",
            "code": b.get("code") or "(no program)", "sha": b.get("program_sha256"),
        } for b in rows]})  # fmt: skip
    return groups


def _plots(analysis: Analysis) -> list[dict[str, str]]:
    captions = {"accuracy_by_length": "Accuracy of the selected programs by length",
                "attempt_progression": "Attempt progression",
                "val_test": "Validation vs test accuracy", "errors": "Errors by kind"}
    out = []
    for name, data in analysis.plot_png.items():
        out.append({"name": name, "caption": captions.get(name, name),
                    "src": _png_data_uri(data)})
    return out


# ---------------------------------------------------------------------- ARC
def _grid(value: Any) -> Any:
    return value if isinstance(value, list) else None


def _arc_sections(run: RunData) -> list[dict[str, Any]]:
    """One section per ARC task log: a picture per attempt (rows = train pairs + tests,
    columns = input / expected / predicted), solved/failed marked. Tolerant of missing keys."""
    from harness.report.plots import arc_grids_png

    sections = []
    for task in run.arc_tasks:
        train = task.get("train") or []
        test = task.get("test") or []
        attempts = task.get("attempts") or []
        pictures = []
        for k, att in enumerate(attempts, start=1):
            train_pred = att.get("train_predictions") or att.get("train_outputs") or []
            test_pred = att.get("test_predictions") or att.get("test_outputs") or []
            test_ok = att.get("test_correct") or []
            train_ok = att.get("train_correct") or []
            rows = []
            for i, pair in enumerate(train):
                pred = train_pred[i] if i < len(train_pred) else None
                good = train_ok[i] if i < len(train_ok) else pred == pair.get("output")
                status = "solved" if good else "failed"
                rows.append((f"train {i + 1}", [_grid(pair.get("input")),
                                                _grid(pair.get("output")), _grid(pred)], status))
            for i, pair in enumerate(test):
                pred = test_pred[i] if i < len(test_pred) else None
                ok = test_ok[i] if i < len(test_ok) else (pred is not None
                                                          and pred == pair.get("output"))
                rows.append((f"test {i + 1}", [_grid(pair.get("input")),
                                               _grid(pair.get("output")), _grid(pred)],
                             "solved" if ok else "failed"))  # fmt: skip
            if not rows:
                continue
            title = (f"{task['task_id']} attempt {att.get('attempt', k)}: "
                     "input / expected / predicted")
            pictures.append({"attempt": att.get("attempt", k),
                             "solved": bool(att.get("solved") or (test_ok and all(test_ok))),
                             "src": _png_data_uri(arc_grids_png(rows, title))})  # fmt: skip
        result = task.get("result") if isinstance(task.get("result"), dict) else {}
        solved = result.get("all_test_solved", task.get("solved"))
        if solved is None:
            solved = any(p["solved"] for p in pictures)
        score = result.get("score", task.get("score"))
        sections.append({"task_id": task["task_id"], "solved": bool(solved),
                         "score": _fmt(score), "pictures": pictures})
    return sections


def _arc_summary_items(summary: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """Scalar run metrics of an ARC summary.json (top level and its `metrics`)."""
    if not summary:
        return []
    items = []
    for source in (summary, summary.get("metrics") or {}):
        if isinstance(source, Mapping):
            items += [(str(k), _fmt(v)) for k, v in source.items()
                      if v is None or isinstance(v, str | int | float | bool)]
    return items


# ---------------------------------------------------------------------- entry point
def render_report(run: RunData, analysis: Analysis) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
                             autoescape=jinja2.select_autoescape(["html", "j2"]),
                             undefined=jinja2.StrictUndefined)  # fmt: skip
    is_rerun = bool(run.manifest.get("rerun_of"))
    summary_cols = SUMMARY_COLUMNS + (RERUN_EXTRA if is_rerun else ())
    tables = analysis.tables
    items = _config_items(run)
    context = {
        "title": f"harness report: {run.run_id}",
        "run": run,
        "family": run.family,
        "key_facts": [(k, v) for k, v in items if k in KEY_FACTS
                      and (run.family == "erm" or k not in ERM_ONLY)],
        "config_items": [(k, v) for k, v in items if k not in KEY_FACTS],
        "summary": _table(run.summary if run.family == "erm" else [], summary_cols, "summary",
                          key="task_id"),
        "ci": _table(tables.get("summary_by_fn_length", []), CI_COLUMNS, "ci"),
        "errors": _table(tables.get("errors", []), ERROR_COLUMNS, "errors", key="task_id"),
        "gap": _table(tables.get("improvement_and_gap", []), GAP_COLUMNS, "gap", key="task_id"),
        "leakage": _table(tables.get("leakage", []), LEAK_COLUMNS, "leakage", key="dataset"),
        "gate": analysis.gate,
        "plots": _plots(analysis),
        "programs": _programs(run) if run.family == "erm" else [],
        "arc_summary": _arc_summary_items(run.arc_summary),
        "arc_sections": _arc_sections(run) if run.family == "arc" else [],
        "generated": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    return env.get_template(TEMPLATE).render(**context)


def write_report(run_dir: str | Path) -> Path:
    """Analyse `run_dir` (tables and plots into `analysis/`) and write `report.html` there."""
    run = load_run(run_dir)
    analysis = analyze_runs([run], run.dir / ANALYSIS_DIR, plots=True, root=run.dir)
    text = render_report(run, analysis)
    path = run.dir / REPORT_NAME
    write_atomic(path, text, root=run.dir)
    return path


def write_report_quietly(run_dir: str | Path, console: Any) -> Path | None:
    """Called by the runners at the end of a run: a report that fails must not fail the run
    (its rows are already safe on disk); say why and how to retry."""
    try:
        path = write_report(run_dir)
    except Exception as exc:  # noqa: BLE001 - reported, never raised
        console.print(f"[yellow]report not written ({type(exc).__name__}: "
                      f"{console_text(exc)}); retry with `harness report "
                      f"{console_text(run_dir)}`")
        return None
    console.print(f"report: {path}", highlight=False)
    return path
