"""Shared fixtures. Docker is required: a missing daemon or image fails the suite loudly."""

from __future__ import annotations

import os

import pytest

# A secret in the host environment that no program may ever see.
os.environ.setdefault("HARNESS_TEST_SECRET", "s3cr3t-host-value")
# A developer's own .env (keys, a model) must not reach the commands the tests invoke; the tests
# of .env loading name their files.
os.environ["HARNESS_ENV_FILE"] = "none"


@pytest.fixture(scope="session")
def docker_pool():
    from harness.errors import UserError
    from harness.sandbox.backend import make_backend

    try:
        pool = make_backend("docker", workers=2)
    except UserError as exc:
        pytest.fail(f"Docker sandbox unavailable (run `make sandbox`): {exc}", pytrace=False)
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def process_pool():
    """Only for trusted, legitimate programs: the process backend does not contain hostile code."""
    from harness.sandbox.backend import make_backend

    pool = make_backend("process", workers=1, warn=lambda _m: None)
    yield pool
    pool.close()


@pytest.fixture
def oracle_server():
    """A mock model server answering with oracle programs (seed 3), stopped afterwards."""
    from harness.mock.server import MockServer

    with MockServer("oracle", seed=3) as server:
        yield server
