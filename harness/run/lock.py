"""One writer per run directory: a lock file naming the owner's pid and host.

Two processes appending to one run (a ``--resume`` of a run that is still going) would run
attempts twice and double its trial counts, so a second writer is refused with the owner's pid;
a lock whose owner is gone (same host, dead process: its ``flock`` is released by the kernel)
is taken over with a notice.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import UserError
from harness.safe_io import RunFileError, open_regular, read_json
from harness.untrusted_text import printable

LOCK_NAME = ".harness.lock"


@dataclass
class RunLock:
    """Held while a command writes into ``run_dir``; release() (or the context) removes it."""

    run_dir: Path
    #: Told (one line) when a stale lock of a dead owner is taken over.
    notice: Callable[[str], None] | None = field(default=None, repr=False)
    taken_over: str | None = None  # the stale owner replaced
    _fd: int | None = field(default=None, repr=False)

    @property
    def path(self) -> Path:
        return self.run_dir / LOCK_NAME

    def acquire(self) -> RunLock:
        """Take the lock or raise ``UserError`` naming the live owner.

        The file also carries an ``flock``, which the kernel drops when its holder dies, so two
        processes finding the same stale lock cannot both take it over; the pid and host in
        the file are for the messages (and for a lock held on another machine)."""
        me = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}
        for _ in range(5):
            try:  # a planted link or FIFO is refused (RunFileError) like any run file
                fd = open_regular(self.path, os.O_RDWR | os.O_CREAT)
            except OSError as exc:
                raise RunFileError(f"{self.path}: cannot open the run's lock "
                                   f"({exc.strerror})") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                owner = self._owner() or {}
                raise UserError(
                    f"{self.run_dir} is in use by pid {owner.get('pid', '?')} on "
                    f"{printable(owner.get('host', '?'))}: wait for it to finish (or stop it)"
                ) from None
            if os.fstat(fd).st_ino != os.lstat(self.path).st_ino:
                os.close(fd)  # released and removed while we waited: try the new file
                continue
            owner = self._owner()
            if owner is not None and owner.get("host") != me["host"]:
                os.close(fd)
                raise UserError(
                    f"{self.run_dir} is in use by pid {owner.get('pid')} on "
                    f"{printable(owner.get('host'))} (another machine); if that run is gone, "
                    f"delete {self.path}")
            if owner is not None:
                self.taken_over = f"pid {owner.get('pid')} on {printable(owner.get('host'))}"
                if self.notice is not None:
                    self.notice(f"taking over the stale lock of {self.taken_over} on "
                                f"{printable(self.run_dir)}")
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(me).encode(), 0)
            self._fd = fd
            return self
        raise UserError(f"{self.path}: could not take the run's lock")

    def _owner(self) -> dict | None:
        try:
            owner = read_json(self.path, max_bytes=4096)
        except (RunFileError, OSError):
            return None
        return owner if isinstance(owner.get("pid"), int) else None

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.unlink(self.path)  # while still holding the flock: no one can be mid-takeover
        except OSError:
            pass
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *_exc: object) -> None:
        self.release()
