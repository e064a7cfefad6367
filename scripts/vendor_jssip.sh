#!/usr/bin/env bash
# Fetch the pinned JsSIP (the desk's SIP user agent) from npm and vendor it into the desk's
# static files. JsSIP's npm package is CommonJS only (lib/), so it is bundled once here with
# esbuild into one browser file exposing the global `JsSIP`; the licences of JsSIP and of
# the three packages bundled with it are kept beside it.
set -euo pipefail
JSSIP=3.13.8
ESBUILD=0.28.2
cd "$(dirname "$0")/.."
out="$PWD/agent_desktop/static"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm init -y >/dev/null
npm install --silent --no-audit --no-fund --save-exact "jssip@$JSSIP" "esbuild@$ESBUILD" >/dev/null
echo "module.exports = require('jssip');" >entry.js
npx --no-install esbuild entry.js --bundle --minify --format=iife --global-name=JsSIP \
  --platform=browser --target=es2019 --legal-comments=none \
  --banner:js="/* JsSIP $JSSIP (MIT, https://jssip.net) bundled with debug, ms, events, sdp-transform; licences in jssip.LICENSE.txt */" \
  --outfile="$out/jssip.min.js" --log-level=warning
{
  for pkg in jssip debug ms events sdp-transform; do
    version=$(node -p "require('./node_modules/$pkg/package.json').version")
    echo "==== $pkg $version ===="
    cat node_modules/$pkg/LICENSE* 2>/dev/null || node -p "require('./node_modules/$pkg/package.json').license"
    echo
  done
} >"$out/jssip.LICENSE.txt"
sha256sum "$out/jssip.min.js"
