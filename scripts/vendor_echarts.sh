#!/usr/bin/env bash
# Fetch the pinned Apache ECharts from npm and vendor it into the desk's static files.
set -euo pipefail
VERSION=6.0.0
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "echarts@$VERSION" >/dev/null && tar xzf "echarts-$VERSION.tgz")
cp "$tmp/package/dist/echarts.common.min.js" agent_desktop/static/echarts.min.js
cp "$tmp/package/LICENSE" agent_desktop/static/echarts.LICENSE.txt
cp "$tmp/package/NOTICE" agent_desktop/static/echarts.NOTICE.txt
sha256sum agent_desktop/static/echarts.min.js
