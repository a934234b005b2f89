#!/usr/bin/env bash
# Make sure a headless Chromium exists for the HTML report tests: install Debian's `chromium`
# with apt-get when it is missing and we are root; otherwise print one line saying what to do.
# The tests find the browser on PATH (chromium, chromium-browser, google-chrome) or in
# $HARNESS_CHROMIUM.
set -euo pipefail

find_browser() {
  if [ -n "${HARNESS_CHROMIUM:-}" ] && [ -x "${HARNESS_CHROMIUM}" ]; then
    echo "${HARNESS_CHROMIUM}"
    return 0
  fi
  for name in chromium chromium-browser google-chrome google-chrome-stable; do
    if command -v "$name" >/dev/null 2>&1; then
      command -v "$name"
      return 0
    fi
  done
  return 1
}

if browser="$(find_browser)"; then
  echo "chromium: found $browser"
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "chromium: not found and not root: install Debian's 'chromium' package (or set" \
       "HARNESS_CHROMIUM) for the HTML report tests" >&2
  exit 1
fi
echo "chromium: installing Debian's chromium package with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
if browser="$(find_browser)"; then
  echo "chromium: installed $browser"
  exit 0
fi
echo "error: chromium was installed but is not on PATH" >&2
exit 1
