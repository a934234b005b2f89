"""``--resume``: the config a run continues with, decided from its manifest and the flags.

A run directory may come from someone else: the manifest's settings are taken only as far as
they are no weaker than the defaults (sandbox, endpoint, replay file, dataset folder) unless
the user names them again (``harness.run.resume_trust``); settings that change results cannot
be changed; settings that change only speed follow the flags.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from harness.errors import UserError
from harness.run import schema as run_schema
from harness.run.config import RunConfig
from harness.run.resume_trust import check_manifest_settings, same_url
from harness.run.store import RunStore
from harness.safe_io import read_json
from harness.untrusted_text import check_run_id

#: Settings a resume takes from the flags: they change speed or display, never results
#: (``dry_run``: the resume prints its requests instead of making them).
RUNTIME_FIELDS: tuple[str, ...] = ("concurrency", "workers", "timeout", "retry_delay",
                                   "max_retries", "progress", "runtime", "dry_run",
                                   "request_delay", "max_cost",
                                   "max_api_error_rate")  # fmt: skip


def resume_config(run_dir: Path, given: dict[str, Any]) -> tuple[RunConfig, RunStore]:
    """The config a resume continues with: the manifest's, except that nothing weaker than the
    defaults (sandbox, endpoint, replay file, dataset folder) is taken from it unless the user
    names it again (``harness.run.resume_trust``), and speed-only fields follow the flags."""
    manifest_path = run_dir / "manifest.json"
    if not manifest_path.exists() and not manifest_path.is_symlink():
        raise UserError(f"{run_dir} is not a run directory (no manifest.json)")
    manifest = read_json(manifest_path, root=run_dir)
    if isinstance(manifest, dict):
        run_schema.check_manifest(manifest, str(manifest_path))
    raw = manifest.get("config")
    if not isinstance(raw, dict):
        raise UserError(f"{run_dir} is not a run directory (manifest.json has no config)")
    run_id = check_run_id(raw.get("run_id"), f"{manifest_path}: run_id")
    saved = RunConfig.from_dict(raw)
    saved.validate()
    known = {f.name for f in dataclasses.fields(RunConfig)}
    wanted = RunConfig.resolve({k: v for k, v in raw.items() if k in known} | given
                               | {"run_id": run_id})
    changed = [k for k in saved.differences(wanted) if k in given
               and not (k == "base_url" and same_url(str(saved.base_url), given.get(k)))]
    if changed:
        raise UserError(f"cannot change {', '.join(changed)} when resuming {run_dir}; "
                        "start a new run instead")  # fmt: skip
    user = RunConfig.resolve(given | {"run_id": run_id})
    trusted = check_manifest_settings(dataclasses.asdict(saved), dataclasses.asdict(user),
                                      given, run_dir)
    runtime = {k: v for k, v in given.items() if k in RUNTIME_FIELDS}
    config = dataclasses.replace(saved, **runtime, **trusted)
    config.validate()
    return config, RunStore(run_dir)
