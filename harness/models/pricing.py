"""One price table for cost estimates (USD per 1M tokens, list prices, standard tier).

A model name is matched by the LONGEST table key that prefixes it ("gpt-5-mini-2025-08-07" ->
"gpt-5-mini", never "gpt-5"), after dropping a "provider/" prefix. Unknown models are
*unpriced* (`estimate_cost` returns None) rather than silently priced like a neighbour; rate
overrides (the `--input-rate/--output-rate` flags) apply to any model, priced or not.
`resolve_rates` says which rates a run uses and where they came from, so its rows can record
them next to the cost they explain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.models.base import Usage


@dataclass(frozen=True)
class Price:
    input: float
    output: float
    cached_input: float


PRICES: dict[str, Price] = {
    "gpt-5": Price(1.25, 10.00, 0.125),
    "gpt-5-mini": Price(0.25, 2.00, 0.025),
    "gpt-5-nano": Price(0.05, 0.40, 0.005),
    "gpt-5-pro": Price(15.00, 120.00, 15.00),
    "gpt-5.1": Price(1.25, 10.00, 0.125),
    "gpt-5.2": Price(1.75, 14.00, 0.175),
    "gpt-5.2-pro": Price(21.00, 168.00, 21.00),
    "gpt-4.1": Price(2.00, 8.00, 0.50),
    "gpt-4.1-mini": Price(0.40, 1.60, 0.10),
    "gpt-4.1-nano": Price(0.10, 0.40, 0.025),
    "gpt-4o": Price(2.50, 10.00, 1.25),
    "gpt-4o-mini": Price(0.15, 0.60, 0.075),
    "o3": Price(2.00, 8.00, 0.50),
    "o3-pro": Price(20.00, 80.00, 20.00),
    "o3-mini": Price(1.10, 4.40, 0.55),
    "o4-mini": Price(1.10, 4.40, 0.275),
    # Input and output rates as the ARC seed README's price table lists them ("as of 2025");
    # it gives no cached rates: those of the OpenAI models are OpenAI's list prices (pricing
    # page, 2025-08); o1-pro has no cached discount.
    "o1": Price(15.00, 60.00, 7.50),
    "o1-mini": Price(1.10, 4.40, 0.55),
    "o1-pro": Price(150.00, 600.00, 150.00),
    "gpt-4.5-preview": Price(75.00, 150.00, 37.50),
    "codex-mini": Price(1.50, 6.00, 0.375),  # codex-mini-latest
    # Gemini's cached (context-cache) rate has changed since the seed's table: cached tokens are
    # charged at the input rate (an upper bound) rather than at a discount we cannot date.
    "gemini-2.5-flash": Price(0.30, 2.50, 0.30),
    # Not in the seed's table, listed so the prefix rule never prices it like gemini-2.5-flash:
    # Google's list price at general availability (ai.google.dev pricing page, 2025-07).
    "gemini-2.5-flash-lite": Price(0.10, 0.40, 0.10),
    "mock": Price(0.0, 0.0, 0.0),
}


def price_key(model: str) -> str | None:
    """The table key a model name matches (longest prefix), or None when it is not priced."""
    name = model.strip().lower()
    if "/" in name:
        name = name.rsplit("/", 1)[1]
    best: str | None = None
    for key in PRICES:
        if name.startswith(key) and (best is None or len(key) > len(best)):
            best = key
    return best


def lookup_price(model: str) -> Price | None:
    """Longest-prefix match, or None when the model is not in the table."""
    key = price_key(model)
    return PRICES[key] if key is not None else None


@dataclass(frozen=True)
class Rates:
    """The USD per 1M token rates a run's costs use (None: unknown, so no cost) and their
    origin: ``table`` (the model's list price), ``override`` (a rate flag was given; the others
    come from the table where it has them) or ``unpriced``."""

    input: float | None
    output: float | None
    cached_input: float | None
    source: str
    table_key: str | None

    @property
    def complete(self) -> bool:
        return None not in (self.input, self.output, self.cached_input)

    def row_fields(self) -> dict[str, Any]:
        """The pricing columns of a row (the seed tools' names for the two main rates)."""
        return {"pricing_source": self.source, "pricing_model": self.table_key,
                "input_rate_per_million": self.input, "output_rate_per_million": self.output,
                "cached_rate_per_million": self.cached_input}  # fmt: skip


def resolve_rates(model: str, input_rate: float | None = None, output_rate: float | None = None,
                  cached_rate: float | None = None) -> Rates:  # fmt: skip
    """The rates for ``model`` with the overrides applied.

    Cached prompt tokens use the cached rate; with an `input_rate` override and no `cached_rate`
    they are charged at the override (we do not invent a discount for an unknown contract).
    """
    key = price_key(model)
    price = PRICES[key] if key is not None else None
    in_rate = input_rate if input_rate is not None else (price.input if price else None)
    out_rate = output_rate if output_rate is not None else (price.output if price else None)
    if cached_rate is not None:
        cache_rate: float | None = cached_rate
    elif input_rate is not None:
        cache_rate = input_rate
    else:
        cache_rate = price.cached_input if price else None
    overridden = any(r is not None for r in (input_rate, output_rate, cached_rate))
    rates = Rates(in_rate, out_rate, cache_rate, "override" if overridden else "table", key)
    return rates if rates.complete else Rates(in_rate, out_rate, cache_rate, "unpriced", key)


def estimate_cost(
    model: str,
    usage: Usage,
    input_rate: float | None = None,
    output_rate: float | None = None,
    cached_rate: float | None = None,
) -> float | None:
    """USD for one call, or None when a needed rate is unknown (see `resolve_rates`).
    Reasoning tokens are part of `completion_tokens` and billed as output."""
    rates = resolve_rates(model, input_rate, output_rate, cached_rate)
    if rates.input is None or rates.output is None or rates.cached_input is None:
        return None
    cached = min(usage.cached_tokens, usage.prompt_tokens)
    uncached = usage.prompt_tokens - cached
    return (uncached * rates.input + cached * rates.cached_input
            + usage.completion_tokens * rates.output) / 1e6  # fmt: skip
