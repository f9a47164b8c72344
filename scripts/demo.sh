#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The main job of README.md: set up, build, measure the example landmarks, then make a phantom
# film and write its SR, overlay and parameters from the phantom's true landmarks.
# (When the Orthanc plugin lands, this starts Orthanc and sends phantom studies by C-STORE.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc 2>/dev/null || echo 2)" --target sagitta >/dev/null
sagitta=build/release/tools/sagitta/sagitta
example=config/examples/landmarks_adult.json
echo "== sagitta measure --landmarks $example --format table"
"$sagitta" measure --landmarks "$example" --format table

out=build/demo
rm -rf "$out"
echo
echo "== sagitta phantom --out $out --count 1 --seed 2026 --mode dicom"
"$sagitta" phantom --out "$out" --count 1 --seed 2026 --mode dicom --variety normal
echo "== sagitta report $out/case_000000.dcm --landmarks $out/case_000000.json --out $out/results"
"$sagitta" report "$out/case_000000.dcm" --landmarks "$out/case_000000.json" --out "$out/results"
"$sagitta" measure --landmarks "$out/case_000000.json" --format table
echo "SR, overlay and parameters are in $out/results (sagitta dump-sr reads the SR back)."
