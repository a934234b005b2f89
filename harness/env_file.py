"""A ``.env`` file of ``NAME=value`` lines, loaded into the environment before any flag is read.

The seed tools call python-dotenv's ``load_dotenv()`` at start, so an API key or a setting kept
in ``.env`` works without ``export``; the harness does the same, with three rules of its own:

- Which file: ``--env-file PATH``, or else ``.env`` in the current directory (never a search up
  the tree, never a run directory's: a run directory is someone else's data, and a ``.env``
  in it could point the run at another endpoint; the current directory is skipped when it holds
  a ``manifest.json``, the mark of a run directory).
- A variable already set to something not blank is kept (a blank one counts as unset, the rule
  every harness variable follows): the shell beats the file.
- What it did is said on stderr by name only: values are never printed (they are keys).
"""

from __future__ import annotations

import io
import os
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import UserError
from harness.safe_io import read_text
from harness.untrusted_text import printable

DEFAULT_NAME = ".env"
#: ``--env-file none``: load nothing (scripts and the test suite that must not see a developer's
#: own ``.env``).
NO_FILE = "none"
#: A folder holding this file is a run directory: its ``.env``, if any, is never loaded.
RUN_DIR_MARK = "manifest.json"
MAX_ENV_FILE_BYTES = 1 << 20


@dataclass
class Loaded:
    """What loading did: the file read (None: none), the names it set and those it left."""

    path: Path | None
    set: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    note: str | None = None  # why no file was read, when that is worth saying

    def describe(self) -> str | None:
        """One line for stderr, names only; None when there is nothing to say."""
        if self.path is None:
            return self.note
        where = printable(self.path)
        said = f"set {', '.join(map(printable, self.set))}" if self.set else "set nothing"
        if self.kept:
            said += f"; already set, kept: {', '.join(map(printable, self.kept))}"
        return f"loaded {where}: {said}"


def choose_file(option: str | None, cwd: Path) -> tuple[Path | None, str | None]:
    """The file to load and, when there is none, why (None when nothing needs saying)."""
    if option is not None and option.strip():
        if option.strip().lower() == NO_FILE:
            return None, None
        path = Path(option).expanduser()
        if not path.exists():
            raise UserError(f"--env-file {printable(option)}: no such file")
        if not path.is_file():
            raise UserError(f"--env-file {printable(option)}: not a regular file")
        return path, None
    path = cwd / DEFAULT_NAME
    if not path.is_file():
        return None, None
    if (cwd / RUN_DIR_MARK).exists():
        return None, (f"not loading {printable(path)}: this folder holds a {RUN_DIR_MARK} (a "
                      "run directory); name the file with --env-file to load it")  # fmt: skip
    return path, None


def load_env_file(option: str | None, env: MutableMapping[str, str] | None = None,
                  cwd: Path | None = None) -> Loaded:  # fmt: skip
    """Load the ``.env`` that ``option`` (``--env-file``) names, or the current directory's,
    into ``env`` (default: the process environment) without replacing a variable already set."""
    env = os.environ if env is None else env
    path, note = choose_file(option, Path.cwd() if cwd is None else cwd)
    if path is None:
        return Loaded(None, note=note)
    from dotenv import dotenv_values

    # Read through safe_io (a size cap; a FIFO is refused instead of blocking) after resolving
    # the name: a .env that is a link to the user's secrets file is usual and fine.
    text = read_text(path.resolve(), max_bytes=MAX_ENV_FILE_BYTES)
    loaded = Loaded(path)
    for name, value in dotenv_values(stream=io.StringIO(text)).items():
        if value is None or not _usable(name, value):
            continue
        if (env.get(name) or "").strip():
            loaded.kept.append(name)
        else:
            env[name] = value
            loaded.set.append(name)
    return loaded


def _usable(name: str, value: str) -> bool:
    """A name and value the environment can hold (no ``=`` in the name, no NUL anywhere)."""
    return bool(name) and "=" not in name and "\0" not in name + value
