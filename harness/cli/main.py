"""The ``harness`` command: parses flags and calls the layers below; nothing else."""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import click

from harness.cli.log_options import DEFAULT_LEVEL, log_options, set_log_level
from harness.errors import UserError


def _fail(exc: UserError) -> NoReturn:
    from harness.untrusted_text import printable

    click.echo(f"error: {printable(exc)}", err=True)
    sys.exit(2)


class HarnessGroup(click.Group):
    """Turns user mistakes into one line on stderr and exit code 2, never a traceback.

    The message often quotes a run directory or data file (a task id, a file name), so control
    characters in it are escaped: it stays one line and never drives the terminal. Mistakes in
    the group's own options (``--env-file``, ``LOG_LEVEL``) surface while it parses, the
    commands' while it invokes them."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except UserError as exc:
            _fail(exc)

    def invoke(self, ctx: click.Context):  # noqa: ANN201
        try:
            return super().invoke(ctx)
        except UserError as exc:
            _fail(exc)


def _load_env_file(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """Eager, so the file's variables are in the environment before any option reads one."""
    if ctx.resilient_parsing:  # shell completion: no side effects
        return
    from harness.env_file import load_env_file

    said = load_env_file(value).describe()
    if said:
        click.echo(said, err=True)


@click.group(cls=HarnessGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="harness")
@click.option("--env-file", metavar="PATH", default=None, is_eager=True, expose_value=False,
              envvar="HARNESS_ENV_FILE", show_envvar=True, callback=_load_env_file,
              help="NAME=value lines to load first (python-dotenv); a variable already set "
                   "is kept. 'none': load no file.  [default: ./.env when there is one, "
                   "unless the current directory is a run directory]")  # fmt: skip
@log_options(group=True)
def main(log_level: str | None, debug: bool) -> None:
    """Sandbox-first evaluation harness for LLM program synthesis."""
    set_log_level("debug" if debug else log_level or DEFAULT_LEVEL)


def _register() -> None:
    from harness.cli.exec import exec_command, sandbox_group

    main.add_command(exec_command)
    main.add_command(sandbox_group)
    optional = [("harness.cli.datasets", "datasets"), ("harness.cli.arc", "arc"),
                ("harness.cli.mock", "mock_server"), ("harness.cli.eval", "eval_group"),
                ("harness.cli.report", "COMMANDS")]
    import importlib

    for module_name, attr in optional:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        found = getattr(module, attr)
        for command in found if isinstance(found, list) else [found]:
            main.add_command(command)


_register()


if __name__ == "__main__":
    main()
