"""Attacks that exhaust a resource (pids, fds, CPU, stack, address space): each must end as
a verdict for the attacker alone, with nothing left running."""

from __future__ import annotations

from harness.sandbox.self_check.attacks.leftovers import PROCS_PROBE
from harness.sandbox.self_check.helpers import _program
from harness.sandbox.self_check.isolation import Attack, _empty_probe, _probe_only


def attacks() -> list[Attack]:
    P = _probe_only
    return [
        Attack("exhaust_pids", _program("""
            import os, time
            def f(x):
                n = 0
                for _ in range(10000):
                    try:
                        if os.fork() == 0:
                            time.sleep(100)
                            os._exit(0)
                        n += 1
                    except OSError:
                        break
                return n
        """), probe=PROCS_PROBE, probe_ok=_empty_probe("processes outlived A"),
            doc="fork until refused; nothing survives"),
        P("exhaust_fds", """
            import os
            def f(x):
                fds = []
                try:
                    while len(fds) < 100000:
                        fds.append(os.open('/dev/null', os.O_RDONLY))
                except OSError:
                    pass
                return len(fds) > 4096
        """, "opening fds stops at a small cap", want=False),
        Attack("raise_cpu_limit_then_burn", _program("""
            import resource
            def f(x):
                try:
                    resource.setrlimit(resource.RLIMIT_CPU, (resource.RLIM_INFINITY,) * 2)
                except (ValueError, OSError):
                    pass
                while True:
                    pass
        """), safe=("timeout",), doc="trying to lift RLIMIT_CPU, then a busy loop: timeout"),
        Attack("recursion_bomb_raised_limit", _program("""
            import sys
            def f(x):
                sys.setrecursionlimit(10**7)
                def r(n):
                    return r(n + 1) + 1
                return r(0)
        """), safe=("crash", "exception", "memory", "timeout"),
            doc="deep recursion with the limit raised (C stack overflow): only A dies"),
        Attack("huge_mmap_noreserve", _program("""
            import mmap
            def f(x):
                m = mmap.mmap(-1, 1 << 40, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
                              | getattr(mmap, 'MAP_NORESERVE', 0))
                for i in range(0, 1 << 40, 1 << 20):
                    m[i] = 1
                return 'mapped'
        """), safe=("memory", "exception", "timeout", "crash"),
            doc="a 1 TB MAP_NORESERVE mapping touched page by page"),
    ]
