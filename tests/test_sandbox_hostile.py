"""Hostile programs, each with its safe outcome; after them the pool is healthy and clean.

Runs only through Docker: on the process backend several of these would hit this machine.
"""

from __future__ import annotations

import pytest

from harness.sandbox.corpus import LEGIT
from harness.sandbox.docker_pool import LABEL
from harness.sandbox.hostile_corpus import HOSTILE
from harness.sandbox.limits import Limits

pytestmark = pytest.mark.docker


def test_hostile_corpus_is_large_enough():
    assert len(HOSTILE) >= 25


@pytest.mark.parametrize("case", HOSTILE, ids=[c.name for c in HOSTILE])
def test_hostile_program_is_contained(docker_pool, case):
    result = docker_pool.run(case.source, case.inputs,
                             limits=Limits(time_limit_s=0.5, batch_budget_s=4, memory_mb=512,
                                           policy=case.policy))
    kinds = {v.verdict for v in result.verdicts}
    assert len(result.verdicts) == len(case.inputs)
    assert kinds <= set(case.safe), (kinds, result.verdicts[0].detail)
    if case.check is not None:
        assert case.check(result), result.verdicts
    # the pool still answers correctly right after
    probe = LEGIT[0]
    after = docker_pool.run(probe.source, probe.inputs)
    assert [v.output for v in after.verdicts] == probe.expected


def test_mutating_the_input_affects_nothing_else(docker_pool):
    grid = [[1, 2], [3, 4]]
    src = "def transform(g):\n    g[0][0] = 9\n    g.append([7, 7])\n    return g\n"
    result = docker_pool.run(src, [grid, grid])
    assert [v.output for v in result.verdicts] == [[[9, 2], [3, 4], [7, 7]]] * 2
    clean = docker_pool.run("def transform(g):\n    return g\n", [grid, grid])
    assert [v.output for v in clean.verdicts] == [grid, grid]


def test_poisoning_builtins_and_modules_does_not_reach_the_next_program():
    from harness.sandbox.backend import make_backend

    poison = ("import builtins, math, sys\ndef f(x):\n    builtins.len = lambda o: 42\n"
              "    math.pi = 3\n    sys.modules['math'].sqrt = lambda v: -1\n    return 'done'\n")
    probe = "import math\ndef f(x):\n    return [len('ab'), math.pi, math.sqrt(4)]\n"
    with make_backend("docker", workers=1) as pool:
        # The poisoner breaks its own process (the worker code uses len too): ok or crash.
        first = pool.run(poison, ["x"], limits=Limits(policy="off"))
        assert first.verdicts[0].verdict in ("ok", "crash")
        assert pool.run(probe, ["x"]).verdicts[0].output == [2, 3.141592653589793, 2.0]


def test_no_stray_processes_or_containers(docker_pool):
    import docker

    client = docker.from_env()
    ours = set(docker_pool.factory._containers)  # not other runs' (nor other runtimes')
    mine = [c for c in client.containers.list(filters={"label": LABEL}) if c.id in ours]
    assert len(mine) == docker_pool.size
    import time

    time.sleep(0.5)  # let the servers finish reaping in their idle time
    for container in mine:
        procs = container.top()["Processes"]
        # the exec server (PID 1, no init) and its two pre-forked children: nothing else
        assert len(procs) <= 3, procs
        assert all("defunct" not in " ".join(p) for p in procs), procs


SIBLING_ATTACK = (
    "import os, signal\ndef f(x):\n    me, parent = os.getpid(), os.getppid()\n    hits = 0\n"
    "    for name in os.listdir('/proc'):\n        if name.isdigit() and int(name) not in "
    "(1, me, parent):\n            try:\n                os.kill(int(name), signal.{sig})\n"
    "                hits += 1\n            except OSError:\n                pass\n"
    "    return hits\n")


@pytest.mark.parametrize("sig", ["SIGKILL", "SIGSTOP"])
def test_program_cannot_damage_the_next_programs_process(sig):
    """Under --policy off a program tries to signal the children the server forked ahead for the
    next programs: each runs under a uid of its own, so it reaches none of them, and the next
    programs run in intact processes forked ahead."""
    import time

    from harness.sandbox.backend import make_backend

    probe = LEGIT[0]
    with make_backend("docker", workers=1) as pool:
        pool.run(probe.source, probe.inputs)
        pool.run(probe.source, probe.inputs[:1])
        time.sleep(0.5)  # idle: the server forks the next children ahead
        # Same input batch as the probe: a new batch would make the server re-fork anyway.
        hit = pool.run(SIBLING_ATTACK.replace("{sig}", sig), probe.inputs[:1],
                       limits=Limits(policy="off"))
        assert hit.verdicts[0].output == 0  # it reached no sibling (and not the server)
        for _ in range(4):
            after = pool.run(probe.source, probe.inputs)
            assert [v.output for v in after.verdicts] == probe.expected
            assert after.stats["children"] == 1


def test_server_memory_is_not_readable_by_programs(docker_pool):
    src = ("import os\ndef f(x):\n    try:\n        fh = open(f'/proc/{os.getppid()}/mem', 'rb')\n"
           "    except OSError as exc:\n        return 'denied'\n    return 'opened'\n")
    result = docker_pool.run(src, ["x"], limits=Limits(policy="off"))
    assert result.verdicts[0].output == "denied"
