"""``harness sandbox clean`` / ``status`` on a daemon shared with other runs and other hosts."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
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


def _names(client, gone: frozenset[str] = frozenset(), timeout_s: float = 15.0) -> set[str]:
    """The harness containers' names, once none of ``gone`` is among them (another process may
    be removing one at the same moment: our removal then fails, theirs takes a moment)."""
    end = time.monotonic() + timeout_s
    while True:
        names = {c.name for c in client.containers.list(all=True, filters={"label": LABEL})}
        if not names & gone or time.monotonic() > end:
            return names
        time.sleep(0.2)


@pytest.fixture
def removed(monkeypatch) -> set[str]:
    """Names of the containers this process removes through `leftovers`. Checked instead of
    what the daemon still lists: other runs share it (and a pool of an older harness removes
    other hosts' containers), so the listing alone would make the test depend on them."""
    from harness.sandbox import leftovers

    names: set[str] = set()
    real = leftovers.list_containers

    def spied(client):
        found = real(client)
        for container in found:
            def remove(*args, _c=container, _remove=container.remove, **kwargs):
                names.add(_c.name)
                return _remove(*args, **kwargs)
            container.remove = remove
        return found

    monkeypatch.setattr(leftovers, "list_containers", spied)
    return names


@pytest.mark.docker
def test_status_lists_owners_and_clean_removes_only_the_dead(labelled, removed):
    client, made, owners = labelled
    status = CliRunner().invoke(main, ["sandbox", "status"])
    assert status.exit_code == 0, status.output
    # Another process may remove the dead-owner container first (rightly), so each container's
    # line is checked when it is listed, and its state through describe() in any case.
    states = {"dead": "gone", "live": "alive", "other": "other host"}
    for kind, container in made.items():
        assert describe(container).state == states[kind]
        line = [ln for ln in status.output.splitlines() if container.name in ln]
        assert kind != "live" or line, status.output  # nobody may remove a live run's
        for ln in line:
            assert f"owner={owners[kind]} ({states[kind]})" in ln and container.short_id in ln
            assert "harness-sandbox:" in ln

    clean = CliRunner().invoke(main, ["sandbox", "clean"])
    assert clean.exit_code == 0, clean.output
    dead = made["dead"].name
    assert dead in removed or dead not in _names(client, frozenset({dead}))
    assert not {made["live"].name, made["other"].name} & removed


@pytest.mark.docker
def test_pool_start_leaves_other_hosts_alone(labelled, removed):
    from harness.sandbox.docker_pool import DockerWorkerFactory

    client, made, _ = labelled
    DockerWorkerFactory().destroy_all()
    dead = made["dead"].name
    assert dead in removed or dead not in _names(client, frozenset({dead}))
    assert not {made["live"].name, made["other"].name} & removed


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
    assert not ours & _names(client, frozenset(ours))
