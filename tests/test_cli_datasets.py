"""The `datasets` Click group: grid generation, show, fetch refusals, one-line user errors."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from harness.cli.datasets import datasets, grid_points
from harness.cli.options import MultiValueOption, split_values
from harness.errors import UserError

SMALL = ["--train-size", "4", "--val-size", "4", "--test-size", "20"]


def run(args: list[str]):
    return CliRunner().invoke(datasets, args)


def test_generate_greedy_lists_and_cache_reuse(tmp_path: Path) -> None:
    args = ["generate", "--functions", "fn_a", "fn_e", "--lengths", "20", "30",
            "--dataset-dir", str(tmp_path), "--workers", "1", *SMALL]  # fmt: skip
    first = run(args)
    assert first.exit_code == 0, first.output
    assert "4 grid points (4 generated, 0 cached)" in first.output
    assert len(list(tmp_path.glob("*/L*/seed*/meta.json"))) == 4
    second = run(args)
    assert second.exit_code == 0 and "(0 generated, 4 cached)" in second.output


def test_generate_comma_lists_and_default_lengths(tmp_path: Path) -> None:
    result = run(["generate", "--functions", "fn_h,fn_b", "--dataset-dir", str(tmp_path),
                  "--workers", "1", *SMALL])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "dyck2").iterdir()) == [
        "L100", "L20", "L40", "L60", "L80"
    ]  # fmt: skip
    assert len(list((tmp_path / "parity_first_half").iterdir())) == 5


def test_parallel_workers_write_the_same_bytes(tmp_path: Path) -> None:
    common = ["generate", "--functions", "fn_c", "fn_k", "--lengths", "24", *SMALL]
    assert run([*common, "--dataset-dir", str(tmp_path / "one"), "--workers", "1"]).exit_code == 0
    two = run([*common, "--dataset-dir", str(tmp_path / "two"), "--workers", "2"])
    assert two.exit_code == 0, two.output
    files = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*.*"))
    assert len(files) == 8
    for rel in files:
        assert (tmp_path / "one" / rel).read_bytes() == (tmp_path / "two" / rel).read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["generate", "--functions", "fn_zz"], "unknown function(s) fn_zz"),
        (["show", "fn_h", "--length", "22"], "multiple of 4"),  # one point: no default to use
        (["generate", "--functions", "fn_a", "--lengths", "20", "--train-size", "3"], "even"),
        (["generate", "--functions", "fn_g", "--lengths", "4", "--train-size", "10"],
         "only 4 distinct positive"),
        (["show", "fn_m"], "adult.data"),
        (["fetch", "--functions", "fn_a"], "generated, not downloaded"),
    ],
)  # fmt: skip
def test_user_mistakes_are_one_line_errors(args: list[str], message: str, tmp_path: Path) -> None:
    result = run([*args, "--dataset-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)  # handled by Click, no traceback
    assert message in result.output
    assert "Traceback" not in result.output


def test_errors_are_user_errors() -> None:
    from harness.cli.datasets import DatasetsUserError

    assert issubclass(DatasetsUserError, UserError)
    assert issubclass(DatasetsUserError, click.ClickException)


def test_show_prints_counts_balance_positions_and_lines(tmp_path: Path) -> None:
    result = run(["show", "fn_e", "--length", "50", "--dataset-dir", str(tmp_path), *SMALL,
                  "--lines", "2"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "positions: [17, 30, 42]" in result.output
    assert "train n=4      positives=2      negatives=2" in result.output
    assert "test  n=20     positives=10     negatives=10" in result.output
    assert sum(" -> " in line for line in result.output.splitlines()) == 2


def test_show_reports_small_space(tmp_path: Path) -> None:
    result = run(["show", "fn_g", "--length", "20", "--dataset-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "small space" in result.output and "'distinct': 1024" in result.output


def test_show_needs_a_length_for_string_tasks(tmp_path: Path) -> None:
    result = run(["show", "fn_a", "--dataset-dir", str(tmp_path)])
    assert result.exit_code == 2 and "--length is required" in result.output


def test_grid_points_defaults() -> None:
    points = grid_points(("fn_a", "fn_h"), ())
    assert points[:5] == [("fn_a", L) for L in (100, 50, 30, 25, 20)]
    assert points[5:] == [("fn_h", L) for L in (100, 80, 60, 40, 20)]


def test_multi_value_option_forms() -> None:
    @click.command()
    @click.option("--names", cls=MultiValueOption)
    @click.option("--nums", cls=MultiValueOption, item_type=int)
    @click.option("--flag", is_flag=True)
    def cmd(names: tuple[str, ...], nums: tuple[int, ...], flag: bool) -> None:
        click.echo(f"{names}|{nums}|{flag}")

    runner = CliRunner()
    out = runner.invoke(cmd, ["--names", "a", "b", "--nums", "1", "2,3", "--flag"]).output
    assert out.strip() == "('a', 'b')|(1, 2, 3)|True"
    out = runner.invoke(cmd, ["--nums", "1", "--nums", "4", "--names=x,y"]).output
    assert out.strip() == "('x', 'y')|(1, 4)|False"
    assert runner.invoke(cmd, []).output.strip() == "()|()|False"
    bad = runner.invoke(cmd, ["--nums", "1", "x"])
    assert bad.exit_code == 2 and "'x' is not a valid integer" in bad.output
    assert split_values(["a b", "c,d", " "]) == ["a", "b", "c", "d"]
