"""The ARC options of a resumed run: the manifest's ``arc`` section, read as untrusted input.

A run directory may come from someone else, so each option is checked by the same type the
``eval arc`` flag has (`OPTION_TYPES`, also used by the command), a prompt version must be a
plain name (it becomes a file name under ``prompts/``), and a data folder or subset file of this
host is used only under the rules of ``harness.run.resume_trust`` (the user's own, or inside
the run directory). An option typed again must equal the manifest's: they decide which puzzles
are asked and how, so changing one would mix two experiments in one run.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from harness.errors import UserError
from harness.families.arc.data import DATASETS
from harness.families.arc.family import ArcOptions
from harness.run.resume_trust import check_host_path
from harness.untrusted_text import printable

MAX_TURNS = 100
MAX_REPEAT_RUNS = 100
#: The click type of each ARC option: the flags' and the check of a manifest's values.
OPTION_TYPES: dict[str, click.ParamType] = {
    "dataset": click.Choice(list(DATASETS)),
    "subset": click.STRING,
    "data_dir": click.STRING,
    "limit": click.IntRange(1),
    "max_turns": click.IntRange(1, MAX_TURNS),
    "repeat_runs": click.IntRange(1, MAX_REPEAT_RUNS),
    "prompt_version": click.STRING,
    "transduction_filter": click.BOOL,
}
_NULLABLE = ("data_dir", "limit")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
FLAGS = {name: "--" + name.replace("_", "-") for name in OPTION_TYPES}


def _checked(name: str, value: Any, where: str) -> Any:
    """One manifest value, of the flag's type and range (no string read as a number)."""
    if value is None and name in _NULLABLE:
        return None
    kind = OPTION_TYPES[name]
    expected = (bool if kind is click.BOOL else int if isinstance(kind, click.IntRange)
                else str)  # fmt: skip
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise UserError(f"{where}: {name} is {printable(repr(value))[:80]}, not a valid "
                        f"{FLAGS[name]}")  # fmt: skip
    try:
        value = kind.convert(value, None, None)
    except click.BadParameter as exc:
        raise UserError(f"{where}: {name}: {printable(exc.message)[:200]}") from None
    if name == "prompt_version" and not _PLAIN_NAME.fullmatch(value):
        raise UserError(f"{where}: prompt_version {printable(value)[:80]!r} is not a plain name")
    return value


def _host_file(subset: str) -> bool:
    """A subset naming a file (of task ids) rather than a subset."""
    return "/" in subset or "\\" in subset or Path(subset).is_file()


def _same_file(a: Any, b: str) -> bool:
    """The subset typed again names the manifest's task-list file (by another spelling)."""
    return _host_file(str(a)) and _host_file(b) and os.path.realpath(a) == os.path.realpath(b)


def resumed_options(manifest: Mapping[str, Any], given: Mapping[str, Any],
                    run_dir: Path) -> ArcOptions:  # fmt: skip
    """The options a resume continues with: the manifest's, checked; ``given`` (the ARC flags
    typed on the command line) may only repeat them (a subset file by any spelling of its
    path), except the data folder, which may move like ERM's dataset folder."""
    where = f"{run_dir}/manifest.json"
    section = manifest.get("arc")
    if not isinstance(section, dict):
        raise UserError(f"{where} has no 'arc' section: it cannot be resumed as an ARC run")
    saved = {f.name: _checked(f.name, section.get(f.name, f.default), where)
             for f in dataclasses.fields(ArcOptions)}  # fmt: skip
    changed = [FLAGS[k] for k, v in given.items() if k in saved and v != saved[k]
               and k != "data_dir" and not (k == "subset" and _same_file(v, saved[k]))]
    if changed:
        raise UserError(f"cannot change {', '.join(changed)} when resuming {run_dir}; "
                        "start a new run instead")  # fmt: skip
    if given.get("data_dir") is not None:
        saved["data_dir"] = given["data_dir"]
    else:
        check_host_path(saved["data_dir"], None, "--data-dir", "tasks from", run_dir)
    if "subset" not in given and _host_file(saved["subset"]):
        check_host_path(saved["subset"], None, "--subset", "the task list", run_dir)
    return ArcOptions(**saved)
