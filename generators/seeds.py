"""The derived per-grid-point seed rule, shared with the published research code.

Keeping the exact rule means a cache directory name (`seed<derived>`) identifies the same data as
the original experiments for the same arguments.
"""

import hashlib


def derived_seed(fn: str, L: int, train_plus_val: int, test: int, base_seed: int) -> int:
    """First 8 bytes (big-endian) of SHA-256 of the grid-point key, masked to 31 bits."""
    key = f"{fn}|L={L}|train={train_plus_val}|test={test}|base_seed={base_seed}"
    digest = hashlib.sha256(key.encode("ascii")).digest()
    return int.from_bytes(digest[:8], "big") & 0x7FFFFFFF
