#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The test command of README.md (and of CI): install, configure, build, run every test.
#   dev preset  : Debug, warnings as errors, all unit tests
#   asan preset : AddressSanitizer + UBSan, all unit tests (skip with SAGITTA_SKIP_ASAN=1)
#   tsan preset : ThreadSanitizer, the plugin's queue (SQLite and PostgreSQL), forwarder and service tests (the threaded
#                 code; LibTorch and libgomp are not instrumented: tests/tsan.supp)
#                 (skip with SAGITTA_SKIP_TSAN=1)
#   fuzz preset : clang libFuzzer targets (DICOM reader, landmarks JSON, review body), 30 s each
#                 (skip with SAGITTA_SKIP_FUZZ=1)
# Every step decides: a failed configure or build fails the preset (its tests are not run), and
# so does a preset that registers fewer tests than it must (a test that silently disappears
# when a tool is missing is a failure, not a pass).
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc 2>/dev/null || echo 2)
scripts/setup.sh

# Tests each preset must register by name (registered only when their tool is found), and the
# least number of tests it must register in all (GoogleTest cases included).
required_dev=(integration.orthanc integration.hardening integration.forwarding integration.review integration.ohif report.chain.write report.chain.dciodvfy-sr
              report.chain.dciodvfy-sc report.chain.dciodvfy-pdf report.chain.pdf-render report.chain.pixelmed report.chain.dump-sr report.chain.dcmjs
              phantom.dicom.dciodvfy realfilms.check model.accuracy-guard model.accuracy-guard.refuses-cpn-only)
required_asan=(report.chain.dciodvfy-sr report.chain.pixelmed report.chain.dcmjs phantom.dicom.dciodvfy realfilms.check
               model.accuracy-guard)
required_tsan=(AnalysisService.OurOwnOutputsAreNeverQueued AnalysisService.AFailedChangeLogReadIsRetriedNotLost
               JobQueue.HostileTextIsDataAndConcurrentClaimsNeverShareAJob BoundedQueue.PushWaitsWhileFullAndCloseReleasesEveryone
               SharedQueue.ClaimersOnThreeNodesNeverShareAJob)
required_fuzz=(fuzz.dicom_reader fuzz.landmarks_json fuzz.review_request)
minimum_dev=200
minimum_asan=195
minimum_tsan=20
minimum_fuzz=3

summary=()
failed_logs=()

check_registered() {
  local preset=$1 minimum=$2
  shift 2
  local listing count missing=()
  listing=$(ctest --preset "$preset" -N) || { echo "== $preset: ctest cannot list the tests"; return 1; }
  count=$(printf '%s\n' "$listing" | sed -n 's/^Total Tests: \([0-9]*\)$/\1/p')
  for name in "$@"; do
    printf '%s\n' "$listing" | grep -qE "Test +#[0-9]+: ${name//./\\.}\$" || missing+=("$name")
  done
  if [ ${#missing[@]} -gt 0 ] || [ "${count:-0}" -lt "$minimum" ]; then
    echo "== $preset: ${count:-0} tests registered (at least $minimum expected); missing: ${missing[*]:-none}"
    return 1
  fi
}

run_preset() {
  local preset=$1 minimum=$2
  shift 2
  local log="build/$preset/ctest.log"
  echo "== $preset: configure and build"
  if ! cmake --preset "$preset" >/dev/null; then
    summary+=("$preset: configure FAILED"); return 1
  fi
  if ! cmake --build --preset "$preset" -j "$jobs"; then
    summary+=("$preset: build FAILED"); return 1
  fi
  if ! check_registered "$preset" "$minimum" "$@"; then
    summary+=("$preset: required tests NOT REGISTERED (see above)"); return 1
  fi
  echo "== $preset: tests"
  local rc=0
  ctest --preset "$preset" -j "$jobs" >"$log" 2>&1 || rc=$?
  grep -E "tests passed|FAILED|Failed|\*\*\*" "$log" || true
  local result
  result=$(grep -E "tests passed, [0-9]+ tests failed" "$log" | tail -n 1 || true)
  summary+=("$preset: ${result:-no result (see $log)}")
  # ctest's own exit status decides (it is non-zero for a failed, timed-out or missing test).
  [ "$rc" -eq 0 ] && grep -qE "100% tests passed" "$log" && return 0
  failed_logs+=("$preset:$log")
  return 1
}

status=0
run_preset dev "$minimum_dev" "${required_dev[@]}" || status=1
if [ "${SAGITTA_SKIP_ASAN:-0}" != "1" ]; then
  run_preset asan "$minimum_asan" "${required_asan[@]}" || status=1
fi
if [ "${SAGITTA_SKIP_TSAN:-0}" != "1" ]; then
  run_preset tsan "$minimum_tsan" "${required_tsan[@]}" || status=1
fi
if [ "${SAGITTA_SKIP_FUZZ:-0}" != "1" ]; then
  run_preset fuzz "$minimum_fuzz" "${required_fuzz[@]}" || status=1
fi

# A failed test's own words, last, where a CI log that keeps only its head and tail shows them:
# the checks that failed (integration tests print "FAIL ...", GoogleTest "Failure") and timeouts.
for entry in "${failed_logs[@]}"; do
  log=${entry#*:}
  echo
  echo "== ${entry%%:*}: what the failed tests said"
  grep -E "^(FAIL |[^ ]*: Failure$|Expected|  Actual|Which is|Value of)|\*\*\*(Failed|Timeout|Exception)|driver: |browser saw|Traceback|Error" "$log" \
    | cut -c1-400 | tail -n 60 || true
done

echo
echo "== summary"
printf '  %s\n' "${summary[@]}"
[ $status -eq 0 ] && echo "  all tests passed" || echo "  SOME TESTS FAILED"
exit $status
