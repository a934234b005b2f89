"""The cost estimate ``--dry-run`` prints after the request bodies, before anything is paid.

Rough on purpose: prompt tokens are counted as characters / 4 (no tokenizer for every model),
and the output is an assumption (``ASSUMED_OUTPUT_TOKENS`` per call, reasoning included, capped
by the run's output cap), priced by the same table the rows use (``harness.models.pricing``).
It counts every attempt, so early stop makes the real cost lower, and the first turn only.
"""

from __future__ import annotations

from typing import Any

from harness.models.pricing import Rates

CHARS_PER_TOKEN = 4
ASSUMED_OUTPUT_TOKENS = 4000


class CostEstimate:
    """Summed over the tasks as ``dry_run`` prints them; ``line`` multiplies by the calls."""

    def __init__(self, rates: Rates, model: str) -> None:
        self.rates = rates
        self.model = model
        self.tasks = 0
        self.prompt_tokens = 0
        self.output_tokens = 0

    def add(self, task: Any, max_output_tokens: int | None) -> None:
        chars = sum(len(str(m.get("content") or "")) for m in task.messages())
        self.tasks += 1
        self.prompt_tokens += chars // CHARS_PER_TOKEN
        self.output_tokens += min(ASSUMED_OUTPUT_TOKENS, max_output_tokens or ASSUMED_OUTPUT_TOKENS)

    def line(self, calls_per_task: int) -> str:
        """One line: what was counted, and the dollars or why there are none."""
        calls = self.tasks * calls_per_task
        prompt, output = self.prompt_tokens * calls_per_task, self.output_tokens * calls_per_task
        counted = (f"# estimate: {calls} call(s) ({self.tasks} task(s) x {calls_per_task}), "
                   f"~{prompt:,} prompt tokens (characters/4) + ~{output:,} output tokens "
                   f"(assumed {ASSUMED_OUTPUT_TOKENS:,} per call, reasoning included)")  # fmt: skip
        if self.rates.input is None or self.rates.output is None:
            return f"{counted}: unpriced (no price known for {self.model}; see --input-rate)"
        usd = (prompt * self.rates.input + output * self.rates.output) / 1e6
        return (f"{counted} = ~${usd:,.2f} at ${self.rates.input:g}/M in, "
                f"${self.rates.output:g}/M out ({self.rates.source}); every attempt counted, "
                "so early stop costs less")  # fmt: skip
