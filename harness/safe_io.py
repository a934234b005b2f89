"""Files of a run directory opened as hostile input: never followed, always bounded.

Run directories travel (shared, downloaded with papers, re-opened by ``rerun``, ``report``,
``--resume``), so the host treats every file in one as an attacker's: a symlink is never read
or written through (``O_NOFOLLOW`` on the file, ``lstat`` on every folder between the run
directory and it), a FIFO or device is refused before it can block, every read has a size cap,
JSON has a depth cap, temporary files are created with ``O_EXCL`` under unguessable names, and
every problem is one ``RunFileError`` line (a ``UserError``: exit 2, no traceback).
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from harness.errors import UserError

#: Size caps by what a file holds (bytes). A cap is far above any real run's file.
MAX_JSON_BYTES = 64 << 20  # manifest.json, summary.json, task logs, gate.json
MAX_JSONL_BYTES = 2 << 30  # results_attempts.jsonl, trials/*.jsonl, runner.log
MAX_TEXT_BYTES = 64 << 20  # prompts, split lists, CSVs read back
MAX_JSON_DEPTH = 64
#: A lone surrogate (JSON can carry one: "\ud800") cannot be UTF-8; written as a ``\ud800``
#: escape instead of failing the write (inside a JSON string that escape decodes back to it).
_ENCODE_ERRORS = "backslashreplace"


class RunFileError(UserError):
    """A file of a run directory that cannot be used as it is (symlink, FIFO, too big, bad)."""


def _flags(base: int) -> int:
    return base | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def check_folders(path: Path, root: Path | None) -> None:
    """Every folder strictly below ``root`` down to ``path``'s parent is a real folder, not a
    symlink, and ``path`` lies under ``root``. ``root`` itself (the run directory the user named)
    is taken as given. Without ``root`` only the parent is checked."""
    parent = path.parent
    if root is None:
        chain = [parent]
    else:
        chain = []
        while parent != root:
            if parent == parent.parent:
                raise RunFileError(f"{_show(path)}: not inside {_show(root)}")
            chain.append(parent)
            parent = parent.parent
    for folder in chain:
        try:
            st = os.lstat(folder)
        except FileNotFoundError:
            continue  # created later by the writer (make_folder refuses existing symlinks)
        if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
            raise RunFileError(f"{_show(folder)}: not a plain folder (a symlink or a file); "
                               "refusing to go through it")


def _show(path: object) -> str:
    """A path for an error line: control characters escaped (names come from the run dir)."""
    from harness.untrusted_text import printable

    return printable(path)


def open_regular(path: Path, flags: int, mode: int = 0o644) -> int:
    """A descriptor of a regular file, never through a link, never blocking on a FIFO."""
    try:
        fd = os.open(path, _flags(flags | os.O_NONBLOCK), mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP or os.path.islink(path):  # the final component is a link
            raise RunFileError(f"{_show(path)}: is a symlink; run directories are never "
                               "followed through links") from None
        if exc.errno in (errno.ENXIO, errno.ENODEV, errno.EISDIR):  # FIFO without reader, ...
            raise RunFileError(f"{_show(path)}: not a regular file (a FIFO, device or "
                               "folder)") from None
        raise
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise RunFileError(f"{_show(path)}: not a regular file (a FIFO, device or folder)")
    os.set_blocking(fd, True)
    return fd


def _too_big(path: Path, max_bytes: int) -> RunFileError:
    return RunFileError(f"{_show(path)}: larger than {_human(max_bytes)}; refusing to read it")


def _human(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 else f"{n} bytes"


def read_bytes(path: Path | str, max_bytes: int | None = None, root: Path | None = None
               ) -> bytes:
    """The whole file, refused if it is a link, not a regular file, or larger than the cap
    (default ``MAX_TEXT_BYTES``, looked up at call time so tests can lower it)."""
    path = Path(path)
    max_bytes = MAX_TEXT_BYTES if max_bytes is None else max_bytes
    check_folders(path, root)
    fd = open_regular(path, os.O_RDONLY)
    with os.fdopen(fd, "rb") as fh:
        if os.fstat(fh.fileno()).st_size > max_bytes:
            raise _too_big(path, max_bytes)
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_big(path, max_bytes)
    return data


def read_text(path: Path | str, max_bytes: int | None = None, root: Path | None = None
              ) -> str:
    data = read_bytes(path, max_bytes, root)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RunFileError(f"{_show(path)}: not UTF-8 text ({exc.reason} at byte "
                           f"{exc.start})") from None


def _depth(value: Any, limit: int) -> int:
    """Nesting depth of decoded JSON, iteratively (no recursion for a hostile document)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, d = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, d)
            if deepest > limit:
                return deepest
            stack.extend((v, d + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def loads_json(text: str | bytes, where: str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """JSON from untrusted text: a malformed, too-deep document or a NaN is one error line."""
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise RunFileError(f"{_show(where)}: not valid JSON ({str(exc)[:120]})") from None
    if _depth(value, max_depth) > max_depth:
        raise RunFileError(f"{_show(where)}: JSON nested deeper than {max_depth} levels")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def read_json(path: Path | str, max_bytes: int | None = None, root: Path | None = None,
              expect: type | None = dict) -> Any:
    """A JSON document from a run directory (cap ``MAX_JSON_BYTES``); ``expect`` is the type its
    top level must have."""
    cap = MAX_JSON_BYTES if max_bytes is None else max_bytes
    value = loads_json(read_bytes(path, cap, root), str(path))
    if expect is not None and not isinstance(value, expect):
        raise RunFileError(f"{_show(path)}: expected a JSON {_kind(expect)}, found "
                           f"{_kind(type(value))}")
    return value


def _kind(t: type) -> str:
    return {dict: "object", list: "array", str: "string", int: "number", float: "number",
            bool: "boolean", type(None): "null"}.get(t, t.__name__)


def read_jsonl(path: Path | str, max_bytes: int | None = None, root: Path | None = None
               ) -> list[dict[str, Any]]:
    """The object rows of a JSONL file, read line by line under a size cap. A line that is not
    JSON (the torn last line of a killed run) or not an object is skipped; a line nested too
    deep is an error (no run writes one). Cap: ``MAX_JSONL_BYTES``."""
    path = Path(path)
    max_bytes = MAX_JSONL_BYTES if max_bytes is None else max_bytes
    check_folders(path, root)
    rows: list[dict[str, Any]] = []
    with os.fdopen(open_regular(path, os.O_RDONLY), "rb") as fh:
        if os.fstat(fh.fileno()).st_size > max_bytes:
            raise _too_big(path, max_bytes)
        seen = 0
        for number, line in enumerate(fh, start=1):
            seen += len(line)
            if seen > max_bytes:
                raise _too_big(path, max_bytes)
            if not line.strip():
                continue
            try:
                row = json.loads(line, parse_constant=_no_constant)
            except (ValueError, RecursionError):
                continue
            if _depth(row, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
                raise RunFileError(f"{_show(path)}:{number}: JSON nested deeper than "
                                   f"{MAX_JSON_DEPTH} levels")
            if isinstance(row, dict):
                rows.append(row)
    return rows


def open_append(path: Path | str, root: Path | None = None) -> IO[str]:
    """A text file opened for appending (created if absent), never through a link."""
    path = Path(path)
    check_folders(path, root)
    fd = open_regular(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    return os.fdopen(fd, "a", encoding="utf-8", errors=_ENCODE_ERRORS, newline="")


def open_update(path: Path | str, root: Path | None = None) -> IO[bytes]:
    """An existing file opened for reading and writing in place (binary), never through a link."""
    path = Path(path)
    check_folders(path, root)
    return os.fdopen(open_regular(path, os.O_RDWR), "rb+")


def write_atomic(path: Path | str, data: str | bytes, root: Path | None = None) -> None:
    """Replace ``path`` with ``data`` in one step: a fresh temporary file (``O_EXCL``, random
    name, so no planted file or link is written through), fsync'd, then renamed over the name
    (rename replaces a link itself, never its target)."""
    path = Path(path)
    check_folders(path, root)
    raw = data.encode("utf-8", _ENCODE_ERRORS) if isinstance(data, str) else data
    _replace(path, lambda fh: fh.write(raw))


def copy_atomic(source: Path | str, dest: Path | str, max_bytes: int,
                root: Path | None = None) -> None:  # fmt: skip
    """``source`` (a file of the run directory ``root``: read as `read_bytes` reads, never
    through a link, at most ``max_bytes``) copied to ``dest`` as `write_atomic` writes (a link
    at ``dest`` is replaced, never written through), streamed: a results file may be large."""
    source, dest = Path(source), Path(dest)
    check_folders(source, root)
    with os.fdopen(open_regular(source, os.O_RDONLY), "rb") as src:
        if os.fstat(src.fileno()).st_size > max_bytes:
            raise _too_big(source, max_bytes)
        check_folders(dest, None)
        _replace(dest, lambda fh: shutil.copyfileobj(src, fh, 1 << 20))


def _replace(path: Path, fill: Callable[[IO[bytes]], object]) -> None:
    """The atomic replacement of `write_atomic`: ``fill`` writes a fresh temporary file."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, _flags(os.O_WRONLY | os.O_CREAT | os.O_EXCL), 0o644)
    try:
        with os.fdopen(fd, "wb") as fh:
            fill(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def make_folder(path: Path | str, root: Path | None = None) -> Path:
    """``mkdir -p`` that refuses to reuse a symlink or a file as a folder."""
    path = Path(path)
    check_folders(path / "x", root)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise RunFileError(f"{_show(path)}: exists and is not a folder") from None
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        raise RunFileError(f"{_show(path)}: not a plain folder (a symlink or a file)")
    return path


def list_files(folder: Path | str, suffix: str, root: Path | None = None) -> list[Path]:
    """Names ending in ``suffix`` in ``folder`` (sorted), or [] when it does not exist; the
    folder must be a plain folder under ``root`` (its entries are opened with the readers above,
    which refuse links and FIFOs one by one)."""
    folder = Path(folder)
    check_folders(folder / "x", root)
    try:
        with os.scandir(folder) as entries:
            names = sorted(e.name for e in entries if e.name.endswith(suffix))
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [folder / name for name in names]
