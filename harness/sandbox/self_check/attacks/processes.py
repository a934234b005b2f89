"""Attacks on other processes in the container through /proc and ptrace: their memory, their
control files and their environment must stay out of the program's reach."""

from __future__ import annotations

from harness.sandbox.self_check.isolation import Attack, _probe_only


def attacks() -> list[Attack]:
    P = _probe_only
    return [
        P("prctl_dumpable_then_read_others_memory", """
            import ctypes, os
            def f(x):
                ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)
                opened = []
                for n in os.listdir('/proc'):
                    if n.isdigit() and int(n) != os.getpid():
                        try:
                            open(f'/proc/{n}/mem', 'rb').close()
                            opened.append(int(n))
                        except OSError:
                            pass
                return opened
        """, "after PR_SET_DUMPABLE, no other process's /proc/<pid>/mem opens"),
        P("ptrace_attach_others", """
            import ctypes, os
            def f(x):
                libc = ctypes.CDLL(None, use_errno=True)
                libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p,
                                        ctypes.c_void_p]
                attached = []
                for n in os.listdir('/proc'):
                    if n.isdigit() and int(n) != os.getpid():
                        if libc.ptrace(16, int(n), None, None) == 0:  # PTRACE_ATTACH
                            attached.append(int(n))
                            libc.ptrace(17, int(n), None, None)  # PTRACE_DETACH
                return attached
        """, "PTRACE_ATTACH to every other process fails"),
        P("write_proc_files_of_others", """
            import os
            def f(x):
                wrote = []
                for n in os.listdir('/proc'):
                    if not n.isdigit() or int(n) == os.getpid():
                        continue
                    for name, data in (('comm', b'pwned'), ('oom_score_adj', b'1000'),
                                       ('mem', b'\\0'), ('attr/current', b'x'),
                                       ('coredump_filter', b'0')):
                        try:
                            fd = os.open(f'/proc/{n}/{name}', os.O_WRONLY)
                        except OSError:
                            continue
                        try:
                            os.write(fd, data)
                            wrote.append(f'{n}/{name}')
                        except OSError:
                            pass
                        finally:
                            os.close(fd)
                for path in ('/proc/sysrq-trigger', '/proc/sys/kernel/core_pattern',
                             '/proc/sys/vm/drop_caches'):
                    try:
                        with open(path, 'w') as fh:
                            fh.write('1')
                        wrote.append(path)
                    except OSError:
                        pass
                return wrote
        """, "no /proc file of another process (or the kernel) is writable"),
        P("read_environ_of_every_process", """
            import os
            def f(x):
                leaks = []
                for n in os.listdir('/proc'):
                    if not n.isdigit():
                        continue
                    try:
                        env = open(f'/proc/{n}/environ', 'rb').read()
                    except OSError:
                        continue
                    for key in (b'HARNESS_TEST_SECRET', b'OPENAI_API_KEY', b'TAMU_API_KEY',
                                b'DOCKER_HOST', b's3cr3t'):
                        if key in env:
                            leaks.append(f'{n}:{key.decode()}')
                return leaks
        """, "no process environment holds a host secret"),
    ]
