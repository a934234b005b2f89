"""`harness datasets ...`: build, inspect and fetch the hidden-mapping datasets.

Only flag parsing and printing live here; the work is in `generators/`. Generation of the grid can
use several processes because prime cells dominate and each grid point is independent; results do
not depend on the worker count (each point has its own derived seed).
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from generators import DEFAULT_GRID, TARGETS, DatasetError, build_dataset
from generators.splits import Sizes
from harness.cli.options import MultiValueOption
from harness.cli.run_options import setting_option
from harness.errors import UserError
from harness.run.config import MAX_WORKERS

TABULAR_IDS = tuple(fid for fid, spec in TARGETS.items() if spec.kind == "tabular")


class DatasetsUserError(UserError, click.ClickException):
    """A user mistake: the harness prints it as one line; standalone Click does the same."""

    exit_code = 2


def _user_error(exc: Exception) -> DatasetsUserError:
    return DatasetsUserError(str(exc))


def _check_functions(functions: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [f for f in functions if f not in TARGETS]
    if unknown:
        raise DatasetsUserError(
            f"unknown function(s) {', '.join(unknown)}; known: {', '.join(TARGETS)}"
        )
    return functions


def grid_points(functions: tuple[str, ...], lengths: tuple[int, ...]) -> list[tuple[str, int]]:
    """(fn, L) pairs, as ``harness eval erm`` builds them (one rule for both commands)."""
    from harness.families.erm.task import grid_points as erm_grid_points

    try:
        return erm_grid_points(functions, lengths,
                               lambda m: click.echo(f"notice: {m}", err=True))
    except UserError as exc:
        raise _user_error(exc) from None


def _cost(point: tuple[str, int]) -> int:
    """Rough relative cost, so the slow prime cells start first when running in parallel."""
    fn, L = point
    return L * (100 if TARGETS[fn].kind == "decimal" else 1)


def _build_one(fn: str, L: int, kwargs: dict) -> tuple[str, int, str, str, float]:
    status: list[str] = []
    t0 = time.perf_counter()
    ds = build_dataset(fn, L, progress=status.append, **kwargs)
    return fn, L, str(ds.path), (status or ["?"])[0], time.perf_counter() - t0


_tabular_dir_option = click.option(
    "--tabular-dir", default=None,
    help="Raw UCI files for fn_m..fn_q.  [default: <dataset-dir>/raw]",
)


@dataclass(frozen=True)
class DataFlags:
    """The flags that say which dataset a grid point is, as `build_dataset` takes them: one
    value for the commands that build datasets, so they cannot pass them differently."""

    train_size: int
    val_size: int
    test_size: int
    seed: int
    dataset_dir: str
    tabular_dir: str | None

    def kwargs(self) -> dict[str, Any]:
        return asdict(self)


def _size_options(f: Callable[..., None]) -> Callable[..., None]:
    """The run settings' data flags (variables, ranges and defaults from `RunConfig`'s table),
    so `datasets generate` builds the very datasets an `eval erm` with the same settings uses.
    The command receives them as one `DataFlags` argument, ``data``."""
    names = [field.name for field in fields(DataFlags)]

    @functools.wraps(f)  # keeps the options already declared below this decorator
    def command(**params: Any) -> None:
        data = DataFlags(**{name: params.pop(name) for name in names})
        f(data=data, **params)

    for option in (
        setting_option("dataset_dir", help="Root of the dataset cache."),
        setting_option("seed", help="Base seed; each grid point derives its own."),
        setting_option("test_size"),
        setting_option("val_size"),
        setting_option("train_size"),
        _tabular_dir_option,
    ):
        command = option(command)
    return command


@click.group()
def datasets() -> None:
    """Build, inspect and fetch the hidden-mapping datasets (fn_a..fn_q)."""


@datasets.command()
@click.option("--functions", cls=MultiValueOption, help="Function ids.  [default: fn_a..fn_l]")
@click.option("--lengths", cls=MultiValueOption, item_type=int,
              help="Lengths.  [default: each function's own]")  # fmt: skip
@_size_options
@click.option("--workers", type=click.IntRange(1, MAX_WORKERS), default=min(2, os.cpu_count() or 1),
              show_default=True, help="Processes building grid points in parallel.")  # fmt: skip
def generate(
    functions: tuple[str, ...], lengths: tuple[int, ...], data: DataFlags, workers: int
) -> None:
    """Generate (or validate and reuse) every grid point, with a progress bar."""
    points = grid_points(_check_functions(functions or DEFAULT_GRID), lengths)
    try:
        Sizes(data.train_size, data.val_size, data.test_size).check()
    except DatasetError as exc:
        raise _user_error(exc) from None
    t0 = time.perf_counter()
    rows = _run_grid(sorted(points, key=_cost, reverse=True), data.kwargs(), workers)
    order = {p: i for i, p in enumerate(points)}
    for fn, L, path, status, secs in sorted(rows, key=lambda r: order[(r[0], r[1])]):
        click.echo(f"{fn} L={L:<4} {status:<9} {secs:6.2f}s  {path}")
    made = sum(r[3] == "generated" for r in rows)
    click.echo(
        f"{len(rows)} grid points ({made} generated, {len(rows) - made} cached) "
        f"in {time.perf_counter() - t0:.1f}s"
    )


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]datasets"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.description}"), console=Console(stderr=True),
    )  # fmt: skip


_BLAS_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def _single_threaded_blas() -> Iterator[None]:
    """Spawned workers get one BLAS thread each: with several workers, multithreaded BLAS in
    each of them only oversubscribes the cores (measured: ~45 s of CPU instead of ~25 s).
    Forked workers inherit the parent's BLAS, but the generators make no BLAS calls."""
    saved = {k: os.environ.get(k) for k in _BLAS_ENV}
    for k in _BLAS_ENV:
        os.environ.setdefault(k, "1")
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _pool(workers: int, n: int) -> ProcessPoolExecutor:
    """Forked workers where the OS has fork: they start in milliseconds with every module the
    parent already imported, where spawned ones re-import harness.cli.main, numpy and gmpy2 (~0.3 s
    each before any work). Safe here: the generators never call BLAS (no thread pool to
    oversubscribe), and `_run_grid` submits, which forks every worker, before the progress
    bar starts its refresh thread."""
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    return ProcessPoolExecutor(max_workers=min(workers, n), mp_context=ctx)


def _preload(points: list[tuple[str, int]]) -> None:
    """Import the prime generator once in the parent, so forked workers inherit it."""
    if any(TARGETS[fn].kind == "decimal" for fn, _ in points):
        import generators.primes  # noqa: F401


def _run_serial(points: list[tuple[str, int]], kwargs: dict) -> list[tuple]:
    rows: list[tuple] = []
    with _progress() as bar:
        task = bar.add_task("", total=len(points))
        for fn, L in points:
            bar.update(task, description=f"{fn} L={L}")
            rows.append(_build_one(fn, L, kwargs))
            bar.advance(task)
    return rows


def _run_parallel(points: list[tuple[str, int]], kwargs: dict, workers: int) -> list[tuple]:
    """Points go out costliest first; results come back as they finish."""
    rows: list[tuple] = []
    _preload(points)
    with _single_threaded_blas(), _pool(workers, len(points)) as pool:
        pending: set[Future] = {pool.submit(_build_one, fn, L, kwargs) for fn, L in points}
        with _progress() as bar:
            task = bar.add_task("", total=len(points))
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    row = fut.result()
                    rows.append(row)
                    bar.update(task, advance=1, description=f"{row[0]} L={row[1]}")
    return rows


def _run_grid(points: list[tuple[str, int]], kwargs: dict, workers: int) -> list[tuple]:
    try:
        if workers == 1 or len(points) == 1:
            return _run_serial(points, kwargs)
        return _run_parallel(points, kwargs, workers)
    except DatasetError as exc:
        raise _user_error(exc) from None


@datasets.command()
@click.argument("fn")
@click.option("--length", type=int, default=None, help="Input length (tabular: optional).")
@_size_options
@click.option("--lines", type=int, default=5, show_default=True, help="Sample lines to print.")
def show(fn: str, length: int | None, data: DataFlags, lines: int) -> None:
    """Show one grid point: sizes, class balance, positions, a few lines (builds it if needed)."""
    _check_functions((fn,))
    if length is None and TARGETS[fn].kind != "tabular":
        raise click.UsageError(f"--length is required for {fn}")
    try:
        ds = build_dataset(fn, length, **data.kwargs())
    except DatasetError as exc:
        raise _user_error(exc) from None
    meta = ds.meta
    click.echo(f"{fn} ({meta['target_name']}) L={meta['length']} derived_seed="
               f"{meta['derived_seed']} kind={meta['kind']}")  # fmt: skip
    click.echo(f"path: {ds.path}")
    for name, rows in (("train", ds.train), ("val", ds.val), ("test", ds.test)):
        pos = sum(y == "1" for _, y in rows)
        distinct = len({x for x, _ in rows})
        click.echo(f"{name:<5} n={len(rows):<6} positives={pos:<6} negatives={len(rows) - pos:<6} "
                   f"distinct={distinct}")  # fmt: skip
    if "positions" in meta:
        click.echo(f"positions: {meta['positions']}")
    if "small_space" in meta:
        click.echo(f"small space: {meta['small_space']}")
    for x, y in ds.train[:lines]:
        click.echo(f"  {x} -> {y}")


@datasets.command()
@click.option("--functions", cls=MultiValueOption, help="Tabular ids.  [default: fn_m..fn_q]")
@click.option("--cache-dir", default=None, help="Where to put the raw files.  "
              "[default: <dataset-dir>/raw]")  # fmt: skip
@click.option("--dataset-dir", default="datasets", envvar="DATASET_DIR", show_default=True,
              show_envvar=True, help="Dataset cache root; the raw files go in its raw/.")
def fetch(functions: tuple[str, ...], cache_dir: str | None, dataset_dir: str) -> None:
    """Download the raw UCI files for the tabular tasks (needs a network)."""
    from generators import fetch_tabular

    chosen = _check_functions(functions or TABULAR_IDS)
    not_tabular = [f for f in chosen if f not in TABULAR_IDS]
    if not_tabular:
        raise DatasetsUserError(
            f"{', '.join(not_tabular)} are generated, not downloaded; fetch takes "
            f"{', '.join(TABULAR_IDS)}"
        )
    folder = Path(cache_dir) if cache_dir else Path(dataset_dir) / "raw"
    for fn in chosen:
        try:
            written = fetch_tabular(fn, str(folder))
        except DatasetError as exc:
            raise _user_error(exc) from None
        click.echo(f"{fn}: {', '.join(written)} -> {folder}")


@datasets.command()
@click.argument("dataset_dir", required=False, default=None,
                type=click.Path(file_okay=False, path_type=Path))
@_tabular_dir_option
def verify(dataset_dir: Path | None, tabular_dir: str | None) -> None:
    """Regenerate every cached grid point from its recorded seed and compare the bytes.

    DATASET_DIR defaults to $DATASET_DIR or ./datasets. Exits 1 naming every grid point that
    differs (a cache edited after the fact, hashes included) or cannot be checked."""
    from harness.families.erm.verify import DatasetMismatch, cached_points, compare, point_from_meta
    from harness.untrusted_text import printable

    root = dataset_dir or Path(os.environ.get("DATASET_DIR") or "datasets")
    if not root.is_dir():
        raise DatasetsUserError(f"{root}: no such dataset folder")
    raw = tabular_dir or str(root / "raw")
    checked, bad = 0, []
    for folder, meta, problem in cached_points(root):
        label = str(folder)
        if meta is not None:
            try:
                point = point_from_meta(meta)
                label = f"{point.label()} ({folder})"
                problem = compare(point, folder, raw)
            except DatasetMismatch as exc:
                problem = str(exc)
        checked += 1
        if problem is None:
            click.echo(f"ok        {label}")
        else:
            bad.append(label)
            click.echo(f"MISMATCH  {printable(label)}: {printable(problem)}")
    click.echo(f"{checked} grid point(s) checked, {len(bad)} mismatching")
    if bad:
        raise SystemExit(1)
