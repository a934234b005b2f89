"""PNG plots of an analysis (matplotlib, Agg backend: no display needed).

Also the ARC grid picture helper (`arc_grid_png`), shared with the HTML report.

Plots are rendered to PNG bytes in memory; the caller writes them (atomically, inside the run
directory). Labels come from task ids and function names in the run directory, so they pass
`_label`: control characters escaped and `$` quoted (matplotlib would parse `$...$` as
mathtext, and a malformed formula is an exception at draw time).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

if TYPE_CHECKING:
    from harness.report.analysis_model import Analysis

# ARC colour map: 0 black, 1 blue, 2 red, 3 green, 4 yellow, 5 grey, 6 pink, 7 orange,
# 8 purple (light blue in the official viewer), 9 brown
ARC_COLOURS = ("#000000", "#0074D9", "#FF4136", "#2ECC40", "#FFDC00", "#AAAAAA", "#F012BE",
               "#FF851B", "#7FDBFF", "#870C25")  # fmt: skip
DPI = 100


def _save(fig: Any) -> bytes:
    buf = io.BytesIO()
    try:
        fig.tight_layout()
        fig.savefig(buf, dpi=DPI, format="png")
    finally:
        plt.close(fig)
    return buf.getvalue()


def _label(text: Any) -> str:
    """Untrusted text as a plain matplotlib label (no mathtext, no hidden ``_`` legend entry)."""
    from harness.untrusted_text import printable

    out = printable(text).replace("$", r"\$")
    return " " + out if out.startswith("_") else out


def accuracy_by_length(rows: Sequence[dict[str, Any]]) -> bytes | None:
    """Test (solid) and validation (dashed) mean vs L per function, 95% CI as error bars."""
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(7, 4))
    fns = list(dict.fromkeys(r["fn"] for r in rows))
    for i, fn in enumerate(fns):
        pts = sorted((r for r in rows if r["fn"] == fn), key=lambda r: r["length"])
        xs = [r["length"] for r in pts]
        colour = f"C{i % 10}"
        test = [r["test_mean"] or 0.0 for r in pts]
        err = [[m - (r["test_ci_low"] if r["test_ci_low"] is not None else m) for m, r in
                zip(test, pts, strict=True)],
               [(r["test_ci_high"] if r["test_ci_high"] is not None else m) - m for m, r in
                zip(test, pts, strict=True)]]  # fmt: skip
        ax.errorbar(xs, test, yerr=err, marker="o", color=colour, capsize=3,
                    label=_label(f"{fn} test"))
        ax.plot(xs, [r["val_mean"] or 0.0 for r in pts], linestyle="--", marker="x",
                color=colour, alpha=0.6, label=_label(f"{fn} val"))
    ax.set_xticks(sorted({r["length"] for r in rows}))
    ax.set_xlabel("input length L")
    ax.set_ylabel("accuracy of the selected program")
    ax.set_ylim(-0.02, 1.05)
    ax.axhline(0.5, color="grey", linewidth=0.8, linestyle=":")
    ax.set_title("accuracy by function and length (95% CI over trials)")
    ax.legend(fontsize=7, ncol=2, loc="lower left")
    return _save(fig)


def progression(rows: Sequence[dict[str, Any]]) -> bytes | None:
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(7, 4))
    for i, task_id in enumerate(dict.fromkeys(r["task_id"] for r in rows)):
        pts = [r for r in rows if r["task_id"] == task_id]
        ax.plot([r["attempt"] for r in pts], [r["best_test_so_far"] for r in pts], marker="o",
                color=f"C{i % 10}", label=_label(task_id))
    ax.set_xlabel("attempt")
    ax.set_ylabel("test accuracy of best-by-validation so far")
    ax.set_ylim(-0.02, 1.05)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_title("attempt progression")
    ax.legend(fontsize=7, ncol=2, loc="lower right")
    return _save(fig)


def val_test_scatter(best: Sequence[dict[str, Any]]) -> bytes | None:
    if not best:
        return None
    fig, ax = plt.subplots(figsize=(4.8, 4.5))
    for i, task_id in enumerate(dict.fromkeys(str(b["task_id"]) for b in best)):
        pts = [b for b in best if b["task_id"] == task_id]
        ax.scatter([float(b.get("val_acc") or 0) for b in pts],
                   [float(b.get("test_acc") or 0) for b in pts], color=f"C{i % 10}",
                   label=_label(task_id), alpha=0.8)  # fmt: skip
    ax.plot([0, 1], [0, 1], color="grey", linewidth=0.8)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("validation accuracy")
    ax.set_ylabel("test accuracy")
    ax.set_title("validation vs test (selected programs)")
    ax.legend(fontsize=7, loc="upper left")
    return _save(fig)


def error_bars(rows: Sequence[dict[str, Any]]) -> bytes | None:
    overall = next((r for r in rows if r.get("task_id") == "ALL"), None)
    if overall is None:
        return None
    n = overall["attempts"] or 1
    kinds = {"api error": overall["api_errors"] / n}
    for key, value in overall.items():
        if key.startswith("fatal_") and key.endswith("_rate") and value:
            kinds[key[len("fatal_"):-len("_rate")]] = value
    fig, ax = plt.subplots(figsize=(6, 3.2))
    names = list(kinds)
    ax.bar(names, [kinds[k] for k in names], color="C3")
    ax.set_ylabel("share of attempts")
    ax.set_ylim(0, max(0.05, max(kinds.values()) * 1.2))
    ax.set_title(f"attempts ending in an error, by kind (n = {overall['attempts']})")
    ax.tick_params(axis="x", labelrotation=20, labelsize=8)
    return _save(fig)


def pass_at_k(rows: Sequence[dict[str, Any]]) -> bytes | None:
    """ARC pass@k against k: one line per run (first k attempts), the mean in black, and the
    order-free estimate dashed."""
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(6, 4))
    curves = list(dict.fromkeys((r["run_id"], r["run"]) for r in rows))
    for i, key in enumerate(curves):
        pts = [r for r in rows if (r["run_id"], r["run"]) == key and r["pass_at_k"] is not None]
        mean = key[1] == "mean"
        label = "mean over runs" if mean else f"{key[0]} run {key[1]}"
        ax.plot([r["k"] for r in pts], [r["pass_at_k"] for r in pts], marker="o",
                color="black" if mean else f"C{i % 10}", linewidth=2.5 if mean else 1.2,
                label=_label(label))  # fmt: skip
    last = [r for r in rows if (r["run_id"], r["run"]) == curves[-1]]
    ax.plot([r["k"] for r in last], [r["pass_at_k_unbiased"] for r in last], linestyle="--",
            color="grey", label="unbiased estimate (any k of the attempts)")
    ax.set_xlabel("k (attempts)")
    ax.set_ylabel("share of tasks with every test output solved")
    ax.set_ylim(-0.02, 1.05)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_title("ARC pass@k by number of attempts")
    ax.legend(fontsize=7, loc="lower right")
    return _save(fig)


def write_plots(result: Analysis) -> dict[str, bytes]:
    """Every plot that has data, as PNG bytes by name (the file is `<name>.png`)."""
    made: dict[str, bytes | None] = {}
    tables = result.tables
    made["accuracy_by_length"] = accuracy_by_length(tables.get("summary_by_fn_length", []))
    made["attempt_progression"] = progression(tables.get("attempt_progression", []))
    made["val_test"] = val_test_scatter(result.best)
    made["errors"] = error_bars(tables.get("errors", []))
    made["arc_pass_at_k"] = pass_at_k(tables.get("arc_pass_at_k", []))
    return {k: v for k, v in made.items() if v is not None}


# ---------------------------------------------------------------------- ARC grids
def arc_grids_png(rows: Sequence[tuple[str, Sequence[Any], str]], title: str = "") -> bytes:
    """One PNG of grid rows: each row is (label, [grid or None, ...], status), status 'solved' /
    'failed' / '' framing the last grid in green / red. Grids are lists of lists of 0..9."""
    from matplotlib.colors import ListedColormap

    cmap = ListedColormap(ARC_COLOURS)
    n_rows = max(1, len(rows))
    n_cols = max((len(g) for _, g, _ in rows), default=1)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(2.2 * n_cols, 2.2 * n_rows), squeeze=False)
    for i, (label, grids, status) in enumerate(rows):
        for j in range(n_cols):
            ax = axes[i][j]
            ax.set_xticks([])
            ax.set_yticks([])
            grid = grids[j] if j < len(grids) else None
            if not _is_grid(grid):
                ax.text(0.5, 0.5, "no grid" if j < len(grids) else "", ha="center",
                        va="center", fontsize=8)  # fmt: skip
                for s in ax.spines.values():
                    s.set_visible(j < len(grids))
            else:
                ax.imshow(grid, cmap=cmap, vmin=0, vmax=9, interpolation="nearest")
            if j == 0:
                ax.set_ylabel(label, fontsize=8)
            if j == len(grids) - 1 and status in ("solved", "failed"):
                colour = "#2ECC40" if status == "solved" else "#FF4136"
                for s in ax.spines.values():
                    s.set_edgecolor(colour)
                    s.set_linewidth(4)
    if title:
        fig.suptitle(_label(title), fontsize=10)
    return _save(fig)


def _is_grid(grid: Any) -> bool:
    return (isinstance(grid, list) and bool(grid) and all(isinstance(r, list) and r for r in grid)
            and len({len(r) for r in grid}) == 1
            and all(isinstance(v, int) and 0 <= v <= 9 for r in grid for v in r))
