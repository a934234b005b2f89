"""Where the CPU of a stream of programs goes: the pool's containers (exec servers and the
children they fork), this process, and the daemons that carry Docker's attach streams.

Under full load throughput is bounded by CPU, not by waiting: programs/s can be at most the
machine's cores divided by the CPU seconds one program costs across all of these. ``make
bench`` prints that split so the bound is a measured figure, not a guess.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

#: Processes outside the containers that move every request and reply (Docker's attach path).
DAEMONS = ("dockerd", "containerd-shim", "containerd")
_CGROUP_FILES = (  # cgroup v1 (cpuacct), then v2 (systemd driver, cgroupfs driver)
    ("/sys/fs/cgroup/cpuacct/docker/{id}/cpuacct.usage", 1e-9),
    ("/sys/fs/cgroup/system.slice/docker-{id}.scope/cpu.stat", 1e-6),
    ("/sys/fs/cgroup/docker/{id}/cpu.stat", 1e-6),
)
_TICK = os.sysconf("SC_CLK_TCK")


def container_cpu_s(container_ids: Iterable[str]) -> float | None:
    """CPU seconds the containers used so far (their cgroups'), None where unreadable."""
    total = 0.0
    for cid in container_ids:
        for pattern, scale in _CGROUP_FILES:
            path = Path(pattern.format(id=cid))
            try:
                text = path.read_text()
            except OSError:
                continue
            if path.name == "cpu.stat":
                fields = dict(line.split() for line in text.splitlines() if " " in line)
                total += int(fields.get("usage_usec", 0)) * scale
            else:
                total += int(text) * scale
            break
        else:
            return None
    return total


def daemon_cpu_s() -> dict[str, float]:
    """CPU seconds used so far by the live processes named in DAEMONS, by name."""
    out = dict.fromkeys(DAEMONS, 0.0)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.find("(") + 1:text.rfind(")")]
        if name in out:
            fields = text[text.rfind(")") + 2:].split()
            out[name] += (int(fields[11]) + int(fields[12])) / _TICK
    return out


def own_cpu_s() -> float:
    t = os.times()
    return t.user + t.system


class CpuMeter:
    """Reads every counter at ``start`` and again at ``stop``; the differences, per program, are
    the split."""

    def __init__(self, container_ids: Iterable[str]) -> None:
        self.ids = list(container_ids)
        self._start: dict[str, float | None] = {}

    def _read(self) -> dict[str, float | None]:
        values: dict[str, float | None] = {"containers (servers + children)":
                                           container_cpu_s(self.ids),
                                           "host (this process)": own_cpu_s()}
        values.update(daemon_cpu_s())
        return values

    def start(self) -> None:
        self._start = self._read()

    def stop(self, programs: int) -> dict[str, float]:
        """Milliseconds of CPU per program, by part, since ``start``."""
        end = self._read()
        return {k: 1000 * (v - self._start[k]) / programs for k, v in end.items()
                if v is not None and self._start.get(k) is not None}
