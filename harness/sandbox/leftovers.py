"""Which harness containers belong to a live run, and removing the ones that no longer do.

Several users (or several runs of one user) share a Docker daemon, and a daemon may be shared
between hosts: a container is only ever removed for its owner when that owner is provably gone
(a pid on this host that no longer exists). A container whose owner is on another host is left
alone, since its pid cannot be checked from here; ``--all`` is the explicit override.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

LABEL = "harness.sandbox"
OWNER_LABEL = "harness.owner"

ALIVE, GONE, OTHER_HOST, UNKNOWN = "alive", "gone", "other host", "unknown owner"


def owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def owner_state(owner: str, host: str | None = None) -> str:
    """ALIVE, GONE, OTHER_HOST or UNKNOWN (no parsable ``host:pid`` label: never removed)."""
    owner_host, _, pid = owner.rpartition(":")
    if not owner_host or not pid.isdigit():
        return UNKNOWN
    if owner_host != (host or socket.gethostname()):
        return OTHER_HOST
    return ALIVE if _pid_alive(int(pid)) else GONE


@dataclass(frozen=True)
class ContainerInfo:
    """One harness container as ``sandbox status`` shows it."""

    name: str
    short_id: str
    image: str
    owner: str
    state: str
    age_s: float | None
    status: str

    def line(self) -> str:
        owner = self.owner or "-"
        return (f"{self.name} {self.short_id} {self.image} owner={owner} ({self.state}) "
                f"age={format_age(self.age_s)} {self.status}")


def format_age(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _age_s(created: str) -> float | None:
    """Docker's ``Created`` has nanoseconds, which ``fromisoformat`` does not take."""
    try:
        head, _, frac = created.rstrip("Z").partition(".")
        stamp = datetime.fromisoformat(head + "+00:00").timestamp() + float(f"0.{frac or 0}")
    except ValueError:
        return None
    return time.time() - stamp


def list_containers(client: Any) -> list[Any]:
    return client.containers.list(all=True, filters={"label": LABEL})


def describe(container: Any, host: str | None = None) -> ContainerInfo:
    attrs = container.attrs
    owner = container.labels.get(OWNER_LABEL, "")
    return ContainerInfo(name=container.name, short_id=container.short_id,
                         image=attrs.get("Config", {}).get("Image", "?"), owner=owner,
                         state=owner_state(owner, host), age_s=_age_s(attrs.get("Created", "")),
                         status=container.status)


def remove_leftovers(client: Any, everything: bool = False) -> int:
    """Remove the containers whose owner is gone (``everything``: all of them); returns how many.

    A container that vanishes meanwhile (its owner removed it) is not an error."""
    removed = 0
    host = socket.gethostname()
    for c in list_containers(client):
        if everything or owner_state(c.labels.get(OWNER_LABEL, ""), host) == GONE:
            try:
                c.remove(force=True)
                removed += 1
            except Exception:  # noqa: BLE001
                pass
    return removed
