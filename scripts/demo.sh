#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The main job of README.md: install, build, start Orthanc with the Sagitta plugin on
# localhost (embedded SQLite), send five phantom studies by C-STORE, wait for their SR and
# overlay, print measured against true parameters, and leave Orthanc running.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
# Build output goes to a log; on failure its errors are shown, not swallowed.
mkdir -p build
if ! cmake --build --preset release -j "$(nproc 2>/dev/null || echo 2)" --target sagitta OrthancSagitta >build/demo-build.log 2>&1; then
  echo "demo: the build failed (full log: build/demo-build.log):" >&2
  grep -E "error|Error|FAILED" build/demo-build.log | head -40 >&2
  exit 1
fi
work=build/demo
if [ -f "$work/orthanc.pid" ] && kill -0 "$(cat "$work/orthanc.pid")" 2>/dev/null; then
  echo "demo: stopping the previous demo Orthanc (pid $(cat "$work/orthanc.pid"))"
  kill "$(cat "$work/orthanc.pid")"
  sleep 2
fi
PATH="/usr/sbin:$PATH" /usr/bin/python3 scripts/demo.py build/release/tools/sagitta/sagitta \
  build/release/orthanc-plugin/libOrthancSagitta.so models/bundles/sagitta-compact "$work"
