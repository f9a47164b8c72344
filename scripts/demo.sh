#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The main job of README.md: set up, build, and measure the example whole-spine landmarks.
# (When the Orthanc plugin lands, this starts Orthanc and sends phantom studies by C-STORE.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc 2>/dev/null || echo 2)" --target sagitta >/dev/null
example=config/examples/landmarks_adult.json
echo "== sagitta measure --landmarks $example --format table"
build/release/tools/sagitta/sagitta measure --landmarks "$example" --format table
