"""The attackers of the isolation section, grouped by the layer they attack.

They run in the fixed order of ``_ORDER``, not group by group: attackers share one container
for as long as they pass, so the order decides what each one runs after, and it stays the
order in which they were written. Each attacker states its safe outcome; B and C follow every
one.
"""

from __future__ import annotations

from harness.sandbox.self_check.attacks import (
    channel,
    host,
    ipc,
    leftovers,
    outputs,
    privileges,
    processes,
    resources,
    signals,
)
from harness.sandbox.self_check.isolation import Attack

_GROUPS = (channel, signals, leftovers, ipc, processes, host, privileges, resources, outputs)
_ORDER = (
    "takeover_via_proc1_fd",
    "reach_host_channel_or_server",
    "kill_minus_one",
    "sigstop_every_pid",
    "sigterm_pid1",
    "forge_frames_every_fd",
    "forge_frame_huge_length",
    "forge_end_frame_on_host_channel",
    "leave_files",
    "patch_modules_and_builtins",
    "leave_process",
    "leave_threads",
    "sysv_ipc_left_behind",
    "posix_mqueue_left_behind",
    "abstract_socket_left_behind",
    "stdio_closed_and_duplicated",
    "raise_hard_rlimits",
    "prctl_dumpable_then_read_others_memory",
    "ptrace_attach_others",
    "write_proc_files_of_others",
    "personality_change",
    "signal_storm_self",
    "setsid_kill_group",
    "sigstop_self",
    "exhaust_pids",
    "exhaust_fds",
    "read_environ_of_every_process",
    "docker_socket",
    "loopback_ports",
    "outbound_network_and_dns",
    "read_shadow_and_root",
    "chmod_and_hardlinks",
    "nice_affinity_state",
    "privileged_syscalls",
    "mlock_and_scheduler",
    "become_root",
    "raise_cpu_limit_then_burn",
    "lying_list_subclass",
    "str_subclass_lies",
    "giant_integer",
    "nan_and_inf_nested",
    "recursion_bomb_raised_limit",
    "generator_returned",
    "exception_str_hangs",
    "poison_cached_batches",
    "process_state_leaks",
    "huge_mmap_noreserve",
)


def _attacks() -> list[Attack]:
    found = [attack for group in _GROUPS for attack in group.attacks()]
    by_name = {attack.name: attack for attack in found}
    if len(found) != len(_ORDER) or set(by_name) != set(_ORDER):
        raise RuntimeError("every attack must appear exactly once in _ORDER")
    return [by_name[name] for name in _ORDER]
