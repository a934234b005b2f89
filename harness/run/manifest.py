"""What every run's ``manifest.json`` records, whatever the task family, and the schema version
of each artifact of a run directory.

Readers accept a manifest without ``schema`` (written before versions were recorded, see
tests/fixtures/runs) as version 1; a version they do not know is theirs to refuse by name.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Mapping
from typing import Any, TypedDict

from harness.models.factory import api_key_source
from harness.run.config import RunConfig
from harness.sandbox.limits import VERDICTS, Limits

MANIFEST_SCHEMA = "harness.manifest/1"
#: The format version of each file a run writes (JSON documents also carry their own).
ARTIFACT_SCHEMAS: Mapping[str, str] = {
    "results_attempts.jsonl": "harness.rows/1",
    "results_attempts.csv": "harness.rows_csv/1",
    "trials/*.jsonl": "harness.trial_log/1",
    "runner.log": "harness.runner_log/1",
}


class Invocation(TypedDict):
    argv: list[str]  # secrets redacted
    at: float


class Manifest(TypedDict, total=False):
    """``manifest.json`` of an evaluation run (``harness.manifest/1``). A family adds its own
    keys (ERM: ``datasets``; ARC: ``arc``, ``task_ids``, ``files``); reruns write their own
    (``kind: "rerun"``, ``rerun_of``, ``programs``)."""

    schema: str
    run_id: str
    task_family: str  # "erm", "arc"
    status: str  # "running" until the end, then "complete", "interrupted" or "failed"
    #              (harness.run.run_status.STATUSES; all but "complete" can be resumed)
    created_at: float
    updated_at: float
    argv: list[str]
    invocations: list[Invocation]  # one per start or --resume
    config: dict[str, Any]  # RunConfig.to_dict()
    limits: dict[str, Any]  # sandbox Limits
    environment: dict[str, Any]
    packages: dict[str, str | None]
    sandbox: Any  # the pool's describe(): backend, runtime, image, workers
    verdict_kinds: list[str]
    artifacts: dict[str, str]  # file -> schema version
    row_counts: dict[str, int]
    elapsed_s: float


def base_manifest(config: RunConfig, family: str, status: str, argv: list[str],
                  pool_info: Any, started: float,
                  previous: Mapping[str, Any] | None = None) -> Manifest:
    """The keys both families write; ``previous`` (a resumed run's manifest) keeps its
    creation time and the list of invocations."""
    previous = previous or {}
    return {
        "schema": MANIFEST_SCHEMA,
        "run_id": config.run_id,
        "task_family": family,
        "status": status,
        "created_at": previous.get("created_at", round(started, 3)),
        "updated_at": round(time.time(), 3),
        "argv": argv,
        "invocations": [*previous.get("invocations", []), {"argv": argv,
                                                           "at": round(started, 3)}],
        "config": config.to_dict(),
        "limits": dataclasses.asdict(config.limits()),
        "environment": environment_summary(),
        "packages": package_versions(),
        "sandbox": pool_info,
        "verdict_kinds": list(VERDICTS),
        "artifacts": dict(ARTIFACT_SCHEMAS),
    }


def environment_summary() -> dict[str, Any]:
    """Facts about the machine and process, without secrets (names of key variables only)."""
    import os
    import platform
    import sys

    from harness.untrusted_text import redact_url

    safe_vars = ("API_MODE", "API_BASE_URL", "OPENAI_BASE_URL", "MODEL", "DATASET_DIR")
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "api_key_source": api_key_source(),
        "env": {k: redact_url(os.environ[k]) if k.endswith("_URL") else os.environ[k]
                for k in safe_vars if k in os.environ},
    }


def package_versions(names: Iterable[str] = ("harness", "openai", "numpy", "sympy", "scipy",
                                             "docker", "orjson", "click", "rich"),
                     ) -> dict[str, str | None]:
    from importlib import metadata

    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _section(manifest: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = manifest.get(name)
    return value if isinstance(value, Mapping) else {}


def recorded_policy(manifest: Mapping[str, Any]) -> Any:
    """The language policy a run was made with (its limits', else its config's, else the
    default); the caller checks it (``resume_trust.check_rerun_policy``)."""
    return _section(manifest, "limits").get(
        "policy", _section(manifest, "config").get("policy", Limits().policy))


def recorded_limits(manifest: Mapping[str, Any], policy: str) -> Limits:
    """The limits a run was made with, under ``policy``: each from the manifest's ``limits``,
    else its ``config``, else the default (one rule for both families' reruns). A malformed
    value is a ``ValueError``/``TypeError`` for the caller to name."""
    limits, config, default = _section(manifest, "limits"), _section(manifest, "config"), Limits()
    return Limits(
        time_limit_s=float(limits.get("time_limit_s", config.get("time_limit",
                                                                 default.time_limit_s))),
        batch_budget_s=float(limits.get("batch_budget_s", config.get("batch_budget",
                                                                     default.batch_budget_s))),
        memory_mb=int(limits.get("memory_mb", config.get("memory_mb", default.memory_mb))),
        policy=policy)  # fmt: skip
