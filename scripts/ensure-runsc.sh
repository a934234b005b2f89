#!/usr/bin/env bash
# Make sure Docker knows the gVisor runtime `runsc`: install Debian's runsc package when it is
# missing and we are root, register it in /etc/docker/daemon.json (merged with any keys already
# there, network off inside the sandbox kernel too), reload dockerd with SIGHUP and wait until
# `docker info` lists it. Idempotent: does nothing when Docker already lists runsc.
set -euo pipefail

DAEMON_JSON=${DAEMON_JSON:-/etc/docker/daemon.json}

listed() {
  docker info --format '{{range $name, $_ := .Runtimes}}{{$name}} {{end}}' 2>/dev/null \
    | tr ' ' '\n' | grep -qx runsc
}

if ! docker info >/dev/null 2>&1; then
  echo "error: no Docker daemon answers: run scripts/ensure-docker.sh (make sandbox) first" >&2
  exit 1
fi
if listed; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "error: Docker does not know the runsc runtime and we are not root: install gVisor" \
       "(Debian package runsc) and register it in $DAEMON_JSON, or use --runtime runc" >&2
  exit 1
fi
if ! command -v runsc >/dev/null 2>&1; then
  echo "sandbox: installing gVisor (runsc) from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq runsc >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    if ! apt-get install -y -qq runsc >/dev/null; then
      echo "error: could not install the runsc package; install gVisor by hand" >&2
      exit 1
    fi
  fi
fi
RUNSC=$(command -v runsc)

mkdir -p "$(dirname "$DAEMON_JSON")"
python3 - "$DAEMON_JSON" "$RUNSC" <<'EOF'
import json, os, sys
path, runsc = sys.argv[1], sys.argv[2]
try:
    with open(path) as fh:
        text = fh.read()
    config = json.loads(text) if text.strip() else {}
except FileNotFoundError:
    config = {}
except ValueError as exc:
    sys.exit(f"error: {path} is not valid JSON ({exc}); fix it, then run make sandbox RUNTIME=runsc")
if not isinstance(config, dict):
    sys.exit(f"error: {path} does not hold a JSON object")
config.setdefault("runtimes", {})["runsc"] = {"path": runsc, "runtimeArgs": ["--network=none"]}
tmp = path + ".tmp"
with open(tmp, "w") as fh:
    json.dump(config, fh, indent=2)
    fh.write("\n")
os.replace(tmp, path)
EOF

PIDS=$(pgrep -x dockerd || true)
if [ -z "$PIDS" ]; then
  echo "error: no dockerd process found to reload; restart Docker so it reads $DAEMON_JSON" >&2
  exit 1
fi
echo "sandbox: registered runsc in $DAEMON_JSON; reloading dockerd" >&2
for pid in $PIDS; do
  kill -HUP "$pid"
done
for _ in $(seq 1 30); do
  if listed; then
    exit 0
  fi
  sleep 1
done
echo "error: dockerd does not list the runsc runtime after a reload; restart Docker" >&2
exit 1
