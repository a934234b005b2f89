"""The one exception the generators raise for requests that cannot be met.

The generators must not import the harness, so they carry their own error type; the CLI turns it
into a one-line user message.
"""


class DatasetError(ValueError):
    """A dataset request that cannot be satisfied (bad function id, odd size, missing raw file)."""
