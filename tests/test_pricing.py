"""The price table: longest-prefix matching, unpriced models, overrides, cached tokens."""

from __future__ import annotations

import pytest

from harness.models.base import Usage
from harness.models.pricing import PRICES, estimate_cost, lookup_price, resolve_rates


@pytest.mark.parametrize(
    ("model", "key"),
    [
        ("gpt-5", "gpt-5"),
        ("gpt-5-2025-08-07", "gpt-5"),
        ("gpt-5-mini-2025-08-07", "gpt-5-mini"),
        ("gpt-5-nano", "gpt-5-nano"),
        ("gpt-5.1-codex", "gpt-5.1"),
        ("gpt-5.2", "gpt-5.2"),
        ("gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"),
        ("gpt-4.1", "gpt-4.1"),
        ("gpt-4o-mini", "gpt-4o-mini"),
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("o3", "o3"),
        ("o3-mini", "o3-mini"),
        ("o4-mini-2025-04-16", "o4-mini"),
        ("openai/gpt-5-mini", "gpt-5-mini"),
        ("GPT-5", "gpt-5"),
        ("o1", "o1"),
        ("o1-2024-12-17", "o1"),
        ("o1-preview", "o1"),
        ("o1-mini-2024-09-12", "o1-mini"),
        ("o1-pro", "o1-pro"),
        ("gpt-4.5-preview-2025-02-27", "gpt-4.5-preview"),
        ("codex-mini-latest", "codex-mini"),
        ("google/gemini-2.5-flash", "gemini-2.5-flash"),
        ("gemini-2.5-flash-lite", "gemini-2.5-flash-lite"),
        ("mock", "mock"),
    ],
)
def test_longest_prefix(model: str, key: str) -> None:
    assert lookup_price(model) == PRICES[key]


def test_unknown_models_are_unpriced() -> None:
    usage = Usage(prompt_tokens=1000, completion_tokens=500)
    assert lookup_price("claude-opus") is None
    assert estimate_cost("claude-opus", usage) is None
    assert estimate_cost("llama-3-70b", usage, input_rate=1.0) is None  # output rate unknown


def test_cost_arithmetic_with_cached_and_reasoning_tokens() -> None:
    usage = Usage(
        prompt_tokens=1_000_000,
        completion_tokens=200_000,
        reasoning_tokens=150_000,
        cached_tokens=400_000,
    )
    # gpt-5: 600k uncached * 1.25 + 400k cached * 0.125 + 200k output * 10 (reasoning included)
    assert estimate_cost("gpt-5", usage) == pytest.approx(0.75 + 0.05 + 2.0)


def test_overrides_apply_to_any_model() -> None:
    usage = Usage(prompt_tokens=2_000_000, completion_tokens=1_000_000, cached_tokens=1_000_000)
    # the seed README's TAMU example rates; cached tokens at the override input rate
    assert estimate_cost("tamu-gpt-5.2", usage, input_rate=1.75, output_rate=14.0) == (
        pytest.approx(2 * 1.75 + 14.0)
    )
    assert estimate_cost("gpt-5", usage, output_rate=0.0) == pytest.approx(1.25 + 0.125)
    assert estimate_cost("x", usage, input_rate=1.0, output_rate=2.0, cached_rate=0.5) == (
        pytest.approx(1.0 + 0.5 + 2.0)
    )


def test_mock_is_free_and_zero_usage_costs_nothing() -> None:
    assert estimate_cost("mock", Usage(100, 100, 10, 10)) == 0.0
    assert estimate_cost("gpt-5", Usage()) == 0.0


@pytest.mark.parametrize(
    ("model", "rates"),
    [  # the ARC seed README's table (USD per 1M input / output tokens)
        ("o1-pro", (150.00, 600.00)),
        ("o1", (15.00, 60.00)),
        ("o1-mini", (1.10, 4.40)),
        ("gpt-4.5-preview", (75.00, 150.00)),
        ("codex-mini-latest", (1.50, 6.00)),
        ("google/gemini-2.5-flash", (0.30, 2.50)),
    ],
)
def test_seed_readme_prices(model: str, rates: tuple[float, float]) -> None:
    price = lookup_price(model)
    assert price is not None and (price.input, price.output) == rates
    assert price.cached_input <= price.input
    usage = Usage(prompt_tokens=1_000_000, completion_tokens=1_000_000)
    assert estimate_cost(model, usage) == pytest.approx(sum(rates))


def test_other_gemini_models_stay_unpriced() -> None:
    # The seed priced every "google/gemini" model like 2.5 Flash; an unknown model is unpriced.
    assert lookup_price("google/gemini-2.5-pro") is None
    assert lookup_price("gemini-2.0-flash") is None


def test_resolved_rates_say_where_they_come_from() -> None:
    assert resolve_rates("gpt-5-mini-2025-08-07").row_fields() == {
        "pricing_source": "table", "pricing_model": "gpt-5-mini",
        "input_rate_per_million": 0.25, "output_rate_per_million": 2.00,
        "cached_rate_per_million": 0.025}
    over = resolve_rates("tamu-gpt-5.2", input_rate=1.75, output_rate=14.0)
    assert (over.source, over.table_key, over.input, over.output, over.cached_input) == (
        "override", None, 1.75, 14.0, 1.75)
    assert resolve_rates("gpt-5", output_rate=0.0).source == "override"
    none = resolve_rates("claude-opus")
    assert (none.source, none.table_key, none.input) == ("unpriced", None, None)
    assert resolve_rates("llama-3-70b", input_rate=1.0).source == "unpriced"  # no output rate
