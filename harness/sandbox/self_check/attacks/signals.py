"""Attacks by signal: stopping or killing the exec server, its siblings or pid 1 must never
cost another program its verdict, and a program that signals itself only ends itself."""

from __future__ import annotations

from harness.sandbox.self_check.helpers import _PIDS, _program
from harness.sandbox.self_check.isolation import Attack, _if_ok

SIGNAL_ALL = _program("""
    import os, signal
    """, _PIDS, """
    def f(x):
        hits = []
        for pid in _pids():
            try:
                os.kill(pid, signal.{sig})
                hits.append(pid)
            except OSError:
                pass
        return len(hits)
""")


def attacks() -> list[Attack]:
    return [
        Attack("kill_minus_one", _program("""
            import os, signal
            def f(x):
                os.kill(-1, signal.SIGKILL)
                return 'survived'
        """), may_replace=True, expect=_if_ok("survived"),
            doc="os.kill(-1, SIGKILL): the exec server and siblings survive, or the dead "
                "server is replaced and counted"),
        Attack("sigstop_every_pid", SIGNAL_ALL.replace("{sig}", "SIGSTOP"), may_replace=True,
               doc="SIGSTOP every pid: the server must not be stoppable"),
        Attack("sigterm_pid1", _program("""
            import os, signal, time
            def f(x):
                try:
                    os.kill(1, signal.SIGTERM)
                except OSError as exc:
                    return 'denied'
                time.sleep(1)
                return 'sent'
        """), may_replace=True, expect=_if_ok("denied"),
            doc="SIGTERM to pid 1 is refused (or its death is replaced and counted)"),
        Attack("signal_storm_self", _program("""
            import os, signal
            def f(x):
                got = [0]
                def handler(*a):
                    got[0] += 1
                for s in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM, signal.SIGCHLD):
                    signal.signal(s, handler)
                for s in (signal.SIGTERM, signal.SIGINT, signal.SIGXCPU, signal.SIGHUP):
                    signal.signal(s, signal.SIG_IGN)
                for i in range(20000):
                    os.kill(os.getpid(), (signal.SIGUSR1, signal.SIGUSR2, signal.SIGCHLD)[i % 3])
                signal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)
                while True:
                    pass
        """), safe=("timeout", "crash"),
            doc="a storm of signals to itself, then a busy loop with timers and SIGTERM "
                "ignored: timeout"),
        Attack("setsid_kill_group", _program("""
            import os, signal
            def f(x):
                try:
                    os.setsid()
                except OSError:
                    pass
                os.kill(0, signal.SIGKILL)
                return 'alive'
        """), safe=("crash", "memory"), doc="setsid then kill(0, SIGKILL): only itself dies"),
        Attack("sigstop_self", _program("""
            import os, signal
            def f(x):
                os.kill(os.getpid(), signal.SIGSTOP)
                return 'resumed'
        """), safe=("timeout", "crash"), max_wall_s=12.0, inputs=("a", "b"),
            doc="a stopped program becomes timeout quickly"),
    ]
