"""How one value reads in a table cell: one rule for the console summaries and the HTML
report, so a score or a flag is written the same way wherever a run is shown."""

from __future__ import annotations

from typing import Any


def cell_text(value: Any, digits: int, missing: str = "-") -> str:
    """Floats to a fixed number of digits, so a column of scores lines up; ``missing`` stands
    for no value (None), which is not the same as zero."""
    if value is None:
        return missing
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)
