"""The ``harness`` command: parses flags and calls the layers below; nothing else."""

from __future__ import annotations

import sys

import click

from harness.errors import UserError


class HarnessGroup(click.Group):
    """Turns user mistakes into one line on stderr and exit code 2, never a traceback.

    The message often quotes a run directory or data file (a task id, a file name), so control
    characters in it are escaped: it stays one line and never drives the terminal."""

    def invoke(self, ctx: click.Context):  # noqa: ANN201
        try:
            return super().invoke(ctx)
        except UserError as exc:
            from harness.untrusted_text import printable

            click.echo(f"error: {printable(exc)}", err=True)
            sys.exit(2)


@click.group(cls=HarnessGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="harness")
def main() -> None:
    """Sandbox-first evaluation harness for LLM program synthesis."""


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
