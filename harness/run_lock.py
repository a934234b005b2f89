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
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import UserError
from harness.safe_io import RunFileError, read_json
from harness.untrusted_text import printable

LOCK_NAME = ".harness.lock"


@dataclass
class RunLock:
    """Held while a command writes into ``run_dir``; release() (or the context) removes it."""

    run_dir: Path
    taken_over: str | None = None  # the stale owner replaced, for a notice
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
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK
                             | getattr(os, "O_CLOEXEC", 0), 0o644)
            except OSError as exc:
                raise RunFileError(f"{self.path}: cannot open the run's lock ({exc.strerror}; "
                                   "a symlink is never followed)") from None
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                os.close(fd)
                raise RunFileError(f"{self.path}: not a regular file; refusing to use it")
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
