"""How one run setting is declared and read: the `Setting` record behind every `RunConfig`
field (default, click type, environment variables, help) and the click types it needs.

Kept apart from `RunConfig` so the table of fields (`harness.run.config`) reads as a table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import click

from harness.errors import UserError

MOCK_POLICIES = ("oracle", "noisy", "arc")  # and replay:FILE

_SPLIT = re.compile(r"[,\s]+")


def split_values(raw: Sequence[str]) -> list[str]:
    """Flatten `("fn_a fn_b", "fn_c,fn_d")` into `["fn_a", "fn_b", "fn_c", "fn_d"]`: how a list
    is written in a flag (`--functions fn_a,fn_b`) or a variable (`FUNCTIONS="fn_a fn_b"`)."""
    return [item for chunk in raw for item in _SPLIT.split(str(chunk).strip()) if item]


def env_value(names: str | Sequence[str] | None, env: Mapping[str, str]) -> tuple[str, str] | None:
    """``(name, value)`` of the first of ``names`` set to something not blank, stripped. The one
    rule for reading a setting from the environment: click's ``envvar=`` goes through it too
    (``harness.cli.options.EnvOption``), so ``ATTEMPTS=" "`` counts as unset on both paths."""
    for name in [names] if isinstance(names, str) else names or ():
        text = (env.get(name) or "").strip()
        if text:
            return name, text
    return None


def flag_name(name: str) -> str:
    """The flag of a field: ``test_size`` -> ``--test-size`` (error messages name the flag)."""
    return "--" + name.replace("_", "-")


# ---------------------------------------------------------------------- types the table uses
class Nullable(click.ParamType):
    """``inner``, or None when written ``null`` or empty: how an optional setting is switched
    off, e.g. ``REASONING_EFFORT=null`` for a model that takes no reasoning effort."""

    def __init__(self, inner: click.ParamType) -> None:
        self.inner = inner
        self.name = inner.name

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str | None:
        return self.inner.get_metavar(param, ctx)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value is None or (isinstance(value, str) and value.lower() in ("", "null")):
            return None
        return self.inner.convert(value, param, ctx)


class MockPolicy(click.ParamType):
    """The mock model's answers: oracle | noisy | arc | replay:FILE (a file of this host)."""

    name = "mock policy"

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str | None:
        return "[oracle|noisy|arc|replay:FILE]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = str(value)
        if text in MOCK_POLICIES or (text.startswith("replay:") and len(text) > len("replay:")):
            return text
        self.fail("must be oracle, noisy, arc or replay:FILE", param, ctx)

    def shell_complete(self, ctx: click.Context, param: click.Parameter,
                       incomplete: str) -> list[Any]:
        """The three names and ``replay:`` as completions, like a Choice."""
        from click.shell_completion import CompletionItem

        return [CompletionItem(name) for name in (*MOCK_POLICIES, "replay:")
                if name.startswith(incomplete)]  # fmt: skip


def _loose(kind: click.ParamType) -> click.ParamType:
    """``kind`` without its range or choices: a manifest's values are read first and judged
    by ``RunConfig.validate`` after (a rerun replaces some before that)."""
    if isinstance(kind, Nullable):
        return Nullable(_loose(kind.inner))
    if isinstance(kind, click.IntRange):
        return click.INT
    if isinstance(kind, click.FloatRange):
        return click.FLOAT
    return click.STRING if isinstance(kind, (click.Choice, MockPolicy)) else kind


@dataclass(frozen=True)
class Setting:
    """How one `RunConfig` field is set from outside (see the module docstring). ``group``
    says which commands offer it as a flag (grid, model, data, run; "" = the command writes its
    own flag); ``shown`` is the default as ``--help`` words it where the value would not help."""

    type: click.ParamType
    env: tuple[str, ...]
    help: str
    group: str
    aliases: tuple[str, ...] = ()
    multiple: bool = False  # a tuple of `type` items, written `a b c` or `a,b,c`
    shown: str | None = None

    def convert(self, raw: Any, where: str, *, check: bool = True) -> Any:
        """``raw`` (a flag's value, an environment string, a manifest's JSON value) as the
        field's value, within the type's range unless ``check`` is off; a one-line
        ``UserError`` naming ``where`` (the flag, and the variable if it came from one)."""
        kind = self.type if check else _loose(self.type)
        try:
            if not self.multiple:
                return kind.convert(raw, None, None)
            items = split_values([raw]) if isinstance(raw, str) else raw
            if not isinstance(items, (list, tuple)):
                raise click.BadParameter(f"{raw!r} is not a list")
            return tuple(kind.convert(item, None, None) for item in items)
        except click.BadParameter as exc:
            raise UserError(f"Invalid value for {where}: {exc.message}") from None


def _setting(default: Any, kind: Any, env: str | tuple[str, ...] = (), help: str = "",  # noqa: A002
             group: str = "run", **more: Any) -> Any:  # fmt: skip
    """A `RunConfig` field whose default and `Setting` are written together (a callable
    default is a factory, evaluated per config)."""
    env = (env,) if isinstance(env, str) else env
    meta = {"setting": Setting(click.types.convert_type(kind), env, help, group, **more)}
    if callable(default):
        return field(default_factory=default, metadata=meta)
    return field(default=default, metadata=meta)


