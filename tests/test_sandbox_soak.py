"""1,000 programs, 10% hostile, from two threads: a verdict for every one, a healthy pool after,
and no container left behind once the pool closes."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness.bench.memory import PeakMemory
from harness.sandbox.backend import make_backend
from harness.sandbox.corpus import LEGIT
from harness.sandbox.docker_pool import count_containers
from harness.sandbox.hostile_corpus import HOSTILE
from harness.sandbox.limits import Limits

pytestmark = pytest.mark.docker

FAST_HOSTILE = [c for c in HOSTILE if c.name in {
    "subclasses_escape", "eq_always_true", "memory_bomb_string", "deep_recursion",
    "fork_standard", "huge_output", "typing_sys", "os_exit_off", "fake_frames_on_every_fd_off",
    "infinite_loop"}]
KILLERS = [c for c in HOSTILE if c.name == "kill_parent_off"]


def test_thousand_programs_ten_percent_hostile():
    rng = random.Random(1234)
    jobs = []
    for i in range(1000):
        if i % 10 == 0:
            case = KILLERS[0] if i in (100, 500, 900) else rng.choice(FAST_HOSTILE)
            jobs.append(("hostile", case))
        else:
            jobs.append(("legit", rng.choice(LEGIT[:12])))
    with PeakMemory() as peak, make_backend("docker", workers=2) as pool:
        import docker

        client = docker.from_env()

        def run(job):
            kind, case = job
            limits = Limits(time_limit_s=0.2, batch_budget_s=2, memory_mb=512, policy=case.policy)
            return kind, case, pool.run(case.source, case.inputs, limits=limits)

        with ThreadPoolExecutor(max_workers=4) as ex:
            results = list(ex.map(run, jobs))
        assert len(results) == 1000
        for kind, case, result in results:
            assert len(result.verdicts) == len(case.inputs)
            if kind == "legit":
                assert [v.output for v in result.verdicts] == case.expected, case.name
            else:
                assert {v.verdict for v in result.verdicts} <= set(case.safe), case.name
        assert pool.replaced == 0, pool.replace_reasons  # no program can reach its server
        health = pool.health()
        assert health["replaced_now"] == 0
        assert count_containers(client) >= 2
        ours = set(pool.factory._containers)
        assert len(ours) == 2
    alive = {c.id for c in client.containers.list(all=True)}
    assert not ours & alive  # every container this pool started is gone
    # the host side holds no per-program state: a leak would show over 1,000 programs
    print(f"harness peak memory over 1,000 programs: {peak.mb:.0f} MB")
    assert peak.mb < 2048


def test_close_drains_programs_in_flight():
    """Closing while programs run lets them finish; later calls get a clear error."""
    from harness.sandbox.backend import make_backend

    pool = make_backend("docker", workers=1)
    slow = ("def f(x):\n    n = 0\n    for i in range(3_000_000):\n        n += i\n"
            "    return 'done'\n")
    with ThreadPoolExecutor(max_workers=1) as ex:
        future = ex.submit(pool.run, slow, ["a"], None, Limits(time_limit_s=5))
        import time

        time.sleep(0.3)
        pool.close()
        assert future.result().verdicts[0].output == "done"
    with pytest.raises(RuntimeError):
        pool.run(slow, ["a"])


def test_container_memory_is_sized_above_the_program_cap():
    """A program may use (almost) its whole --memory-mb: the container cap is sized above it,
    so the cgroup OOM killer never fires first."""
    big = Limits(memory_mb=3072, time_limit_s=5)
    src = "def f(x):\n    b = bytearray(2_300_000_000)\n    return len(b) > 0\n"
    with make_backend("docker", workers=1, limits=big) as pool:
        assert pool.factory.memory_mb >= 3072 + 512
        assert pool.run(src, ["x"], limits=big).verdicts[0].output is True
        small = Limits(memory_mb=512, time_limit_s=5)
        assert pool.run(src, ["x"], limits=small).verdicts[0].verdict == "memory"
