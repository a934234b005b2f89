"""The console summary of an ARC run: per task for one run, per run and aggregated for
repeats. Task ids and model names come from data files and are printed through
``console_text`` (they may hold terminal escapes or rich markup)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from harness.report.cells import cell_text
from harness.untrusted_text import console_text


def fmt(value: Any, digits: int = 3) -> str:
    return cell_text(value, digits)


def pixels(entry: dict[str, Any]) -> str:
    """``correct/total (accuracy)`` as the seed printed it; ``-`` when nothing was scored."""
    total = entry.get("total_pixels")
    if not total:
        return "-"
    return f"{entry.get('correct_pixels') or 0}/{total} ({fmt(entry.get('pixel_accuracy'))})"


def print_summary(console: Console, summary: dict[str, Any]) -> None:
    wide = Console(width=max(console.width, 150), file=console.file)
    title = console_text(f"eval arc: {summary['model']} on {summary['dataset']} "
                         f"{summary['subset']} ({summary['run_id']})")  # fmt: skip
    if summary["n_runs"] == 1:
        table = Table(title=title)
        for col in ("task", "score", "train-maj", "oracle", "pixels", "train perfect",
                    "candidates", "transductive", "outcomes", "cost $"):
            table.add_column(col, justify="left" if col in ("task", "outcomes") else "right",
                             no_wrap=col != "outcomes")
        for tid, t in summary["tasks"].items():
            outcomes = " ".join(f"{k}={v}" for k, v in sorted(t["outcomes"].items()))
            table.add_row(console_text(tid), fmt(t["score"]), fmt(t["train_majority_score"]),
                          fmt(t["oracle"]), pixels(t), fmt(t["train_perfect"]),
                          f"{t['candidates']}/{t['attempts']}", str(t["transductive"]), outcomes,
                          fmt(t["estimated_cost"], 4))  # fmt: skip
        wide.print(table)
    else:
        table = Table(title=title)
        for col in ("run", "score", "train-maj", "oracle", "all solved", "pixels",
                    "train perfect", "cost $"):
            table.add_column(col, justify="right")
        for run in summary["runs"]:
            m = run["metrics"]
            table.add_row(str(run["run"]), fmt(m["score"]), fmt(m["train_majority_score"]),
                          f"{m['oracle']}/{m['tasks']}", f"{m['all_test_solved']}/{m['tasks']}",
                          pixels(m), f"{m['train_perfect']}/{m['tasks']}", fmt(m["cost"], 4))
        wide.print(table)
        agg = Table(title="aggregate over runs (mean, sample std, 95% CI)")
        for col in ("metric", "mean", "std", "95% CI"):
            agg.add_column(col, justify="left" if col == "metric" else "right")
        for name in ("score", "train_majority_score", "oracle_rate", "pixel_accuracy",
                     "train_perfect_rate"):
            s = (summary["aggregate"] or {}).get(name)
            if s:
                agg.add_row(name, f"{s['mean']:.3f}", f"{s['std']:.3f}",
                            f"[{s['ci_low']:.3f}, {s['ci_high']:.3f}]")
        wide.print(agg)
    m = summary["metrics"]
    n, r = m["tasks"], m["responses"]
    cost = "unpriced" if m["cost"] is None else f"${m['cost']:.4f}"
    console.print(
        f"run 1: official score (weighted pass@2) {m['score']:.3f}, train-majority "
        f"{m['train_majority_score']:.3f}, oracle {m['oracle']}/{n}, all test outputs solved "
        f"{m['all_test_solved']}/{n}, pixel accuracy {pixels(m)}, train perfect "
        f"{m['train_perfect']}/{n}, at least one train pair {m['train_partial']}/{n}",
        highlight=False)  # fmt: skip
    console.print(
        f"responses {r}: api failures {m['api_failures']}, api timeouts {m['api_timeouts']}, "
        f"max-tokens {m['max_tokens_hits']}, no code {m['no_code']}, transductive "
        f"{m['transductive']}, program errors {m['program_errors']}; cost {cost}; tokens in "
        f"{m['prompt_tokens']} out {m['completion_tokens']}", highlight=False)  # fmt: skip
