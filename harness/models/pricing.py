"""One price table for cost estimates (USD per 1M tokens, list prices, standard tier).

A model name is matched by the LONGEST table key that prefixes it ("gpt-5-mini-2025-08-07" ->
"gpt-5-mini", never "gpt-5"), after dropping a "provider/" prefix. Unknown models are
*unpriced* (`estimate_cost` returns None) rather than silently priced like a neighbour; rate
overrides (the `--input-rate/--output-rate` flags) apply to any model, priced or not.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    "mock": Price(0.0, 0.0, 0.0),
}


def lookup_price(model: str) -> Price | None:
    """Longest-prefix match, or None when the model is not in the table."""
    name = model.strip().lower()
    if "/" in name:
        name = name.rsplit("/", 1)[1]
    best: str | None = None
    for key in PRICES:
        if name.startswith(key) and (best is None or len(key) > len(best)):
            best = key
    return PRICES[best] if best is not None else None


def estimate_cost(
    model: str,
    usage: Usage,
    input_rate: float | None = None,
    output_rate: float | None = None,
    cached_rate: float | None = None,
) -> float | None:
    """USD for one call, or None when a needed rate is unknown.

    Cached prompt tokens use the cached rate; with an `input_rate` override and no `cached_rate`
    they are charged at the override (we do not invent a discount for an unknown contract).
    Reasoning tokens are part of `completion_tokens` and billed as output.
    """
    price = lookup_price(model)
    in_rate = input_rate if input_rate is not None else (price.input if price else None)
    out_rate = output_rate if output_rate is not None else (price.output if price else None)
    if cached_rate is not None:
        cache_rate: float | None = cached_rate
    elif input_rate is not None:
        cache_rate = input_rate
    else:
        cache_rate = price.cached_input if price else None
    if in_rate is None or out_rate is None or cache_rate is None:
        return None
    cached = min(usage.cached_tokens, usage.prompt_tokens)
    uncached = usage.prompt_tokens - cached
    return (uncached * in_rate + cached * cache_rate + usage.completion_tokens * out_rate) / 1e6
