"""``make bench``: the pool against the in-process floor and the usual ways of running programs.

(a) one parity program over 10,000 100-bit strings, under both policies; (b) 1,000 tiny ARC
``transform`` programs on one 10x10 grid, with the CPU each costs under full load; (c) the
default dataset grid. Ways: in-process ``exec`` (no isolation: the physical floor), our docker
pool, a fresh process per program (how human-eval/EvalPlus run), a fresh container per program.
Then, when Docker knows gVisor's runtime, the same pool under runsc next to runc, and issue 11's
targets next to what was measured. Prints figures and ratios; never asserts (speed is not a
test).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from harness.bench.cpu import CpuMeter
from harness.bench.decompose import decompose
from harness.bench.decompose import table as decomposition_table
from harness.bench.memory import PeakMemory
from harness.sandbox.backend import make_backend
from harness.sandbox.limits import Limits

#: Every figure of the last run, for comparing runs and machines (ignored by git).
BENCH_JSON = Path("bench.json")
PARITY = "def f(x):\n    return str(x.count('1') % 2)\n"
RUNNER = (
    "import json, sys\n"
    "req = json.loads(sys.stdin.read())\n"
    "g = {}\n"
    "exec(req['source'], g)\n"
    "fn = g[req['entry']]\n"
    "print(json.dumps([fn(x) for x in req['inputs']]))\n"
)


def tiny_program(k: int) -> str:
    return f"def transform(grid):\n    return [[(c + {k}) % 10 for c in row] for row in grid]\n"


def in_process(source: str, entry: str, inputs: list) -> list:
    g: dict = {}
    exec(source, g)  # noqa: S102 - trusted benchmark programs only
    fn = g[entry]
    return [fn(x) for x in inputs]


def fresh_process(source: str, entry: str, inputs: list) -> list:
    proc = subprocess.run([sys.executable, "-c", RUNNER], capture_output=True, text=True,
                          input=json.dumps({"source": source, "entry": entry, "inputs": inputs}))
    return json.loads(proc.stdout)


def fresh_container(factory, source: str, entry: str, inputs: list) -> list:  # noqa: ANN001
    kw = factory.container_kwargs()
    kw.update(command=["python3", "-c", RUNNER], detach=True, stdin_open=True)
    container = factory.client.containers.create(**{k: v for k, v in kw.items()
                                                    if k != "detach"})
    try:
        sock = factory.client.api.attach_socket(container.id, params={
            "stdin": 1, "stdout": 1, "stream": 1})
        container.start()
        raw = getattr(sock, "_sock", sock)
        raw.sendall(json.dumps({"source": source, "entry": entry, "inputs": inputs}).encode())
        raw.shutdown(1)
        data = b""
        while chunk := raw.recv(1 << 20):
            data += chunk
        out, i = b"", 0
        while i + 8 <= len(data):
            size = int.from_bytes(data[i + 4:i + 8], "big")
            if data[i] == 1:
                out += data[i + 8:i + 8 + size]
            i += 8 + size
        return json.loads(out)
    finally:
        container.remove(force=True)


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


#: Issue 11's targets: (label, figure key, bound, "max" or "min").
TARGETS: tuple[tuple[str, str, float, str], ...] = (
    ("(a) parity, --policy standard, × floor", "parity_ratio", 1.2, "max"),
    ("(a) parity, --policy strict, × floor", "strict_ratio", 1.4, "max"),
    ("(b) tiny program p50, one caller, ms", "seq_p50_ms", 1.0, "max"),
    ("(b) tiny programs/s, full load", "rate", 1000.0, "min"),
    ("(c) default dataset grid, s", "grid_s", 3.0, "max"),
)


def main() -> None:
    console = Console()
    peak = PeakMemory().__enter__()  # the harness's own resident set, whole bench
    rng = random.Random(0)
    bits = ["".join(rng.choice("01") for _ in range(100)) for _ in range(10_000)]
    grid = [[rng.randrange(10) for _ in range(10)] for _ in range(10)]
    expected = in_process(PARITY, "f", bits)

    pool = make_backend("docker")
    factory = pool.factory
    try:
        batch = pool.batch(bits)
        pool.run(PARITY, batch)  # caches the batch in each worker it lands on
        pool.run(PARITY, batch)
        parity_samples: list[tuple[float, dict]] = []
        floor, standard, strict = parity_rounds(pool, batch, bits, expected, parity_samples)
        a_rows = {
            "in-process exec (floor)": floor,
            "docker pool (ours), --policy standard": standard,
            "docker pool (ours), --policy strict": strict,
            "fresh process per program": statistics.median(
                timed(lambda: fresh_process(PARITY, "f", bits), 5)),
            "fresh container per program": statistics.median(
                timed(lambda: fresh_container(factory, PARITY, "f", bits), 3)),
        }

        # (b) 1,000 distinct tiny programs
        programs = [tiny_program(k) for k in range(1000)]
        gbatch = pool.batch([grid])
        pool.run(programs[0], gbatch)
        pool.run(programs[1], gbatch)

        def measure(call: Callable[[str], object], count: int, threads: int) -> tuple:
            lat: list[float] = []

            def one(src: str) -> None:
                t = time.perf_counter()
                call(src)
                lat.append(time.perf_counter() - t)

            t0 = time.perf_counter()
            with ThreadPoolExecutor(max_workers=threads) as ex:
                list(ex.map(one, programs[:count]))
            total = time.perf_counter() - t0
            return count / total, statistics.median(lat), _p95(lat), count

        tiny_samples: list[tuple[float, dict]] = []

        def sequential_latency(count: int = 300) -> tuple[float, float]:
            lat = []
            for src in programs[:count]:
                t = time.perf_counter()
                result = pool.run(src, gbatch)
                lat.append(time.perf_counter() - t)
                tiny_samples.append((lat[-1], result.stats))
            return statistics.median(lat), _p95(lat)

        seq_p50, seq_p95 = sequential_latency()
        meter = CpuMeter(factory.container_ids())
        meter.start()
        pool_load = measure(lambda s: pool.run(s, gbatch), 1000, pool.size)
        cpu = meter.stop(programs=1000)
        b_rows = {
            "in-process exec (floor)": measure(lambda s: in_process(s, "transform", [grid]),
                                               1000, 1),
            "docker pool (ours)": pool_load,
            "fresh process per program": measure(
                lambda s: fresh_process(s, "transform", [grid]), 100, pool.size),
            "fresh container per program": measure(
                lambda s: fresh_container(factory, s, "transform", [grid]), 10, pool.size),
        }
    finally:
        pool.close()
    grid_s = dataset_grid_seconds(console)

    floor_a = a_rows["in-process exec (floor)"]
    table = Table(title="(a) parity over 10,000 100-bit strings (medians; the pool's runs "
                  "interleaved with the floor's)")
    table.add_column("way")
    table.add_column("ms", justify="right")
    table.add_column("× floor", justify="right")
    for way, secs in a_rows.items():
        table.add_row(way, f"{secs * 1000:.1f}", f"{secs / floor_a:.2f}")
    console.print(table)

    floor_b = b_rows["in-process exec (floor)"]
    table = Table(title=f"(b) tiny ARC transform programs on one 10x10 grid ({pool.size} workers)")
    for col in ("way", "programs", "programs/s", "p50 ms", "p95 ms", "p50 × floor"):
        table.add_column(col, justify="right" if col != "way" else "left")
    for way, (rate, p50, p95, count) in b_rows.items():
        table.add_row(way, str(count), f"{rate:.0f}", f"{p50 * 1000:.2f}", f"{p95 * 1000:.2f}",
                      f"{p50 / floor_b[1]:.0f}")
    console.print(table)
    console.print(
        f"docker pool, one caller at a time (latency without queueing): p50 "
        f"{seq_p50 * 1000:.2f} ms, p95 {seq_p95 * 1000:.2f} ms")
    console.print(cpu_table(cpu, pool.size))
    tiny_parts, parity_parts = decompose(tiny_samples), decompose(parity_samples)
    console.print(decomposition_table("one tiny program, one caller: where the time goes",
                                      tiny_parts))
    console.print(decomposition_table("parity over 10,000 inputs: where the time goes",
                                      parity_parts))
    measured = {"parity_ratio": standard / floor_a, "strict_ratio": strict / floor_a,
                "seq_p50_ms": seq_p50 * 1000, "rate": pool_load[0], "grid_s": grid_s}
    console.print(targets_table(measured))
    runc = {"parity": standard, "seq_p50": seq_p50, "seq_p95": seq_p95,
            "rate": pool_load[0], "load_p50": pool_load[1]}
    runsc = gvisor_table(console, bits, expected, grid, programs, runc)
    figures = {
        "parity_10k": {way: round(secs * 1000, 3) for way, secs in a_rows.items()},
        "parity_ratio_to_floor": round(standard / floor_a, 3),
        "strict_ratio_to_floor": round(strict / floor_a, 3),
        "tiny": {way: {"programs_per_s": round(rate, 1), "p50_ms": round(p50 * 1000, 3),
                       "p95_ms": round(p95 * 1000, 3), "programs": count}
                 for way, (rate, p50, p95, count) in b_rows.items()},
        "tiny_sequential_ms": {"p50": round(seq_p50 * 1000, 3), "p95": round(seq_p95 * 1000, 3)},
        "tiny_cpu_ms_per_program": _rounded(cpu),
        "dataset_grid_s": None if grid_s is None else round(grid_s, 2),
        "decomposition_ms": {"tiny": _rounded(tiny_parts), "parity_10k": _rounded(parity_parts)},
        "targets": {key: {"bound": bound, "measured": None if measured[key] is None
                          else round(measured[key], 3)} for _l, key, bound, _k in TARGETS},
        "runsc": runsc,
    }
    peak.__exit__(None, None, None)
    figures["harness_peak_rss_mb"] = round(peak.mb, 1)
    console.print(f"harness process peak memory (resident, sampled): {peak.mb:.0f} MB")
    BENCH_JSON.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    console.print(f"figures written to {BENCH_JSON}")


def parity_rounds(pool: Any, batch: Any, bits: list, expected: list,
                  samples: list[tuple[float, dict]], rounds: int = 20) -> tuple[float, ...]:
    """Medians of (floor, pool standard, pool strict), measured side by side in each round, so
    that the machine's drift (other load, frequency) reaches all three alike."""
    standard_limits, strict_limits = Limits(), Limits(policy="strict")
    times: tuple[list[float], list[float], list[float]] = ([], [], [])
    for _ in range(rounds):
        t = time.perf_counter()
        in_process(PARITY, "f", bits)
        times[0].append(time.perf_counter() - t)
        for limits, into in ((standard_limits, times[1]), (strict_limits, times[2])):
            t = time.perf_counter()
            result = pool.run(PARITY, batch, limits=limits)
            into.append(time.perf_counter() - t)
            assert result.outputs == expected
            if limits is standard_limits:
                samples.append((into[-1], result.stats))
    return tuple(statistics.median(t) for t in times)


def dataset_grid_seconds(console: Console) -> float | None:
    """Wall time of the default grid (``harness datasets generate``, default flags) into a
    scratch directory, as a user runs it."""
    with tempfile.TemporaryDirectory(prefix="bench-grid-") as tmp:
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", "from harness.cli.main import main; main()",
                               "datasets", "generate", "--dataset-dir", tmp],
                              capture_output=True, text=True)
        seconds = time.perf_counter() - t
    if proc.returncode != 0:
        console.print(f"(c) dataset grid: failed ({proc.stderr.strip()[-200:]})")
        return None
    console.print(f"(c) default dataset grid (harness datasets generate): {seconds:.1f} s")
    return seconds


def cpu_table(cpu_ms: dict[str, float], workers: int) -> Any:
    """CPU per tiny program under full load, by where it was spent, and the rate it allows."""
    total = sum(cpu_ms.values())
    cores = os.cpu_count() or 1
    table = Table(title=f"(b) CPU per tiny program under full load ({workers} workers, "
                  f"{cores} cores)")
    table.add_column("where")
    table.add_column("ms CPU / program", justify="right")
    for where, ms in cpu_ms.items():
        table.add_row(where, f"{ms:.2f}")
    table.add_row("total", f"{total:.2f}")
    if total > 0:
        table.add_row(f"bound: {cores} cores / total", f"{1000 * cores / total:.0f} programs/s")
    return table


def targets_table(measured: dict[str, float | None]) -> Any:
    table = Table(title="issue 11's targets on this machine")
    for col in ("figure", "target", "measured", "met"):
        table.add_column(col, justify="left" if col == "figure" else "right")
    for label, key, bound, kind in TARGETS:
        value = measured[key]
        if value is None:
            table.add_row(label, f"{bound:g}", "-", "-")
            continue
        met = value <= bound if kind == "max" else value >= bound
        sign = "≤" if kind == "max" else "≥"
        table.add_row(label, f"{sign} {bound:g}", f"{value:.2f}", "yes" if met else "no")
    return table


def _rounded(parts: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 3) for k, v in parts.items()}


def gvisor_table(console: Console, bits: list, expected: list, grid: list, programs: list[str],
                 runc: dict[str, float]) -> dict[str, float] | None:
    """The pool under gVisor (runsc), measured the same way, next to the runc figures."""
    from harness.errors import UserError
    from harness.sandbox.docker_pool import docker_runtimes
    from harness.sandbox.image import docker_client

    if "runsc" not in docker_runtimes(docker_client()):
        console.print("gVisor (runsc): skipped, Docker does not know the runsc runtime "
                      "(`make sandbox RUNTIME=runsc` installs and registers it)")
        return None
    try:
        pool = make_backend("docker", runtime="runsc")
    except UserError as exc:
        console.print(f"gVisor (runsc): skipped, {exc}")
        return None
    try:
        batch = pool.batch(bits)
        pool.run(PARITY, batch)
        pool.run(PARITY, batch)

        def parity() -> None:
            assert pool.run(PARITY, batch).outputs == expected

        gbatch = pool.batch([grid])
        for src in programs[:2]:
            pool.run(src, gbatch)
        lat: list[float] = []
        for src in programs[:200]:
            t = time.perf_counter()
            pool.run(src, gbatch)
            lat.append(time.perf_counter() - t)
        load: list[float] = []

        def one(src: str) -> None:
            t = time.perf_counter()
            pool.run(src, gbatch)
            load.append(time.perf_counter() - t)

        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=pool.size) as ex:
            list(ex.map(one, programs[:300]))
        rate = 300 / (time.perf_counter() - t0)
        runsc = {"parity": statistics.median(timed(parity, 10)),
                 "seq_p50": statistics.median(lat), "seq_p95": _p95(lat), "rate": rate,
                 "load_p50": statistics.median(load)}
    finally:
        pool.close()
    table = Table(title=f"docker pool under gVisor (runsc) vs runc ({pool.size} workers)")
    for col in ("figure", "runc", "runsc", "runsc / runc"):
        table.add_column(col, justify="right" if col != "figure" else "left")
    rows = (("(a) parity, 10,000 inputs, ms", "parity", 1000),
            ("(b) tiny program p50, one caller, ms", "seq_p50", 1000),
            ("(b) tiny program p95, one caller, ms", "seq_p95", 1000),
            ("(b) tiny program p50 under load, ms", "load_p50", 1000),
            ("(b) throughput, programs/s", "rate", 1))
    for label, key, scale in rows:
        table.add_row(label, f"{runc[key] * scale:.1f}", f"{runsc[key] * scale:.1f}",
                      f"{runsc[key] / runc[key]:.2f}")
    console.print(table)
    return {key: round(v * (1 if key == "rate" else 1000), 3) for key, v in runsc.items()}


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


if __name__ == "__main__":
    main()
