#!/usr/bin/env bash
# Writes full-size phantom DX files and validates each with dciodvfy: no error allowed.
# usage: phantom_dciodvfy.sh SAGITTA_BINARY WORK_DIR
set -euo pipefail
sagitta=$1
work=$2
rm -rf "$work" && mkdir -p "$work"
"$sagitta" phantom --out "$work" --count 3 --seed 20261121 --mode dicom --variety mixed --quiet
"$sagitta" phantom --out "$work" --count 1 --first 3 --seed 20261121 --mode dicom --variety instrumentation,hip-prosthesis --quiet
status=0
for file in "$work"/*.dcm; do
  # dciodvfy exits non-zero exactly when it finds errors: its status is the verdict.
  rc=0; report=$(dciodvfy "$file" 2>&1) || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "dciodvfy errors in $file:"; grep "^Error" <<<"$report"; status=1
  else
    echo "ok: $(basename "$file") ($(grep -c '^Warning' <<<"$report" || true) warnings)"
  fi
done
rm -rf "$work"
exit $status
