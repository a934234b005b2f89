"""ARC prompts and multi-turn feedback, rendered from versioned jinja2 template files.

A prompt version `NAME` is three files in a prompt directory (default: `prompts/` next to
this module): `NAME.txt` (user message), `NAME_system.txt` (system message) and, for feedback
mode, `NAME_feedback.txt`. Users add versions by dropping files, not by editing code.

Shipped: `soar` (the default), the ARC seed's own prompt word for word: its runner's default,
with which the seed measured the numbers it publishes (and the format the SOAR fine-tuned models
were trained on), so a run meant to be compared with them asks the same. The seed's soar runner
never gives feedback: with `--max-turns` > 1 its later turns use our feedback wording (its
feedback file includes ours). `arc_v1`: ours (the default before issue 13), with the program's
signature spelt out and a closing instruction to reason before answering.

Leakage guard: templates only ever receive train pairs and test *inputs*; the test outputs are
not in the rendering context at all, so no template can print them. Feedback is built from
train-pair outcomes only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2

from harness.errors import UserError
from harness.families.arc.data import ArcTask
from harness.judge.scoring import Grid, pixel_counts, validate_grid

PROMPT_DIR = Path(__file__).parent / "prompts"
DEFAULT_VERSION = "soar"


@dataclass(frozen=True)
class PairOutcome:
    """Result of one program on one TRAIN pair, as fed back to the model.

    index: 0-based position in `task.train` (shown to the model 1-based, as in the prompt).
    verdict: "correct", "wrong", or a sandbox error kind ("exception", "timeout",
    "invalid_output", ...). detail: error message or other note, if any.
    """

    index: int
    expected: Grid
    predicted: Grid | None
    verdict: str
    detail: str | None = None


@dataclass(frozen=True)
class PromptVersion:
    name: str
    system: str
    user: str
    feedback: str | None


def format_grid(grid: Grid) -> str:
    """One line, rows in brackets, cells separated by spaces: `[[0 7 7] [7 7 7] [0 7 7]]`."""
    return "[" + " ".join("[" + " ".join(str(c) for c in row) + "]" for row in grid) + "]"


def shape_text(grid: Grid) -> str:
    """`W by H`: width (columns) first, then height (rows)."""
    return f"{len(grid[0])} by {len(grid)}"


def list_prompt_versions(prompt_dir: Path = PROMPT_DIR) -> list[str]:
    return sorted(
        p.stem for p in prompt_dir.glob("*.txt") if (prompt_dir / f"{p.stem}_system.txt").is_file()
    )


def _environment(prompt_dir: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(prompt_dir)),
        undefined=jinja2.StrictUndefined,  # a typo in a template fails loudly, not silently
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=False,
    )


def load_prompt_version(
    name: str = DEFAULT_VERSION, prompt_dir: Path = PROMPT_DIR
) -> PromptVersion:
    user, system = prompt_dir / f"{name}.txt", prompt_dir / f"{name}_system.txt"
    if not user.is_file() or not system.is_file():
        known = ", ".join(list_prompt_versions(prompt_dir)) or "none"
        raise UserError(f"unknown prompt version '{name}' in {prompt_dir}; available: {known}")
    feedback = prompt_dir / f"{name}_feedback.txt"
    return PromptVersion(
        name=name,
        system=system.read_text().strip(),
        user=user.read_text(),
        feedback=feedback.read_text() if feedback.is_file() else None,
    )


def _render(template: str, prompt_dir: Path, **context: object) -> str:
    return _environment(prompt_dir).from_string(template).render(**context).strip() + "\n"


def build_messages(
    task: ArcTask, version: str = DEFAULT_VERSION, prompt_dir: Path = PROMPT_DIR
) -> list[dict[str, str]]:
    """System and user messages for one task: train pairs in full, test inputs only."""
    prompt = load_prompt_version(version, prompt_dir)
    train = [
        {
            "index": i,
            "input": format_grid(p.input),
            "input_shape": shape_text(p.input),
            "output": format_grid(p.output),
            "output_shape": shape_text(p.output),
        }
        for i, p in enumerate(task.train, start=1)
        if p.output is not None
    ]
    test = [
        {"index": i, "input": format_grid(p.input), "input_shape": shape_text(p.input)}
        for i, p in enumerate(task.test, start=1)
    ]
    user = _render(prompt.user, prompt_dir, train=train, test=test, task_id=task.task_id)
    return [{"role": "system", "content": prompt.system}, {"role": "user", "content": user}]


def feedback_message(
    train_results: Sequence[PairOutcome],
    version: str = DEFAULT_VERSION,
    prompt_dir: Path = PROMPT_DIR,
) -> str:
    """Feedback after a turn, from TRAIN pair outcomes only (this signature has no test data).

    Pixel accuracy is pooled: matching cells over all expected train cells, errors and
    misshapen outputs counting 0, so large grids weigh more than tiny ones (as cells do).
    """
    prompt = load_prompt_version(version, prompt_dir)
    if prompt.feedback is None:
        raise UserError(f"prompt version '{version}' has no {version}_feedback.txt")
    matching = total = solved = 0
    rows = []
    for r in sorted(train_results, key=lambda r: r.index):
        m, t = pixel_counts(r.predicted, r.expected)
        matching, total = matching + m, total + t
        predicted = validate_grid(r.predicted) if r.predicted is not None else None
        correct = r.verdict == "correct"
        solved += correct
        warning = None
        if predicted is not None and shape_text(predicted) != shape_text(r.expected):
            warning = (
                f"your output has grid shape {shape_text(predicted)} but the expected output "
                f"is {shape_text(r.expected)}"
            )
        if correct:
            status = "solved"
        elif r.verdict == "wrong":
            status = f"wrong output (pixel accuracy {_percent(m, t)})"
        else:
            status = f"error ({r.verdict})"
        rows.append(
            {
                "index": r.index + 1,
                "status": status,
                "detail": r.detail,
                "shape_warning": warning,
                "predicted": format_grid(predicted) if predicted and not correct else None,
                "predicted_shape": shape_text(predicted) if predicted else None,
                "expected": format_grid(r.expected),
                "expected_shape": shape_text(r.expected),
            }
        )
    return _render(
        prompt.feedback,
        prompt_dir,
        results=rows,
        solved=solved,
        total=len(rows),
        pixel_percent=_percent(matching, total),
    )


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "0.0%"
