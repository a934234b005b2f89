"""Attacks through kernel IPC objects that outlive a process unless the sandbox cleans them:
SysV IPC, POSIX message queues and abstract unix sockets."""

from __future__ import annotations

from harness.sandbox.self_check.helpers import _program
from harness.sandbox.self_check.isolation import Attack, _empty_probe

SYSV_IPC = _program("""
    import ctypes
    def f(x):
        libc = ctypes.CDLL(None, use_errno=True)
        return [libc.shmget(0x484C4B31, 4096, 0o1000 | 0o666),
                libc.msgget(0x484C4B32, 0o1000 | 0o666),
                libc.semget(0x484C4B33, 1, 0o1000 | 0o666)]
""")

SYSV_PROBE = _program("""
    import ctypes, os
    def f(x):
        libc = ctypes.CDLL(None, use_errno=True)
        found = []
        if libc.shmget(0x484C4B31, 0, 0) >= 0:
            found.append('shm')
        if libc.msgget(0x484C4B32, 0) >= 0:
            found.append('msg')
        if libc.semget(0x484C4B33, 0, 0) >= 0:
            found.append('sem')
        for kind in ('shm', 'msg', 'sem'):
            try:
                lines = open(f'/proc/sysvipc/{kind}').read().splitlines()[1:]
            except OSError:
                lines = []
            found += [f'/proc/sysvipc/{kind}: ' + ln.split()[0] for ln in lines if ln.strip()]
        return found
""")

_MQ = """
    import ctypes, ctypes.util, os
    def _mq_open():
        for name in (None, ctypes.util.find_library('rt')):
            try:
                lib = ctypes.CDLL(name, use_errno=True)
                fn = lib.mq_open
            except (OSError, AttributeError):
                continue
            fn.restype = ctypes.c_int
            return fn
        return None
"""

POSIX_MQ = _program(_MQ, """
    def f(x):
        mq_open = _mq_open()
        if mq_open is None:
            return 'no mq_open'
        return mq_open(b'/hleak-mq', os.O_CREAT | os.O_RDWR, 0o666, None)
""")

POSIX_MQ_PROBE = _program(_MQ, """
    def f(x):
        mq_open = _mq_open()
        if mq_open is None:
            return []
        fd = mq_open(b'/hleak-mq', os.O_RDONLY)
        return ['mqueue /hleak-mq'] if fd >= 0 else []
""")

ABSTRACT_SOCKET = _program("""
    import socket
    KEEP = []
    def f(x):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(b'\\0harness-leak')
        s.listen(4)
        KEEP.append(s)
        return 'bound'
""")

ABSTRACT_PROBE = _program("""
    import socket
    def f(x):
        found = []
        try:  # the syscall filter may refuse sockets altogether: then nothing can connect
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(b'\\0harness-leak')
            found.append('connected to @harness-leak')
        except OSError:
            pass
        try:
            found += [ln for ln in open('/proc/net/unix') if '@harness-leak' in ln]
        except OSError:
            pass
        return found
""")


def attacks() -> list[Attack]:
    return [
        Attack("sysv_ipc_left_behind", SYSV_IPC, probe=SYSV_PROBE,
               probe_ok=_empty_probe("SysV IPC objects of A are visible"),
               doc="shmget/msgget/semget with IPC_CREAT|0666"),
        Attack("posix_mqueue_left_behind", POSIX_MQ, probe=POSIX_MQ_PROBE,
               probe_ok=_empty_probe("A's POSIX message queue is visible"),
               doc="mq_open('/hleak-mq', O_CREAT)"),
        Attack("abstract_socket_left_behind", ABSTRACT_SOCKET, probe=ABSTRACT_PROBE,
               probe_ok=_empty_probe("A's abstract unix socket is reachable"),
               doc="a socket bound to '\\0harness-leak'"),
    ]
