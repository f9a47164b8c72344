#!/usr/bin/env bash
# One link of the SR / SC chain (dcmqi-style: each link is its own CTest test, and the tool's
# exit status is the verdict). `write` makes the objects of a full-size phantom with `sagitta
# report`, and beside them, under broken/, one object per link that the link must refuse: with
# "broken" the script succeeds only when the link fails, and for the planted reason.
# usage: report_link.sh write SAGITTA WORK
#        report_link.sh LINK SAGITTA WORK SOURCE_DIR [broken]
#   LINK: dciodvfy-sr | dciodvfy-sc | dciodvfy-pdf | pdf-render | pixelmed | dump-sr | dcmjs
set -euo pipefail
link=$1; sagitta=$2; work=$3; source_dir=${4:-}; variant=${5:-good}

if [ "$variant" = broken ] && [ -z "${REPORT_LINK_INNER:-}" ]; then
  case "$link" in
    dciodvfy-sr) reason="Missing attribute Type 1 Required Element=<CompletionFlag>" ;;
    dciodvfy-sc) reason="Missing attribute Type 1 Required Element=<ConversionType>" ;;
    dciodvfy-pdf) reason="Missing attribute Type 1 Required Element=<MIMETypeOfEncapsulatedDocument>" ;;
    pdf-render) reason="pdftoppm cannot render" ;;
    pixelmed) reason="not found in context group 100" ;;
    dump-sr) reason="landmarks differ by" ;;
    dcmjs) reason="LL: [0-9.]+ != [0-9.]+" ;;
    *) echo "no broken object for $link" >&2; exit 2 ;;
  esac
  rc=0; output=$(REPORT_LINK_INNER=1 "$0" "$@" 2>&1) || rc=$?
  printf '%s\n' "$output" | tail -n 5
  if [ "$rc" -eq 0 ]; then echo "FAIL $link accepted the broken object"; exit 1; fi
  if ! grep -qE "$reason" <<<"$output"; then echo "FAIL $link refused the broken object for another reason"; exit 1; fi
  echo "ok   $link refuses the broken object (exit $rc: $reason)"
  exit 0
fi

sr="$work/out/case_000000_sr.dcm"; sc="$work/out/case_000000_overlay.dcm"; pdf="$work/out/case_000000_report.dcm"
params="$work/out/case_000000_parameters.json"; truth="$work/case_000000.json"
if [ "$variant" = broken ]; then
  sr="$work/broken/$link.dcm"; sc="$work/broken/$link.dcm"; pdf="$work/broken/$link.dcm"
  params="$work/broken/parameters.json"; truth="$work/broken/truth.json"
fi

case "$link" in
  write)
    rm -rf "$work" && mkdir -p "$work/broken"
    "$sagitta" phantom --out "$work" --count 1 --seed 515 --mode dicom --variety normal --quiet
    "$sagitta" report "$work/case_000000.dcm" --landmarks "$truth" --out "$work/out"
    # dciodvfy: the SR without its Completion Flag (type 1), the SC without its Conversion Type (type 1).
    cp "$sr" "$work/broken/dciodvfy-sr.dcm"; dcmodify -nb -ea "(0040,a491)" "$work/broken/dciodvfy-sr.dcm"
    cp "$sc" "$work/broken/dciodvfy-sc.dcm"; dcmodify -nb -ea "(0008,0064)" "$work/broken/dciodvfy-sc.dcm"
    # The report without its MIME type (type 1); a report whose PDF is cut in half.
    cp "$pdf" "$work/broken/dciodvfy-pdf.dcm"; dcmodify -nb -ea "(0042,0012)" "$work/broken/dciodvfy-pdf.dcm"
    # dump-sr and dcmjs read the good SR and compare it with a truth / parameters that differ.
    cp "$sr" "$work/broken/dump-sr.dcm"; cp "$sr" "$work/broken/dcmjs.dcm"
    /usr/bin/python3 - "$truth" "$params" "$work/broken" "$sr" <<'PY'
import json, sys
import pydicom
truth, params, out = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
# PixelMed: a Procedure Reported code outside CID 100 (TID 1500 row 4 constrains it).
sr = pydicom.dcmread(sys.argv[4])
item = next(i for i in sr.ContentSequence if i.ConceptNameCodeSequence[0].CodeValue == "121058")
item.ConceptCodeSequence[0].CodeValue, item.ConceptCodeSequence[0].CodingSchemeDesignator = "999999", "99PRIV"
sr.save_as(out + "/pixelmed.dcm")
report = pydicom.dcmread(sys.argv[4].replace("_sr.dcm", "_report.dcm"))
half = report.EncapsulatedDocument[:report.EncapsulatedDocumentLength // 2]
report.EncapsulatedDocument, report.EncapsulatedDocumentLength = half + b"\0" * (len(half) % 2), len(half)
report.save_as(out + "/pdf-render.dcm")
truth["landmarks"][0]["x"] += 5.0
json.dump(truth, open(out + "/truth.json", "w"))
params["parameters"]["LL"]["value"] += 1.0
json.dump(params, open(out + "/parameters.json", "w"))
PY
    ;;
  dciodvfy-sr) exec dciodvfy "$sr" ;;
  dciodvfy-sc) exec dciodvfy "$sc" ;;
  dciodvfy-pdf) exec dciodvfy "$pdf" ;;
  pdf-render)
    # The page a surgeon prints: pdftoppm (poppler) renders it; its text names every parameter
    # with the value the parameters JSON has, and says who stands by it.
    /usr/bin/python3 - "$pdf" "$work/$variant-report.pdf" <<'PY'
import sys
import pydicom
ds = pydicom.dcmread(sys.argv[1])
assert ds.MIMETypeOfEncapsulatedDocument == "application/pdf"
open(sys.argv[2], "wb").write(ds.EncapsulatedDocument[:ds.EncapsulatedDocumentLength])
PY
    pdftoppm -r 100 -png -singlefile "$work/$variant-report.pdf" "$work/$variant-report" 2>"$work/$variant-pdftoppm.log" \
      || { cat "$work/$variant-pdftoppm.log"; echo "FAIL pdftoppm cannot render the report"; exit 1; }
    [ "$(pdfinfo "$work/$variant-report.pdf" | sed -n 's/^Pages: *//p')" = 1 ] || { echo "FAIL the report is not one page"; exit 1; }
    pdftotext -layout "$work/$variant-report.pdf" "$work/$variant-report.txt"
    exec /usr/bin/python3 - "$work/$variant-report.txt" "$params" "$work/$variant-report.png" <<'PY'
import json, os, sys
text = open(sys.argv[1]).read()
params = json.load(open(sys.argv[2]))["parameters"]
assert "AUTOMATED MEASUREMENT - VERIFY BEFORE CLINICAL USE" in text, "no verify-before-clinical-use statement"
for key, p in params.items():
    if p["value"] is None:
        continue
    decimals = 2 if p["unit"] == "ratio" else 1
    shown = "%.*f %s" % (decimals, p["value"], {"ratio": "ratio"}.get(p["unit"], p["unit"]))
    assert any(line.split()[:1] == [key] and shown in line for line in text.splitlines()), f"{key} {shown} not on the page"
for needed in ("PI-LL mismatch", "SRS-Schwab", "calibration:", "model:"):
    assert needed in text, f"no {needed} on the page"
size = os.path.getsize(sys.argv[3])
assert size > 50000, f"the rendered page is nearly empty ({size} bytes)"
print(f"ok   pdf-render: one page, rendered ({size} bytes PNG), 18 parameters with their values, PI-LL, Schwab, model, calibration")
PY
    ;;
  pixelmed)
    # DicomSRValidator exits 0 whatever it finds: its "Error" lines and its completion line decide.
    report=$(JAVA_TOOL_OPTIONS="-Djdk.xml.xpathExprOpLimit=0 -Djdk.xml.xpathExprGrpLimit=0 -Djdk.xml.xpathTotalOpLimit=0" \
             java -cp /usr/share/java/pixelmed.jar com.pixelmed.validate.DicomSRValidator "$sr" 2>&1)
    if grep -q "^Error" <<<"$report" || ! grep -q "Root Template Validation Complete" <<<"$report"; then
      grep "^Error" <<<"$report" | head -20 || true
      echo "FAIL DicomSRValidator"; exit 1
    fi
    echo "ok   DicomSRValidator ($(grep -c '^Warning' <<<"$report" || true) warnings: evaluations TID 1501 does not list: the private ones and the Comment OHIF reads)"
    ;;
  dump-sr)
    "$sagitta" dump-sr "$sr" > "$work/dump-$variant.json"
    exec /usr/bin/python3 - "$work/dump-$variant.json" "$params" "$truth" <<'PY'
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
    ;;
  dcmjs) exec node "$source_dir/tests/js/check_sr_dcmjs.js" "$sr" "$params" ;;
  *) echo "usage: report_link.sh write|dciodvfy-sr|dciodvfy-sc|dciodvfy-pdf|pdf-render|pixelmed|dump-sr|dcmjs ..." >&2; exit 2 ;;
esac
