"""The process backend kills its exec server's whole tree: the pre-forked children the server
keeps ready, not only the server. Only trusted code runs here (no program at all): hostile
programs go through Docker only."""

from __future__ import annotations

import time

import psutil

from harness.sandbox.process import ProcessWorkerFactory, kill_tree


def _descendants(root: psutil.Process, at_least: int = 1,
                 wait_s: float = 10.0) -> list[psutil.Process]:  # fmt: skip
    """The root's descendants once there are ``at_least`` of them (an exec server forks one
    ahead right after it starts; a shell starts its jobs)."""
    end = time.monotonic() + wait_s
    children = root.children(recursive=True)
    while len(children) < at_least and time.monotonic() < end:
        time.sleep(0.05)
        children = root.children(recursive=True)
    return children


def test_closing_a_worker_leaves_no_process_behind():
    worker = ProcessWorkerFactory().create()
    server = psutil.Process(worker.transport.proc.pid)
    children = _descendants(server)
    assert children  # at least one child forked ahead of a program
    worker.close()
    _, alive = psutil.wait_procs(children, timeout=10)
    assert alive == []
    assert not server.is_running() or server.status() == psutil.STATUS_ZOMBIE


def test_kill_tree_reaches_descendants_that_left_the_process_group():
    """A tree whose leaves would outlive their root: one in the root's group, one that left it
    with setsid (as a program could). Killing only the root would leave both running."""
    import subprocess

    root = subprocess.Popen(["sh", "-c", "sleep 60 & setsid sleep 60 & wait"],
                            start_new_session=True)  # fmt: skip
    try:
        leaves = _descendants(psutil.Process(root.pid), at_least=2)
        assert len(leaves) >= 2
        assert kill_tree(root.pid) >= 3
        root.wait(timeout=10)
        _, alive = psutil.wait_procs(leaves, timeout=10)
        assert alive == []
    finally:
        kill_tree(root.pid)


def test_kill_tree_of_a_process_that_is_gone_is_zero():
    assert kill_tree(2**22 + 12345) == 0
