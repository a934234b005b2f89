"""``--log-level`` / ``--debug`` (env ``LOG_LEVEL``): how much of the harness's Python logging
reaches stderr.

The seed tools log each step (datasets, attempts, retries, early stops) at ``LOG_LEVEL``,
``INFO`` by default. The harness always writes every step to the run's ``runner.log``; the
``harness`` loggers echo them on stderr, and this level says which: ``WARNING`` by default (a
harness fault; the progress bar and the summary say the rest), ``INFO`` for every step,
``DEBUG`` for retries' details and the run's whole configuration too.

The options sit on the ``harness`` group (where ``LOG_LEVEL`` is read, after ``.env``) and, as
the seeds spelled them, on the commands that run (``harness eval erm --debug``).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

import click

from harness.cli.options import EnvOption

LEVELS = ("debug", "info", "warning", "error", "critical")
DEFAULT_LEVEL = "warning"
LOG_LEVEL_ENV = "LOG_LEVEL"
Decorator = Callable[[Any], Any]


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record comes (the progress bar swaps it for
    its own, which keeps log lines above the bar; a test runner swaps it too)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def set_log_level(level: str) -> None:
    """Echo the ``harness`` loggers' records of ``level`` and above on stderr (one handler,
    installed once; later calls only change the level)."""
    logger = logging.getLogger("harness")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s",
                                               datefmt="%H:%M:%S"))  # fmt: skip
        logger.addHandler(handler)
        logger.propagate = False  # the root logger's handlers (if a caller has some) echo twice
    logger.setLevel(level.upper())


def _apply(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """A command's own ``--debug`` / ``--log-level``, when typed: it wins over the group's."""
    if value:
        set_log_level("debug" if param.name == "debug" else str(value))


def log_options(*, group: bool) -> Decorator:
    """``--log-level`` and ``--debug``. On the group (``group=True``) they are passed to the
    group's function, which calls `set_log_level` once (``LOG_LEVEL`` read there, after the
    ``.env``); on a command they apply as they are parsed and read no variable, so a
    ``LOG_LEVEL`` cannot undo a ``--debug`` typed on the group."""
    choice = click.Choice(LEVELS, case_sensitive=False)
    shared: dict[str, Any] = {} if group else {"expose_value": False, "callback": _apply}
    default = f"[default: {DEFAULT_LEVEL}]" if group else "[default: harness --log-level's]"
    level = click.option(
        "--log-level", type=choice, default=None, cls=EnvOption,
        envvar=LOG_LEVEL_ENV if group else None, show_envvar=group,
        help="Harness log records shown on stderr from this level up (every step is in "
             f"runner.log anyway).  {default}", **shared)  # fmt: skip
    debug = click.option("--debug", is_flag=True, default=False,
                         help="Same as --log-level debug.", **shared)  # fmt: skip

    def apply(func: Any) -> Any:
        return level(debug(func))

    return apply
