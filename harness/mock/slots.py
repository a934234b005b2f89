"""Which call of a run a request is (the `X-Harness-Attempt` header), and what the mock derives
from it.

Why: a counter of requests served per task makes the answer depend on arrival order (trials of
one task running concurrently swap replies) and on the server's lifetime (a resume restarts the
counters), so early stop, and with it the number of rows, changed from run to run (issue 14).
The runner names each call `trial/attempt/turn/retry/attempts`; the mock keys its reply, its
injected faults and its prompt-cache imitation on that instead. A plain client sends no such
header and gets the counters (see `server.MockServer.make_reply`).

The rule (`Slot.base`, `Slot.rng_key`, `Slot.index`), with n = attempts per trial (sent too):
- a first turn's reply index is `(trial - 1) * n + attempt - 1`, and its randomness is seeded by
  seed + task key + that index: the very counter value a run that asks trial by trial, attempt
  by attempt, used (a sequential single-trial run, the typical one; ARC's repeat runs at
  concurrency 1), so such runs keep their replies and response ids, and a replay file is read in
  file order across the trials, as before;
- a later turn is seeded by `trial/attempt/turn`, a string no index equals, and its index (replay's
  position) is its first turn's plus `turn - 1`;
- without n (a client that does not send it) trial 1 works as above and other trials are seeded
  by `trial/attempt/turn`, index `attempt - 1`;
- the retry number never changes the reply (a retried call gets the answer the failed one would
  have had); it only re-rolls the injected fault.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_N = r"([1-9][0-9]{0,8})"
_SLOT = re.compile(rf"^{_N}/{_N}/{_N}(?:/([0-9]{{1,9}})(?:/([0-9]{{1,9}}))?)?$")


@dataclass(frozen=True)
class Slot:
    """One call of a run: 1-based trial, attempt and turn, 0-based HTTP retry number, and the
    run's attempts per trial (0 = not sent)."""

    trial: int
    attempt: int
    turn: int = 1
    retry: int = 0
    attempts: int = 0

    @property
    def base(self) -> int | None:
        """The first turn's reply index (module docstring); None when it cannot be known."""
        if self.attempts >= self.attempt:
            return (self.trial - 1) * self.attempts + self.attempt - 1
        return self.attempt - 1 if self.trial == 1 else None

    @property
    def rng_key(self) -> int | str:
        """What seeds the reply's randomness with the seed and task key (module docstring)."""
        base = self.base
        if base is not None and self.turn == 1:
            return base
        return f"{self.trial}/{self.attempt}/{self.turn}"

    @property
    def index(self) -> int:
        """The reply index a policy sees (replay's position in a task's entries)."""
        base = self.base
        return (self.attempt - 1 if base is None else base) + self.turn - 1

    @property
    def first(self) -> bool:
        """The first call of the task in a run: the one a prompt cache has not seen yet."""
        return (self.trial, self.attempt, self.turn, self.retry) == (1, 1, 1, 0)


def parse_slot(value: str | None) -> Slot | None:
    """The header's slot, or None when absent or malformed (the server then counts arrivals:
    a bad header must not fail the request, a real API would ignore it)."""
    m = _SLOT.match((value or "").strip())
    if m is None:
        return None
    trial, attempt, turn = (int(m.group(i)) for i in (1, 2, 3))
    return Slot(trial, attempt, turn, int(m.group(4) or 0), int(m.group(5) or 0))
