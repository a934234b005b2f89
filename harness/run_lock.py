"""One writer per run directory: a lock file naming the owner's pid and host.

Two processes appending to one run (a ``--resume`` of a run that is still going) would run
attempts twice and double its trial counts, so a second writer is refused with the owner's pid;
a lock whose owner is gone (same host, dead pid) is taken over with a notice.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from harness.errors import UserError
from harness.safe_io import RunFileError, read_json, write_atomic
from harness.untrusted_text import printable

LOCK_NAME = ".harness.lock"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class RunLock:
    """Held while a command writes into ``run_dir``; release() (or the context) removes it."""

    run_dir: Path
    taken_over: str | None = None  # the stale owner replaced, for a notice

    @property
    def path(self) -> Path:
        return self.run_dir / LOCK_NAME

    def acquire(self) -> RunLock:
        me = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}
        body = json.dumps(me)
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
                             0o644)
            except FileExistsError:
                owner = self._owner()
                if owner is not None and self._live(owner):
                    raise UserError(
                        f"{self.run_dir} is in use by pid {owner.get('pid')} on "
                        f"{printable(owner.get('host'))}: wait for it to finish (or stop it); "
                        f"if that process is gone, delete {self.path}") from None
                self.taken_over = (f"pid {owner.get('pid')} on {printable(owner.get('host'))}"
                                   if owner else "an unreadable lock")
                write_atomic(self.path, body)  # replaces the stale lock (or a planted link)
                return self
            with os.fdopen(fd, "w") as fh:
                fh.write(body)
            return self
        raise UserError(f"{self.path}: could not take the run's lock")

    def _owner(self) -> dict | None:
        try:
            owner = read_json(self.path, max_bytes=4096)
        except (RunFileError, OSError):
            return None
        return owner if isinstance(owner.get("pid"), int) else None

    @staticmethod
    def _live(owner: dict) -> bool:
        if owner.get("host") != socket.gethostname():
            return True  # another machine's process: cannot tell, so never steal it
        pid = owner["pid"]
        return pid != os.getpid() and _alive(pid)

    def release(self) -> None:
        owner = self._owner()
        if owner is not None and owner.get("pid") == os.getpid():
            try:
                os.unlink(self.path)
            except OSError:
                pass

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *_exc: object) -> None:
        self.release()
