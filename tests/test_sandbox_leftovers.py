"""``harness sandbox clean`` / ``status`` on a daemon shared with other runs and other hosts."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid

import pytest
from click.testing import CliRunner

from harness.cli.main import main
from harness.sandbox.leftovers import (
    ALIVE,
    GONE,
    LABEL,
    OTHER_HOST,
    OWNER_LABEL,
    describe,
    format_age,
    owner_state,
)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_owner_state_without_docker():
    host = socket.gethostname()
    assert owner_state(f"{host}:{os.getpid()}") == ALIVE
    assert owner_state(f"{host}:{_dead_pid()}") == GONE
    assert owner_state("elsewhere.invalid:1") == OTHER_HOST
    assert owner_state("") == owner_state("nopid") == owner_state(f"{host}:x") == "unknown owner"
    assert [format_age(s) for s in (None, 5, 125, 7300, 90000)] == ["?", "5s", "2m", "2h", "1d"]


@pytest.fixture
def labelled():
    """Three idle containers: a dead owner on this host, a live one (this process), another host."""
    from harness.sandbox.image import docker_client, require_image

    client = docker_client()
    image = require_image(client)
    host = socket.gethostname()
    tag = uuid.uuid4().hex[:8]
    owners = {"dead": f"{host}:{_dead_pid()}", "live": f"{host}:{os.getpid()}",
              "other": f"not-{host}.invalid:{os.getpid()}"}
    made = {}
    try:
        for kind, owner in owners.items():
            made[kind] = client.containers.run(
                image, ["sleep", "120"], detach=True, name=f"harness-test-{kind}-{tag}",
                labels={LABEL: "1", OWNER_LABEL: owner}, network_disabled=True)
        yield client, made, owners
    finally:
        for container in made.values():
            try:
                container.remove(force=True)
            except Exception:  # noqa: BLE001 - already removed by the test
                pass


def _names(client) -> set[str]:
    return {c.name for c in client.containers.list(all=True, filters={"label": LABEL})}


@pytest.mark.docker
def test_status_lists_owners_and_clean_removes_only_the_dead(labelled):
    client, made, owners = labelled
    status = CliRunner().invoke(main, ["sandbox", "status"])
    assert status.exit_code == 0, status.output
    # Another run's pool start may remove the dead-owner container first (rightly): it is
    # checked through describe(), the two that must survive through the command's output.
    lines = {kind: next(ln for ln in status.output.splitlines() if made[kind].name in ln)
             for kind in ("live", "other")}
    assert f"owner={owners['live']} (alive)" in lines["live"]
    assert f"owner={owners['other']} (other host)" in lines["other"]
    assert all(made[k].short_id in ln and "harness-sandbox:" in ln for k, ln in lines.items())
    assert describe(made["dead"]).state == GONE

    clean = CliRunner().invoke(main, ["sandbox", "clean"])
    assert clean.exit_code == 0, clean.output
    left = _names(client)
    assert made["dead"].name not in left
    assert {made["live"].name, made["other"].name} <= left


@pytest.mark.docker
def test_pool_start_leaves_other_hosts_alone(labelled):
    from harness.sandbox.docker_pool import DockerWorkerFactory

    client, made, _ = labelled
    DockerWorkerFactory().destroy_all()
    left = _names(client)
    assert made["dead"].name not in left
    assert {made["live"].name, made["other"].name} <= left


@pytest.mark.docker
def test_clean_all_warns_and_removes_everything(labelled, monkeypatch):
    """Scoped to this test's containers: a real --all would end other users' live runs."""
    from harness.sandbox import leftovers

    client, made, _ = labelled
    ours = {c.name for c in made.values()}
    real = leftovers.list_containers
    monkeypatch.setattr(leftovers, "list_containers",
                        lambda cl: [c for c in real(cl) if c.name in ours])
    result = CliRunner().invoke(main, ["sandbox", "clean", "--all"])
    assert result.exit_code == 0
    assert "warning: --all" in result.output
    assert not {c.name for c in made.values()} & _names(client)
