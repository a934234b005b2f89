"""Conformance suite for sandbox backends (after inspect_ai's sandbox ``self_check``).

``run_self_check(pool)`` runs plain-function checks against a started pool and returns one
``CheckResult`` per check; nothing here imports pytest, so the same suite can run from a test,
from the CLI or from a notebook.

Sections:

* ``legit``: the legitimate corpus (harness.sandbox.corpus) gives exactly its expected outputs.
* ``limits``: busy loop, memory bomb, huge output, exception, syntax, one slow input among fast
  ones, batch budget exhaustion: each gets its own verdict, and only the inputs concerned.
* ``isolation`` (Docker only, never the process backend: these programs attack the machine):
  an attacker A runs with full Python (``--policy off``); then B (a legitimate program on
  another batch, ``standard``) and C (a legitimate program, ``strict``) must get exactly their
  own correct verdicts and outputs, optional probe programs must find nothing A left behind,
  and ``pool.health()`` must tell the truth. Isolation checks run on a one-worker pool built
  from the caller's factory, so A, B and C share one container; after a failed check that pool
  is thrown away, so one successful attack does not fail every later check.

Every check is bounded in time: it runs in a thread, and when it overstays ``check_timeout_s``
it is reported as failed (the worker it hung is destroyed, which unblocks the thread).

These checks are written against the sandbox contract (shared/ARCHITECTURE.md, "The program
cannot reach what judges it"), not against what the current code happens to do: a failing
check is a finding, not a check to relax.
"""

from harness.sandbox.self_check.attacks.channel import (
    FORGE_FRAMES,
    FORGE_HOST_CHANNEL,
    FORGE_HUGE_LENGTH,
    REACH_PROBE,
    TAKEOVER,
)
from harness.sandbox.self_check.attacks.ipc import (
    ABSTRACT_PROBE,
    ABSTRACT_SOCKET,
    POSIX_MQ,
    POSIX_MQ_PROBE,
    SYSV_IPC,
    SYSV_PROBE,
)
from harness.sandbox.self_check.attacks.leftovers import (
    FILES_PROBE,
    LEAVE_FILES,
    LEAVE_PROCESS,
    LEAVE_THREAD,
    PATCH_MODULES,
    PROCS_PROBE,
)
from harness.sandbox.self_check.attacks.signals import SIGNAL_ALL
from harness.sandbox.self_check.base import (
    CHECK_TIMEOUT_S,
    SAFE_BACKEND_SECTIONS,
    SECTIONS,
    Check,
    CheckResult,
    Context,
    default_sections,
)
from harness.sandbox.self_check.helpers import expect_kinds, expect_outputs, limits
from harness.sandbox.self_check.isolation import HOSTILE_SAFE, ONE, Attack
from harness.sandbox.self_check.registry import checks
from harness.sandbox.self_check.runner import SelfCheck, run_self_check
from harness.sandbox.self_check.special import (
    BIG_FRAME,
    INPUT_MARK,
    NESTING,
    PROGRESS_RESET,
    SNOOP,
    SOURCE_MARK,
)
from harness.sandbox.self_check.victims import (
    B_EXPECTED,
    B_INPUTS,
    B_SOURCE,
    C_EXPECTED,
    C_INPUTS,
    C_SOURCE,
)

__all__ = [
    "ABSTRACT_PROBE", "ABSTRACT_SOCKET", "Attack", "BIG_FRAME", "B_EXPECTED", "B_INPUTS",
    "B_SOURCE", "CHECK_TIMEOUT_S", "C_EXPECTED", "C_INPUTS", "C_SOURCE", "Check", "CheckResult",
    "Context", "FILES_PROBE", "FORGE_FRAMES", "FORGE_HOST_CHANNEL", "FORGE_HUGE_LENGTH",
    "HOSTILE_SAFE", "INPUT_MARK", "LEAVE_FILES", "LEAVE_PROCESS", "LEAVE_THREAD", "NESTING",
    "ONE", "PATCH_MODULES", "POSIX_MQ", "POSIX_MQ_PROBE", "PROCS_PROBE", "PROGRESS_RESET",
    "REACH_PROBE", "SAFE_BACKEND_SECTIONS", "SECTIONS", "SIGNAL_ALL", "SNOOP", "SOURCE_MARK",
    "SYSV_IPC", "SYSV_PROBE", "SelfCheck", "TAKEOVER", "checks", "default_sections",
    "expect_kinds", "expect_outputs", "limits", "run_self_check",
]
