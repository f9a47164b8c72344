#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The real-film evaluation, one command: builds the release `sagitta`, runs
#   sagitta eval --films ../shared/realfilms/films.tsv --check
# and writes its table into docs/MODEL_CARD.md ("Real films", between the realfilms markers).
# Usage: scripts/realfilms.sh [FILMS.tsv] [OUT_DIR]. Exit status: that of `sagitta eval --check`
# (3 when a negative is measured or a measured film is more than 10 deg off its annotation).
# The films are evaluation data only: nothing of them is copied into the repository.
set -euo pipefail
cd "$(dirname "$0")/.."

films=${1:-../shared/realfilms/films.tsv}
out=${2:-build/realfilms}
[ -f "$films" ] || { echo "realfilms: no $films" >&2; exit 2; }
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target sagitta >/dev/null
status=0
build/release/tools/sagitta/sagitta eval --films "$films" --out "$out" --threads 2 --quiet --check >/dev/null || status=$?
[ -f "$out/realfilms.md" ] || exit "${status:-1}"

card=docs/MODEL_CARD.md
begin='<!-- realfilms:begin (scripts/realfilms.sh writes this block) -->'
end='<!-- realfilms:end -->'
grep -qF "$begin" "$card" || { echo "realfilms: $card has no realfilms markers" >&2; exit 1; }
awk -v begin="$begin" -v end="$end" -v table="$out/realfilms.md" '
  $0 == begin { print; while ((getline line < table) > 0) print line; skipping = 1; next }
  $0 == end { skipping = 0 }
  !skipping { print }' "$card" > "$card.new"
mv "$card.new" "$card"
echo "realfilms: $out/realfilms.md, films.csv, parameters.csv; table written into $card (check status $status)"
exit "$status"
