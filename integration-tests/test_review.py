#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Integration test of the review: a real Orthanc with users, a phantom film by C-STORE, the
review page in Debian's chromium (puppeteer-core) dragging a landmark and approving, then the
re-issued SR in the study (validated), the history, a conflict, a reject and the access rules.

usage: test_review.py SAGITTA PLUGIN BUNDLE WORKDIR
"""
import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sagitta_node import OrthancNode  # noqa: E402

SAGITTA, PLUGIN, BUNDLE, WORK = sys.argv[1:5]
HERE = os.path.dirname(os.path.abspath(__file__))
NODE_MODULES = os.path.join(HERE, "..", "tests", "js", "node_modules")
USER, PASSWORD = "reviewer", "sagitta-review-test"
FAILURES = []


def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message, flush=True)
    if not condition:
        FAILURES.append(message)


def status_and_body(node, method, path, body=None, credentials=True):
    saved = node.credentials
    node.credentials = saved if credentials else None
    try:
        return 200, node.request(method, path, body)
    except urllib.error.HTTPError as e:
        text = e.read().decode(errors="replace")
        try:
            return e.code, json.loads(text)
        except ValueError:
            return e.code, text
    finally:
        node.credentials = saved


def noise_lateral(films):
    """A tall noise image under whole-spine lateral tags: routed, then refused by the gate."""
    import numpy as np
    import pydicom
    ds = pydicom.dcmread(os.path.join(films, "case_000001.dcm"))
    ds.Rows, ds.Columns = 4096, 1536
    ds.PixelData = np.random.default_rng(11).integers(0, 4095, size=(4096, 1536), dtype=np.uint16).tobytes()
    for keyword in ("WindowCenter", "WindowWidth", "VOILUTFunction", "VOILUTSequence", "WindowCenterWidthExplanation"):
        if keyword in ds:
            delattr(ds, keyword)
    ds.PatientID = "REVIEW-NOISE"
    ds.StudyInstanceUID = pydicom.uid.generate_uid(entropy_srcs=["sagitta-review-noise-study"])
    ds.SeriesInstanceUID = pydicom.uid.generate_uid(entropy_srcs=["sagitta-review-noise-series"])
    ds.SOPInstanceUID = pydicom.uid.generate_uid(entropy_srcs=["sagitta-review-noise"])
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    path = os.path.join(WORK, "noise_lateral.dcm")
    ds.save_as(path)
    return path


def refused_job(node):
    """The job of the noise film, once the gate has refused it."""
    def find():
        for instance in node.get("/instances"):
            job = node.job_of(instance)
            if job and job["state"] == "skipped" and job.get("result"):
                return job
        return None
    return node.wait_for(find, 300, "the gate's refusal of the noise film")


def validate(path):
    """dciodvfy errors and PixelMed's verdict on one SR."""
    out = subprocess.run(["dciodvfy", path], capture_output=True, text=True)
    errors = [line for line in (out.stdout + out.stderr).splitlines() if line.startswith("Error")]
    env = dict(os.environ, JAVA_TOOL_OPTIONS="-Djdk.xml.xpathExprOpLimit=0 -Djdk.xml.xpathExprGrpLimit=0 "
                                             "-Djdk.xml.xpathTotalOpLimit=0")
    pixelmed = subprocess.run(["java", "-cp", "/usr/share/java/pixelmed.jar", "com.pixelmed.validate.DicomSRValidator", path],
                              capture_output=True, text=True, env=env)
    report = pixelmed.stdout + pixelmed.stderr
    pixelmed_errors = [line for line in report.splitlines() if line.startswith("Error")]
    return errors, pixelmed_errors, "Root Template Validation Complete" in report


def main():
    films = os.path.join(WORK, "films")
    subprocess.run([SAGITTA, "phantom", "--out", films, "--count", "2", "--seed", "20261202", "--mode", "dicom",
                    "--variety", "normal", "--quiet"], check=True)
    # A downstream PACS: the routing rule forwards the results there, the reviewed ones too.
    pacs = OrthancNode(os.path.join(WORK, "pacs"), None, None, aet="PACS")
    pacs.start()
    node = OrthancNode(os.path.join(WORK, "node"), PLUGIN, BUNDLE,
                       extra={"AuthenticationEnabled": True, "RegisteredUsers": {USER: PASSWORD},
                              "DicomModalities": {"PACS": ["PACS", "127.0.0.1", pacs.dicom_port]}},
                       sagitta={"Forwarding": {"BackoffSeconds": 1, "MaxBackoffSeconds": 2},
                                "Rules": [{"Name": "spine laterals", "Modality": ["CR", "DX"], "BodyPartExamined": ["SPINE"],
                                           "ViewPosition": ["LL", "RL"], "Forward": ["PACS"]}]})
    node.credentials = (USER, PASSWORD)
    node.start()
    try:
        run(node, films, pacs)
    finally:
        node.stop()
        pacs.stop()
    if FAILURES:
        print("%d check(s) failed; Orthanc's log: %s" % (len(FAILURES), node.log_path))
        sys.exit(1)
    print("all review checks passed")


def run(node, films, pacs):
    code, _ = status_and_body(node, "GET", "/sagitta/review/worklist", credentials=False)
    check(code == 401, "the review API has Orthanc's access rules: no credentials, HTTP %d" % code)
    node.store_scu([os.path.join(films, "case_000000.dcm")])
    instance = node.wait_for(lambda: (node.get("/instances") or [None])[0], 60, "the film in Orthanc")
    job = node.finished_job(instance, timeout=300)
    node.store_scu([os.path.join(films, "case_000001.dcm"), noise_lateral(films)])
    check(job["state"] == "done", "the film is analysed (%s %s)" % (job["state"], job["reason"]))
    automatic_sr = node.get("/instances/%s/tags?simplify" % job["sr_instance"])["SOPInstanceUID"]

    refused = refused_job(node)
    check(refused["reason"].startswith("not measured: "), "the noise film is refused by the gate (%s)" % refused["reason"][:80])
    screenshot = os.path.join(WORK, "review-page.png")
    env = dict(os.environ, NODE_PATH=os.path.abspath(NODE_MODULES))
    browser = subprocess.run(["node", os.path.join(HERE, "review_browser.js"), node.url, USER, PASSWORD, str(job["id"]),
                              screenshot, str(refused["id"])], capture_output=True, text=True, env=env, timeout=400)
    if browser.returncode != 0:
        print(browser.stderr[-3000:])
    check(browser.returncode == 0, "the browser run ends (exit %d)" % browser.returncode)
    seen = json.loads(browser.stdout.strip().splitlines()[-1]) if browser.returncode == 0 else {}
    print("     browser saw: %s" % json.dumps(seen))
    check(seen.get("worklistRows", 0) >= 1, "the worklist lists the analysed film")
    check(seen.get("parameterRows") == 18, "the page shows the 18 parameters (%s)" % seen.get("parameterRows"))
    check(seen.get("ssBefore") and seen.get("ssAfter") and seen["ssBefore"] != seen["ssAfter"],
          "dragging S1_A changes SS on the page (%s -> %s), measured by the plugin" % (seen.get("ssBefore"), seen.get("ssAfter")))
    check(seen.get("approveLabel") == "Approve with 1 correction", "the page counts the correction (%s)" % seen.get("approveLabel"))
    check(str(seen.get("status", "")).startswith("ok: Revision 1 recorded: correct"), "approve records revision 1 (%s)" % seen.get("status"))
    check(str(seen.get("conflict", "")).startswith("error: Not recorded, the result has moved on: job"),
          "a second page still at revision 0 cannot approve: it shows the 409 (%s)" % seen.get("conflict"))
    check(str(seen.get("reject", "")).startswith("ok: Revision 2 recorded: reject"),
          "a reject with its reason from the page (%s)" % seen.get("reject"))
    check(all("409" in e or "Conflict" in e for e in seen.get("errors", [])),
          "no error in the page's console but the refused request (%s)" % seen.get("errors"))
    check(len(seen.get("constructions", [])) == 18, "each parameter's construction is drawn (%s)" % seen.get("constructions"))
    check(seen.get("reviewerFieldShown") is False, "with Orthanc users the page does not ask for a name")

    check(str(seen.get("refusedNotice", "")).startswith("The gate refused this film"),
          "a refused film opens with the gate's reasons and its points marked unreliable")
    check(str(seen.get("byHandSs", "")).endswith("deg") and seen.get("byHandPi") == "—",
          "S1's two corners placed by hand measure SS (%s), and PI stays unmeasured" % seen.get("byHandSs"))
    check(str(seen.get("byHandStatus", "")).startswith("ok: Revision 1 recorded: correct"),
          "the hand measurement is recorded (%s)" % seen.get("byHandStatus"))
    hand = node.get("/sagitta/jobs/%d" % refused["id"]).get("reviews", [])
    if hand and hand[0].get("sr_instance"):
        hand_sr = os.path.join(WORK, "hand_sr.dcm")
        with open(hand_sr, "wb") as f:
            f.write(node.get("/instances/%s/file" % hand[0]["sr_instance"]))
        dump = json.loads(subprocess.run([SAGITTA, "dump-sr", hand_sr], check=True, capture_output=True, text=True).stdout)
        page_ss = float(str(seen.get("byHandSs", "nan deg")).split()[0])
        check(dump.get("review", {}).get("predecessors") == [] and len(dump["landmarks"]["landmarks"]) == 2 and
              abs(dump["parameters"]["parameters"]["SS"]["value"] - page_ss) < 0.006,
              "the refused film's SR: VERIFIED, no predecessor, the 2 placed points and the SS the page showed")
        errors, pixelmed_errors, complete = validate(hand_sr)
        check(not errors and not pixelmed_errors and complete, "dciodvfy and PixelMed: 0 errors on the hand-measured SR")
    else:
        check(False, "the refused film has a re-issued SR (%s)" % hand)

    detail = node.get("/sagitta/jobs/%d" % job["id"])
    reviews = detail.get("reviews", [])
    check([r["action"] for r in reviews] == ["correct", "reject"], "the job's history has the correction and the reject")
    check(len(reviews) == 2 and reviews[1]["reason"] == "S1 is hidden by the pelvis on this film" and not reviews[1]["sr_instance"],
          "the reject keeps its reason and writes no SR")
    if reviews:
        r = reviews[0]
        check(r["reviewer"] == USER and r["authenticated"], "the reviewer is the authenticated Orthanc user (%s)" % r["reviewer"])
        moved = [c["id"] for c in r["changes"]]
        check(moved == ["S1_A"] and r["changes"][0]["from"] != r["changes"][0]["to"],
              "the history records S1_A's old and new position (%s)" % r["changes"])
        sr_path = os.path.join(WORK, "reviewed_sr.dcm")
        with open(sr_path, "wb") as f:
            f.write(node.get("/instances/%s/file" % r["sr_instance"]))
        dump = json.loads(subprocess.run([SAGITTA, "dump-sr", sr_path], check=True, capture_output=True, text=True).stdout)
        review = dump.get("review", {})
        check(review.get("verification") == "VERIFIED" and review.get("verifying_observer") == USER,
              "the new SR is VERIFIED by %s" % review.get("verifying_observer"))
        check(review.get("predecessors") == [automatic_sr], "the new SR's predecessor is the automatic SR")
        new_ss = dump["parameters"]["parameters"]["SS"]["value"]
        check(seen.get("ssAfter", "").startswith("%.2f" % new_ss) or seen.get("ssAfter", "").startswith(str(new_ss)),
              "the new SR holds the corrected SS the page showed (%s, %s)" % (new_ss, seen.get("ssAfter")))
        errors, pixelmed_errors, complete = validate(sr_path)
        check(not errors, "dciodvfy: 0 errors on the reviewed SR (%s)" % errors[:3])
        check(not pixelmed_errors and complete, "PixelMed: 0 errors on the reviewed SR (%s)" % pixelmed_errors[:3])
        check(node.get("/instances/%s/tags?simplify" % job["sr_instance"])["SOPInstanceUID"] == automatic_sr,
              "the automatic SR stays in the study (the audit trail)")
        sc = node.get("/instances/%s/tags?simplify" % r["sc_instance"])
        check(sc.get("SeriesDescription") == "Sagitta overlay (reviewed)", "a reviewed overlay SC is in the study")
        reviewed_uids = [node.get("/instances/%s/tags?simplify" % i)["SOPInstanceUID"] for i in (r["sr_instance"], r["sc_instance"])]
        try:
            pacs.wait_for(lambda: all(pacs.instance_of(uid) for uid in reviewed_uids + [automatic_sr]), 90,
                          "the automatic and the reviewed results at the PACS")
            arrived = True
        except AssertionError:
            arrived = False
        forwards = node.get("/sagitta/jobs/%d" % job["id"])["forwards"]
        check(arrived, "the routing rule's PACS receives the reviewed SR and SC beside the automatic ones (%s)" %
              [(f["revision"], f["state"], f["reason"]) for f in forwards])

    code, body = status_and_body(node, "POST", "/sagitta/review/jobs/%d" % job["id"], {"action": "approve", "based_on": 0})
    check(code == 409, "a decision on a superseded revision is a 409 (%d: %s)" % (code, body))
    code, body = status_and_body(node, "POST", "/sagitta/review/jobs/%d" % job["id"],
                                 json.dumps({"action": "reject", "based_on": 2, "reason": "form post"}).encode())
    check(code == 415, "a decision that is not sent as JSON (what a cross-site form can send) is a 415 (%d)" % code)
    code, body = status_and_body(node, "POST", "/sagitta/review/jobs/%d" % job["id"], {"action": "reject", "based_on": 2})
    check(code == 400 and "reason" in body.get("error", ""), "a reject without a reason is a 400 (%s)" % body)
    code, body = status_and_body(node, "POST", "/sagitta/review/jobs/%d" % job["id"],
                                 {"action": "correct", "based_on": 2, "landmarks": {"landmarks": [{"id": "X", "x": 1, "y": 1}]}})
    check(code == 400 and "landmarks" in body.get("error", ""), "malformed landmarks are a 400 with the reason (%s)" % body)
    code, body = status_and_body(node, "POST", "/sagitta/instances/%s/analyse" % instance, {"force": True})
    check(code == 200 and body.get("queued") == 0 and "reviewed" in body.get("note", ""),
          "a reviewed film is not analysed again, even forced (%s)" % body.get("note"))
    worklist = node.get("/sagitta/review/worklist?needs_review=true")
    check(all(f["job"] != job["id"] for f in worklist["films"]), "a reviewed film leaves the needs-review list")
    code, _ = status_and_body(node, "GET", "/sagitta/review/jobs/%d/film.png" % job["id"])
    check(code == 200, "the film is served to the page as PNG")
    code, body = status_and_body(node, "POST", "/sagitta/review/jobs/%d" % job["id"], {"action": "approve", "based_on": 2})
    check(code == 200 and body.get("revision") == 3 and body.get("action") == "approve",
          "approving after the reject re-issues the reviewed points as revision 3 (%s)" % body)
    export_and_fine_tune(node, job, instance, refused)


def export_and_fine_tune(node, job, instance, refused):
    """The corrections as training data: a second film approved as proposed, the export by
    `sagitta corrections --from`, and a one-epoch fine-tune of the shipped CPN on it."""
    second = node.wait_for(lambda: [i for i in node.get("/instances")
                                    if (node.job_of(i) or {}).get("state") == "done" and i != instance
                                    and node.job_of(i)["id"] != job["id"]], 300, "the second film's job")[0]
    second_job = node.job_of(second)
    code, body = status_and_body(node, "POST", "/sagitta/review/jobs/%d" % second_job["id"], {"action": "approve", "based_on": 0})
    check(code == 200 and body.get("action") == "approve" and not body.get("changes"), "the second film is approved as proposed")
    listing = node.get("/sagitta/corrections")
    check(listing["count"] == 3, "GET /sagitta/corrections lists the three approved films (%d)" % listing["count"])
    check(node.get("/sagitta/corrections?since=2999-01-01")["count"] == 0, "since= leaves out older reviews")
    code, body = status_and_body(node, "GET", "/sagitta/corrections?since=yesterday")
    check(code == 400, "a since that is not a date is a 400 (%s)" % body)

    export = os.path.join(WORK, "export")
    for leftover in (export, os.path.join(WORK, "fine-tune")):  # of an earlier run of this test
        shutil.rmtree(leftover, ignore_errors=True)
    run = subprocess.run([SAGITTA, "corrections", "--from", node.url, "--out", export],
                         capture_output=True, text=True, env=dict(os.environ, SAGITTA_CREDENTIALS="%s:%s" % (USER, PASSWORD)))
    check(run.returncode == 0 and "3 reviewed film(s) exported" in run.stdout and "(2 with points corrected, 1 approved" in run.stdout,
          "sagitta corrections --from exports them (%s%s)" % (run.stdout.strip(), run.stderr.strip()))
    name = "job%d-rev3" % job["id"]
    try:
        with open(os.path.join(export, name + ".json")) as f:
            exported = {l["id"]: (l["x"], l["y"]) for l in json.load(f)["landmarks"]}
        reviewed = node.get("/sagitta/jobs/%d" % job["id"])["reviews"][0]["changes"][0]["to"]
        check(abs(exported["S1_A"][0] - reviewed[0]) < 0.01 and abs(exported["S1_A"][1] - reviewed[1]) < 0.01,
              "the exported landmarks carry the reviewer's S1_A")
        dcm = os.path.join(export, name + ".dcm")
        check(os.path.getsize(dcm) > 100000 and subprocess.run(["dcmdump", "-q", dcm], capture_output=True).returncode == 0,
              "the exported film is the DICOM from Orthanc")
        with open(os.path.join(export, "corrections.json")) as f:
            manifest = json.load(f)
        decided = sorted((m["job"], m["revision"], m["action"], m["landmarks_changed_from_model"]) for m in manifest["films"])
        check(len(decided) == 3 and decided[0] == (job["id"], 3, "approve", 1) and
              (second_job["id"], 1, "approve", 0) in decided and (refused["id"], 1, "correct", 45) in decided,
              "corrections.json records each film's decision and how far it is from the model (%s)" % decided)
    except (OSError, KeyError, ValueError, IndexError) as e:
        check(False, "the export is readable (%s)" % e)
        return
    code, _ = status_and_body(node, "GET", "/sagitta/corrections", credentials=False)
    check(code == 401, "the export needs Orthanc's credentials too")

    # The export trains: one epoch of the shipped CPN on the two films (and two phantoms for
    # validation), as docs/TRAINING.md's review loop does at full length.
    config = os.path.join(WORK, "fine-tune.json")
    with open(config, "w") as f:
        json.dump({
            "name": "review-fine-tune", "output": os.path.join(WORK, "fine-tune"),
            "network": {"base_channels": 16, "pyramid_channels": 32, "blocks_per_stage": 1,
                        "input_height": 512, "input_width": 288},
            "data": {"folder": {"path": export, "validation_fraction": 0.01},
                     "phantom": {"seed": 31, "count": 2, "validation_seed": 32, "validation_count": 2, "threads": 2}},
            "training": {"epochs": 1, "batch_size": 2, "learning_rate": 0.0001, "seed": 3, "threads": 2, "device": "cpu",
                         "initial_weights": os.path.join(BUNDLE, "compact-a.pt")}}, f)
    train = subprocess.run([SAGITTA, "train", "--config", config], capture_output=True, text=True, timeout=600)
    if train.returncode != 0:
        print(train.stdout[-2000:], train.stderr[-2000:])
    log = ""
    try:
        with open(os.path.join(WORK, "fine-tune", "train.log")) as f:
            log = f.read()
    except OSError:
        pass
    check(train.returncode == 0 and os.path.exists(os.path.join(WORK, "fine-tune", "best.pt")),
          "a one-epoch fine-tune on the export runs and writes its weights")
    check("export: 3 training and 0 validation images (split by patient)" in log,
          "the fine-tune trained on the three exported films (train.log)")


if __name__ == "__main__":
    main()
