"""The ``harness`` command: parses flags and calls the layers below; nothing else."""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import click
from click.exceptions import NoArgsIsHelpError

from harness.cli.log_options import DEFAULT_LEVEL, log_options, set_log_level
from harness.errors import UserError


def one_line(message: str) -> str:
    """The message with its line breaks folded and control characters escaped: one line that
    never drives the terminal (it often quotes a run directory or data file)."""
    from harness.untrusted_text import printable

    return printable(" ".join(part.strip() for part in message.splitlines() if part.strip()))


def _fail(message: str, code: int = 2) -> NoReturn:
    click.echo(f"error: {one_line(message)}", err=True)
    sys.exit(code)


def _click_message(exc: click.ClickException) -> str:
    """Click's usage error is four lines (usage, hint, blank, message): here the message, with
    the hint on the same line."""
    message = exc.format_message()
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click.UsageError) and ctx is not None:
        message += f" (try '{ctx.command_path} --help')"
    return message


class HarnessGroup(click.Group):
    """Turns user mistakes into one line, ``error: ...``, on stderr and exit code 2, never a
    traceback: the harness's own (``UserError``) and Click's (bad value, unknown option,
    missing argument), so a script reading stderr sees one shape.

    Mistakes in the group's own options (``--env-file``, ``LOG_LEVEL``) surface while it parses,
    the commands' while it invokes them. A group given no subcommand still prints its help."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except (UserError, click.ClickException) as exc:
            _fail_on(exc)

    def invoke(self, ctx: click.Context):  # noqa: ANN201
        try:
            return super().invoke(ctx)
        except (UserError, click.ClickException) as exc:
            _fail_on(exc)


def _fail_on(exc: UserError | click.ClickException) -> NoReturn:
    """One line, and exit 2 for a user mistake (a Click exception keeps its own code)."""
    if isinstance(exc, UserError):
        _fail(str(exc))
    if isinstance(exc, NoArgsIsHelpError):  # a group given no subcommand: its help
        raise exc
    _fail(_click_message(exc), exc.exit_code)


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
    terminate_cleanly()


def terminate_cleanly() -> None:
    """SIGTERM (what `kill`, Slurm and systemd send) ends any command as Ctrl-C would, through
    the clean-up of what it holds (a sandbox pool removes its containers), never mid-air.
    `eval` runs replace this with their own handler for the length of a run."""
    import signal
    import threading

    def stop(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)


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
    from harness.cli.examples import add_examples

    add_examples(main)


_register()


if __name__ == "__main__":
    main()
