"""Exceptions that carry a message meant for the user (printed as one line, exit code 2)."""


class UserError(Exception):
    """A mistake in what the user asked for: bad flag, missing file, malformed data."""
