"""Where one program's round trip goes, from the timings the host, the server and the child
report with every result (``stats``: ``host_ms``, ``server_ms``, ``child_ms``).

The server's and the child's marks are their own word (informative only, never a verdict);
the remainder, round trip minus every named part, is the transport (Docker's attach stream
both ways) plus the server's framing.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

#: (label, stats section, key), in the order the time is spent.
PARTS: tuple[tuple[str, str, str], ...] = (
    ("host: encode + send", "host_ms", "encode_send"),
    ("server: request read -> job handed over", "server_ms", "dispatch"),
    ("child: wake-up (job -> start)", "server_ms", "wake"),
    ("child: compile (policy transform)", "child_ms", "compile"),
    ("child: module body + entry", "child_ms", "setup"),
    ("child: input loop + result frames", "child_ms", "inputs"),
    ("server: end frame -> reply", "server_ms", "after_child"),
    ("host: decode + check", "host_ms", "decode"),
)
REST = "transport + framing (the rest)"


def decompose(samples: Sequence[tuple[float, dict[str, Any]]]) -> dict[str, float]:
    """Median milliseconds of each part over ``samples`` of (round trip in s, stats), plus the
    median round trip and the rest. Medians of parts need not add up to the median total:
    the rest is computed per sample, then its median taken."""
    out: dict[str, float] = {}
    rests = []
    for total_s, stats in samples:
        named = sum(float((stats.get(sec) or {}).get(key) or 0.0) for _l, sec, key in PARTS)
        rests.append(total_s * 1e3 - named)
    for label, sec, key in PARTS:
        out[label] = statistics.median(float((s.get(sec) or {}).get(key) or 0.0)
                                       for _t, s in samples)
    out[REST] = statistics.median(rests)
    out["round trip"] = statistics.median(t * 1e3 for t, _s in samples)
    return out


def table(title: str, parts: dict[str, float]) -> Any:
    from rich.table import Table

    total = parts["round trip"]
    t = Table(title=title)
    t.add_column("part")
    t.add_column("ms (p50)", justify="right")
    t.add_column("share", justify="right")
    for label, ms in parts.items():
        share = "" if label == "round trip" else f"{100 * ms / total:.0f}%"
        t.add_row(label, f"{ms:.3f}", share)
    return t
