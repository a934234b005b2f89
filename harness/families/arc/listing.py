"""The order in which the seed tool saw a split's task files: how its subsets break size ties.

The seed ranked tasks by a stable sort on size over the file names as `os.listdir` returned them.
Its lists were made on macOS, whose file system (APFS, case-insensitive by default) returns a
directory's entries in the order of its catalogue B-tree, keyed by a 22-bit hash of each name:
the CRC-32C (Castagnoli) of the name in UTF-32LE, complemented, low 22 bits. So within equal
sizes the seed's order is the order of `listing_hash(f"{task_id}.json")`; a tie of hashes falls
back to the name. Checked against every list the seed published (tests/test_arc_subsets.py):
all 52 come out exactly (ties broken by task id instead: 28 differ, 15 in membership).

The hash is computed on the name as APFS stores it: Unicode NFD, case-folded. ARC task ids are
lowercase hex, so that normalisation is the identity for every packaged task; for other names
Python's case folding stands in for APFS's own (the order of a user's non-ASCII ids may differ).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

_CRC32C_POLY = 0x82F63B78  # Castagnoli, reflected
_HASH_BITS = 22


def _crc32c_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _CRC32C_POLY if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    """Standard CRC-32C of `data` (check value: crc32c(b"123456789") == 0xE3069283)."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


@lru_cache(maxsize=4096)
def listing_hash(file_name: str) -> int:
    """The 22-bit APFS directory hash of `file_name` (see the module docstring)."""
    name = unicodedata.normalize("NFD", file_name).casefold()
    return ~crc32c(name.encode("utf-32-le")) & ((1 << _HASH_BITS) - 1)


def listing_key(task_id: str) -> tuple[int, str]:
    """Sort key of a task in the seed's directory listing (its file is `<task_id>.json`)."""
    name = f"{task_id}.json"
    return listing_hash(name), name
