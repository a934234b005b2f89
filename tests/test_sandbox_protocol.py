"""The host's validation of what a sandbox sends back (pure logic, no Docker)."""

from __future__ import annotations

import struct

import orjson
import pytest

from harness.sandbox.protocol import Batch, ProtocolError, ResultAssembler, check_output


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
    struct.pack(">ii", 0, 1) + b"\x80not json",
    chunk(-1, -1, {"fatal": ["ok", "x"]}),
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
    assert check_output([[1, 2], [3, 4]]) is None
    assert check_output({"a": 1}) is not None
    assert check_output([[[[[[[[1]]]]]]]]) is not None
    assert check_output("x" * 300_000) is not None


def test_batch_id_is_content_hash():
    assert Batch.of(["01", "10"]).id == Batch.of(["01", "10"]).id
    assert Batch.of(["01", "10"]).id != Batch.of(["10", "01"]).id
