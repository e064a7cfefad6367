#!/usr/bin/env bash
# Fetch the pinned front-end libraries from npm and vendor them into the web toolkit's
# static files (served at /static/; no CDN): Apache ECharts and htmx.
set -euo pipefail
ECHARTS=6.0.0
HTMX=2.0.4
cd "$(dirname "$0")/.."
out=cti/webkit/static
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "echarts@$ECHARTS" >/dev/null && tar xzf "echarts-$ECHARTS.tgz" \
  && mv package echarts)
(cd "$tmp" && npm pack --silent "htmx.org@$HTMX" >/dev/null && tar xzf "htmx.org-$HTMX.tgz" \
  && mv package htmx)
cp "$tmp/echarts/dist/echarts.common.min.js" "$out/echarts.min.js"
cp "$tmp/echarts/LICENSE" "$out/echarts.LICENSE.txt"
cp "$tmp/echarts/NOTICE" "$out/echarts.NOTICE.txt"
cp "$tmp/htmx/dist/htmx.min.js" "$out/htmx.min.js"
cp "$tmp/htmx/LICENSE" "$out/htmx.LICENSE.txt"
sha256sum "$out/echarts.min.js" "$out/htmx.min.js"
