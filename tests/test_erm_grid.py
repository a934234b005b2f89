"""The hidden-mapping family's grid: which (function, length) points a run covers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli.main import main
from harness.errors import UserError
from harness.families.erm.task import grid_points

SEED_LENGTHS = ("100", "50", "30", "25", "20")  # the seed tools' common --lengths


def test_grid_points():
    assert grid_points(("fn_a", "fn_h"), (20, 40)) == [("fn_a", 20), ("fn_a", 40),
                                                       ("fn_h", 20), ("fn_h", 40)]
    assert grid_points(("fn_h",), ())[0] == ("fn_h", 100)
    with pytest.raises(UserError, match="unknown"):
        grid_points(("fn_z",), (20,))
    with pytest.raises(UserError, match="positive"):
        grid_points(("fn_a",), (0,))


def test_fn_h_with_lengths_it_cannot_take_runs_at_its_own_with_one_notice():
    heard: list[str] = []
    points = grid_points(("fn_a", "fn_h"), tuple(map(int, SEED_LENGTHS)), heard.append)
    assert points == [("fn_a", L) for L in (100, 50, 30, 25, 20)] + [
        ("fn_h", L) for L in (100, 80, 60, 40, 20)]
    assert heard == ["fn_h (dyck2) needs lengths that are multiples of 4 (50 30 25 are not): it "
                     "runs at its own lengths 100 80 60 40 20, as the seed tools do"]
    heard.clear()
    assert grid_points(("fn_h",), (30,), heard.append) == [
        ("fn_h", L) for L in (100, 80, 60, 40, 20)]
    assert heard and "(30 is not)" in heard[0]
    heard.clear()
    assert grid_points(("fn_h",), (20, 40), heard.append) == [("fn_h", 20), ("fn_h", 40)]
    assert heard == []  # lengths it can take are kept, silently


def test_eval_erm_with_the_seed_lengths_prints_the_notice_on_stderr(tmp_path: Path):
    result = CliRunner().invoke(
        main, ["eval", "erm", "--model", "gpt-5", "--functions", "fn_h", "--lengths",
               *SEED_LENGTHS, "--test-size", "100", "--dataset-dir", str(tmp_path), "--dry-run"],
        env={"OPENAI_API_KEY": None, "TAMU_API_KEY": None})  # fmt: skip
    assert result.exit_code == 0, result.output
    notices = [line for line in result.stderr.strip().splitlines()
               if not line.startswith("# estimate:")]  # fmt: skip
    assert len(notices) == 1 and notices[0].startswith("notice: fn_h (dyck2) needs lengths")
    heads = [line for line in result.stdout.splitlines() if line.startswith("# ")]
    assert [h.split()[1] for h in heads] == [f"fn_h/L{L}" for L in (100, 80, 60, 40, 20)]
    assert json.loads(result.stdout.split("\n", 1)[1].split("\n# ")[0])["model"] == "gpt-5"
