"""`harness usage`: token and cost totals per model, price table, overrides, unpriced models."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli.main import main
from harness.errors import UserError
from harness.report.usage import usage_report

COLUMNS = ["run_id", "row_type", "is_summary", "model", "prompt_tokens", "completion_tokens",
           "reasoning_tokens", "cached_tokens"]  # fmt: skip


def _csv(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in COLUMNS})
    return path


def _row(model: str, p: int, c: int, r: int = 0, cached: int = 0, kind: str = "attempt") -> dict:
    return {"run_id": "x", "row_type": kind, "is_summary": kind != "attempt", "model": model,
            "prompt_tokens": p, "completion_tokens": c, "reasoning_tokens": r,
            "cached_tokens": cached}


@pytest.fixture()
def results(tmp_path: Path) -> Path:
    return _csv(tmp_path / "llm_a.csv", [
        _row("gpt-5", 1_000_000, 100_000, 50_000),
        _row("gpt-5", 1_000_000, 100_000, 0, cached=500_000),
        _row("gpt-5-mini-2025-08-07", 2_000_000, 1_000_000),
        _row("my-local-model", 10, 10),
        _row("gpt-5", 9_999_999, 9_999_999, kind="best"),  # repeats an attempt: not counted
        _row("gpt-5", 9_999_999, 9_999_999, kind="summary"),
    ])  # fmt: skip


def test_totals_and_costs_per_model_from_the_price_table(results):
    report = usage_report([results])
    by = {m.model: m for m in report.models}
    gpt5 = by["gpt-5"]
    assert (gpt5.calls, gpt5.prompt_tokens, gpt5.completion_tokens) == (2, 2_000_000, 200_000)
    assert (gpt5.reasoning_tokens, gpt5.cached_tokens) == (50_000, 500_000)
    # 1.5M uncached x 1.25 + 0.5M cached x 0.125 + 0.2M output x 10, per 1M tokens
    assert gpt5.cost == pytest.approx(1.875 + 0.0625 + 2.0)
    mini = by["gpt-5-mini-2025-08-07"]  # longest prefix: gpt-5-mini, not gpt-5
    assert mini.cost == pytest.approx(2 * 0.25 + 1 * 2.0)
    assert report.unpriced == ["my-local-model"] and by["my-local-model"].cost is None
    assert report.total_cost == pytest.approx(3.9375 + 2.5)
    assert report.totals()["calls"] == 4


def test_rate_overrides_price_every_model(results):
    report = usage_report([results], input_rate=1.0, output_rate=2.0)
    by = {m.model: m for m in report.models}
    assert report.unpriced == []
    assert by["gpt-5"].cost == pytest.approx(2.0 * 1.0 + 0.2 * 2.0)
    assert by["my-local-model"].cost == pytest.approx((10 * 1.0 + 10 * 2.0) / 1e6)


def test_run_directory_and_several_csvs(tmp_path, results):
    run = tmp_path / "run"
    run.mkdir()
    (run / "manifest.json").write_text(json.dumps({"run_id": "r", "task_family": "erm"}))
    rows = [dict(_row("o4-mini", 1000, 2000), task_id="fn_a/L20", trial=1, attempt=k)
            for k in (1, 2)] + [dict(_row("o4-mini", 1000, 2000, kind="best"), task_id="fn_a/L20",
                                     trial=1, attempt=2)]  # fmt: skip
    (run / "results_attempts.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    other = _csv(tmp_path / "llm_b.csv", [_row("gpt-5", 1_000_000, 0)])
    report = usage_report([run, results, other])
    by = {m.model: m for m in report.models}
    assert by["o4-mini"].calls == 2 and by["o4-mini"].prompt_tokens == 2000
    assert by["gpt-5"].calls == 3


def test_cli_prints_table_and_unpriced_models(results, tmp_path):
    out_csv = tmp_path / "usage.csv"
    result = CliRunner().invoke(main, ["usage", str(results), "--csv", str(out_csv)])
    assert result.exit_code == 0, result.output
    assert "gpt-5-mini-2025-08-07" in result.output
    assert "unpriced models" in result.output and "my-local-model" in result.output
    rows = list(csv.DictReader(open(out_csv)))
    assert {r["model"] for r in rows} == {"gpt-5", "gpt-5-mini-2025-08-07", "my-local-model"}
    result = CliRunner().invoke(main, ["usage", str(results), "--input-rate", "1.75",
                                       "--output-rate", "14"])  # fmt: skip
    assert result.exit_code == 0 and "unpriced models" not in result.output


def test_bad_inputs(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        usage_report([tmp_path / "nope.csv"])
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(UserError, match="no 'model' column"):
        usage_report([bad])
    result = CliRunner().invoke(main, ["usage", str(tmp_path)])
    assert result.exit_code == 2 and "not a run directory" in result.output
