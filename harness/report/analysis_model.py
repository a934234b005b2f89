"""What ``analyze`` computed for a run: the one object the tables, the plots and the HTML report
read (its own module, so that the plots depend on the data and not on the analysis code)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.report.leakage import SplitAudit


@dataclass
class Analysis:
    """Everything `analyze` computed for one run (or a pool of runs)."""

    run_ids: list[str]
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    gate: dict[str, Any] = field(default_factory=dict)
    leakage: list[SplitAudit] = field(default_factory=list)
    plots: dict[str, Path] = field(default_factory=dict)
    plot_png: dict[str, bytes] = field(default_factory=dict)  # the same plots, as written
    best: list[dict[str, Any]] = field(default_factory=list)  # selected programs' rows
    out_dir: Path | None = None
