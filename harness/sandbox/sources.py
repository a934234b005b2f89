"""Where the sandbox image's sources are: in a source checkout, an editable install or a wheel.

``sandbox_image/`` (the exec server and what it runs; it imports nothing of the harness) is a
top-level package of its own, shipped in the wheel beside ``harness/``. It is a namespace
package, without ``__init__.py``, on purpose: the image tag hashes every file in it and the
image copies all of them, so it ships whole and unchanged. ``Dockerfile.sandbox`` stays at the
checkout's root and ships as package data of ``harness.sandbox`` (in the checkout a symlink to
the root file; the wheel holds the file itself).

Both are found through the import system, never by walking up from this file, so every layout
gives the same files, under the same names, and so the same image tag.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
from pathlib import Path

from harness.sandbox.errors import SandboxError

SANDBOX_PACKAGE = "sandbox_image"
EXEC_SERVER = "exec_server.py"
DOCKERFILE = "Dockerfile.sandbox"


def sandbox_dir() -> Path:
    """The ``sandbox_image`` directory that ``import sandbox_image.exec_server`` would use."""
    try:
        spec = importlib.util.find_spec(f"{SANDBOX_PACKAGE}.{EXEC_SERVER.removesuffix('.py')}")
    except ImportError:  # no sandbox_image package at all
        spec = None
    if spec is not None and spec.origin and Path(spec.origin).is_file():
        return Path(spec.origin).resolve().parent
    # An editable install made before sandbox_image was a package does not map it: the
    # checkout's layout still finds it beside harness/.
    beside = Path(__file__).resolve().parents[2] / SANDBOX_PACKAGE
    if (beside / EXEC_SERVER).is_file():
        return beside
    raise SandboxError(f"the sandbox sources ({SANDBOX_PACKAGE}/{EXEC_SERVER}) are not "
                       "installed: reinstall the harness (pip install -e . in a checkout)")


def exec_server_path() -> Path:
    return sandbox_dir() / EXEC_SERVER


def dockerfile_path() -> Path:
    dockerfile = importlib.resources.files("harness.sandbox").joinpath(DOCKERFILE)
    if not isinstance(dockerfile, Path) or not dockerfile.is_file():
        raise SandboxError(f"{DOCKERFILE} is not installed as a file beside "
                           "harness/sandbox/: reinstall the harness (unzipped)")
    return dockerfile


def source_files() -> list[tuple[str, Path]]:
    """What goes into the image from the host, named as in the checkout and the build context.

    The Dockerfile first, then every file under ``sandbox_image/`` (bytecode caches left out),
    sorted: the order and names the image tag's content hash has always used.
    """
    root = sandbox_dir()
    files = sorted(p for p in root.rglob("*")
                   if p.is_file() and "__pycache__" not in p.relative_to(root).parts)
    return [(DOCKERFILE, dockerfile_path())] + [
        (f"{SANDBOX_PACKAGE}/{p.relative_to(root).as_posix()}", p) for p in files]
