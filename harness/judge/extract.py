"""Model reply text -> program source.

Hidden-mapping (ERM) tasks ask for one JSON object `{"code": "..."}`; models also answer with a
fenced block or a bare function, so the order is: the LAST JSON object with a string `code` key
(only the text after any `</think>` is searched, so drafts in reasoning are ignored), else the last
```python (or bare ```) block, else a bare top-level `def`/`import` block. JSON is found by trying
`json.JSONDecoder.raw_decode` at every `{`, which copes with braces inside code strings, JSON
inside ```json fences and (non-strict mode) raw newlines inside strings.

ARC tasks ask for a python block defining `transform`: last python block, else a bare block that
defines `transform`; when the content holds nothing, the reasoning text is searched the same way.

Every function returns None when there is no code (the runner records `no_code_found`).
"""

from __future__ import annotations

import json
import re

_DECODER = json.JSONDecoder(strict=False)
_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+.-]*)[^\n]*\n(.*?)```", re.DOTALL)
_PY_LANGS = frozenset({"python", "py", "python3"})
_TOP_START = re.compile(r"^(def |async def |import |from \S+ import |class |@)")


def after_think(text: str) -> str:
    """The part of `text` after the last `</think>` (all of it when there is none)."""
    idx = text.lower().rfind("</think>")
    return text if idx < 0 else text[idx + len("</think>") :]


def extract_json_code(text: str) -> str | None:
    """`code` of the last JSON object (possibly nested) that has a string `code` key."""
    found: str | None = None
    i = text.find("{")
    while i >= 0:
        try:
            obj, end = _DECODER.raw_decode(text, i)
        except json.JSONDecodeError:
            i = text.find("{", i + 1)
            continue
        if isinstance(obj, dict) and isinstance(obj.get("code"), str):
            found = obj["code"]
            i = text.find("{", end)  # skip objects nested inside this one
        else:
            i = text.find("{", i + 1)  # a wrapper object may contain a code object
    if found is None or not found.strip():
        return None
    return found


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """All closed ``` blocks as (language tag lower-cased, body)."""
    return [(m.group(1).lower(), m.group(2)) for m in _FENCE.finditer(text)]


def extract_fenced(text: str, allow_bare: bool = True) -> str | None:
    """Last ```python block; with `allow_bare`, an untagged block counts too."""
    for lang, body in reversed(fenced_blocks(text)):
        if lang in _PY_LANGS or (allow_bare and lang == "" and body.strip()):
            if body.strip():
                return body.strip("\n")
    return None


def extract_def_block(text: str, name: str | None = None) -> str | None:
    """A bare top-level code block: from the first line starting with `def`/`import`/`from`/
    `class`/`@` through indented, blank and further top-level code lines, stopping at prose.
    With `name`, the block must define `def name(`; the search starts at its first block."""
    lines = text.splitlines()
    start = 0
    while start < len(lines):
        if _TOP_START.match(lines[start]):
            block = _grow_block(lines, start)
            code = "\n".join(block).rstrip()
            wanted = rf"^def {re.escape(name)}\s*\(" if name else r"^(async )?def "
            if re.search(wanted, code, re.M):
                return code
            start += len(block)
        else:
            start += 1
    return None


def _grow_block(lines: list[str], start: int) -> list[str]:
    block = [lines[start]]
    for line in lines[start + 1 :]:
        if not line.strip() or line[0] in " \t" or _TOP_START.match(line):
            block.append(line)
        elif re.match(r"^[A-Za-z_][A-Za-z0-9_]*\s*=", line) and not line.rstrip().endswith(":"):
            block.append(line)  # a module-level constant between functions
        else:
            break
    while block and not block[-1].strip():
        block.pop()
    return block


def extract_code(text: str | None, reasoning_text: str | None = None) -> str | None:
    """ERM extraction (see module docstring). `reasoning_text` is searched only when the
    content yields nothing."""
    for source in (text, reasoning_text):
        if not source:
            continue
        body = after_think(source)
        code = extract_json_code(body) or extract_fenced(body) or extract_def_block(body)
        if code:
            return code
    return None


def extract_arc_code(text: str | None, reasoning_text: str | None = None) -> str | None:
    """ARC extraction: last python block, else a bare block defining `transform`; content
    first, then the reasoning text."""
    for source in (text, reasoning_text):
        if not source:
            continue
        body = after_think(source)
        code = extract_fenced(body, allow_bare=False)
        if code is None:
            for lang, block in reversed(fenced_blocks(body)):
                if lang == "" and "def transform" in block:
                    code = block.strip("\n")
                    break
        code = code or extract_def_block(body, name="transform")
        if code:
            return code
    return None
