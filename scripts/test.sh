#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The test command of README.md (and of CI): install, configure, build, run every test.
#   dev preset  : Debug, warnings as errors, all unit tests
#   asan preset : AddressSanitizer + UBSan, all unit tests (skip with SAGITTA_SKIP_ASAN=1)
#   fuzz preset : clang libFuzzer targets (DICOM reader, landmarks JSON), 30 s each
#                 (skip with SAGITTA_SKIP_FUZZ=1)
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc 2>/dev/null || echo 2)
scripts/setup.sh

summary=()
run_preset() {
  local preset=$1
  echo "== $preset: configure and build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "== $preset: tests"
  local log="build/$preset/ctest.log"
  if ctest --preset "$preset" -j "$jobs" 2>&1 | tee "$log" | grep -E "tests passed|FAILED|Failed|\*\*\*" ; then :; fi
  local result
  result=$(grep -E "tests passed, [0-9]+ tests failed" "$log" | tail -n 1 || true)
  summary+=("$preset: ${result:-no result (see $log)}")
  grep -qE "100% tests passed" "$log"
}

status=0
run_preset dev || status=1
if [ "${SAGITTA_SKIP_ASAN:-0}" != "1" ]; then
  run_preset asan || status=1
fi
if [ "${SAGITTA_SKIP_FUZZ:-0}" != "1" ]; then
  run_preset fuzz || status=1
fi

echo
echo "== summary"
printf '  %s\n' "${summary[@]}"
[ $status -eq 0 ] && echo "  all tests passed" || echo "  SOME TESTS FAILED"
exit $status
