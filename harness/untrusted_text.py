"""Strings from models, data files and run directories, made safe for where they land.

Program text, response text, task ids and model names are chosen by whoever wrote the model
output or the run directory. Before they reach a spreadsheet, a terminal, a file name or a log,
they pass through one of these functions.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from harness.errors import UserError

#: Leading characters a spreadsheet reads as a formula (OWASP, "CSV Injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: C0 controls, DEL and C1 controls: what a terminal may take as a command; also bidi
#: overrides and line separators (text that displays other than it reads) and lone surrogates
#: (which no terminal or file encoding accepts).
_OTHER = "\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_CONTROL = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_OTHER}]")
_CONTROL_ALL = re.compile(f"[\x00-\x1f\x7f-\x9f{_OTHER}]")
#: Run ids name a folder under --out-dir: one path component of plain characters.
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_FILE_SAFE = re.compile(r"[^A-Za-z0-9._-]")
#: Query parameters that carry credentials in a URL.
_SECRET_PARAMS = re.compile(r"(key|token|secret|password|passwd|sig|signature|auth)", re.I)


def csv_cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: a string starting like a formula gets a leading
    ``'``. Numbers stay numbers (a negative number is data, not a formula)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def printable(text: object, keep_newlines: bool = False) -> str:
    """Text a terminal shows and never obeys: control characters become ``\\xNN`` escapes."""
    pattern = _CONTROL if keep_newlines else _CONTROL_ALL
    return pattern.sub(_escape, str(text))


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def console_text(text: object) -> str:
    """``printable`` and escaped for rich markup (an id such as ``[red]`` is shown, not applied)."""
    from rich.markup import escape

    return escape(printable(text))


def safe_file_name(name: str, max_len: int = 100) -> str:
    """A file name for an untrusted id: plain characters only, never ``.``/``..`` or hidden, and
    collision-free (ids that had to be changed get a short hash of the original)."""
    safe = _FILE_SAFE.sub("_", name)[:max_len]
    if safe != name or safe.startswith(".") or not safe:
        digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        safe = f"{safe.lstrip('.')}~{digest}"
    return safe


def check_run_id(run_id: str, where: str = "run id") -> str:
    """A run id is one plain path component (so a run stays inside --out-dir)."""
    if not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id) or ".." in run_id:
        raise UserError(f"{where} {printable(run_id)!s} is not allowed: use letters, digits, "
                        "'.', '_' and '-' (at most 128, no '..', no '/')")
    return run_id


def check_task_id(task_id: str, where: str = "task id") -> str:
    """A task id read from a run directory names one file in the user's data folder: any text
    (ids from the user's own data may be non-ASCII) but one path component, never hidden."""
    if not isinstance(task_id, str) or not task_id or len(task_id) > 200 or \
            task_id.startswith(".") or any(c in task_id for c in "/\\\0"):
        raise UserError(f"{where} {printable(task_id)!s} is not allowed: one file name, without "
                        "'/', '\\' or a leading '.'")
    return task_id


def redact_url(url: str | None) -> str | None:
    """A URL without credentials: user:password@ and secret-looking query values removed."""
    if not url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rpartition("@")[2]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, "***" if _SECRET_PARAMS.search(k) else v) for k, v in pairs],
                          safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
