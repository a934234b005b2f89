"""The host's validation of what a sandbox sends back (pure logic, no Docker).

A scripted transport stands in for the server's socket: the bytes it returns are exactly what a
hostile program or a broken server could put on the wire, and the host must turn each of them
into verdicts or a lost worker, never into an exception out of ``pool.run``.
"""

from __future__ import annotations

import random
import struct

import orjson
import pytest

from harness.sandbox.limits import OUTPUT_CAPS, Limits, OutputCaps
from harness.sandbox.pool import WorkerPool
from harness.sandbox.protocol import (
    MAX_FRAME,
    NONCE_BYTES,
    Batch,
    ProtocolError,
    ResultAssembler,
    WorkerLost,
    check_output,
)
from harness.sandbox.results import ProgramResult
from harness.sandbox.worker import Worker


def chunk(a, b, body):
    return struct.pack(">ii", a, b) + orjson.dumps(body)


def test_assembles_values_and_errors():
    asm = ResultAssembler(3)
    asm.add_chunk(chunk(0, 2, {"v": ["1", None], "e": {"1": ["timeout", "slow"]}}))
    asm.add_chunk(chunk(2, 3, {"v": [[[1, 2]]], "e": {}}))
    result = asm.result({"cpu_s": 0.1})
    assert [v.verdict for v in result.verdicts] == ["ok", "timeout", "ok"]
    assert result.verdicts[2].output == [[1, 2]]


def test_missing_slot_is_a_crash_never_success():
    asm = ResultAssembler(2)
    asm.add_chunk(chunk(0, 1, {"v": ["1"], "e": {}}))
    assert [v.verdict for v in asm.result({}).verdicts] == ["ok", "crash"]


@pytest.mark.parametrize("bad", [
    chunk(0, 5, {"v": ["1"] * 5, "e": {}}),  # beyond n
    chunk(0, 2, {"v": ["1"], "e": {}}),  # wrong length
    chunk(0, 1, {"v": ["1"], "e": {"0": ["ok", "fake"]}}),  # not an error kind
    chunk(0, 1, {"v": ["1"], "e": {"7": ["crash", ""]}}),  # index outside chunk
    chunk(0, 1, {"v": [None], "e": {"\u00b2": ["crash", "x"]}}),  # a digit int() refuses
    chunk(0, 1, {"v": [None], "e": {"\u0661": ["crash", "x"]}}),  # Arabic-Indic one
    chunk(0, 1, {"v": [None], "e": {"0": [["crash"], "x"]}}),  # unhashable kind
    chunk(-2, -2, {"cpu_s": "x"}),  # an end frame forged inside the chunk stream
    struct.pack(">ii", 0, 1) + b"\x80not json",
    struct.pack(">ii", 0, 1) + b'{"v":["ok\\ud800"],"e":{}}',  # lone surrogate
    chunk(-1, -1, {"fatal": ["ok", "x"]}),
    chunk(-1, -1, {"fatal": [{}, "x"]}),
    b"\x00\x00",
])
def test_rejects_malformed_chunks(bad):
    asm = ResultAssembler(3)
    with pytest.raises(ProtocolError):
        asm.add_chunk(bad)


def test_an_input_answered_twice_is_a_protocol_error():
    asm = ResultAssembler(2)
    asm.add_chunk(chunk(0, 1, {"v": ["1"], "e": {}}))
    with pytest.raises(ProtocolError):
        asm.add_chunk(chunk(0, 2, {"v": ["0", "0"], "e": {}}))


def test_outputs_must_be_plain_and_bounded():
    assert check_output([[1, 2], [3, 4]])[0] is None
    assert check_output({"a": 1})[0] is not None
    seven = [[[[[[[1]]]]]]]
    assert check_output(seven)[0] is None
    assert check_output([[[[[[[[seven]]]]]]]])[0] == "output nested too deeply"
    assert check_output([seven])[0] is None  # 8 lists deep: the same cap as the child's


def test_the_host_keeps_a_bounded_amount_of_output_per_program():
    caps = OutputCaps(retained_bytes=10_000)
    asm = ResultAssembler(4, caps)
    asm.add_chunk(chunk(0, 4, {"v": [list(range(100))] * 4, "e": {}}))
    kinds = [v.verdict for v in asm.result({}).verdicts]
    assert kinds[0] == "ok" and "invalid_output" in kinds


def test_stats_are_sanitised_not_trusted():
    asm = ResultAssembler(1)
    asm.add_chunk(chunk(0, 1, {"v": ["1"], "e": {}}))
    result = asm.result({"cpu_s": "x", "wall_s": float("nan"), "children": "9",
                         "child_ms": {"a": "b"}})
    assert result.cpu_s == 0.0 and result.wall_s == 0.0 and result.stats["children"] == 0


def test_batch_id_is_content_hash():
    assert Batch.of(["01", "10"]).id == Batch.of(["01", "10"]).id
    assert Batch.of(["01", "10"]).id != Batch.of(["10", "01"]).id


# ------------------------------------------------------------------ a scripted server


class ScriptedTransport:
    """Answers each request with frames made by ``respond(request_bytes, nonce)``."""

    name = "scripted"

    def __init__(self, respond):
        self.respond = respond
        self.buf = bytearray()

    def send(self, data: bytes) -> None:
        nonce = data[4:4 + NONCE_BYTES]
        (meta_len,) = struct.unpack_from(">I", data, 4 + NONCE_BYTES)
        meta = orjson.loads(data[8 + NONCE_BYTES:8 + NONCE_BYTES + meta_len])
        self.buf += self.respond(meta, nonce)

    def recv_exact(self, n: int, deadline: float) -> bytes:
        if len(self.buf) < n:
            raise WorkerLost("scripted server has nothing more to say")
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def buffered(self) -> int:
        return len(self.buf)

    def alive(self) -> bool:
        return True

    def close(self) -> None:
        pass


def server_frame(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload) + 1) + kind + payload


def honest(meta, nonce, chunks=None):
    if meta["op"] != "run":
        return server_frame(b"J", nonce + b'{"ok":true}')
    body = chunks if chunks is not None else server_frame(b"C", chunk(0, 2, {"v": ["1", "0"],
                                                                           "e": {}}))
    return body + server_frame(b"H", b"") + server_frame(
        b"D", nonce + orjson.dumps({"cpu_s": 0.01, "wall_s": 0.02}))


def run_scripted(respond, n=2):
    worker = Worker(ScriptedTransport(respond))
    return worker.run("def f(x):\n    return x\n", Batch.of(["a", "b"][:n]), None, Limits())


def test_an_honest_script_gives_the_outputs():
    result = run_scripted(honest)
    assert result.outputs == ["1", "0"]


def test_a_malformed_chunk_is_the_programs_crash_and_the_worker_stays():
    bad = server_frame(b"C", chunk(0, 1, {"v": [None], "e": {"\u00b2": ["crash", "x"]}}))
    result = run_scripted(lambda m, n: honest(m, n, chunks=bad))
    assert {v.verdict for v in result.verdicts} == {"crash"}
    assert "malformed result from the program" in result.verdicts[0].detail


def test_a_reply_without_the_requests_nonce_is_refused():
    def replay(meta, nonce):
        return honest(meta, bytes(NONCE_BYTES))
    with pytest.raises(ProtocolError):
        run_scripted(replay)


def test_bytes_after_the_end_of_a_run_mean_someone_else_wrote():
    def extra(meta, nonce):
        return honest(meta, nonce) + (server_frame(b"H", b"") if meta["op"] == "run" else b"")
    with pytest.raises(ProtocolError):
        run_scripted(extra)


def test_an_oversized_frame_is_refused_before_it_is_read():
    def huge(meta, nonce):
        if meta["op"] != "run":
            return honest(meta, nonce)
        return struct.pack(">I", MAX_FRAME + 1) + b"C"  # the rest never arrives
    with pytest.raises(ProtocolError):
        run_scripted(huge)


def mutations(rng: random.Random, good: bytes) -> bytes:
    data = bytearray(good)
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(5)
        pos = rng.randrange(len(data)) if data else 0
        if op == 0 and data:
            data[pos] = rng.randrange(256)
        elif op == 1:
            data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 2 and data:
            del data[pos:pos + rng.randint(1, 8)]
        elif op == 3:
            data[pos:pos] = rng.choice([b"\xff\xff\xff\xff", b"\\ud800", b"\xb2", b"-1",
                                        b'"e":{"9":["ok",1]}', b"[[[[[[[[[[", b"1e999"])
        else:
            data[pos:pos] = struct.pack(">ii", rng.randint(-3, 5), rng.randint(-3, 5))
    return bytes(data)


def test_fuzzed_frames_never_raise_anything_but_protocol_errors():
    """Random and mutated server byte streams: the host either assembles verdicts (every one a
    known kind) or declares the worker lost; nothing else escapes, and nothing is ok unless a
    well-formed chunk said so."""
    rng = random.Random(1234)
    outcomes = {"result": 0, "lost": 0}
    for trial in range(3000):
        def respond(meta, nonce, trial=trial):
            good = honest(meta, nonce)
            if meta["op"] != "run":
                return good
            if trial % 3 == 0:
                return bytes(rng.randrange(256) for _ in range(rng.randint(0, 64)))
            if trial % 3 == 1:  # a well-framed chunk whose content is mutated
                body = mutations(rng, chunk(0, 2, {"v": ["1", [0]], "e": {"1": ["crash", ""]}}))
                return honest(meta, nonce, chunks=server_frame(b"C", body))
            return mutations(rng, good)
        try:
            result = run_scripted(respond)
        except (ProtocolError, WorkerLost):
            outcomes["lost"] += 1
            continue
        outcomes["result"] += 1
        assert isinstance(result, ProgramResult) and len(result.verdicts) == 2
        for v in result.verdicts:
            assert v.verdict in ("ok", "syntax", "restricted", "exception", "timeout", "memory",
                                 "invalid_output", "crash")
            assert v.verdict != "ok" or check_output(v.output)[0] is None
    assert outcomes["result"] > 100 and outcomes["lost"] > 100


class ScriptedFactory:
    kind = "scripted"

    def __init__(self, respond):
        self.respond = respond
        self.created = 0

    def create(self):
        self.created += 1
        worker = Worker(ScriptedTransport(self.respond))
        return worker

    def destroy(self, worker):
        pass

    def describe(self):
        return {}


@pytest.mark.parametrize("garbage", [
    b"", b"\x00\x00\x00\x05Jxxxx", b"\xff" * 64,
    server_frame(b"D", b"{}"),  # an end without a nonce
])
def test_pool_run_never_raises_for_what_a_server_sends(garbage):
    def respond(meta, nonce):
        return honest(meta, nonce) if meta["op"] != "run" else garbage
    pool = WorkerPool(ScriptedFactory(respond), size=1)
    result = pool.run("def f(x):\n    return x\n", ["a", "b"])
    assert [v.verdict for v in result.verdicts] == ["crash", "crash"]
    assert result.retried and pool.replaced == 2
    pool.close()


def test_one_caps_set_is_sent_to_the_child():
    assert OUTPUT_CAPS.wire() == {"depth": OUTPUT_CAPS.depth,
                                  "frame_bytes": OUTPUT_CAPS.frame_bytes,
                                  "total_bytes": OUTPUT_CAPS.total_bytes}
    assert MAX_FRAME > OUTPUT_CAPS.frame_bytes + 8  # host >= child
