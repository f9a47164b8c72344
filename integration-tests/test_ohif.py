#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Integration test of what a radiologist sees in OHIF: a real Orthanc with Debian's DICOMweb
plugin and Sagitta serving OHIF's prebuilt viewer at /ohif/, a phantom film by C-STORE, then
Debian's chromium (puppeteer-core) opening the study: the film renders, Sagitta's SR draws one
annotation per measured parameter with its value, and OHIF loads the Cornerstone-tool groups as
editable Angle / CobbAngle measurements that read the same values.

usage: test_ohif.py SAGITTA PLUGIN BUNDLE WORKDIR   (OHIF's dist: $SAGITTA_OHIF_DIST)
"""
import json
import math
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sagitta_node import OrthancNode, sop_instance_uid  # noqa: E402

SAGITTA, PLUGIN, BUNDLE, WORK = sys.argv[1:5]
HERE = os.path.dirname(os.path.abspath(__file__))
NODE_MODULES = os.path.join(HERE, "..", "tests", "js", "node_modules")
OHIF = os.environ.get("SAGITTA_OHIF_DIST", os.path.join(HERE, "..", ".cache", "ohif-3.13.2", "dist"))
DICOMWEB = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"
# The parameters OHIF can load as Cornerstone tools (dicom-sr/.../cornerstone_tools.hpp).
COBB = {"LL", "CL", "GTK", "PTK", "MTK", "L4SL"}
ANGLE = {"PI", "SS", "PT", "T1S", "LPA", "SSA", "GT", "TPA", "ODHA"}
FAILURES = []


def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message, flush=True)
    if not condition:
        FAILURES.append(message)


def http_status(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read().decode(errors="replace"), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        return e.code, "", ""


def first_number(text):
    match = re.search(r"-?\d+(\.\d+)?", text or "")
    return float(match.group(0)) if match else None


def shown_tolerance(value):
    """Cornerstone's Angle writes 3 significant digits of its own arithmetic; the SR has 2 decimals."""
    magnitude = abs(value)
    digits = 0.51 * 10 ** (math.floor(math.log10(magnitude)) - 2) if magnitude > 0 else 0.0
    return max(0.011, digits)


def main():
    if not os.path.exists(os.path.join(OHIF, ".sagitta-relocated")):
        check(False, "OHIF is installed at %s (scripts/install_ohif.sh, run by scripts/setup.sh)" % OHIF)
        return 1
    films = os.path.join(WORK, "films")
    subprocess.run([SAGITTA, "phantom", "--out", films, "--count", "1", "--seed", "20261203", "--mode", "dicom",
                    "--variety", "normal", "--quiet"], check=True)
    film = os.path.join(films, "case_000000.dcm")
    node = OrthancNode(os.path.join(WORK, "node"), PLUGIN, BUNDLE, sagitta={"Ohif": {"Folder": OHIF}},
                       plugins=[DICOMWEB], extra={"DicomWeb": {"Enable": True, "Root": "/dicom-web/"}})
    node.start()
    try:
        # The site: index.html for OHIF's routes, the generated config, nothing outside the dist.
        status, body, mime = http_status(node.url + "/ohif/")
        check(status == 200 and 'window.PUBLIC_URL="/ohif/"' in body and mime.startswith("text/html"),
              "/ohif/ is OHIF's index.html, relocated to /ohif/")
        status, body, _ = http_status(node.url + "/ohif/viewer/dicomweb")
        check(status == 200 and "<div id=\"root\">" in body, "an OHIF route (/ohif/viewer/dicomweb) gets index.html")
        status, body, mime = http_status(node.url + "/ohif/app-config.js")
        check(status == 200 and '"qidoRoot": "/dicom-web"' in body and '"routerBasename": "/ohif"' in body,
              "/ohif/app-config.js points OHIF at this Orthanc's DICOMweb")
        check(http_status(node.url + "/ohif/.sagitta-relocated")[0] == 404 and
              http_status(node.url + "/ohif/missing.js")[0] == 404, "hidden and missing files are 404")

        node.store_scu([film])
        instance = node.instance_of(sop_instance_uid(film))
        job = node.finished_job(instance, timeout=300)
        check(job["state"] == "done" and job["sr_instance"], "the film is analysed: SR and overlay stored")
        tags = node.get("/instances/%s/simplified-tags" % instance)
        sr_path = os.path.join(WORK, "sr.dcm")
        with open(sr_path, "wb") as f:
            f.write(node.request("GET", "/instances/%s/file" % job["sr_instance"]))
        dump = json.loads(subprocess.run([SAGITTA, "dump-sr", sr_path], check=True, capture_output=True, text=True).stdout)
        values = {k: v["value"] for k, v in dump["parameters"]["parameters"].items() if v["value"] is not None}
        check(len(values) == 18, "the phantom has all 18 parameters measured (%d)" % len(values))

        env = dict(os.environ, NODE_PATH=os.path.abspath(NODE_MODULES))
        shots = os.path.join(WORK, "ohif")
        run = subprocess.run(["node", os.path.join(HERE, "ohif_browser.js"), node.url, tags["StudyInstanceUID"], "9901",
                              shots, str(len(values) + 1), str(len(COBB | ANGLE))], capture_output=True, text=True, env=env, timeout=420)
        lines = [l for l in run.stdout.splitlines() if l.startswith("{")]
        if not lines:
            check(False, "the browser driver reported (stderr: %s)" % run.stderr[-2000:])
            return 1
        seen = json.loads(lines[-1])
        print("browser saw:", json.dumps({k: seen[k] for k in ("film", "errors", "imageErrors", "srOpened",
                                                               "trackingPrompt", "srDrawnAfter", "toolsDrawnAfter",
                                                               "mouseMoves") if k in seen}))
        film_seen = seen.get("film") or {}
        check(film_seen.get("dimensions") == [int(tags["Columns"]), int(tags["Rows"])] and
              film_seen.get("range", [0, 0])[1] > film_seen.get("range", [0, 0])[0],
              "the DX rendered in OHIF at %sx%s with its pixel range" % (tags["Columns"], tags["Rows"]))
        check(not seen.get("imageErrors"), "no image load error (%s)" % seen.get("imageErrors"))
        check(not [e for e in seen.get("errors", []) if "VOI LUT" in e], "no 'Invalid VOI LUT function'")
        check(seen.get("srOpened"), "the SR (series 9901) opens in OHIF's SR viewport")

        # One DICOMSRDisplay annotation per measured parameter and one for the landmarks.
        display = seen.get("srDisplay", [])
        drawn = {d["uid"]: d["text"] for d in seen.get("drawn", [])}
        check(len(display) == len(values) + 1, "%d SR annotations for %d parameters + landmarks" % (len(display), len(values)))
        texts = list(drawn.values())
        print("drawn texts (first 4 of %d): %s" % (len(texts), [t[:70] for t in texts[:4]]))
        for key, value in sorted(values.items()):
            shown = "%.2f" % value
            hits = [t for t in texts if t.startswith(key + " ") or t.startswith(key + ":")]
            check(any(shown in t for t in hits), "%s drawn with its value %s (%s)" % (key, shown, hits[:1]))
        landmark_graphics = max((d["graphics"] for d in display), default=0)
        check(landmark_graphics == len(dump["landmarks"]["landmarks"]),
              "the landmarks are drawn as %d points" % landmark_graphics)

        # Tracked: the Cornerstone-tool groups become editable Angle / CobbAngle measurements.
        check(seen.get("trackingPrompt"), "OHIF offers to track the SR's measurements")
        # A tool's label is the group's Comment: the key, then the name where the concept lacks it.
        tools = {(t["label"] or "?").split(" ")[0]: t for t in seen.get("tools", [])}
        drawn_tools = {d["uid"]: d["text"] for d in seen.get("toolsDrawn", [])}
        check(set(tools) == COBB | ANGLE, "OHIF loads %d tools: %s" % (len(tools), sorted(tools)))
        for key, tool in sorted(tools.items()):
            want = "CobbAngle" if key in COBB else "Angle"
            shown = first_number(drawn_tools.get(tool["uid"]))
            check(tool["tool"] == want and tool["points"] == (4 if want == "CobbAngle" else 3) and shown is not None
                  and abs(shown - abs(values[key])) <= shown_tolerance(values[key]),
                  "%s is an editable %s reading %s (SR %.2f)" % (key, want, shown, values[key]))
        print("screenshots: %s-{film,sr,tools}.png" % shots)
    finally:
        node.stop()
    print("%d failures" % len(FAILURES))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
