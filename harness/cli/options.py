"""Reusable Click option for multi-valued flags written the way the seed READMEs write them.

The seeds document `--functions fn_a fn_j fn_i --lengths 100 50`. Click has no greedy
`nargs=-1` for options, so `MultiValueOption` consumes the following tokens up to the next option
itself, and also accepts `--lengths 100,50` and repeated flags. Values are split on commas and
whitespace and converted one by one, so errors name the bad item.
"""

from __future__ import annotations

import re
from typing import Any

import click

_SPLIT = re.compile(r"[,\s]+")


def split_values(raw: tuple[str, ...] | list[str]) -> list[str]:
    """Flatten `("fn_a fn_b", "fn_c,fn_d")` into `["fn_a", "fn_b", "fn_c", "fn_d"]`."""
    return [item for chunk in raw for item in _SPLIT.split(str(chunk).strip()) if item]


class MultiValueOption(click.Option):
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
