"""A syscall filter for each program's process, stacked on top of the container's own.

Docker's default seccomp profile is an allow-list written for general containers: it lets
io_uring, sockets, execve and System V IPC through. A program that computes a function of its
input needs none of them, and each is a known way to reach the kernel, another process or the
next program. So every child, before it reads its job, installs this filter (classic BPF, built
here without libseccomp): the listed calls fail with EPERM, everything else goes on to the
container's profile. Filters only stack, so a program can never remove it.
"""

from __future__ import annotations

import ctypes
import platform
import struct
from typing import Any

AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000

#: x86_64 numbers of the calls a program's process may not make, grouped by what they reach.
DENIED_X86_64 = {
    # other processes and their memory
    "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "kcmp": 312,
    "pidfd_open": 434, "pidfd_getfd": 438, "process_madvise": 440,
    # running other code
    "execve": 59, "execveat": 322, "fork": 57, "vfork": 58,
    # sockets (loopback and abstract unix sockets exist even without a network)
    "socket": 41, "socketpair": 53, "connect": 42, "bind": 49, "listen": 50, "accept": 43,
    "accept4": 288,
    # state that outlives a process: System V IPC, POSIX message queues, keys
    "shmget": 29, "semget": 64, "msgget": 68, "mq_open": 240, "add_key": 248,
    "request_key": 249, "keyctl": 250,
    # kernel attack surface no computation needs
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "bpf": 321,
    "userfaultfd": 323, "perf_event_open": 298, "personality": 135,
    # scheduling other than its own share (a raised priority, pinned CPUs)
    "setpriority": 141, "sched_setparam": 142, "sched_setscheduler": 144,
    "sched_setaffinity": 203, "sched_setattr": 314, "ioprio_set": 251,
    # namespaces, mounts and the machine
    "unshare": 272, "setns": 308, "mount": 165, "umount2": 166, "pivot_root": 155,
    "chroot": 161, "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431,
    "fsmount": 432, "fspick": 433, "mount_setattr": 442, "name_to_handle_at": 303,
    "open_by_handle_at": 304, "acct": 163, "quotactl": 179, "swapon": 167, "swapoff": 168,
    "reboot": 169, "init_module": 175, "finit_module": 313, "delete_module": 176,
    "kexec_load": 246, "kexec_file_load": 320,
}

_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_RET_K = 0x06
_RET_ALLOW = 0x7FFF0000
_RET_EPERM = 0x00050000 | 1
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def program(denied: list[int]) -> bytes:
    """The BPF program: wrong architecture or an x32 call or a denied number -> EPERM."""
    n = len(denied)
    deny_at = 4 + n + 1  # index of the EPERM return
    insns = [
        _insn(_LD_W_ABS, 0, 0, 4),  # seccomp_data.arch
        _insn(_JEQ_K, 0, deny_at - 2, AUDIT_ARCH_X86_64),
        _insn(_LD_W_ABS, 0, 0, 0),  # seccomp_data.nr
        _insn(_JGE_K, deny_at - 4, 0, X32_SYSCALL_BIT),
    ]
    for i, nr in enumerate(denied):
        insns.append(_insn(_JEQ_K, deny_at - (4 + i + 1), 0, nr))
    insns.append(_insn(_RET_K, 0, 0, _RET_ALLOW))
    insns.append(_insn(_RET_K, 0, 0, _RET_EPERM))
    return b"".join(insns)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def supported() -> bool:
    return platform.machine() == "x86_64"


_PREPARED: tuple[Any, Any, Any] | None = None


def prepare() -> tuple[Any, Any, Any]:
    """Build the filter and look ``prctl`` up once, in the warm parent: done in each child it
    cost more than a millisecond per program (ctypes loading libc, the program assembled)."""
    global _PREPARED
    if _PREPARED is None:
        libc = ctypes.CDLL(None, use_errno=True)
        code = program(sorted(set(DENIED_X86_64.values())))
        buf = ctypes.create_string_buffer(code, len(code))
        prog = _SockFprog(len(code) // 8, ctypes.cast(buf, ctypes.c_void_p))
        _PREPARED = (libc.prctl, buf, prog)
    return _PREPARED


def install() -> bool:
    """Install the filter in this process (and, inherited, its children); False where this
    architecture has no table here (the container's own profile still applies)."""
    if not supported():
        return False
    prctl, _buf, prog = prepare()
    if prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")
    if prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "seccomp filter refused")
    return True
