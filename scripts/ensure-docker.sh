#!/usr/bin/env bash
# Make sure a Docker daemon answers: install Docker Engine from Debian's packages when it is
# missing and we are root, and start dockerd in the background when none is running.
set -euo pipefail

if docker info >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "error: no Docker daemon answers and we are not root: install and start Docker Engine," \
       "or pass --backend process (weaker isolation)" >&2
  exit 1
fi
if ! command -v dockerd >/dev/null 2>&1; then
  echo "sandbox: installing Docker Engine (docker.io) from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
fi
if ! command -v debootstrap >/dev/null 2>&1; then
  apt-get install -y -qq debootstrap >/dev/null 2>&1 || true
fi
echo "sandbox: starting dockerd in the background (log: /var/log/harness-dockerd.log)" >&2
setsid nohup dockerd >/var/log/harness-dockerd.log 2>&1 < /dev/null &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    exit 0
  fi
  sleep 1
done
echo "error: dockerd did not come up; see /var/log/harness-dockerd.log" >&2
exit 1
