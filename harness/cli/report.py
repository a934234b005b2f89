"""`harness rerun | usage | analyze | report`: working with finished run directories.

Flags are parsed here; the work is in `harness.run.rerun` and `harness.report.*`. Strings read from
a run directory (task ids, function and model names, run ids, reasons) are printed through
`console_text`: escapes and rich markup in them are shown, never obeyed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from harness.cli.options import MultiValueOption
from harness.cli.run_options import setting_option
from harness.families.arc.data import DATASETS
from harness.run.config import BACKENDS, MAX_TEST_SIZE, MAX_WORKERS, POLICIES
from harness.untrusted_text import console_text as _t

_RUN_DIR = click.Path(file_okay=False, path_type=Path)


@click.command("rerun")
@click.argument("run_dir", type=_RUN_DIR)
@click.option("--test-size", type=click.IntRange(2, MAX_TEST_SIZE), default=None,
              help="Test inputs of the new datasets.  [default: the run's]")
@click.option("--seed", type=int, default=None, help="Base dataset seed.  [default: the run's]")
@click.option("--functions", cls=MultiValueOption, help="Only these functions.")
@click.option("--lengths", cls=MultiValueOption, item_type=int, help="Only these lengths.")
@click.option("--out-dir", type=click.Path(file_okay=False), default=None,
              help="Parent of the new run directory.  [default: the source run's parent]")
@click.option("--run-id", default=None,
              help="New run directory name.  [default: <run>-rerun-<time>]")
@click.option("--all-attempts", is_flag=True, default=False,
              help="Re-run every attempt's program, not only each trial's selected one.")
@click.option("--backend", type=click.Choice(BACKENDS), default="docker", show_default=True,
              help="Sandbox backend.")
@setting_option("runtime", help="Docker runtime: runc, or runsc for gVisor (docker backend only).")
@click.option("--workers", type=click.IntRange(1, MAX_WORKERS), default=None,
              help="Sandbox pool size.  [default: the run's]")
@click.option("--policy", type=click.Choice(POLICIES), default=None,
              help="Language policy; a run made with 'off' is rerun under it only with "
                   "--policy off.  [default: the run's if standard or strict]")
@click.option("--dataset-dir", default=None,
              help="Dataset cache root.  [default: the run's, if it is yours or inside the run]")
@click.option("--tabular-dir", default=None,
              help="Raw UCI files.  [default: the run's, if it is yours or inside the run]")
@click.option("--dataset", "arc_dataset", type=click.Choice(list(DATASETS)),
              default=None, help="ARC runs: tasks to re-score on.  [default: the run's dataset]")
@click.option("--subset", default=None,
              help="ARC runs: subset of --dataset to run every stored program on.  "
                   "[default: the run's own tasks]")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="ARC runs: a directory of task JSON files instead of the packaged data.")
@click.option("--limit", type=click.IntRange(1), default=None, help="ARC runs: first N tasks.")
@click.option("--no-progress", is_flag=True, default=False, help="No progress bar.")
def rerun(run_dir: Path, test_size: int | None, seed: int | None, functions: tuple[str, ...],
          lengths: tuple[int, ...], out_dir: str | None, run_id: str | None, all_attempts: bool,
          backend: str, runtime: str, workers: int | None, policy: str | None,
          dataset_dir: str | None, tabular_dir: str | None, arc_dataset: str | None,
          subset: str | None, data_dir: Path | None, limit: int | None,
          no_progress: bool) -> None:
    """Score a run's stored programs on new test sets (no model is called).

    Hidden-mapping runs: new datasets (--test-size, --seed). ARC runs: the run's tasks again, or
    every stored program on the tasks of --dataset/--subset (e.g. ARC-AGI-1 programs on
    ARC-AGI-2), scored and voted as attempts are."""
    from harness.errors import UserError
    from harness.families.erm.rerun import rerun as do_rerun
    from harness.report.rundir import load_run
    from harness.sandbox.backend import check_runtime

    check_runtime(backend, runtime)
    console = Console(width=max(Console().width, 120))
    source = load_run(run_dir)
    if source.family == "arc":
        _rerun_arc(source, console, out_dir=out_dir, run_id=run_id, all_attempts=all_attempts,
                   backend=backend, runtime=runtime, workers=workers, policy=policy,
                   dataset=arc_dataset,
                   subset=subset, data_dir=data_dir, limit=limit, progress=not no_progress)
        return
    if arc_dataset or subset or data_dir or limit:
        raise UserError("--dataset/--subset/--data-dir/--limit apply to ARC runs; "
                        f"{run_dir} is a {source.family} run")  # printed escaped by the CLI
    result = do_rerun(run_dir, test_size=test_size, seed=seed, functions=functions,
                      lengths=lengths, out_dir=out_dir, run_id=run_id,
                      all_attempts=all_attempts, backend=backend, runtime=runtime,
                      workers=workers, policy=policy, tabular_dir=tabular_dir,
                      dataset_dir=dataset_dir, argv=sys.argv, console=console,
                      progress=not no_progress and sys.stderr.isatty())  # fmt: skip
    table = Table(title=f"rerun of {_t(run_dir.name)}")
    for col in ("fn", "L", "trials", "programs", "val", "test", "source val", "source test"):
        table.add_column(col, justify="left" if col == "fn" else "right", no_wrap=True)

    def ms(row: dict[str, Any], metric: str) -> str:
        m, s = row.get(f"{metric}_mean"), row.get(f"{metric}_std")
        return "-" if m is None else f"{m:.3f}±{s:.3f}"

    for row in result.summary:
        table.add_row(_t(row["fn"]), _t(row["length"]), str(row["n_trials"]),
                      str(row["n_attempts"]), ms(row, "val_acc"), ms(row, "test_acc"),
                      ms(row, "source_val_acc"), ms(row, "source_test_acc"))
    console.print(table)
    if result.skipped:
        console.print(f"{len(result.skipped)} selected row(s) hold no program and were skipped")
    console.print(f"{result.programs} programs in {result.exec_s:.2f} s: "
                  f"{result.programs_per_s:.1f} programs/s", highlight=False)
    console.print(f"run directory: {_t(result.run_dir)}", highlight=False)


def _rerun_arc(source: Any, console: Console, *, out_dir: str | None, run_id: str | None,
               all_attempts: bool, backend: str, runtime: str, workers: int | None,
               policy: str | None, dataset: str | None,
               subset: str | None, data_dir: Path | None, limit: int | None,
               progress: bool) -> None:
    from harness.families.arc.rerun import arc_rerun

    result = arc_rerun(source, dataset=dataset, subset=subset, data_dir=data_dir, limit=limit,
                       all_attempts=all_attempts,
                       out_dir=Path(out_dir) if out_dir else source.dir.parent,
                       run_id=run_id, policy=policy,
                       backend=backend, runtime=runtime, workers=workers, argv=sys.argv,
                       progress=progress and sys.stderr.isatty(), console=console)
    table = Table(title=f"rerun of {_t(source.dir.name)}: {result.programs} programs")
    for col in ("task", "score", "oracle", "train perfect", "programs solving"):
        table.add_column(col, justify="left" if col == "task" else "right")
    for task_id, t in result.tasks.items():
        table.add_row(_t(task_id), "-" if t.get("score") is None else f"{t['score']:.3f}",
                      str(t.get("oracle")), str(t.get("train_perfect")),
                      str(t.get("attempts_test_correct")))
    console.print(table)
    console.print(f"official score {result.score:.3f} over {len(result.tasks)} tasks; "
                  f"{result.runs} program runs in {result.exec_s:.2f} s: "
                  f"{result.programs_per_s:.1f} programs/s", highlight=False)
    console.print(f"run directory: {_t(result.run_dir)}", highlight=False)


@click.command("usage")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--input-rate", type=click.FloatRange(min=0), default=None,
              help="USD per 1M input tokens, for every model (overrides the price table).")
@click.option("--output-rate", type=click.FloatRange(min=0), default=None,
              help="USD per 1M output tokens, for every model (overrides the price table).")
@click.option("--csv", "csv_out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the per-model table to this CSV file.")
def usage(paths: tuple[Path, ...], input_rate: float | None, output_rate: float | None,
          csv_out: Path | None) -> None:
    """Token and cost totals per model, from run directories or results CSV files."""
    from harness.report.analyze import write_csv
    from harness.report.usage import render, usage_report

    report = usage_report(paths, input_rate, output_rate)
    render(report, Console(width=max(Console().width, 120)))
    if csv_out is not None:
        write_csv(csv_out, report.as_rows())


@click.command("analyze")
@click.argument("run_dirs", nargs=-1, type=_RUN_DIR)
@click.option("--run-dir", "named", multiple=True, type=_RUN_DIR,
              help="A run directory, as the seed's analysis scripts took it (same as giving "
                   "it as an argument; repeatable).")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the pooled tables of several runs go.  "
                   "[default: <first run>/analysis/combined]")
@click.option("--no-plots", is_flag=True, default=False, help="Tables only.")
def analyze(run_dirs: tuple[Path, ...], named: tuple[Path, ...], out_dir: Path | None,
            no_plots: bool) -> None:  # fmt: skip
    """Summaries, error rates, attempt progression, ARC pass@k, leakage audit, research gate
    (CSV + PNG)."""
    from harness.report.analyze import analyze as do_analyze

    run_dirs = run_dirs + named
    if not run_dirs:
        raise click.UsageError("give at least one RUN_DIR (or --run-dir RUN_DIR)")

    console = Console(width=max(Console().width, 110))
    for result in do_analyze(run_dirs, out_dir, plots=not no_plots):
        label = ", ".join(_t(run_id) for run_id in result.run_ids)
        gate = result.gate
        verdict = "[green]PASSED" if gate.get("passed") else "[red]NOT PASSED"
        console.print(f"{label}: research gate {verdict}[/] "
                      f"(compile rate {gate.get('compile_rate')}, "
                      f"no leakage: {gate.get('no_leakage')})")
        for reason in gate.get("reasons", []):
            console.print(f"  - {_t(reason)}", highlight=False)
        rows = result.tables.get("summary_by_fn_length", [])
        if rows:
            table = Table()
            for col in ("fn", "L", "trials", "test mean", "std", "SEM", "95% CI", "seed spread"):
                table.add_column(col, justify="left" if col == "fn" else "right")
            for r in rows:
                ci = ("-" if r["test_ci_low"] is None
                      else f"[{r['test_ci_low']:.3f}, {r['test_ci_high']:.3f}]")  # fmt: skip
                table.add_row(_t(r["fn"]), _t(r["length"]), str(r["n_trials"]),
                              _num(r["test_mean"]), _num(r["test_std"]), _num(r["test_sem"]),
                              ci, _num(r["seed_spread_test"]))
            console.print(table)
        _print_pass_at_k(console, result.tables.get("arc_pass_at_k", []))
        console.print(f"  written to {_t(result.out_dir)}", highlight=False)


def _print_pass_at_k(console: Console, rows: list[dict[str, Any]]) -> None:
    """ARC: pass@k by attempts (the mean over runs when several; every run in the CSV)."""
    from harness.report.passk import headline

    shown = headline(rows)
    if not shown:
        return
    mean = shown[0].get("run") == "mean"
    table = Table(title="ARC pass@k (mean over runs)" if mean else "ARC pass@k")
    for col in ("k", "solved/tasks" + (" (all runs)" if mean else ""),
                "pass@k (attempts 1..k)", "pass@k (unbiased)"):  # fmt: skip
        table.add_column(col, justify="right")
    for r in shown:
        table.add_row(str(r["k"]), f"{r['solved']}/{r['tasks']}", _num(r["pass_at_k"]),
                      _num(r["pass_at_k_unbiased"]))
    console.print(table)


def _num(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}"


@click.command("report")
@click.argument("run_dir", type=_RUN_DIR)
def report(run_dir: Path) -> None:
    """Write RUN_DIR/report.html: configuration, tables, plots, programs (one file)."""
    from harness.report.html import write_report
    from harness.untrusted_text import printable

    click.echo(printable(write_report(run_dir)))


COMMANDS = [rerun, usage, analyze, report]
