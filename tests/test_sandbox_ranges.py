"""Fast programs run a range of inputs per claim (worker.Pacer); every verdict stays per input.

A fault inside a range (a slow input, a process that dies, the batch budget running out) must
land on the input at fault and on no other: the server then runs the range again one input per
claim. Through Docker, since some of these programs kill their own process.
"""

from __future__ import annotations

import pytest

from harness.sandbox.limits import Limits

pytestmark = pytest.mark.docker

N = 3000


def _bits(n: int = N) -> list[str]:
    return [format(i, "b") for i in range(n)]


def _at(i: int, source: str) -> str:
    """``source`` with KEY replaced by input ``i`` (its binary string)."""
    return source.replace("KEY", repr(format(i, "b")))


def test_one_slow_input_among_fast_ones_is_the_only_timeout(docker_pool):
    # Thousands of fast inputs first, so the child claims ranges of many inputs at once.
    src = _at(2500, "def f(x):\n    if x == KEY:\n        while True:\n            pass\n"
                    "    return str(x.count('1') % 2)\n")
    result = docker_pool.run(src, _bits(), limits=Limits(time_limit_s=0.3, batch_budget_s=5))
    kinds = [v.verdict for v in result.verdicts]
    assert kinds[2500] == "timeout"
    assert kinds.count("timeout") == 1, [i for i, k in enumerate(kinds) if k != "ok"][:10]
    assert result.outputs[:2500] == [str(format(i, "b").count("1") % 2) for i in range(2500)]
    assert result.outputs[2501:] == [str(format(i, "b").count("1") % 2)
                                     for i in range(2501, N)]


def test_exceptions_inside_a_range_land_on_their_inputs(docker_pool):
    src = "def f(x):\n    n = int(x, 2)\n    if n % 7 == 3:\n        raise ValueError(n)\n" \
          "    return str(n % 2)\n"
    result = docker_pool.run(src, _bits())
    for i, v in enumerate(result.verdicts):
        if i % 7 == 3:
            assert (v.verdict, v.detail) == ("exception", f"ValueError: {i}"), i
        else:
            assert (v.verdict, v.output) == ("ok", str(i % 2)), i


def test_mixed_outputs_inside_a_range_are_checked_one_by_one(docker_pool):
    src = ("def f(x):\n    n = int(x, 2)\n    if n % 5 == 0:\n        return [n, [n]]\n"
           "    if n % 5 == 1:\n        return {1: 2}\n"
           "    if n % 5 == 2:\n        return 'ab' * 40\n"
           "    if n % 5 == 3:\n        return None\n    return float('nan')\n")
    result = docker_pool.run(src, _bits(1000))
    for i, v in enumerate(result.verdicts):
        want = {0: ("ok", [i, [i]]), 1: ("invalid_output", None), 2: ("ok", "ab" * 40),
                3: ("ok", None), 4: ("invalid_output", None)}[i % 5]
        assert (v.verdict, v.output) == want, (i, v)


def test_a_process_killed_inside_a_range_blames_only_its_input(docker_pool):
    src = _at(2222, "import os\ndef f(x):\n    if x == KEY:\n        os._exit(3)\n    return x\n")
    result = docker_pool.run(src, _bits(), limits=Limits(policy="off"))
    kinds = [v.verdict for v in result.verdicts]
    assert kinds[2222] == "crash"
    assert kinds.count("ok") == N - 1
    assert result.outputs[2223] == format(2223, "b")


def test_the_batch_budget_inside_a_range_still_answers_what_fit(docker_pool):
    # Fast inputs, then slow ones inside the same range: the fast ones must be answered
    # before the budget runs out, as they would be one input at a time.
    src = ("def f(x):\n    if x == 'slow':\n        n = 0\n        for i in range(10**6):\n"
           "            n += i\n    return 'done'\n")
    inputs = ["fast"] * 500 + ["slow"] * 300
    result = docker_pool.run(src, inputs, limits=Limits(time_limit_s=2, batch_budget_s=1.0))
    assert all(v.ok for v in result.verdicts[:500])
    assert result.verdicts[-1].verdict == "timeout"
    assert "budget" in (result.verdicts[-1].detail or "")


def test_a_child_that_claims_wide_ranges_gains_one_restart_only(docker_pool):
    # Under --policy off the program finds its control page and claims the whole batch as
    # one range before it hangs: the server runs it again one input per claim, where the
    # claim no longer shields it, and every other input is still answered.
    src = _at(1800, "import gc\ndef f(x):\n    if x != KEY:\n        return x\n"
              "    for o in gc.get_objects():\n        try:\n"
              "            if type(o) is memoryview and o.format == 'q' and len(o) == 3:\n"
              "                o[2] = 3000\n        except ValueError:\n            pass\n"
              "    while True:\n        pass\n")
    result = docker_pool.run(src, _bits(), limits=Limits(policy="off", time_limit_s=0.3,
                                                         batch_budget_s=5))
    kinds = [v.verdict for v in result.verdicts]
    assert kinds[1800] == "timeout"
    assert kinds.count("ok") == N - 1


def test_a_string_at_the_per_output_cap_is_invalid_on_the_fast_path_too(docker_pool):
    # ASCII labels skip the per-output check as a range; a string of the cap's length
    # (1 << 20 characters, within one frame) must still be refused, as one at a time.
    src = "def f(x):\n    return 'a' * (1 << 20) if x == '1' else x\n"
    kinds = [v.verdict for v in docker_pool.run(src, ["1", "0", "0"]).verdicts]
    assert kinds == ["invalid_output", "ok", "ok"]  # input 0 is a range of its own
    just_below = "def f(x):\n    return 'a' * ((1 << 20) - 1)\n"
    assert docker_pool.run(just_below, ["0"]).verdicts[0].verdict == "ok"
