"""The seed's Hugging Face Hub flags, accepted without a network.

The seed's dataset tools push what they make to the Hub: ``--hf-dataset-name`` (default
``synth_{dataset}_{subset}_DATETIME``), ``--hf-org`` (default its authors' organisation) and
``--hf-private``. The harness runs with no network access and must never hold a hub token, so
an export is only written locally; the requested repository is recorded in the export's info
file, and one line says that nothing was pushed and which ``huggingface-cli upload`` command
would publish the Parquet files (the repository is the user's own namespace when no
``--hf-org`` is given: no default organisation is assumed).
"""

from __future__ import annotations

import os
import re
import shlex
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.untrusted_text import printable

#: Characters the Hub allows in a repository name; anything else becomes "-".
_NOT_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class HubRequest:
    """What the ``--hf-*`` flags asked for; nothing when none was given."""

    name: str | None = None
    org: str | None = None
    private: bool = False

    @property
    def asked(self) -> bool:
        """Whether any --hf-* flag was given: only then is the hub mentioned at all."""
        return self.private or self.name is not None or self.org is not None

    def repo_id(self, default_name: str) -> str:
        """``org/name`` as the Hub spells it; a bare name lands in the uploader's namespace."""
        name = self.name or default_name
        return f"{self.org}/{name}" if self.org else name

    def info(self, default_name: str) -> dict[str, Any] | None:
        """The export info's ``hub`` entry: the repository asked for, never pushed."""
        if not self.asked:
            return None
        return {"repo_id": self.repo_id(default_name), "private": self.private, "pushed": False}


def dataset_slug(dataset: str | None, subset: str | None) -> str:
    """``<dataset>_<subset>`` in the characters a Hub name (and a folder name) may hold: "all"
    for a filter not given, a subset file by its stem."""
    parts = [dataset, Path(subset).stem if subset else None]
    return "_".join(_NOT_NAME.sub("-", p or "").strip("-.") or "all" for p in parts)


def default_name(prefix: str, dataset: str | None, subset: str | None,
                 now: float | None = None) -> str:
    """The seed's automatic dataset name, ``<prefix>_<dataset>_<subset>_YYYYMMDD_HHMMSS``
    (local time, so two exports get two names, as on the Hub)."""
    stamp = time.strftime("%Y%m%d_%H%M%S", time.localtime(now))
    return f"{prefix}_{dataset_slug(dataset, subset)}_{stamp}"


def upload_hint(repo_id: str, folder: Path, parquet_names: list[str], private: bool) -> str:
    """One line: nothing was pushed, and the command that uploads these Parquet files (a
    pattern matching them: ``*.parquet`` in an export's own folder, ``<stem>_*.parquet`` for
    a split ``--output`` file, the file itself when there is one)."""
    common = os.path.commonprefix(parquet_names)
    pattern = parquet_names[0] if len(parquet_names) == 1 else f"{common}*.parquet"
    command = ["huggingface-cli", "upload", repo_id, str(folder), ".", "--repo-type=dataset",
               f"--include={pattern}", *(["--private"] if private else [])]
    return printable("hub: nothing was pushed (no network access or hub token here); to "
                     f"publish the Parquet files: {shlex.join(command)}")
