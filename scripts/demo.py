#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The main job: Orthanc with Sagitta on localhost, five phantom studies by C-STORE, results, OHIF.

usage: demo.py SAGITTA PLUGIN BUNDLE WORKDIR
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration-tests"))
from sagitta_node import OrthancNode, sop_instance_uid  # noqa: E402

SAGITTA, PLUGIN, BUNDLE, WORK = sys.argv[1:5]
SHOWN = ["PI", "PT", "SS", "LL", "SVA", "GTK", "CL", "T1S", "TPA"]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ohif = subprocess.run([os.path.join(here, "install_ohif.sh")], check=True, capture_output=True, text=True).stdout.strip()
    # Debian's DICOMweb plugin beside Sagitta: OHIF, served by Sagitta at /ohif/, reads through it.
    node = OrthancNode(os.path.join(WORK, "orthanc"), PLUGIN, BUNDLE,
                       sagitta={"Ohif": {"Folder": ohif}, "Outputs": {"PdfReport": True}},
                       plugins=["/usr/share/orthanc/plugins/libOrthancDicomWeb.so"],
                       extra={"DicomWeb": {"Enable": True, "Root": "/dicom-web/"}})
    films = os.path.join(WORK, "films")
    print("== generating 5 phantom studies (normal, scoliosis, hyperkyphosis, flat back, spondylolisthesis)")
    subprocess.run([SAGITTA, "phantom", "--out", films, "--count", "5", "--seed", "2026", "--mode", "dicom",
                    "--variety", "showcase", "--quiet"], check=True)
    node.start()
    print("== Orthanc with Sagitta: %s (DICOM AET %s on port %d)" % (node.url, node.aet, node.dicom_port))
    paths = sorted(os.path.join(films, f) for f in os.listdir(films) if f.endswith(".dcm"))
    started = time.time()
    print("== storescu: sending %d films" % len(paths))
    node.store_scu(paths)
    rows = []
    for path in paths:
        instance = node.instance_of(sop_instance_uid(path))
        job = node.finished_job(instance, timeout=300)
        with open(path.replace(".dcm", ".json")) as f:
            truth = json.load(f)["parameters"]["parameters"]
        study = node.get("/instances/%s/simplified-tags" % instance)["StudyInstanceUID"]
        rows.append((os.path.basename(path), job, truth, study))
    print("== all analysed %.1f s after the end of C-STORE\n" % (time.time() - started))
    header = "%-16s %-8s" % ("film", "") + "".join("%9s" % k for k in SHOWN)
    print(header)
    for name, job, truth, study in rows:
        if job["state"] != "done":
            print("%-16s %s: %s" % (name, job["state"], job["reason"]))
            continue
        measured = job["result"]["parameters"]["parameters"]
        fmt = lambda v: "%9s" % ("-" if v is None else "%.1f" % v)  # noqa: E731
        print("%-16s %-8s" % (name, "true") + "".join(fmt(truth[k]["value"]) for k in SHOWN))
        print("%-16s %-8s" % ("", "Sagitta") + "".join(fmt(measured[k]["value"]) for k in SHOWN))
        print("%-16s %-8s SR %s, overlay %s" % ("", "", job["sr_instance"], job["sc_instance"]))
        print("%-16s %-8s PDF report: %s/instances/%s/pdf" % ("", "", node.url, job["pdf_instance"]))
        print("%-16s %-8s OHIF: %s/ohif/viewer?StudyInstanceUIDs=%s" % ("", "", node.url, study))
    print("\nAngles in degrees, SVA in mm. The SR, overlay and PDF report of each film are in its study:")
    print("  Orthanc Explorer: %s/app/explorer.html   Sagitta jobs: %s/sagitta/jobs" % (node.url, node.url))
    print("  Review (correct the landmarks, re-issue a verified SR): %s/sagitta/app/review.html" % node.url)
    print("  OHIF (study list; open a study, double-click its SR, answer Yes to track its measurements):")
    print("    %s/ohif/" % node.url)
    print("Orthanc keeps running (pid %d); stop it with: kill %d" % (node.process.pid, node.process.pid))
    with open(os.path.join(WORK, "orthanc.pid"), "w") as f:
        f.write(str(node.process.pid))


if __name__ == "__main__":
    sys.exit(main())
