"""Build the sandbox image, offline if need be, and only when its inputs changed.

The tag carries a content hash of everything that goes into the image (Dockerfile, exec server,
requirements), so a rebuild happens exactly when one of them changes. Those files are found
through the import system (harness/sandbox/sources.py), so an installed wheel builds the same
image, under the same tag, as the checkout. Without a registry the
base image cannot be pulled: then a Debian minbase root with python3 is bootstrapped from the
host's configured Debian mirror (debootstrap) and imported once as a local image; Python
packages come from wheels downloaded on the host, since pip inside a build container may not
get through the network.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from harness.sandbox.errors import SandboxError
from harness.sandbox.sources import DOCKERFILE, sandbox_dir, source_files

IMAGE_REPO = "harness-sandbox"
LOCAL_BASE = "harness-base:bookworm-py311"
REGISTRY_BASE = "python:3.11-slim-bookworm"
# Where the Dockerfile's COPY finds the wheels in the build context.
CONTEXT_WHEELS = Path("build", "wheels")


def content_hash() -> str:
    h = hashlib.sha256()
    for name, path in source_files():
        h.update(name.encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()[:12]


def image_tag() -> str:
    return f"{IMAGE_REPO}:{content_hash()}"


def docker_client():  # noqa: ANN201 - docker is imported lazily (the process backend needs none)
    import docker
    from docker.errors import DockerException

    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except DockerException as exc:
        raise SandboxError(
            "no Docker daemon answers: run `make sandbox` (installs and starts Docker Engine "
            "when run as root), start Docker yourself, or pass --backend process "
            f"({str(exc).splitlines()[0][:120]})") from None
    return client


def image_exists(client, tag: str) -> bool:  # noqa: ANN001
    from docker.errors import ImageNotFound

    try:
        client.images.get(tag)
        return True
    except ImageNotFound:
        return False


def require_image(client) -> str:  # noqa: ANN001
    tag = image_tag()
    if not image_exists(client, tag):
        raise SandboxError(f"the sandbox image {tag} is not built: run `make sandbox` "
                        "(or `harness sandbox build`), or pass --backend process")
    return tag


# ------------------------------------------------------------------ wheels


def wheel_dir() -> Path:
    """Where the image's wheels are kept: build/wheels/ in a checkout, else the user's cache."""
    root = sandbox_dir().parent
    if (root / "pyproject.toml").is_file():
        return root / CONTEXT_WHEELS
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "harness" / "sandbox-wheels"


def download_wheels(log: Callable[[str], None]) -> Path:
    """Wheels for the image's Python (cp311, this machine's architecture); returns their folder."""
    machine = platform.machine()
    wheels = wheel_dir()
    stamp = wheels / ".requirements"
    requirements = sandbox_dir() / "requirements.txt"
    wanted = requirements.read_text() + machine
    if stamp.exists() and stamp.read_text() == wanted and any(wheels.glob("*.whl")):
        return wheels
    shutil.rmtree(wheels, ignore_errors=True)
    wheels.mkdir(parents=True)
    log("downloading wheels for the sandbox image")
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:",
           "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311",
           "--abi", "abi3", "--abi", "none", "-d", str(wheels), "-r", str(requirements)]
    for plat in ("manylinux2014", "manylinux_2_17", "manylinux_2_28", "manylinux_2_27"):
        cmd += ["--platform", f"{plat}_{machine}"]
    cmd += ["--platform", "any"]
    env = {k: v for k, v in os.environ.items() if k != "PIP_FIND_LINKS"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SandboxError("pip download of the sandbox wheels failed: "
                           f"{proc.stderr.strip()[-300:]}")
    stamp.write_text(wanted)
    return wheels


# ------------------------------------------------------------------ base image


def debian_mirror() -> str:
    """The Debian mirror this host's apt already uses (or HARNESS_DEBIAN_MIRROR)."""
    if os.environ.get("HARNESS_DEBIAN_MIRROR"):
        return os.environ["HARNESS_DEBIAN_MIRROR"]
    candidates = sorted(Path("/etc/apt/sources.list.d").glob("*.sources"))
    for path in candidates:
        for line in path.read_text().splitlines():
            if line.startswith("URIs:") and "security" not in line:
                return line.split()[1]
    sources = Path("/etc/apt/sources.list")
    if sources.exists():
        for line in sources.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "deb" and "security" not in parts[1]:
                return parts[1]
    raise SandboxError("no Debian mirror found in /etc/apt; set HARNESS_DEBIAN_MIRROR")


def bootstrap_base(client, log: Callable[[str], None]) -> str:  # noqa: ANN001
    """Make ``LOCAL_BASE`` with debootstrap + docker import (about a minute, done once)."""
    if image_exists(client, LOCAL_BASE):
        return LOCAL_BASE
    if shutil.which("debootstrap") is None:
        if os.geteuid() != 0:
            raise SandboxError("no base image and no debootstrap: install debootstrap, or pass "
                            "BASE_IMAGE=<an image with python3.11> to make sandbox")
        log("installing debootstrap")
        subprocess.run(["apt-get", "install", "-y", "-qq", "debootstrap"], check=True,
                       capture_output=True)
    log("bootstrapping a Debian bookworm minbase root with python3 (about a minute)")
    with tempfile.TemporaryDirectory(prefix="harness-base-") as tmp:
        root = Path(tmp) / "root"
        proc = subprocess.run(
            ["debootstrap", "--variant=minbase", "--include=python3", "bookworm", str(root),
             debian_mirror()], capture_output=True, text=True)
        if proc.returncode != 0:
            raise SandboxError(f"debootstrap failed: {proc.stdout.strip()[-300:]}")
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
            shutil.rmtree(root / junk, ignore_errors=True)
        log("importing the root as a local base image")
        tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
        imp = subprocess.run(["docker", "import", "-", LOCAL_BASE], stdin=tar.stdout,
                             capture_output=True, text=True)
        tar.wait()
        if imp.returncode != 0:
            raise SandboxError(f"docker import failed: {imp.stderr.strip()[-300:]}")
    return LOCAL_BASE


def pick_base(client, requested: str | None, log: Callable[[str], None]) -> str:  # noqa: ANN001
    if requested:
        if not image_exists(client, requested):
            log(f"pulling {requested}")
            client.images.pull(requested)
        return requested
    if image_exists(client, REGISTRY_BASE):
        return REGISTRY_BASE
    if image_exists(client, LOCAL_BASE):
        return LOCAL_BASE
    try:
        log(f"trying to pull {REGISTRY_BASE}")
        client.images.pull(REGISTRY_BASE)
        return REGISTRY_BASE
    except Exception:  # noqa: BLE001 - no registry here: fall back to the offline base
        log("no registry reachable: building the base image offline")
        return bootstrap_base(client, log)


# ------------------------------------------------------------------ build


def stage_context(dest: Path, wheels: Path) -> None:
    """The build context, laid out as the Dockerfile's COPY lines expect: exactly the hashed
    files (Dockerfile.sandbox, sandbox_image/) and the wheels (build/wheels/)."""
    for name, path in source_files():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, dest / name)
    shutil.copytree(wheels, dest / CONTEXT_WHEELS)


def build_image(base_image: str | None = None, force: bool = False,
                log: Callable[[str], None] = print) -> str:
    """Build the sandbox image unless an image with the same content hash exists."""
    client = docker_client()
    tag = image_tag()
    if not force and image_exists(client, tag):
        log(f"sandbox image {tag} is up to date")
        return tag
    base = pick_base(client, base_image or os.environ.get("BASE_IMAGE"), log)
    wheels = download_wheels(log)
    log(f"building {tag} from {base}")
    from docker.errors import BuildError

    try:
        with tempfile.TemporaryDirectory(prefix="harness-sandbox-context-") as context:
            stage_context(Path(context), wheels)
            client.images.build(path=context, dockerfile=DOCKERFILE, tag=tag,
                                buildargs={"BASE_IMAGE": base}, rm=True, forcerm=True,
                                network_mode="none", labels={"harness.sandbox.hash": tag})
    except BuildError as exc:
        tail = "".join(str(x.get("stream", x.get("error", ""))) for x in exc.build_log)[-600:]
        raise SandboxError(f"building the sandbox image failed: {tail.strip()}") from None
    client.images.get(tag).tag(IMAGE_REPO, "latest")
    log(f"built {tag}")
    return tag
