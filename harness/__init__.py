"""Sandbox-first evaluation harness for LLM program synthesis.

The ``harness.*`` loggers say nothing unless a program asks: the CLI shows them on stderr from
``--log-level`` (``LOG_LEVEL``) up; a script that imports the harness configures them itself.
"""

import logging

logging.getLogger("harness").addHandler(logging.NullHandler())
