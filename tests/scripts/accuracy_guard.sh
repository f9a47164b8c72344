#!/usr/bin/env bash
# A guard on the shipped model's accuracy: the bundle on fresh full-size phantoms (a seed used
# nowhere else) must not regress past the figures of its committed held-out evaluation
# (BUNDLE/evaluation/, the model card's table), within the sampling tolerance of this small set:
#   median landmark error <= the card's + 0.15 mm;
#   each parameter's MAE   <= the card's MAE + 3 SD / sqrt(n) (SD of the card's absolute errors);
#   at most one film of the set refused.
# With "cpn-only" the same check runs on a copy of the bundle without its refiner (the CPN alone,
# 2.4 mm): the script then succeeds only when the guard fails on the median landmark error, which
# shows the guard catches a broken refiner.
# usage: accuracy_guard.sh SAGITTA BUNDLE WORK [cpn-only]
set -euo pipefail
sagitta=$1; bundle=$2; work=$3; variant=${4:-shipped}
count=16; seed=777004
films="$work/films"
# The shipped check renders the films anew (the phantom may have changed since the last run);
# its cpn-only twin (a CTest fixture after it) reuses them.
if [ "$variant" = shipped ] || [ ! -f "$films/case_$(printf %06d $((count - 1))).json" ]; then
  rm -rf "$films"
  "$sagitta" phantom --out "$films" --count "$count" --seed "$seed" --mode dicom --variety mixed --quiet
fi
evaluated=$bundle
if [ "$variant" = cpn-only ]; then
  evaluated="$work/bundle-cpn-only"
  rm -rf "$evaluated" && mkdir -p "$evaluated"
  cp "$bundle"/*.pt "$evaluated"/
  /usr/bin/python3 - "$bundle/bundle.json" "$evaluated/bundle.json" <<'PY'
import json, sys
manifest = json.load(open(sys.argv[1]))
del manifest["refiner"]
json.dump(manifest, open(sys.argv[2], "w"), indent=2)
PY
fi
out="$work/eval-$variant"
"$sagitta" eval --data "$films" --bundle "$evaluated" --out "$out" --threads 2 --quiet >/dev/null
rc=0
verdict=$(/usr/bin/python3 - "$bundle/evaluation" "$out" "$count" <<'PY'

import csv, math, re, sys
card, got, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
def median_of(report):
    return float(re.search(r"Median over all landmarks: ([0-9.]+) mm", open(report).read()).group(1))
def table(path):
    return {row["parameter"]: row for row in csv.DictReader(open(path))}
failures = []
card_median, median = median_of(card + "/evaluation.md"), median_of(got + "/evaluation.md")
limit = card_median + 0.15
print(f"median landmark error {median:.2f} mm (card {card_median:.2f}, limit {limit:.2f})")
if median > limit:
    failures.append(f"median landmark error {median:.2f} mm > {limit:.2f}")
accepted = sum(1 for row in csv.DictReader(open(got + "/images.csv")) if row["accepted"] == "1")
print(f"accepted {accepted} of {count}")
if accepted < count - 1:
    failures.append(f"only {accepted} of {count} films accepted")
card_rows, rows = table(card + "/parameters.csv"), table(got + "/parameters.csv")
for key, reference in card_rows.items():
    n = int(rows[key]["n"])
    mae = float(rows[key]["mae"]) if n > 0 else math.inf
    bound = float(reference["mae"]) + 3.0 * float(reference["sd_abs"]) / math.sqrt(max(n, 1))
    verdict = "ok  " if mae <= bound else "FAIL"
    print(f"{verdict} {key}: MAE {mae:.3f} (card {float(reference['mae']):.3f}, limit {bound:.3f}, n {n})")
    if mae > bound:
        failures.append(f"{key} MAE {mae:.3f} > {bound:.3f}")
if failures:
    print("accuracy guard FAILS: " + "; ".join(failures))
    sys.exit(1)
print("accuracy guard passes")
PY
) || rc=$?
printf '%s\n' "$verdict"
if [ "$variant" = cpn-only ]; then
  if [ "$rc" -ne 0 ] && grep -q "accuracy guard FAILS: median landmark error" <<<"$verdict"; then
    echo "ok   the guard refuses the bundle without its refiner"; exit 0
  fi
  echo "FAIL the guard did not refuse the bundle without its refiner"; exit 1
fi
exit "$rc"
