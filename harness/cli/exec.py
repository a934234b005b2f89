"""``harness exec`` and ``harness sandbox ...``: run one program on a file of inputs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import orjson

from harness.cli.run_options import setting_option
from harness.errors import UserError
from harness.sandbox.backend import check_runtime, make_backend
from harness.sandbox.limits import Limits


def read_inputs(path: Path) -> list[Any]:
    """``.jsonl``: one JSON value per line; ``.txt``: one string per line (``x -> y`` keeps x)."""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read inputs {path}: {exc}") from None
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if path.suffix == ".jsonl":
        values = []
        for no, line in enumerate(lines, 1):
            try:
                values.append(orjson.loads(line))
            except orjson.JSONDecodeError as exc:
                raise UserError(f"{path}:{no}: not JSON ({exc})") from None
        return values
    if path.suffix == ".txt":
        return [ln.split(" -> ", 1)[0].strip() for ln in lines]
    raise UserError(f"inputs must be a .jsonl or .txt file, not {path.name}")


def read_program(path: Path) -> str:
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read program {path}: {exc}") from None


@click.command("exec")
@click.argument("program", type=click.Path(path_type=Path))
@click.option("--inputs", "inputs_path", required=True, type=click.Path(path_type=Path),
              help="A .jsonl file (one JSON value per line: a string or a grid) or a .txt file "
                   "(one string per line; 'input -> label' lines use the input part).")
@click.option("--entry", default=None,
              help="Function to call.  [default: f, else transform, else the only function]")
@setting_option("backend", help="docker: hardened containers. process: local subprocess, weaker "
                                "isolation.")
@setting_option("runtime", help="Docker runtime: runc, or runsc to run the containers in gVisor.")
@setting_option("time_limit")
@setting_option("batch_budget", help="CPU seconds for the whole batch; inputs past it are "
                                     "timeouts.")
@setting_option("memory_mb", help="Address-space cap of the program's process, MB.")
@setting_option("policy", help="Language policy: standard, strict, or off (container and "
                               "limits only).")
def exec_command(program: Path, inputs_path: Path, entry: str | None, backend: str,
                 runtime: str, time_limit: float, batch_budget: float, memory_mb: int,
                 policy: str) -> None:
    """Run PROGRAM on every input in the sandbox; print one JSON verdict per input.

    Exit 0 when the harness worked, whatever the program did."""
    check_runtime(backend, runtime)
    source = read_program(program)
    inputs = read_inputs(inputs_path)
    try:
        limits = Limits(time_limit, batch_budget, memory_mb, policy)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    pool = make_backend(backend, workers=1, limits=limits, runtime=runtime)
    try:
        result = pool.run(source, inputs, entry, limits)
    finally:
        pool.close()
    out = sys.stdout.buffer
    for i, verdict in enumerate(result.verdicts):
        out.write(orjson.dumps(verdict.as_dict(i)) + b"\n")
    out.flush()


@click.group("sandbox")
def sandbox_group() -> None:
    """Build and inspect the sandbox image and containers."""


@sandbox_group.command("build")
@click.option("--base-image", default=None, envvar="BASE_IMAGE",
              help="Base with python3.11.  [default: python:3.11-slim-bookworm when it can be "
                   "pulled, else a locally bootstrapped Debian minbase]")
@click.option("--force", is_flag=True, help="Rebuild even when the content hash is unchanged.")
def sandbox_build(base_image: str | None, force: bool) -> None:
    """Build the sandbox image (skipped when sandbox_image/ is unchanged)."""
    from harness.sandbox.image import build_image

    build_image(base_image, force=force, log=lambda m: click.echo(f"sandbox: {m}", err=True))


@sandbox_group.command("status")
def sandbox_status() -> None:
    """Show the image tag, whether it is built, and one line per harness container.

    Each line: name, id, image, owner host:pid, whether that owner is alive (a pid on another
    host cannot be checked: "other host"), age and Docker status."""
    from harness.sandbox.image import docker_client, image_exists, image_tag
    from harness.sandbox.leftovers import describe, list_containers

    client = docker_client()
    tag = image_tag()
    click.echo(f"image: {tag} ({'built' if image_exists(client, tag) else 'not built'})")
    containers = list_containers(client)
    click.echo(f"harness containers: {len(containers)}")
    for container in containers:
        click.echo(f"  {describe(container).line()}")


@sandbox_group.command("clean")
@click.option("--all", "everything", is_flag=True,
              help="Also remove containers of live runs and of other hosts.")
def sandbox_clean(everything: bool) -> None:
    """Remove harness containers whose run is gone (e.g. after a crash).

    Only containers whose owner process no longer exists on this host are removed: a live run's
    containers, and those of another host sharing the daemon, are left alone unless --all."""
    from harness.sandbox.image import docker_client
    from harness.sandbox.leftovers import remove_leftovers

    if everything:
        click.echo("warning: --all removes every harness container, other users' live runs "
                   "included", err=True)
    click.echo(f"removed {remove_leftovers(docker_client(), everything=everything)} containers")
