"""Isolation checks that do not fit the attack-then-B-and-C shape: they need a victim run
before the attacker, exact per-input verdicts, or a watch on the host's own memory."""

from __future__ import annotations

import threading
import time
from typing import Any

from harness.sandbox.self_check.base import Check, Context, SectionChecks
from harness.sandbox.self_check.helpers import (
    _program,
    _run,
    _short,
    _summary,
    expect_kinds,
    expect_outputs,
    limits,
)
from harness.sandbox.self_check.victims import _follow_up

PROGRESS_RESET = _program("""
    import ctypes, gc, time
    def f(x):
        gc.unfreeze()
        cells = []
        for line in open('/proc/self/maps'):
            parts = line.split()
            lo, hi = (int(v, 16) for v in parts[0].split('-'))
            if parts[1].endswith('s') and hi - lo <= 8192 and parts[1].startswith('rw'):
                cells.append((ctypes.c_int64.from_address(lo),
                              ctypes.c_int64.from_address(lo + 8)))
        def usable(o):
            try:
                return o.format == 'q' and not o.readonly and 1 <= len(o) <= 4
            except ValueError:  # released
                return False
        views = [o for o in gc.get_objects() if type(o) is memoryview and usable(o)]
        t0, k = time.process_time(), 0
        while time.process_time() - t0 < 4.0:
            k += 1
            for c, flush in cells:  # the counter always rising, flush requests ignored
                c.value = k
                flush.value = 0
            for v in views:
                v[0] = k
                if len(v) > 1:
                    v[1] = 0
            s = 0
            for i in range(3000):
                s += i
        return f'ran 4s with {len(cells)} mappings and {len(views)} views reset'
""")

SOURCE_MARK, INPUT_MARK = "SRCMARK-7f3a", "INMARK-91c2"

SNOOP = _program("""
    import os
    def f(x):
        src, inp = 'SRCMARK' + '-7f3a', 'INMARK' + '-91c2'
        src_b, inp_b = src.encode(), inp.encode()
        seen = {'disk_src': [], 'disk_in': [], 'proc_src': [], 'mem_src': 0, 'mem_in': 0}
        for d in _DIRS_ + ('/opt', '/var', '/run', '/home', '/root'):
            try:
                walk = list(os.walk(d))[:2000]
            except OSError:
                continue
            for root, _, files in walk:
                for n in files:
                    p = os.path.join(root, n)
                    try:
                        if os.path.getsize(p) > 4 << 20:
                            continue
                        data = open(p, 'rb').read()
                    except OSError:
                        continue
                    if src_b in data:
                        seen['disk_src'].append(p)
                    if inp_b in data:
                        seen['disk_in'].append(p)
        for n in os.listdir('/proc'):
            if not n.isdigit() or int(n) == os.getpid():
                continue
            for part in ('cmdline', 'environ'):
                try:
                    with open(f'/proc/{n}/{part}', 'rb') as fh:
                        data = fh.read(1 << 20)
                except OSError:
                    continue
                if src_b in data:
                    seen['proc_src'].append(f'/proc/{n}/{part}')
        import ctypes
        # Search memory through a byte mask, so that the needles themselves (src_b, inp_b
        # above are dropped first) never stand in memory as the markers: only copies that came
        # from elsewhere are counted.
        mask = bytes(b ^ 0x5A for b in range(256))
        src_m, inp_m = src_b.translate(mask), inp_b.translate(mask)
        del src, inp, src_b, inp_b
        import gc
        gc.collect()
        for line in open('/proc/self/maps'):  # own memory, read in place (rw regions only)
            parts = line.split()
            lo, hi = (int(v, 16) for v in parts[0].split('-'))
            if not parts[1].startswith('rw') or hi - lo > 256 << 20:
                continue
            data = ctypes.string_at(lo, hi - lo).translate(mask)
            seen['mem_src'] += data.count(src_m)
            seen['mem_in'] += data.count(inp_m)
            del data
        return [seen['disk_src'], seen['disk_in'], seen['proc_src'], seen['mem_src'],
                seen['mem_in']]
""")

NESTING = _program("""
    def f(x):
        v = 'x'
        for _ in range(int(x)):
            v = [v]
        return v
""")

BIG_FRAME = _program("""
    import os, stat, struct
    def f(x):
        body = b'{"v":[[' + b'0,' * (15 * 10**6 - 1) + b'0]],"e":{}}'
        data = struct.pack('>Iii', len(body) + 8, 0, 1) + body
        for fd in range(3, 64):
            try:
                if stat.S_ISFIFO(os.fstat(fd).st_mode):
                    os.write(fd, data)
            except OSError:
                pass
        return '0'
""")


def _nested(depth: int) -> Any:
    v: Any = "x"
    for _ in range(depth):
        v = [v]
    return v


def _no_restart(ctx: Context, replaced0: int, problems: list[str]) -> list[str]:
    """Awkward but harmless outputs must be judged without losing the worker: a replacement
    means the host or the exec server choked on them, and B and C then show it judges right."""
    if ctx.pool.replaced != replaced0:
        problems.append(f"worker replaced {ctx.pool.replaced - replaced0}x")
    return problems + _follow_up(ctx)


def _special_checks() -> list[Check]:
    """Isolation checks whose shape differs from plain attack-then-B-and-C."""
    section = SectionChecks("isolation")
    add = section.add

    @add("read_other_programs_sources", "a later program cannot read an earlier one's source "
         "from disk or /proc (its own inherited memory may hold cached inputs: by design)")
    def _(ctx: Context) -> list[str]:
        victim = f"# {SOURCE_MARK}\ndef f(x):\n    return str(len(x) % 2)\n"
        inputs = [f"{INPUT_MARK}-{i}" for i in range(6)]
        r = _run(ctx, "B (victim)", victim, inputs, limits())
        problems = expect_outputs(r, [str(len(x) % 2) for x in inputs], "victim")
        s = _run(ctx, "A (snoop)", SNOOP, ["x"], limits("off", 10.0, 20.0, 1024))
        v = s.verdicts[0]
        if not v.ok or not isinstance(v.output, list) or len(v.output) != 5:
            return problems + [f"snoop did not report: {v.verdict} {_short(v.detail)}"]
        seen = dict(zip(("disk_src", "disk_in", "proc_src", "mem_src", "mem_in"), v.output,
                        strict=True))
        if seen.get("disk_src") or seen.get("proc_src"):
            problems.append(f"the victim's source is readable: {_short(seen, 300)}")
        if seen.get("disk_in"):
            problems.append(f"the victim's inputs are on disk: {seen['disk_in'][:5]}")
        ctx.notes.append("visible in the snooper's own memory: source marker "
                         f"x{seen.get('mem_src')}, input marker x{seen.get('mem_in')}")
        return problems + _follow_up(ctx)

    @add("lone_surrogate_output", "an output with a lone surrogate is invalid_output, no restart")
    def _(ctx: Context) -> list[str]:
        replaced0 = ctx.pool.replaced
        problems = []
        try:
            r = _run(ctx, "A", "def f(x):\n    return 'ok' + chr(0xD800)\n", ["a", "b"],
                     limits("off"))
            problems += expect_kinds(r, ("invalid_output",), "surrogate output")
            ctx.notes.append(f"A: {_summary(r)}")
        except Exception as exc:  # noqa: BLE001
            problems.append(f"host raised {type(exc).__name__}: {_short(str(exc))}")
        return _no_restart(ctx, replaced0, problems)

    @add("lone_surrogate_exception", "an exception message with a lone surrogate is an "
         "exception with an escaped, encodable detail, no restart")
    def _(ctx: Context) -> list[str]:
        replaced0 = ctx.pool.replaced
        problems = []
        try:
            r = _run(ctx, "A", "def f(x):\n    raise ValueError('bad ' + chr(0xDC80) + x)\n",
                     ["a", "b"], limits("off"))
            problems += expect_kinds(r, ("exception",), "surrogate exception")
            for v in r.verdicts:
                try:
                    str(v.detail).encode("utf-8")
                except UnicodeEncodeError:
                    problems.append(f"detail not encodable: {v.detail!r}")
                    break
            ctx.notes.append(f"A: {_summary(r)}")
        except Exception as exc:  # noqa: BLE001
            problems.append(f"host raised {type(exc).__name__}: {_short(str(exc))}")
        return _no_restart(ctx, replaced0, problems)

    @add("big_outputs_10k", "a legitimate 9 KB output on each of 10,000 inputs is ok")
    def _(ctx: Context) -> list[str]:
        replaced0 = ctx.pool.replaced
        inputs = [format(i, "05d") for i in range(10_000)]
        r = _run(ctx, "A", "def f(x):\n    return x * 1800\n", inputs,
                 limits("standard", 0.5, 20.0))
        problems = expect_kinds(r, ("ok",), "9 KB outputs")
        if not problems and any(v.output != x * 1800 for v, x in zip(r.verdicts, inputs,
                                                                       strict=True)):
            problems.append("wrong outputs")
        return _no_restart(ctx, replaced0, problems)

    @add("output_nesting_depth", "an output nested 7 deep passes; past the cap it is "
         "invalid_output, consistently, never a crash")
    def _(ctx: Context) -> list[str]:
        replaced0 = ctx.pool.replaced
        depths = list(range(0, 40)) + [100, 5000]
        r = _run(ctx, "A", NESTING, [str(d) for d in depths], limits("off", 2.0, 10.0))
        problems = expect_kinds(r, ("ok", "invalid_output"), "nesting")
        verdicts = [v.verdict for v in r.verdicts]
        for d, v in zip(depths, r.verdicts, strict=True):
            if d <= 7 and not (v.ok and v.output == _nested(d)):
                problems.append(f"depth {d}: {v.verdict} {_short(v.detail)}")
                break
            if d >= 32 and v.verdict != "invalid_output":
                problems.append(f"depth {d}: {v.verdict}, wanted invalid_output")
                break
        if "invalid_output" in verdicts:
            cap = verdicts.index("invalid_output")
            if "ok" in verdicts[cap:]:
                problems.append("verdicts not monotone in depth")
            ctx.notes.append(f"first invalid depth: {depths[cap]}")
        return _no_restart(ctx, replaced0, problems)

    @add("huge_frame_small_ints", "a forged 30 MB frame of 15M small ints is crash or "
         "invalid_output for that program; host memory stays bounded")
    def _(ctx: Context) -> list[str]:
        import psutil

        proc = psutil.Process()
        base = proc.memory_info().rss
        peak = [base]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], proc.memory_info().rss)
                time.sleep(0.01)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        problems = []
        try:
            r = _run(ctx, "A", BIG_FRAME, ["a", "b"], limits("off", 5.0, 10.0, 1024))
            problems += expect_kinds(r, ("crash", "invalid_output"), "30 MB frame")
            ctx.notes.append(f"A: {_summary(r)}")
        except Exception as exc:  # noqa: BLE001
            problems.append(f"host raised {type(exc).__name__}: {_short(str(exc))}")
        finally:
            done.set()
            sampler.join()
        growth = (peak[0] - base) / 2**20
        ctx.notes.append(f"host RSS grew by {growth:.0f} MB at peak")
        if growth >= 300:
            problems.append(f"host RSS grew by {growth:.0f} MB (limit 300)")
        return problems + _follow_up(ctx)

    @add("progress_counter_reset", "resetting the shared progress counter while burning 4 s "
         "of CPU on one input ends as timeout, never ok")
    def _(ctx: Context) -> list[str]:
        r = _run(ctx, "A", PROGRESS_RESET, ["a"], limits("off", 0.5, 10.0))
        ctx.notes.append(f"A: {_summary(r)} {_short(r.verdicts[0].output)}")
        return expect_kinds(r, ("timeout",), "progress reset") + _follow_up(ctx)

    return section.checks
