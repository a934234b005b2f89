"""The click options of the run settings, made from their one table (`RunConfig`'s fields).

Each option takes the field's type (with its range or choices), default, help text and
environment variables (`envvar=`, listed in ``--help`` by ``show_envvar``), so click itself
resolves flag > variable > default, and ``ctx.get_parameter_source`` says which one a value
came from. A command hands click's values to `RunConfig.resolve`; a resume needs to know which
ones the user typed (`command_line_values`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING, fields
from typing import Any

import click
from click.core import ParameterSource

from harness.cli.options import EnvOption, MultiValueOption
from harness.run.config import SETTINGS, RunConfig
from harness.run.exports import EXPORTS, check_targets
from harness.run.settings import flag_name

Decorator = Callable[[Any], Any]
_FIELDS = {f.name: f for f in fields(RunConfig)}


def setting_option(name: str, *, default: Any = MISSING,
                   help: str | None = None) -> Decorator:  # noqa: A002
    """The click option of one setting. ``default`` and ``help`` replace the table's for a
    command whose runs differ (``eval arc`` votes over 8 attempts by default)."""
    setting, spec = SETTINGS[name], _FIELDS[name]
    if default is MISSING:
        default = spec.default if spec.default_factory is MISSING else spec.default_factory
    kind: dict[str, Any] = {"cls": EnvOption, "type": setting.type}
    if setting.multiple:
        kind = {"cls": MultiValueOption, "item_type": setting.type}
    elif setting.type is click.BOOL:
        kind = {"cls": EnvOption, "is_flag": True}
    return click.option(flag_name(name), *setting.aliases, name, default=default,
                        show_default=setting.shown or True, envvar=list(setting.env) or None,
                        show_envvar=True, help=help or setting.help, **kind)  # fmt: skip


def setting_options(*groups: str, defaults: Mapping[str, Any] | None = None) -> Decorator:
    """The options of every setting in ``groups``, in the table's order (the order of
    ``--help``); ``defaults`` replaces some defaults as in `setting_option`."""
    defaults = defaults or {}
    decorators = [setting_option(name, default=defaults.get(name, MISSING))
                  for name, setting in SETTINGS.items() if setting.group in groups]  # fmt: skip

    def apply(func: Any) -> Any:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


def export_options() -> Decorator:
    """``--out-jsonl``, ``--out-csv``, ``--out-manifest`` (``harness.run.exports``): paths, not
    run settings, so they stay out of the config; `take_exports` takes them back out."""

    def apply(func: Any) -> Any:
        for export in reversed(EXPORTS):
            func = click.option(export.flag, export.name, metavar="PATH", default=None,
                                cls=EnvOption, envvar=export.env, show_envvar=True,
                                help=export.help)(func)  # fmt: skip
        return func

    return apply


def take_exports(params: dict[str, Any]) -> dict[str, str | None]:
    """The export paths, removed from a command's ``params`` and checked before the run."""
    targets = {export.name: params.pop(export.name) for export in EXPORTS}
    check_targets(targets)
    return targets


def command_line_values(ctx: click.Context, params: Mapping[str, Any]) -> dict[str, Any]:
    """The values the user typed, not those from a variable or a default: what a resume may
    change (the manifest's config is its base, so the environment does not silently alter it)."""
    return {name: value for name, value in params.items()
            if ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE}  # fmt: skip
