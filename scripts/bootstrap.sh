#!/usr/bin/env bash
# Set up a fresh Debian machine for the demo or the tests: Debian packages (as root),
# a virtualenv in .venv with the project and its test extras. Idempotent and quiet when
# everything is already there. Usage: scripts/bootstrap.sh demo|test
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-demo}"

need_debs=()
want_cmd() { command -v "$1" >/dev/null 2>&1 || need_debs+=("$2"); }
want_cmd python3 python3
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then need_debs+=(python3-venv); fi
if [ "$mode" = test ]; then
  # Real servers and tools the suite starts itself: never skipped, so they must be here.
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_debs+=(postgresql)
  want_cmd redis-server redis-server
  want_cmd espeak-ng espeak-ng
  want_cmd sox sox
  # End-to-end tests drive Debian's Chromium through Playwright (never a downloaded browser);
  # the CJK fonts make Chinese pages render (and screenshot) as users see them.
  want_cmd chromium chromium
  [ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || need_debs+=(fonts-noto-cjk)
  # A real Asterisk 22, built from ../shared/asterisk by scripts/build_asterisk.sh, and SIPp
  # phones: the packages that build needs (wget: configure insists on it for the bundled
  # pjproject, though nothing is downloaded), libsrtp2-dev for WebRTC media.
  want_cmd sipp sip-tester
  want_cmd gcc build-essential
  want_cmd pkg-config pkg-config
  want_cmd bzip2 bzip2
  want_cmd patch patch
  want_cmd wget wget
  for dev in libjansson-dev libxml2-dev libsqlite3-dev uuid-dev libedit-dev libssl-dev \
    libncurses-dev libsrtp2-dev; do
    dpkg-query -W -f='${Status}' "$dev" 2>/dev/null | grep -q "ok installed" || need_debs+=("$dev")
  done
fi

if [ ${#need_debs[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "bootstrap: missing Debian packages: ${need_debs[*]}" >&2
    echo "bootstrap: run as root, or: sudo apt-get install -y ${need_debs[*]}" >&2
    exit 1
  fi
  echo "bootstrap: installing ${need_debs[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_debs[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)-$mode
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  if [ "$mode" = test ]; then
    .venv/bin/python -m pip install -q -e '.[test]'
  else
    .venv/bin/python -m pip install -q -e .
  fi
  touch "$stamp"
fi

if [ "$mode" = test ]; then
  # Once per source/recipe (about 3 minutes on 2 cores), then reused from the cache.
  scripts/build_asterisk.sh >/dev/null
fi
