#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Phantom films beside real ones, for judging the phantom's realism (issue 16, docs/PHANTOM.md):
# writes build/realism/sheet.png with a row of phantom cuts (one per field of view, rendered by
# the current code) above a row of the real lateral films of FILMS.tsv, all at one height.
# The sheet holds the real films, so it stays under build/ (they must not enter the repository);
# build/realism/phantoms.png is the phantom row alone.
# Usage: scripts/realism_sheet.sh [FILMS.tsv] (needs a release build and Debian's python3-opencv)
set -euo pipefail
cd "$(dirname "$0")/.."
films=${1:-../shared/realfilms/films.tsv}
out=build/realism
sagitta=build/release/tools/sagitta/sagitta
[ -x "$sagitta" ] || { echo "realism_sheet: build the release preset first" >&2; exit 2; }
/usr/bin/python3 -c 'import cv2' 2>/dev/null || { echo "realism_sheet: needs python3-opencv (apt-get install python3-opencv)" >&2; exit 2; }
rm -rf "$out" && mkdir -p "$out"
"$sagitta" phantom --out "$out/phantoms" --count 6 --seed 9090 --mode png --rows 2400 --field-of-view mixed --quiet
/usr/bin/python3 - "$films" "$out" <<'PY'
import csv, glob, os, sys
import cv2, numpy as np
films, out = sys.argv[1], sys.argv[2]
height = 420
def fit(image):
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    return cv2.resize(image, (max(1, round(image.shape[1] * height / image.shape[0])), height), interpolation=cv2.INTER_AREA)
def row(images):
    return np.hstack([np.pad(fit(i), ((4, 4), (4, 4), (0, 0)), constant_values=40) for i in images])
phantoms = [cv2.imread(p) for p in sorted(glob.glob(out + "/phantoms/*.png"))]
real = []
with open(films) as f:
    for r in csv.reader((l for l in f if not l.startswith("#")), delimiter="\t"):
        if len(r) > 3 and r[1] != "negative":
            image = cv2.imread(os.path.join(os.path.dirname(films), r[3]))
            if image is not None:
                real.append(image)
top, bottom = row(phantoms), row(real)
width = max(top.shape[1], bottom.shape[1])
pad = lambda r: np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0)), constant_values=40)
cv2.imwrite(out + "/phantoms.png", top)
cv2.imwrite(out + "/sheet.png", np.vstack([pad(top), pad(bottom)]))
print(f"realism_sheet: {out}/sheet.png ({len(phantoms)} phantom cuts above {len(real)} real films)")
PY
