"""Scripted "models" for the mock server: how a task is recognised and what each policy answers.

Task identification: the `X-Harness-Task` header (`fn_a/L50`, `fn_a`, or an ARC task id) wins;
otherwise the prompt is read. ERM prompts carry `input -> label` lines: the task is the first of
fn_a..fn_l whose oracle reproduces every line (L = input length; for decimal inputs fn_k is
preferred over fn_i when every negative ends in 1/3/7/9, the fn_k construction). ARC prompts are
recognised by `## Input i` grids or `def transform`.

Every choice uses the `random.Random` handed in by the server, derived from seed + task key +
the per-task reply counter, so answers never depend on thread scheduling.

Mixes (probabilities per reply):
- noisy: correct 30%, wrong 15%, syntax error 8%, no code 7%, hard-coded lookup table 12%,
  slow (infinite loop) 8%, hostile 20%.
- arc: a generic program that fits the train pairs 35% (a random generic one when none fits),
  random generic 25%, wrong 10%, broken 8%, no code 4%, hard-coded first train output 8%,
  hostile 10%.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from harness.mock import arc as mock_arc
from harness.mock import programs as mock_programs
from harness.mock.programs import DECIMAL_FNS, FN_IDS

_FN_HEADER = re.compile(r"^(fn_[a-z])(?:/L(\d+))?$")
_ERM_LINE = re.compile(r"^\s*([0-9]+)\s*->\s*([01])\s*$", re.M)
_LENGTH_WORDS = re.compile(r"length\s+(\d+)", re.I)

NOISY_MIX: tuple[tuple[str, float], ...] = (
    ("correct", 0.30),
    ("wrong", 0.15),
    ("syntax_error", 0.08),
    ("no_code", 0.07),
    ("lookup_table", 0.12),
    ("slow", 0.08),
    ("hostile", 0.20),
)
ARC_MIX: tuple[tuple[str, float], ...] = (
    ("fit", 0.35),
    ("generic", 0.25),
    ("wrong", 0.10),
    ("broken", 0.08),
    ("no_code", 0.04),
    ("hardcoded", 0.08),
    ("hostile", 0.10),
)
#: The fixed program lists the kinds of each mix draw from (the other kinds build their answer).
NOISY_PROGRAMS: dict[str, tuple[str, ...]] = {
    "wrong": mock_programs.WRONG_PROGRAMS,
    "syntax_error": mock_programs.SYNTAX_ERRORS,
    "slow": mock_programs.SLOW_PROGRAMS,
    "hostile": mock_programs.HOSTILE_PROGRAMS,
}
ARC_PROGRAMS: dict[str, tuple[str, ...]] = {
    "wrong": mock_arc.WRONG_PROGRAMS,
    "broken": mock_arc.BROKEN_PROGRAMS,
    "hostile": mock_arc.HOSTILE_PROGRAMS,
}


@dataclass(frozen=True)
class TaskRef:
    """What the mock believes it was asked. `key` names the task for counters and replay."""

    kind: Literal["fn", "arc", "unknown"]
    key: str
    fn: str | None = None
    length: int | None = None
    train: tuple[tuple[str, str], ...] = ()
    arc_pairs: tuple[tuple[mock_arc.Grid, mock_arc.Grid], ...] = field(default=(), hash=False)


@dataclass(frozen=True)
class MockReply:
    """Text and reasoning to serve; `choice` names what was picked (sent as `X-Mock-Choice`)."""

    text: str
    reasoning: str
    choice: str


class Policy(Protocol):
    name: str

    def reply(self, task: TaskRef, rng: random.Random, index: int = 0) -> MockReply: ...


def derived_rng(*parts: object) -> random.Random:
    """A generator seeded by a hash of `parts` (seed, task key, counter...): answers depend on
    what was asked and how often, never on arrival order across tasks or thread scheduling."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


# --- task identification -----------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _label(fn: str, length: int):  # noqa: ANN202 - cached callable
    return mock_programs.label_function(fn, length)


def erm_lines(prompt: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in _ERM_LINE.finditer(prompt)]


def infer_fn(lines: list[tuple[str, str]]) -> tuple[str, int] | None:
    """The first fn whose oracle matches every line, with L; None when nothing fits."""
    if not lines:
        return None
    length = len(lines[0][0])
    if any(len(x) != length for x, _ in lines):
        return None
    decimal = any(set(x) - {"0", "1"} for x, _ in lines)
    if decimal:
        negatives = [x for x, y in lines if y == "0"]
        restricted = len(negatives) >= 10 and all(x[-1] in "1379" for x in negatives)
        candidates = ["fn_k", "fn_i"] if restricted else ["fn_i", "fn_k"]
    else:
        candidates = [fn for fn in FN_IDS if fn not in DECIMAL_FNS]
    for fn in candidates:
        if fn == "fn_h" and length % 2:
            continue
        label = _label(fn, length)
        try:
            if all(label(x) == y for x, y in lines):
                return fn, length
        except Exception:  # noqa: BLE001 - an oracle may not apply to this length
            continue
    return None


def identify(header: str | None, prompt: str) -> TaskRef:
    """See module docstring."""
    header = (header or "").strip() or None
    lines = erm_lines(prompt)
    m = _FN_HEADER.match(header) if header else None
    if m:
        fn = m.group(1)
        length = int(m.group(2)) if m.group(2) else None
        if length is None and lines:
            length = len(lines[0][0])
        if length is None:
            words = _LENGTH_WORDS.search(prompt)
            length = int(words.group(1)) if words else 50
        return TaskRef("fn", f"{fn}/L{length}", fn, length, tuple(lines))
    looks_arc = "def transform" in prompt or re.search(r"^##\s*Input\s+\d+", prompt, re.M)
    if header and (looks_arc or not lines):
        pairs, _ = mock_arc.parse_arc_prompt(prompt)
        return TaskRef("arc", header, arc_pairs=tuple(pairs))
    if looks_arc:
        pairs, _ = mock_arc.parse_arc_prompt(prompt)
        return TaskRef("arc", "arc:" + _digest(prompt), arc_pairs=tuple(pairs))
    found = infer_fn(lines)
    if found:
        fn, length = found
        return TaskRef("fn", f"{fn}/L{length}", fn, length, tuple(lines))
    return TaskRef("unknown", header or "prompt:" + _digest(prompt), train=tuple(lines))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


# --- reply formatting --------------------------------------------------------------------------


def json_reply(code: str, rng: random.Random) -> str:
    """The spec's `{"code": ...}` answer, in one of several wrappings that extraction must
    handle (bare, prose around it, a ```json fence)."""
    obj = json.dumps({"code": code})
    style = rng.randrange(4)
    if style == 0:
        return obj
    if style == 1:
        return f"Here is the function that reproduces the labels.\n\n{obj}"
    if style == 2:
        return f"```json\n{json.dumps({'code': code}, indent=2)}\n```"
    return f"I checked it against every example.\n{obj}\nThis should generalise."


def python_reply(code: str, rng: random.Random) -> str:
    """ARC-style answer: prose and a ```python block."""
    intro = rng.choice(
        [
            "The rule appears to be a simple geometric transformation.",
            "Looking at the pairs, each output is derived from the input as follows.",
            "I tested this against every training pair.",
        ]
    )
    return f"{intro}\n\n```python\n{code.rstrip()}\n```\n"


def _reasoning(task: TaskRef, what: str) -> str:
    name = task.fn or task.key
    return f"Examined the examples for {name}. Hypothesis: {what}. Checked it on the examples."


def _weighted(mix: tuple[tuple[str, float], ...], rng: random.Random) -> str:
    names = [n for n, _ in mix]
    return rng.choices(names, weights=[w for _, w in mix], k=1)[0]


def _pick(programs: Sequence[str], rng: random.Random) -> tuple[str, int]:
    """One program at random, with its index: the choice names it, so a reply can be traced
    back to the very program served."""
    idx = rng.randrange(len(programs))
    return programs[idx], idx


# --- policies ----------------------------------------------------------------------------------


class OraclePolicy:
    """Correct programs in varied styles for fn tasks; fitting generic programs for ARC."""

    name = "oracle"

    def reply(self, task: TaskRef, rng: random.Random, index: int = 0) -> MockReply:
        if task.kind == "arc":
            return _arc_fit(task, rng)
        if task.kind == "fn" and task.fn in FN_IDS and task.length:
            code, idx = _pick(mock_programs.oracle_programs(task.fn, task.length), rng)
            return MockReply(
                json_reply(code, rng),
                _reasoning(task, f"the rule is {task.fn}"),
                f"oracle:{task.fn}:{idx}",
            )
        return MockReply(
            json_reply("def f(x):\n    return '0'\n", rng),
            "Could not identify the rule; answering a constant.",
            "oracle:unidentified",
        )


class NoisyPolicy:
    """A seeded mix of good, bad and hostile answers (proportions in `NOISY_MIX`)."""

    name = "noisy"

    def reply(self, task: TaskRef, rng: random.Random, index: int = 0) -> MockReply:
        if task.kind == "arc":
            return ArcPolicy().reply(task, rng)
        kind = _weighted(NOISY_MIX, rng)
        if kind == "correct":
            if task.kind == "fn" and task.fn in FN_IDS and task.length:
                return OraclePolicy().reply(task, rng)
            kind = "wrong"
        if kind == "no_code":
            text = rng.choice(
                [
                    "I could not find a consistent rule for these examples.",
                    json.dumps({"answer": "parity of the bits"}),
                    "The function is probably parity, but I am not certain.",
                ]
            )
            return MockReply(text, "No hypothesis survived.", "noisy:no_code")
        if kind == "lookup_table":
            code = mock_programs.lookup_table_program(list(task.train), rng)
        else:
            code, idx = _pick(NOISY_PROGRAMS[kind], rng)
            kind = f"{kind}:{idx}"
        return MockReply(json_reply(code, rng), _reasoning(task, kind), f"noisy:{kind}")


class ArcPolicy:
    """Generic ARC programs mixed with bad ones (proportions in `ARC_MIX`)."""

    name = "arc"

    def reply(self, task: TaskRef, rng: random.Random, index: int = 0) -> MockReply:
        if task.kind == "fn":
            return NoisyPolicy().reply(task, rng)
        kind = _weighted(ARC_MIX, rng)
        pairs = list(task.arc_pairs)
        if kind == "fit":
            return _arc_fit(task, rng)
        if kind == "generic":
            name = rng.choice(sorted(mock_arc.GENERIC_PROGRAMS))
            code, choice = mock_arc.GENERIC_PROGRAMS[name], f"arc:generic:{name}"
        elif kind == "no_code":
            return MockReply(
                "This puzzle is ambiguous; I cannot determine a rule.", "Unclear.", "arc:no_code"
            )
        elif kind == "hardcoded":
            code, choice = mock_arc.hardcoded_program(pairs), "arc:hardcoded"
        else:
            code, idx = _pick(ARC_PROGRAMS[kind], rng)
            choice = f"arc:{kind}:{idx}"
        return MockReply(python_reply(code, rng), _reasoning(task, choice), choice)


def _arc_fit(task: TaskRef, rng: random.Random) -> MockReply:
    fits = mock_arc.fitting_programs(list(task.arc_pairs))
    name = fits[0] if fits else rng.choice(sorted(mock_arc.GENERIC_PROGRAMS))
    tag = "fit" if fits else "generic"
    code = mock_arc.GENERIC_PROGRAMS[name]
    return MockReply(python_reply(code, rng), _reasoning(task, name), f"arc:{tag}:{name}")


class ReplayPolicy:
    """Serves recorded programs from a JSONL file of `{"task": ID, "code": SOURCE}` lines.

    Lookup order: `fn_x/L<n>` exactly, then bare `fn_x`; ARC ids as given. Several lines for one
    task are served in turn, cycling. A task without lines gets a prose reply with no code.
    """

    name = "replay"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.entries: dict[str, list[str]] = {}
        try:
            raw_lines = self.path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ValueError(f"replay file {self.path}: {exc.strerror or exc}") from exc
        for number, line in enumerate(raw_lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"replay file {self.path} line {number}: {exc.msg}") from exc
            if not (isinstance(row, dict) and isinstance(row.get("task"), str)):
                raise ValueError(f"replay file {self.path} line {number}: needs a string 'task'")
            if not isinstance(row.get("code"), str):
                raise ValueError(f"replay file {self.path} line {number}: needs a string 'code'")
            self.entries.setdefault(row["task"], []).append(row["code"])

    def codes_for(self, task: TaskRef) -> tuple[str, list[str]] | None:
        keys = [task.key]
        if task.fn:
            keys += [f"{task.fn}/L{task.length}", task.fn]
        for key in keys:
            if key in self.entries:
                return key, self.entries[key]
        return None

    def reply(self, task: TaskRef, rng: random.Random, index: int = 0) -> MockReply:
        found = self.codes_for(task)
        if found is None:
            return MockReply(f"No recorded answer for task {task.key}.", "", "replay:missing")
        key, codes = found
        code = codes[index % len(codes)]
        is_fn = _FN_HEADER.match(key) is not None
        text = json.dumps({"code": code}) if is_fn else python_reply(code, rng)
        reasoning = f"Replaying recorded answer for {key}."
        return MockReply(text, reasoning, f"replay:{key}:{index % len(codes)}")


def make_policy(spec: str) -> Policy:
    """`oracle`, `noisy`, `arc` or `replay:FILE` -> policy (ValueError on anything else)."""
    if spec.startswith("replay:"):
        return ReplayPolicy(spec.split(":", 1)[1])
    policies: dict[str, type] = {"oracle": OraclePolicy, "noisy": NoisyPolicy, "arc": ArcPolicy}
    if spec not in policies:
        raise ValueError(f"unknown mock policy {spec!r}: use oracle, noisy, arc or replay:FILE")
    return policies[spec]()
