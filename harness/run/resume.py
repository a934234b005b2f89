"""``--resume``: the config a run continues with, decided from its manifest and the flags.

A run directory may come from someone else: the manifest's settings are taken only as far as
they are no weaker than the defaults (sandbox, endpoint, replay file, dataset folder) unless
the user names them again (``harness.run.resume_trust``); settings that change results cannot
be changed; connection settings (endpoint, timeout, concurrency, retries, delays, workers)
follow the flags, so a run killed by a wrong URL or a rate limit can be continued.

Every check runs before anything is written: a refused resume (another family's run, a changed
experiment setting, an untrusted manifest, a mistyped path) leaves the directory as it was.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from harness.errors import UserError
from harness.run import schema as run_schema
from harness.run.config import RunConfig
from harness.run.resume_trust import check_manifest_settings
from harness.run.settings import flag_name
from harness.run.store import RunStore
from harness.safe_io import read_json
from harness.untrusted_text import check_run_id, printable

#: Settings a resume takes from the flags: they change speed or display, never results
#: (``dry_run``: the resume prints its requests instead of making them).
RUNTIME_FIELDS: tuple[str, ...] = ("concurrency", "workers", "timeout", "retry_delay",
                                   "max_retries", "progress", "runtime", "dry_run",
                                   "request_delay", "max_cost",
                                   "max_api_error_rate")  # fmt: skip


def manifest_family(manifest: dict[str, Any]) -> str:
    """The task family a manifest's run belongs to (runs written before ``task_family`` was
    recorded: ARC's have an ``arc`` section)."""
    family = manifest.get("task_family")
    if family is None:
        return "arc" if isinstance(manifest.get("arc"), dict) else "erm"
    return str(family)


def read_run_manifest(run_dir: Path, family: str) -> dict[str, Any]:
    """The manifest of a run to resume with ``harness eval <family>``: a run of another family
    is refused (resuming it as this one would rewrite its manifest and mix rows)."""
    manifest_path = run_dir / "manifest.json"
    if not manifest_path.exists() and not manifest_path.is_symlink():
        raise UserError(f"{run_dir} is not a run directory (no manifest.json)")
    manifest = read_json(manifest_path, root=run_dir)
    if not isinstance(manifest, dict):
        raise UserError(f"{run_dir} is not a run directory (manifest.json is not an object)")
    run_schema.check_manifest(manifest, str(manifest_path))
    found = manifest_family(manifest)
    if found != family:
        shown = printable(found)[:40]
        raise UserError(f"{run_dir} is an '{shown}' run, not '{family}': resume it with "
                        f"harness eval {shown} --resume")  # fmt: skip
    return manifest


def resume_config(run_dir: Path, given: dict[str, Any],
                  family: str = "erm") -> tuple[RunConfig, RunStore]:  # fmt: skip
    """The config a resume continues with: the manifest's, except that nothing weaker than the
    defaults (sandbox, endpoint, replay file, dataset folder) is taken from it unless the user
    names it again (``harness.run.resume_trust``), and connection fields follow the flags."""
    manifest_path = run_dir / "manifest.json"
    manifest = read_run_manifest(run_dir, family)
    raw = manifest.get("config")
    if not isinstance(raw, dict):
        raise UserError(f"{run_dir} is not a run directory (manifest.json has no config)")
    run_id = check_run_id(raw.get("run_id"), f"{manifest_path}: run_id")
    saved = RunConfig.from_dict(raw)
    saved.validate()
    known = {f.name for f in dataclasses.fields(RunConfig)}
    wanted = RunConfig.resolve({k: v for k, v in raw.items() if k in known} | given
                               | {"run_id": run_id})
    changed = [k for k in saved.differences(wanted) if k in given and k != "base_url"]
    if changed:
        raise UserError(f"cannot change {', '.join(map(flag_name, changed))} when resuming "
                        f"{run_dir}; start a new run instead")  # fmt: skip
    user = RunConfig.resolve(given | {"run_id": run_id})
    trusted = check_manifest_settings(dataclasses.asdict(saved), dataclasses.asdict(user),
                                      given, run_dir)
    runtime = {k: v for k, v in given.items() if k in RUNTIME_FIELDS}
    config = dataclasses.replace(saved, **runtime, **trusted)
    config.validate()
    return config, RunStore(run_dir)


# Runs that made every attempt: complete, or failed at the API (all attempts, or too many).
FINISHED = ("complete", "failed")


def nothing_to_resume(store: RunStore, retry_errors: bool) -> bool:
    """A finished run that still holds every attempt row it finished with has no attempt left
    to make (with ``--retry-errors``: none that ended in an API error): its resume must leave
    every artifact as it is. Rows lost since (or no count recorded): the resume runs."""
    manifest = store.read_manifest() or {}
    counts = manifest.get("row_counts")
    recorded = counts.get("attempt") if isinstance(counts, dict) else None
    if manifest.get("status") not in FINISHED or not isinstance(recorded, int):
        return False
    rows = store.attempt_rows()
    if len(rows) != recorded:
        return False
    return not (retry_errors and any(r.get("api_error") for r in rows))
