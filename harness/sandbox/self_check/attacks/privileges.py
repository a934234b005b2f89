"""Attacks that try to gain privileges the sandbox dropped: raised limits, root, and the
syscalls a container must refuse."""

from __future__ import annotations

from harness.sandbox.self_check.helpers import _program
from harness.sandbox.self_check.isolation import Attack, _probe_only


def attacks() -> list[Attack]:
    P = _probe_only
    return [
        P("raise_hard_rlimits", """
            import resource
            def f(x):
                raised = []
                for name in ('RLIMIT_CPU', 'RLIMIT_AS', 'RLIMIT_NPROC', 'RLIMIT_NOFILE',
                             'RLIMIT_FSIZE', 'RLIMIT_CORE'):
                    which = getattr(resource, name)
                    soft, hard = resource.getrlimit(which)
                    if hard == resource.RLIM_INFINITY:
                        continue
                    try:
                        resource.setrlimit(which, (hard + 1, hard + 1))
                        raised.append(name)
                    except (ValueError, OSError):
                        pass
                return raised
        """, "no hard limit can be raised"),
        Attack("personality_change", _program("""
            import ctypes
            def f(x):
                return ctypes.CDLL(None).personality(0x0040000)  # ADDR_NO_RANDOMIZE
        """), safe=("ok", "exception"), doc="personality(ADDR_NO_RANDOMIZE) stays with A"),
        P("privileged_syscalls", """
            import ctypes, platform
            NR = {'x86_64': {'userfaultfd': 323, 'io_uring_setup': 425, 'add_key': 248,
                             'mount': 165, 'unshare': 272, 'bpf': 321, 'perf_event_open': 298,
                             'kexec_load': 246, 'init_module': 175, 'setns': 308},
                  'aarch64': {'userfaultfd': 282, 'io_uring_setup': 425, 'add_key': 217,
                              'mount': 40, 'unshare': 97, 'bpf': 280, 'perf_event_open': 241,
                              'kexec_load': 104, 'init_module': 105, 'setns': 268}}
            def f(x):
                libc = ctypes.CDLL(None, use_errno=True)
                libc.syscall.restype = ctypes.c_long
                table = NR.get(platform.machine(), {})
                ok = []
                buf = ctypes.create_string_buffer(256)
                args = {'userfaultfd': (0,), 'io_uring_setup': (8, buf),
                        'add_key': (b'user', b'hleak', b'x', 1, -4),
                        'mount': (b'none', b'/tmp', b'tmpfs', 0, None),
                        'unshare': (0x10000000,), 'bpf': (0, buf, 48),
                        'perf_event_open': (buf, 0, -1, -1, 0), 'kexec_load': (0, 0, None, 0),
                        'init_module': (buf, 0, b''), 'setns': (0, 0)}
                for name, nr in table.items():
                    if libc.syscall(nr, *args[name]) >= 0:
                        ok.append(name)
                return ok
        """, "userfaultfd, io_uring, keyctl, mount, unshare, bpf, perf, kexec, modules, setns "
             "all refused"),
        P("mlock_and_scheduler", """
            import ctypes, os
            def f(x):
                got = []
                if ctypes.CDLL(None).mlockall(3) == 0:
                    got.append('mlockall')
                try:
                    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
                    got.append('SCHED_FIFO')
                except OSError:
                    pass
                try:
                    import time
                    time.clock_settime(time.CLOCK_REALTIME, 0)
                    got.append('settime')
                except OSError:
                    pass
                return got
        """, "mlockall, real-time scheduling and clock_settime refused", safe=("ok", "memory",
                                                                              "exception")),
        P("become_root", """
            import os
            def f(x):
                got = []
                for name, call in (('setuid', lambda: os.setuid(0)),
                                   ('setgid', lambda: os.setgid(0)),
                                   ('setgroups', lambda: os.setgroups([0])),
                                   ('seteuid', lambda: os.seteuid(0))):
                    try:
                        call()
                        got.append(name)
                    except OSError:
                        pass
                return got
        """, "no way back to uid 0"),
    ]
