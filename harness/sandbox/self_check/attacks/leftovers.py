"""Attacks that leave something behind in the shared container (files, processes, threads,
patched modules, process state, rewritten caches) for a later program to trip over."""

from __future__ import annotations

from harness.sandbox.self_check.helpers import _program
from harness.sandbox.self_check.isolation import Attack, _empty_probe, _if_ok
from harness.sandbox.self_check.victims import B_INPUTS

LEAVE_FILES = _program("""
    import os
    def f(x):
        made = []
        for d in _DIRS_:
            for kind in ('file', 'dir', 'fifo'):
                p = os.path.join(d, f'hleak-{kind}-{os.getpid()}')
                try:
                    if kind == 'file':
                        open(p, 'w').close()
                    elif kind == 'dir':
                        os.mkdir(p)
                    else:
                        os.mkfifo(p)
                    made.append(p)
                except OSError:
                    pass
        return made
""")

FILES_PROBE = _program("""
    import os
    def f(x):
        found = []
        for d in _DIRS_:
            try:
                for root, dirs, files in os.walk(d):
                    if root.count('/') - d.count('/') > 2:
                        continue
                    found += [os.path.join(root, n) for n in dirs + files if 'hleak' in n]
            except OSError:
                pass
        return sorted(set(found))
""")

PATCH_MODULES = _program("""
    import builtins, collections, json, math, sys
    import numpy as np
    def f(x):
        builtins.len = lambda o: 42
        builtins.sorted = lambda *a, **k: ['pwned']
        builtins.sum = lambda *a, **k: -1
        builtins.max = lambda *a, **k: -1
        builtins.reversed = lambda s: ['pwned']
        math.pi = 3
        np.sum = lambda *a, **k: 7
        np.array = lambda *a, **k: [1]
        sys.modules['math'] = json
        collections.Counter = dict
        return 'patched'
""")

PROCS_PROBE = _program("""
    import os
    def _field(pid, name):
        for line in open(f'/proc/{pid}/status'):
            if line.startswith(name + ':'):
                return line.split()[1]
        return ''
    def f(x):
        me, srv = os.getpid(), os.getppid()
        extra = []
        for n in os.listdir('/proc'):
            if not n.isdigit():
                continue
            pid = int(n)
            try:
                ppid = int(_field(pid, 'PPid'))
                cmd = open(f'/proc/{pid}/cmdline', 'rb').read().replace(b'\\0', b' ')
            except (OSError, ValueError):
                continue
            if pid in (1, me, srv) or ppid == srv:
                continue
            extra.append([pid, ppid, _field(pid, 'State'), cmd.decode(errors='replace')[:60]])
        return extra
""")

LEAVE_PROCESS = _program("""
    import os, time
    def f(x):
        try:
            pid = os.fork()
        except OSError as exc:
            return f'fork refused: {exc}'
        if pid == 0:
            try:
                os.setsid()
                if os.fork() == 0:
                    if os.fork() == 0:
                        time.sleep(100)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        return 'left a process'
""")

LEAVE_THREAD = _program("""
    import threading, time
    def f(x):
        started = 0
        for daemon in (False, True):
            try:
                threading.Thread(target=time.sleep, args=(100,), daemon=daemon).start()
                started += 1
            except RuntimeError:
                pass
        return started
""")


def attacks() -> list[Attack]:
    return [
        Attack("leave_files", LEAVE_FILES, probe=FILES_PROBE,
               probe_ok=_empty_probe("files left by A are visible to a later program"),
               doc="files, dirs and fifos in /tmp, /dev/shm, /var/tmp, $HOME, cwd"),
        Attack("patch_modules_and_builtins", PATCH_MODULES,
               doc="builtins.len, sorted, sum, max, math.pi, numpy functions, sys.modules"),
        Attack("leave_process", LEAVE_PROCESS, probe=PROCS_PROBE,
               probe_ok=_empty_probe("processes outlived A"),
               doc="fork, setsid, double fork, sleep 100: nothing of A may remain"),
        Attack("leave_threads", LEAVE_THREAD, probe=PROCS_PROBE,
               probe_ok=_empty_probe("processes outlived A"),
               doc="non-daemon and daemon threads sleeping 100 s"),
        Attack("nice_affinity_state", _program("""
            import os
            def f(x):
                os.nice(19)
                try:
                    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
                except OSError:
                    pass
                try:
                    os.nice(-20)
                    return 'raised priority'
                except OSError:
                    return 'ok'
        """), expect=_if_ok("ok"), probe=_program("""
            import os
            def f(x):
                bad = []
                prio = os.getpriority(os.PRIO_PROCESS, 0)  # (nice() itself is filtered)
                if prio != 0:
                    bad.append(f'nice {prio}')
                if len(os.sched_getaffinity(0)) != os.cpu_count():
                    bad.append(f'affinity {sorted(os.sched_getaffinity(0))}')
                return bad
        """), probe_ok=_empty_probe("A's niceness or affinity reached a later program"),
            doc="os.nice, sched_setaffinity stay with A; a negative nice is refused"),
        Attack("poison_cached_batches", _program("""
            import gc
            def f(x):
                gc.unfreeze()
                hit = 0
                for o in gc.get_objects():
                    if type(o) is list and o and all(type(v) is str for v in o[:4]):
                        try:
                            o[:] = ['1' * 20] * len(o)
                            hit += 1
                        except Exception:
                            pass
                return hit
        """), inputs=tuple(B_INPUTS), safe=("ok", "exception", "crash"),
            doc="rewrite every list of strings in memory (the cached input batches) on B's "
                "batch; B must still see its real inputs"),
        Attack("process_state_leaks", _program("""
            import os, signal
            def f(x):
                os.environ['HLEAK'] = '1'
                os.umask(0)
                os.chdir('/tmp')
                for s in (signal.SIGTERM, signal.SIGINT, signal.SIGXCPU):
                    signal.signal(s, signal.SIG_IGN)
                return 'changed'
        """), probe=_program("""
            import os, signal
            def f(x):
                bad = []
                if 'HLEAK' in os.environ:
                    bad.append('env')
                old = os.umask(0o22)
                if old == 0:
                    bad.append('umask')
                for s in (signal.SIGTERM, signal.SIGINT, signal.SIGXCPU):
                    if signal.getsignal(s) == signal.SIG_IGN:
                        bad.append(f'signal {int(s)} ignored')
                return bad
        """), probe_ok=_empty_probe("A's process state reached a later program"),
            doc="environment, umask, cwd and signal dispositions stay with A"),
    ]
