"""The Docker backend under gVisor (``--runtime runsc``), and the runtime flag's errors.

The gVisor tests never skip: when Docker does not know runsc they fail and say how to install
it (`make test` runs scripts/ensure-runsc.sh first, so they run on every machine where it can).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.errors import UserError
from harness.run.config import RunConfig
from harness.sandbox.backend import check_runtime, make_backend
from harness.sandbox.corpus import LEGIT
from harness.sandbox.docker_pool import LABEL, docker_runtimes, require_runtime
from harness.sandbox.hostile_corpus import HOSTILE
from harness.sandbox.limits import Limits

ROOT = Path(__file__).resolve().parents[1]
HARNESS = str(Path(sys.executable).parent / "harness")
BUSY = "def f(x):\n    while True: pass\n"
BOMB = "def f(x):\n    a = []\n    while True:\n        a.append([0] * 10**6)\n"
LIMITS = Limits(time_limit_s=0.5, batch_budget_s=10, memory_mb=256)


@pytest.fixture(scope="module")
def gvisor_pool():
    from harness.sandbox.image import docker_client

    try:
        known = docker_runtimes(docker_client())
    except UserError as exc:
        pytest.fail(f"Docker sandbox unavailable (run `make sandbox`): {exc}", pytrace=False)
    if "runsc" not in known:
        pytest.fail("Docker does not know the runsc runtime: run `make sandbox RUNTIME=runsc` "
                    "(`make test` does)", pytrace=False)
    pool = make_backend("docker", workers=1, runtime="runsc")
    yield pool
    pool.close()


def assert_pool_answers(pool):
    probe = LEGIT[0]
    after = pool.run(probe.source, probe.inputs)
    assert [v.output for v in after.verdicts] == probe.expected


@pytest.mark.docker
def test_containers_really_run_under_gvisor(gvisor_pool):
    info = gvisor_pool.describe()
    assert info["runtime"] == "runsc"
    assert info["pids_limit"] >= 256  # gVisor's own host threads count against it
    client = gvisor_pool.factory.client
    # this pool's own containers (the runc pool of other tests shares the owner label)
    ids = list(gvisor_pool.factory._containers)
    mine = [c for c in client.containers.list(filters={"label": LABEL}) if c.id in ids]
    assert ids and len(mine) == len(ids)
    assert all(c.attrs["HostConfig"]["Runtime"] == "runsc" for c in mine)
    # gVisor's Sentry answers /proc itself, with its own fixed kernel banner
    result = gvisor_pool.run("def f(x):\n    return open('/proc/version').read()\n", ["x"],
                             limits=Limits(policy="off"))
    assert result.verdicts[0].verdict == "ok"
    assert "#1 SMP" in result.verdicts[0].output


@pytest.mark.docker
def test_legit_busy_loop_and_memory_bomb(gvisor_pool):
    for case in LEGIT[:3]:
        result = gvisor_pool.run(case.source, case.inputs, limits=LIMITS)
        assert [v.output for v in result.verdicts] == case.expected
    busy = gvisor_pool.run(BUSY, ["ab", "cd"], limits=LIMITS)
    assert [v.verdict for v in busy.verdicts] == ["timeout", "timeout"], busy.verdicts
    assert_pool_answers(gvisor_pool)
    bomb = gvisor_pool.run(BOMB, ["ab", "cd"], limits=LIMITS)
    assert [v.verdict for v in bomb.verdicts] == ["memory", "memory"], bomb.verdicts
    assert_pool_answers(gvisor_pool)
    # the same container served all of it: nothing was lost and replaced
    assert not busy.retried and not bomb.retried


#: Where gVisor's kernel answers differently, and why that is still safe.
GVISOR_SAFE = {
    # kill(-1) finds no process it may signal: ESRCH instead of a silent no-op
    "kill_everything_off": ("exception",),
    # another uid may open /proc/1/fd/1 (gVisor's /proc), which is /dev/null there: the
    # server keeps the host channel on other descriptors and notices bytes written into it
    "host_channel_off": ("ok",),
}


@pytest.mark.docker
@pytest.mark.parametrize("case", HOSTILE, ids=[c.name for c in HOSTILE])
def test_hostile_program_is_contained_under_gvisor(gvisor_pool, case):
    # 256 MB, not 512 as under runc: a list bomb then meets its cap well inside 0.5 s of CPU
    # even on a loaded machine (a timeout would be safe too, but not the verdict the case names)
    result = gvisor_pool.run(case.source, case.inputs,
                             limits=Limits(time_limit_s=0.5, batch_budget_s=4, memory_mb=256,
                                           policy=case.policy))
    kinds = {v.verdict for v in result.verdicts}
    assert kinds <= set(GVISOR_SAFE.get(case.name, case.safe)), (kinds, result.verdicts[0].detail)
    if case.check is not None and case.name not in GVISOR_SAFE:
        assert case.check(result), result.verdicts
    assert_pool_answers(gvisor_pool)


# ---------------------------------------------------------------------- flag errors (no Docker)
def run_cli(*args):
    return subprocess.run([HARNESS, *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


@pytest.mark.parametrize("args", [
    ["exec", "examples/parity.py", "--inputs", "examples/bits.txt", "--backend", "process",
     "--runtime", "runsc"],
    ["eval", "erm", "--model", "mock", "--functions", "fn_a", "--lengths", "20",
     "--backend", "process", "--runtime", "runsc", "--dry-run"],
    ["eval", "arc", "--model", "mock", "--backend", "process", "--runtime", "runsc"],
])
def test_runsc_with_process_backend_is_one_line_exit_2(args):
    proc = run_cli(*args)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "--runtime runsc needs --backend docker" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_rerun_refuses_runsc_with_process_backend(tmp_path):
    proc = run_cli("rerun", str(tmp_path), "--backend", "process", "--runtime", "runsc")
    assert proc.returncode == 2
    assert "--runtime runsc needs --backend docker" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_runtime_is_refused_by_click():
    proc = run_cli("exec", "examples/parity.py", "--inputs", "examples/bits.txt",
                   "--runtime", "kata")
    assert proc.returncode == 2 and "Invalid value" in proc.stderr


def test_runtime_in_config_env_and_manifest():
    config = RunConfig.resolve({}, env={"HARNESS_RUNTIME": "runsc"})
    assert config.runtime == "runsc"
    assert config.to_dict()["runtime"] == "runsc"
    assert config.sandbox_options() == {"runtime": "runsc"}
    flag_wins = RunConfig.resolve({"runtime": "runc"}, env={"HARNESS_RUNTIME": "runsc"})
    assert flag_wins.runtime == "runc"
    assert RunConfig.resolve({}, env={}).runtime == "runc"
    with pytest.raises(UserError, match="needs --backend docker"):
        RunConfig.resolve({"backend": "process"}, env={"HARNESS_RUNTIME": "runsc"})
    assert RunConfig.resolve({"backend": "process"}, env={}).sandbox_options() == {}


def test_check_runtime():
    check_runtime("docker", "runsc")
    check_runtime("process", "runc")
    check_runtime("process", None)
    with pytest.raises(UserError, match="needs --backend docker"):
        check_runtime("process", "runsc")
    with pytest.raises(UserError, match="unknown runtime"):
        check_runtime("docker", "kata")


def test_missing_runtime_says_how_to_install_it():
    class FakeClient:
        def info(self):
            return {"Runtimes": {"runc": {"path": "runc"}}}

    with pytest.raises(UserError, match=r"make sandbox RUNTIME=runsc"):
        require_runtime(FakeClient(), "runsc")
    require_runtime(type("C", (), {"info": lambda self: {"Runtimes": {"runsc": {}}}})(),
                    "runsc")
