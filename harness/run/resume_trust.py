"""Which settings of a run directory's manifest a resume or a rerun may use without asking.

A manifest is written by whoever handed over the run directory. Its settings decide what runs
on this host (the sandbox backend and policy), where the API key goes (the base URL), which
host file feeds the mock model (``replay:FILE``) and where datasets come from. So a setting is
taken from a manifest only when it is at least as safe as the default; a weaker one is used
only when the user names it again on the command line (or in their own environment), else the
command stops with one line saying what the manifest asks and which flag accepts it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.errors import UserError
from harness.untrusted_text import printable, redact_url

SAFE_POLICIES = ("standard", "strict")


class UntrustedSetting(UserError):
    """A manifest asks for something weaker than the defaults that the user did not name."""


def _show(value: Any) -> str:
    return printable(value)[:200]


def same_url(manifest_url: str, user_url: str | None) -> bool:
    """The user's URL is the manifest's, or the manifest holds the user's URL redacted."""
    return bool(user_url) and manifest_url in (user_url, redact_url(user_url))


def _same_path(a: str, b: str | None) -> bool:
    return b is not None and os.path.realpath(a) == os.path.realpath(b)


def _inside(path: str, folder: Path) -> bool:
    real, root = os.path.realpath(path), os.path.realpath(folder)
    return real == root or real.startswith(root + os.sep)


def check_manifest_settings(saved: Mapping[str, Any], user: Mapping[str, Any],
                            given: Mapping[str, Any], run_dir: Path) -> dict[str, Any]:
    """The trust-sensitive settings a resume uses, or ``UntrustedSetting`` naming the flag.

    ``saved`` is the manifest's config, ``user`` the config the user's own flags, environment
    and defaults make (``RunConfig.resolve`` without the manifest), ``given`` the flags on the
    command line. Returns the values to run with (the user's own where they were needed, e.g.
    a base URL whose credentials the manifest only holds redacted)."""
    where = f"{run_dir}/manifest.json"
    use: dict[str, Any] = {}
    backend = saved.get("backend", "docker")
    if "backend" in given:
        use["backend"] = given["backend"]
    elif backend != "docker" and user.get("backend") != backend:
        raise UntrustedSetting(
            f"{where} asks for --backend {_show(backend)} (model programs run as local "
            f"processes, outside Docker); pass --backend {_show(backend)} to accept it or "
            "--backend docker")
    policy = saved.get("policy", "standard")
    if policy not in SAFE_POLICIES and user.get("policy") != policy:
        raise UntrustedSetting(
            f"{where} asks for --policy {_show(policy)} (weaker than standard); pass --policy "
            f"{_show(policy)} to accept it")
    base_url = saved.get("base_url")
    if "base_url" in given:  # the user's own endpoint (a connection setting: may change)
        use["base_url"] = given["base_url"]
    elif base_url:
        if not same_url(str(base_url), user.get("base_url")):
            raise UntrustedSetting(
                f"{where} asks for the API endpoint {_show(redact_url(str(base_url)))} (your API "
                "key would be sent there); pass --base-url with that URL to accept it")
        use["base_url"] = user["base_url"]
    mock_policy = str(saved.get("mock_policy") or "oracle")
    if mock_policy.startswith("replay:") and user.get("mock_policy") != mock_policy:
        raise UntrustedSetting(
            f"{where} asks for --mock-policy {_show(mock_policy)} (a file of this host read as "
            f"model output); pass --mock-policy {_show(mock_policy)} to accept it")
    use.update(check_dataset_dirs(saved, user, given, run_dir))
    return use


def check_dataset_dirs(saved: Mapping[str, Any], user: Mapping[str, Any],
                       given: Mapping[str, Any], run_dir: Path) -> dict[str, Any]:
    """Dataset folders to use: the flag's, else the manifest's when it is the user's own
    (flag, environment or default) or inside the run directory; else ``UntrustedSetting``.
    (Datasets are written there too, so a manifest must not choose a folder of this host.)"""
    use: dict[str, Any] = {}
    for name, flag in (("dataset_dir", "--dataset-dir"), ("tabular_dir", "--tabular-dir")):
        if given.get(name) is not None:
            use[name] = given[name]
        else:
            check_host_path(saved.get(name), user.get(name), flag, "datasets from", run_dir)
    return use


def check_host_path(value: Any, users: str | None, flag: str, what: str,
                    run_dir: Path) -> None:
    """A path the manifest names (a folder or file of this host that the run reads or
    writes) is used only when it is the user's own (``users``: flag, environment or
    default) or inside the run directory; else ``UntrustedSetting`` naming ``flag``."""
    if value and not (_same_path(str(value), users) or _inside(str(value), run_dir)):
        raise UntrustedSetting(
            f"{run_dir}/manifest.json asks for {what} {_show(value)} (outside the run "
            f"directory and not your {flag}); pass {flag} {_show(value)} to accept it or "
            f"{flag} with your own")


def check_rerun_policy(manifest_policy: Any, flag: str | None, source: Path) -> str:
    """The policy a rerun runs under: ``--policy`` if given, else the source run's when it is
    ``standard`` or stricter; a weaker one stops the rerun (``--policy off`` accepts it)."""
    if flag is not None:
        return flag
    policy = str(manifest_policy or "standard")
    if policy not in SAFE_POLICIES:
        raise UntrustedSetting(
            f"{source}/manifest.json ran under --policy {_show(policy)} (weaker than standard); "
            f"pass --policy {_show(policy)} to rerun under it or --policy standard")
    return policy


def redact_argv(argv: Sequence[str]) -> list[str]:
    """A command line for the manifest: credentials inside any URL argument removed."""
    out = []
    for arg in argv:
        arg = str(arg)
        if "://" in arg:
            head, sep, url = arg.partition("=") if arg.startswith("--") else ("", "", arg)
            arg = head + sep + (redact_url(url) or "")
        out.append(arg)
    return out
