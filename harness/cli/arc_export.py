"""`harness arc export-training` and `harness arc export-tasks`: fine-tuning data from the
programs of ARC runs (the seed's ``generate_training_data.py``) or from a subset's tasks alone
(its ``create_simple_dataset.py``).

The seed's example command lines run as written with the script replaced by the command, so
its habits are the defaults here: with no RUN_DIRS every ARC run under ``runs/`` is read (the
seed reads its whole log folder); with neither ``--out`` nor ``--output`` the records go to
``training_data/training_data.jsonl`` (where the seed writes); there is no validation split
unless ``--validation`` (or ``--val-fraction``) asks for one; and the ``--hf-*`` flags are
recorded, never acted on (no network, no hub token: one line says how to upload instead).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from harness.cli.arc_common import data_dir_option, user_errors, yyyymmdd
from harness.cli.log_options import set_log_level
from harness.cli.options import EnvOption
from harness.errors import UserError
from harness.families.arc import export as ex
from harness.families.arc.data import DATASETS
from harness.families.arc.subsets import resolve_subset
from harness.untrusted_text import printable

#: Where the seed writes (its report: training_data/training_data_train.jsonl and _val.jsonl).
DEFAULT_OUTPUT = Path("training_data") / "training_data.jsonl"
Decorator = Callable[[Any], Any]


def _options(*options: Decorator) -> Decorator:
    """Several click options as one decorator, listed in ``--help`` in the order given."""

    def apply(func: Any) -> Any:
        for option in reversed(options):
            func = option(func)
        return func

    return apply


def _debug(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """The seed's ``--debug`` on this command: the decisions are logged at debug level, so the
    same switch as ``harness --debug`` shows them (and they never reach stdout)."""
    if value:
        set_log_level("debug")


_split_options = _options(
    click.option("--validation", is_flag=True,
                 help=f"Put a validation split aside: {ex.VALIDATION_FRACTION:.0%} of the tasks "
                      "(whole tasks, stratified by difficulty) unless --val-fraction says "
                      "otherwise. Without it there is none, as in the seed."),
    click.option("--val-fraction", type=click.FloatRange(0, 1), default=None,
                 help="Share of the tasks in the validation split; giving it asks for a split "
                      "(0: none).  [default: 0.1 with --validation, else 0]"),
)  # fmt: skip


def _hub_options(prefix: str) -> Decorator:
    """The seed's --hf-* flags; ``prefix`` starts the automatic dataset name."""
    return _options(
        click.option("--hf-dataset-name", metavar="NAME", default=None,
                     help="Hugging Face dataset name to record and put in the upload command "
                          "printed (nothing is pushed: no network here).  [default: "
                          f"{prefix}_<dataset>_<subset>_<YYYYMMDD_HHMMSS>, as the seed]"),
        click.option("--hf-org", metavar="ORG", default=None,
                     help="Hugging Face organisation of that dataset.  [default: your own "
                          "namespace]"),
        click.option("--hf-private", is_flag=True,
                     help="Record that the dataset is to be private (the upload command "
                          "printed gets --private)."),
    )  # fmt: skip


def _fraction(validation: bool, val_fraction: float | None) -> float:
    """The validation share: --val-fraction when given, a tenth with --validation, else 0."""
    if val_fraction is not None:
        return val_fraction
    return ex.VALIDATION_FRACTION if validation else 0.0


def _layout(out_dir: Path | None, output: Path | None, split: bool) -> ex.Layout:
    """Where the files go (checked before any run is read, so a bad path fails at once)."""
    if out_dir is not None and output is not None:
        raise UserError("--out DIR and --output FILE exclude each other; give one")
    if out_dir is not None:
        return ex.folder_layout(out_dir)
    return ex.file_layout(output or DEFAULT_OUTPUT, split)


def _report_written(records: list[dict[str, Any]], written: dict[str, Path]) -> None:
    """One line per file written, with its size in records and tasks (the seed's "Saved ...
    (154 examples from 40 tasks)")."""
    for split, path in written.items():
        rows = [r for r in records if r["split"] == split]
        click.echo(f"{split}: {len(rows)} records from {ex.tasks_of(rows)} tasks -> "
                   f"{printable(path)} (+ .parquet)")


def _report_hub(hub: ex.HubRequest, layout: ex.Layout, name: str) -> None:
    """Where the seed would have pushed: one line saying nothing was, and how to upload."""
    if hub.asked:
        click.echo(ex.upload_hint(hub.repo_id(name), layout.folder, layout.parquet_names(),
                                  hub.private))


def _report_counts(counts: ex.ExportCounts) -> None:
    """What was read and why programs were dropped, so a thin export explains itself."""
    click.echo(f"read {counts.logs} task logs, {counts.attempts} attempts; "
               f"{counts.programs} programs, {counts.kept} records kept")
    for reason, n in sorted(counts.dropped.items()):
        click.echo(f"  dropped {n:5d}  {reason}")
    if counts.strip_kept_original:
        click.echo(f"  {counts.strip_kept_original} programs kept with comments (stripping "
                   "broke them)")
    bal = counts.balance
    if bal:
        click.echo(f"balance: {bal['with_correct']} tasks with a correct train example, "
                   f"{bal['without_correct']} without; "
                   + (f"skipped ({bal['skipped']})" if bal["skipped"] else
                      f"dropped {bal['dropped_tasks']} tasks ({bal['dropped_records']} records)"))


def _found_info(found: ex.FoundRuns | None) -> dict[str, Any] | None:
    """For export.json: where the runs were found and what was passed over there (None when
    RUN_DIRS were named), so a later reader knows the inputs were not chosen by hand."""
    if found is None:
        return None
    return {"folder": str(found.folder), "runs": len(found.runs),
            "other_family": found.other_family, "no_tasks": found.no_tasks,
            "links": found.links}  # fmt: skip


@click.command("export-training")
@click.argument("run_dirs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--runs-dir", type=click.Path(path_type=Path), default="runs", show_default=True,
              metavar="DIR",
              cls=EnvOption, envvar="OUT_DIR", show_envvar=True,
              help="Without RUN_DIRS: read every ARC run directory in this folder (where "
                   "'harness eval' writes them), in name order, oldest first; runs of other "
                   "task families are skipped and counted.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None, metavar="DIR",
              help="Folder for train/validation .jsonl and .parquet files and export.json "
                   "(instead of --output).")
@click.option("--output", type=click.Path(path_type=Path), default=None, metavar="FILE",
              help="JSONL file to write, as the seed does: FILE itself, or <stem>_train and "
                   "<stem>_val with a validation split; .parquet twins and <stem>.export.json "
                   "beside it.  [default: training_data/training_data.jsonl unless --out]")
@click.option("--model", "models", multiple=True,
              help="Only logs of this model (repeat the flag or give a comma-separated list; "
                   "case-insensitive).")
@click.option("--dataset", default=None, help="Only logs of this dataset (e.g. arc-agi-1).")
@click.option("--subset", default=None, help="Only logs of this subset (e.g. all_training).")
@click.option("--date-from", callback=yyyymmdd, metavar="YYYYMMDD",
              help="Only runs started on or after this day (UTC, from the run's manifest).")
@click.option("--date-to", callback=yyyymmdd, metavar="YYYYMMDD",
              help="Only runs started on or before this day (UTC, from the run's manifest).")
@click.option("--pattern", default=None,
              help="Only task logs whose '<run dir>/tasks/<log>.json' name contains this text.")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Only the last N task logs that pass the other filters (runs in the order "
                   "given, logs by name).")
@click.option("--reasoning", "--with-reasoning", "reasoning", flag_value=True, default=True,
              help="Keep the model's reasoning for test-correct programs "
                   "(--with-reasoning is the old spelling).  [default: kept]")
@click.option("--no-reasoning", "reasoning", flag_value=False,
              help="Leave the reasoning field empty in every record.")
@click.option("--no-dedup", is_flag=True,
              help="Keep duplicates.  [default: per task, one test-correct program per code "
                   "without comments, one other program per set of train outputs]")
@click.option("--no-transduction-filter", is_flag=True,
              help="Keep programs that hard-code train outputs.  [default: dropped]")
@click.option("--no-balance", is_flag=True,
              help="Skip the 50/50 balancing of tasks with and without a correct train example.")
@click.option("--keep-train-perfect", is_flag=True,
              help="Keep programs that solve every train pair (the seed drops them).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the balancing sample and of the validation split.")
@_split_options
@click.option("--strip-comments", "--clean-code", "strip", is_flag=True,
              help="Remove comments and blank lines from programs (the original is kept when "
                   "the result would not compile).")
@click.option("--generation", type=click.IntRange(0, 10**9), default=0, show_default=True,
              help="Value of every record's generation field (the self-improvement round).")
@click.option("--messages", is_flag=True,
              help="Also write the harness's chat prompt for the relabelled task (messages) "
                   "and the answer it should get (completion).")
@_hub_options("synth")
@click.option("--debug", is_flag=True, expose_value=False, callback=_debug,
              help="Print every decision on stderr: each run and task log read or skipped, "
                   "each program kept or dropped and why, tasks cut by balancing or put in "
                   "validation (same as harness --debug).")
@user_errors
def export_training_cmd(run_dirs: tuple[Path, ...], runs_dir: Path, out_dir: Path | None,
                        output: Path | None, models: tuple[str, ...], dataset: str | None,
                        subset: str | None, date_from: str | None, date_to: str | None,
                        pattern: str | None, limit: int | None, reasoning: bool,
                        no_dedup: bool, no_transduction_filter: bool, no_balance: bool,
                        keep_train_perfect: bool, seed: int, validation: bool,
                        val_fraction: float | None, strip: bool, generation: int,
                        messages: bool, hf_dataset_name: str | None, hf_org: str | None,
                        hf_private: bool) -> None:
    """Hindsight-relabelled training data from ARC RUN_DIRS (default: every ARC run in
    --runs-dir), in the seed's competition format (JSONL and Parquet). No program is run: the
    outputs recorded by the runs are used."""
    fraction = _fraction(validation, val_fraction)
    layout = _layout(out_dir, output, split=fraction > 0)
    found = None
    if not run_dirs:
        found = ex.find_runs(Path(runs_dir))
        run_dirs = found.runs
        click.echo(found.describe())
    flt = ex.LogFilter(models=tuple(m.strip() for spec in models for m in spec.split(",")
                                    if m.strip()),
                       dataset=dataset, subset=subset, date_from=date_from, date_to=date_to,
                       pattern=pattern, limit=limit)  # fmt: skip
    opts = ex.ExportOptions(reasoning=reasoning, strip=strip, dedup=not no_dedup,
                            transduction_filter=not no_transduction_filter,
                            keep_train_perfect=keep_train_perfect, balance=not no_balance,
                            val_fraction=fraction, seed=seed, generation=generation,
                            messages=messages)  # fmt: skip
    records, counts = ex.export_records(run_dirs, opts, flt)
    hub = ex.HubRequest(hf_dataset_name, hf_org, hf_private)
    name = ex.default_name("synth", dataset, subset)
    info = {"schema": "harness.arc.export/1", "run_dirs": [str(p) for p in run_dirs],
            "found": _found_info(found), "filter": asdict(flt), "options": asdict(opts),
            "counts": counts.as_dict(), "hub": hub.info(name)}  # fmt: skip
    written = ex.write_export(records, layout, messages=messages, info=info)
    _report_counts(counts)
    _report_written(records, written)
    _report_hub(hub, layout, name)


@click.command("export-tasks")
@click.argument("dataset", type=click.Choice(list(DATASETS)))
@click.argument("subset")
@data_dir_option
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None, metavar="DIR",
              help="Folder for train/validation .jsonl and .parquet files and export.json.  "
                   "[default: training_data/tasks_<dataset>_<subset>]")
@click.option("--save-local", is_flag=True,
              help="Accepted for the seed's command lines: the files are always written "
                   "locally (and only locally).")
@_split_options
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the validation split.")
@_hub_options("simple")
@user_errors
def export_tasks_cmd(dataset: str, subset: str, data_dir: Path | None, out_dir: Path | None,
                     save_local: bool, validation: bool, val_fraction: float | None, seed: int,
                     hf_dataset_name: str | None, hf_org: str | None, hf_private: bool) -> None:
    """The tasks of SUBSET (a name, or a file of task ids) of DATASET as rows of the
    competition format with no program: reasoning, code and the predicted/correct fields are
    empty. A baseline or template dataset; no run is read."""
    tasks = resolve_subset(dataset, subset, data_dir)
    records = ex.task_records(tasks, dataset, subset, _fraction(validation, val_fraction), seed)
    layout = ex.folder_layout(out_dir or Path("training_data") / f"tasks_"
                              f"{ex.dataset_slug(dataset, subset)}")  # fmt: skip
    hub = ex.HubRequest(hf_dataset_name, hf_org, hf_private)
    name = ex.default_name("simple", dataset, subset)
    info = {"schema": "harness.arc.export-tasks/1", "dataset": dataset, "subset": subset,
            "data_dir": None if data_dir is None else str(data_dir), "seed": seed,
            "val_fraction": _fraction(validation, val_fraction), "tasks": len(tasks),
            "hub": hub.info(name)}  # fmt: skip
    written = ex.write_export(records, layout, info=info)
    _report_written(records, written)
    _report_hub(hub, layout, name)
