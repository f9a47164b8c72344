#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The review loop on phantoms, end to end (docs/TRAINING.md, "The review loop"):

  analyse  a site's films arrive by C-STORE at a real Orthanc with Sagitta;
  correct  a scripted reviewer moves every point the model put more than --tolerance-mm from
           the phantom's truth onto it (and places every point of a film the gate refused),
           through the review API, as the review page does;
  export   `sagitta corrections --from` turns the reviewed films into a training folder;
  fine-tune the shipped CPN on it (with phantom replay), `sagitta train`;
  evaluate the shipped bundle and the fine-tuned one (same refiner) on held-out films of the
           same kind, `sagitta eval`.

usage: review_loop.py SAGITTA PLUGIN BUNDLE WORKDIR [--films N] [--held-out N] [--epochs N]
Takes tens of minutes on 2 cores; not part of the test command.
"""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration-tests"))
from sagitta_node import OrthancNode, sop_instance_uid  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
USER, PASSWORD = "loop-reviewer", "loop-review"


def log(message):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), message), flush=True)


def run(command, **kwargs):
    log("$ " + " ".join(command))
    return subprocess.run(command, check=True, **kwargs)


def truth_points(path):
    with open(path) as f:
        truth = json.load(f)
    spacing = truth["image"]["pixel_spacing_mm"][0]
    return truth, {l["id"]: (l["x"], l["y"]) for l in truth["landmarks"]}, spacing


def review_all(node, films, tolerance_mm):
    """The scripted reviewer: one decision per analysed film; returns the counts."""
    counts = {"films": 0, "refused": 0, "moved": 0, "approved": 0}
    for name in sorted(f[:-4] for f in os.listdir(films) if f.endswith(".dcm")):
        instance = node.instance_of(sop_instance_uid(os.path.join(films, name + ".dcm")))
        job = node.finished_job(instance, timeout=600)
        if not job.get("result"):
            log("%s: %s (%s), nothing to review" % (name, job["state"], job["reason"]))
            continue
        detail = node.get("/sagitta/review/jobs/%d" % job["id"])
        truth, true_points, spacing = truth_points(os.path.join(films, name + ".json"))
        proposed = {l["id"]: (l["x"], l["y"]) for l in detail["current"]["landmarks"]["landmarks"]}
        refused = detail["state"] == "refused"
        corrected = []
        for key, (tx, ty) in true_points.items():
            px, py = proposed.get(key, (None, None))
            off = math.inf if px is None else math.hypot(px - tx, py - ty) * spacing
            keep = not refused and off <= tolerance_mm
            corrected.append({"id": key, "x": px if keep else tx, "y": py if keep else ty})
            counts["moved"] += 0 if keep else 1
        counts["films"] += 1
        counts["refused"] += 1 if refused else 0
        changed = any(abs(c["x"] - proposed.get(c["id"], (math.inf, 0))[0]) > 0.01 or
                      abs(c["y"] - proposed.get(c["id"], (0, math.inf))[1]) > 0.01 for c in corrected)
        body = {"action": "correct" if changed else "approve", "based_on": detail["revision"],
                "reason": "scripted review against the phantom's truth (%.1f mm)" % tolerance_mm}
        if changed:
            body["landmarks"] = {"image": detail["current"]["landmarks"]["image"], "landmarks": corrected}
        else:
            counts["approved"] += 1
        node.post("/sagitta/review/jobs/%d" % job["id"], body)
    return counts


def fine_tune_config(path, export, output, bundle, epochs):
    config = {
        "name": "review-loop", "output": output,
        "network": {"base_channels": 16, "pyramid_channels": 32, "blocks_per_stage": 1,
                    "input_height": 512, "input_width": 288},
        "loss": {"heatmap_target": "gaussian", "target_sigma": 1.5, "js_weight": 1.0, "wing_width": 10, "wing_epsilon": 2},
        # The site's films, and phantoms replayed so that the network keeps what it knew.
        "data": {"folder": {"path": export, "validation_fraction": 0.01},
                 "phantom": {"seed": 1001, "count": 300, "validation_seed": 2002, "validation_count": 60,
                             "variety": "mixed", "threads": 2}},
        "augmentation": {"scale": [0.8, 1.0], "rotation_deg": 30, "shift_fraction": 0.05, "blur_sigma_max": 1.0,
                         "contrast": [0.7, 1.4], "noise_max": 6, "flip_probability": 0.5},
        "training": {"epochs": epochs, "batch_size": 8, "learning_rate": 0.0002, "patience": 6, "seed": 5, "threads": 2,
                     "device": "auto", "initial_weights": os.path.join(bundle, "compact-a.pt")},
    }
    with open(path, "w") as f:
        json.dump(config, f, indent=2)


def refiner_run(bundle, work):
    """The shipped refiner as a run folder `sagitta bundle --refiner` reads."""
    folder = os.path.join(work, "refiner-e")
    if not os.path.exists(folder):
        shutil.copytree(os.path.join(bundle, "training", "refiner-e"), folder)
        shutil.copy(os.path.join(bundle, "refiner-e.pt"), os.path.join(folder, "best.pt"))
    return folder


def summary(evaluation):
    with open(os.path.join(evaluation, "evaluation.md")) as f:
        return [line.rstrip() for line in f if line.startswith(("|", "Median", "median", "Eq", "eq"))][:40]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("sagitta")
    parser.add_argument("plugin")
    parser.add_argument("bundle")
    parser.add_argument("work")
    parser.add_argument("--films", type=int, default=24)
    parser.add_argument("--held-out", type=int, default=40)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--tolerance-mm", type=float, default=1.5)
    parser.add_argument("--variety", default="mixed")
    a = parser.parse_args()
    work = os.path.abspath(a.work)
    os.makedirs(work, exist_ok=True)
    bundle = os.path.abspath(a.bundle)

    films = os.path.join(work, "site-films")
    held_out = os.path.join(work, "held-out")
    if not os.path.exists(films):
        run([a.sagitta, "phantom", "--out", films, "--count", str(a.films), "--seed", "880001", "--mode", "dicom",
             "--variety", a.variety, "--quiet"])
    if not os.path.exists(held_out):
        run([a.sagitta, "phantom", "--out", held_out, "--count", str(a.held_out), "--seed", "880002", "--mode", "dicom",
             "--variety", a.variety, "--quiet"])

    export = os.path.join(work, "export")
    node = OrthancNode(os.path.join(work, "node"), a.plugin, bundle,
                       extra={"AuthenticationEnabled": True, "RegisteredUsers": {USER: PASSWORD}})
    node.credentials = (USER, PASSWORD)
    node.start()
    try:
        started = time.time()
        node.store_scu(sorted(os.path.join(films, f) for f in os.listdir(films) if f.endswith(".dcm")))
        counts = review_all(node, films, a.tolerance_mm)
        log("analysed and reviewed in %.0f s: %s" % (time.time() - started, counts))
        shutil.rmtree(export, ignore_errors=True)
        run([a.sagitta, "corrections", "--from", node.url, "--out", export],
            env=dict(os.environ, SAGITTA_CREDENTIALS="%s:%s" % (USER, PASSWORD)))
    finally:
        node.stop()

    output = os.path.join(work, "fine-tune")
    shutil.rmtree(output, ignore_errors=True)
    config = os.path.join(work, "fine-tune.json")
    fine_tune_config(config, export, output, bundle, a.epochs)
    run([a.sagitta, "train", "--config", config])
    tuned = os.path.join(work, "bundle")
    shutil.rmtree(tuned, ignore_errors=True)
    run([a.sagitta, "bundle", "--member", output, "--refiner", refiner_run(bundle, work), "--out", tuned,
         "--name", "review-loop", "--version", "loop"])
    for name, b in (("shipped", bundle), ("fine-tuned", tuned)):
        out = os.path.join(work, "eval-" + name)
        run([a.sagitta, "eval", "--data", held_out, "--bundle", b, "--out", out], stdout=subprocess.DEVNULL)
        log("== %s on %d held-out films (seed 880002):" % (name, a.held_out))
        for line in summary(out):
            print("   " + line)
    log("review counts: %s" % json.dumps(counts))


if __name__ == "__main__":
    main()
