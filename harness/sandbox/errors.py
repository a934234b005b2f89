"""The sandbox's own errors, so its callers need not know the command line.

``SandboxError`` is what the user must fix for programs to run (start Docker, build the image,
register gVisor, name a known runtime). It is a ``UserError``: every command prints it as one
line, and a caller that only wants the sandbox's failures can catch this class alone.
"""

from __future__ import annotations

from harness.errors import UserError


class SandboxError(UserError):
    """The sandbox cannot run as asked; the message says what to do."""
