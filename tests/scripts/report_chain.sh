#!/usr/bin/env bash
# The SR / SC chain on a full-size phantom: write with `sagitta report`, validate the SR and the
# SC with dciodvfy (no errors), the SR with PixelMed's DicomSRValidator (no errors), read it
# back with `sagitta dump-sr` and with dcmjs (OHIF's library), and compare with the input.
# usage: report_chain.sh SAGITTA_BINARY WORK_DIR SOURCE_DIR
set -euo pipefail
sagitta=$1; work=$2; source_dir=$3
rm -rf "$work" && mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
"$sagitta" phantom --out "$work" --count 1 --seed 515 --mode dicom --variety normal --quiet
"$sagitta" report "$work/case_000000.dcm" --landmarks "$work/case_000000.json" --out "$work/out"
sr="$work/out/case_000000_sr.dcm"; sc="$work/out/case_000000_overlay.dcm"
status=0
for object in "$sr" "$sc"; do
  if dciodvfy "$object" 2>&1 | grep "^Error"; then
    echo "FAIL dciodvfy $(basename "$object")"; status=1
  else
    echo "ok   dciodvfy $(basename "$object")"
  fi
done
if command -v java >/dev/null && [ -f /usr/share/java/pixelmed.jar ]; then
  report=$(JAVA_TOOL_OPTIONS="-Djdk.xml.xpathExprOpLimit=0 -Djdk.xml.xpathExprGrpLimit=0 -Djdk.xml.xpathTotalOpLimit=0" \
           java -cp /usr/share/java/pixelmed.jar com.pixelmed.validate.DicomSRValidator "$sr" 2>&1)
  if grep -q "^Error" <<<"$report" || ! grep -q "Root Template Validation Complete" <<<"$report"; then
    grep "^Error" <<<"$report" | head -20; echo "FAIL DicomSRValidator"; status=1
  else
    echo "ok   DicomSRValidator ($(grep -c '^Warning' <<<"$report") warnings: private-scheme evaluations)"
  fi
else
  echo "FAIL PixelMed (pixelmed-apps) not installed: run scripts/setup.sh"; status=1
fi
# dump-sr gives back the truth landmarks and the parameters of `report`.
"$sagitta" dump-sr "$sr" > "$work/dump.json"
python3 - "$work/dump.json" "$work/out/case_000000_parameters.json" "$work/case_000000.json" <<'PY' || status=1
import json, sys
dump, params, truth = (json.load(open(p)) for p in sys.argv[1:4])
got = {l["id"]: (l["x"], l["y"]) for l in dump["landmarks"]["landmarks"]}
want = {l["id"]: (l["x"], l["y"]) for l in truth["landmarks"]}
assert got.keys() == want.keys(), "landmark ids differ"
worst = max(max(abs(got[k][0] - want[k][0]), abs(got[k][1] - want[k][1])) for k in want)
assert worst < 1e-3, f"landmarks differ by {worst} px"
for key, p in params["parameters"].items():
    assert dump["parameters"]["parameters"][key]["value"] == p["value"], key
print(f"ok   dump-sr: 45 landmarks within {worst:.1e} px, 18 parameters equal")
PY
if [ -d "$source_dir/tests/js/node_modules/dcmjs" ] && command -v node >/dev/null; then
  node "$source_dir/tests/js/check_sr_dcmjs.js" "$sr" "$work/out/case_000000_parameters.json" || status=1
else
  echo "FAIL dcmjs not installed in tests/js: run scripts/setup.sh"; status=1
fi
exit $status
