"""Token and cost totals per model, from run directories or results CSV files.

Only attempt rows count (best/summary rows repeat them). Cost is recomputed from the token
counts with the one price table (`harness.models.pricing`, longest-prefix match); the
`input_rate`/`output_rate` overrides (USD per 1M tokens) apply to every model. A model the table
does not know, with no override, is *unpriced*: listed, never silently priced.

Model names come from the rows, i.e. from whoever wrote them: they are escaped before the
terminal sees them (`console_text`) and neutralised in `--csv` (`csv_cell`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import UserError
from harness.models.base import USAGE_FIELDS, Usage
from harness.models.pricing import estimate_cost, lookup_price
from harness.safe_io import RunFileError, read_text
from harness.untrusted_text import console_text, printable

TOKEN_FIELDS = USAGE_FIELDS


@dataclass
class ModelUsage:
    model: str
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0
    cached_tokens: int = 0
    cost: float | None = None
    input_rate: float | None = None
    output_rate: float | None = None

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass
class UsageReport:
    models: list[ModelUsage]
    sources: list[str]
    unpriced: list[str] = field(default_factory=list)

    @property
    def total_cost(self) -> float:
        return sum(m.cost for m in self.models if m.cost is not None)

    def totals(self) -> dict[str, int]:
        return {f: sum(getattr(m, f) for m in self.models) for f in ("calls", *TOKEN_FIELDS)}

    def as_rows(self) -> list[dict[str, Any]]:
        return [{"model": m.model, "calls": m.calls, **{f: getattr(m, f) for f in TOKEN_FIELDS},
                 "input_rate": m.input_rate, "output_rate": m.output_rate,
                 "cost_usd": None if m.cost is None else round(m.cost, 6)}
                for m in self.models]  # fmt: skip


def _int(value: Any) -> int:
    if value in (None, ""):
        return 0
    try:
        return int(float(value))
    except (TypeError, ValueError, OverflowError):
        return 0


def _is_attempt(row: dict[str, Any]) -> bool:
    row_type = row.get("row_type")
    if row_type not in (None, ""):
        return row_type == "attempt"
    flag = str(row.get("is_summary", "")).strip().lower()
    return flag not in ("true", "1", "yes")


def _csv_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of a results CSV (size-capped; a link or FIFO is refused)."""
    try:
        reader = csv.DictReader(io.StringIO(read_text(path, root=path.parent), newline=""))
        if not reader.fieldnames or "model" not in reader.fieldnames:
            raise UserError(f"{printable(path)} has no 'model' column: not a results CSV")
        return list(reader)
    except RunFileError:
        raise
    except (OSError, csv.Error) as exc:
        raise UserError(f"cannot read {printable(path)}: {printable(exc)}") from None


def _run_rows(path: Path) -> list[dict[str, Any]]:
    from harness.report.rundir import load_run

    run = load_run(path)
    rows = list(run.attempts)
    if rows:
        return rows
    for task in run.arc_tasks:  # ARC task logs only (no rows file): attempts with a usage dict
        for att in task.get("attempts") or []:
            usage = att.get("usage") or {}
            rows.append({"model": att.get("model") or run.config.get("model"),
                         **{f: usage.get(f, att.get(f)) for f in TOKEN_FIELDS}})
    return rows


def collect_rows(paths: Sequence[str | Path]) -> list[dict[str, Any]]:
    """Attempt rows from run directories (results_attempts.jsonl) and CSV files."""
    if not paths:
        raise UserError("give at least one run directory or results CSV")
    rows: list[dict[str, Any]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            rows.extend(_run_rows(path))
        elif path.is_file():
            rows.extend(r for r in _csv_rows(path) if _is_attempt(r))
        else:
            raise UserError(f"{printable(path)} does not exist")
    return rows


def usage_report(paths: Sequence[str | Path], input_rate: float | None = None,
                 output_rate: float | None = None) -> UsageReport:
    return summarise(collect_rows(paths), [str(p) for p in paths], input_rate, output_rate)


def summarise(rows: Iterable[dict[str, Any]], sources: list[str],
              input_rate: float | None = None, output_rate: float | None = None) -> UsageReport:
    by_model: dict[str, ModelUsage] = {}
    for row in rows:
        model = str(row.get("model") or "unknown")
        m = by_model.setdefault(model, ModelUsage(model))
        m.calls += 1
        for f in TOKEN_FIELDS:
            setattr(m, f, getattr(m, f) + _int(row.get(f)))
    unpriced = []
    for m in by_model.values():
        price = lookup_price(m.model)
        m.input_rate = input_rate if input_rate is not None else (price.input if price else None)
        m.output_rate = (output_rate if output_rate is not None
                         else (price.output if price else None))  # fmt: skip
        usage = Usage(m.prompt_tokens, m.completion_tokens, m.reasoning_tokens, m.cached_tokens)
        m.cost = estimate_cost(m.model, usage, input_rate, output_rate)
        if m.cost is None:
            unpriced.append(m.model)
    models = sorted(by_model.values(), key=lambda m: (-(m.cost or 0.0), m.model))
    return UsageReport(models, sources, sorted(unpriced))


def render(report: UsageReport, console: Any) -> None:
    """A rich table, totals, and the unpriced models on their own line."""
    from rich.table import Table

    table = Table(title="token usage and estimated cost (USD)")
    for col in ("model", "calls", "prompt", "cached", "completion", "reasoning", "in $/1M",
                "out $/1M", "cost $"):
        table.add_column(col, justify="left" if col == "model" else "right", no_wrap=True)

    def rate(v: float | None) -> str:
        return "-" if v is None else f"{v:g}"

    for m in report.models:
        table.add_row(console_text(m.model), str(m.calls), f"{m.prompt_tokens:,}",
                      f"{m.cached_tokens:,}", f"{m.completion_tokens:,}",
                      f"{m.reasoning_tokens:,}", rate(m.input_rate),
                      rate(m.output_rate), "unpriced" if m.cost is None else f"{m.cost:.4f}")
    t = report.totals()
    table.add_section()
    table.add_row("total", str(t["calls"]), f"{t['prompt_tokens']:,}", f"{t['cached_tokens']:,}",
                  f"{t['completion_tokens']:,}", f"{t['reasoning_tokens']:,}", "", "",
                  f"{report.total_cost:.4f}" + ("+" if report.unpriced else ""))
    console.print(table)
    if report.unpriced:
        console.print(f"unpriced models (not in the price table; pass --input-rate/--output-rate):"
                      f" {', '.join(map(console_text, report.unpriced))}", highlight=False)
