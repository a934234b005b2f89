"""Reusable Click options: environment variables read by the run settings' rule, and
multi-valued flags written the way the seed READMEs write them.

`EnvOption` reads its `envvar=` the way `harness.run.settings.env_value` does (stripped, blank =
unset), and a bad value there is one line naming the variable, not a usage error: the command
line was fine.

The seeds document `--functions fn_a fn_j fn_i --lengths 100 50`. Click has no greedy
`nargs=-1` for options, so `MultiValueOption` consumes the following tokens up to the next option
itself, and also accepts `--lengths 100,50` and repeated flags. Values are split on commas and
whitespace and converted one by one, so errors name the bad item.
"""

from __future__ import annotations

import os
from typing import Any

import click
from click.core import ParameterSource

from harness.errors import UserError
from harness.run.settings import env_value, split_values


class EnvOption(click.Option):
    """A click option whose environment variables follow the run settings' rule (the harness
    names each variable itself: no ``auto_envvar_prefix``)."""

    def resolve_envvar_value(self, ctx: click.Context) -> str | None:
        found = env_value(self.envvar, os.environ)
        return None if found is None else found[1]

    def process_value(self, ctx: click.Context, value: Any) -> Any:
        try:
            return super().process_value(ctx, value)
        except click.BadParameter as exc:
            if ctx.get_parameter_source(self.name or "") != ParameterSource.ENVIRONMENT:
                raise
            exc.param = exc.param or self
            raise UserError(exc.format_message()) from None


class MultiValueOption(EnvOption):
    """`--opt a b c`, `--opt a,b,c` and `--opt a --opt b` all give `(a, b, c)`.

    `item_type` is the Click type of each item (e.g. `int` or `click.Choice([...])`). Greedy
    consumption stops at the first token that looks like an option (starts with '-'), so items
    cannot themselves start with '-' unless written with commas (`--opt=-1,-2`).
    """

    def __init__(self, *args: Any, item_type: Any = str, **kwargs: Any) -> None:
        kwargs["multiple"] = True
        kwargs["type"] = click.STRING
        kwargs.setdefault("default", ())
        super().__init__(*args, **kwargs)
        self.item_type = click.types.convert_type(item_type)
        if self.metavar is None:
            self.metavar = f"{self.item_type.name.upper()}..."

    def add_to_parser(self, parser: Any, ctx: click.Context) -> None:
        super().add_to_parser(parser, ctx)
        for opt in self.opts:
            target = parser._long_opt.get(opt) or parser._short_opt.get(opt)
            if target is None:
                continue
            original = target.process

            def process(
                value: Any,
                state: Any,
                _orig: Any = original,
                _t: Any = target,
                _prefixes: tuple[str, ...] = tuple(parser._opt_prefixes),
            ) -> None:
                _orig(value, state)
                while state.rargs and not state.rargs[0].startswith(_prefixes):
                    if state.rargs[0] == "--":
                        break
                    state.opts[_t.dest].append(state.rargs.pop(0))

            target.process = process

    def type_cast_value(self, ctx: click.Context, value: Any) -> Any:
        raw = super().type_cast_value(ctx, value)
        return tuple(self.item_type.convert(v, self, ctx) for v in split_values(raw))
