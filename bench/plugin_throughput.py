#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plugin bench: sustained throughput for a burst of full-size studies sent at once (one
storescu association), per worker configuration: images per minute from the start of the
C-STORE to the last SR stored, p50 / p95 per stage (from each job's recorded timings), the
latency from C-STORE start to SR, and Orthanc's peak RSS sampled every 0.25 s.

usage: plugin_throughput.py SAGITTA PLUGIN BUNDLE WORKDIR [STUDIES] [WORKERSxTHREADS ...]
   e.g. plugin_throughput.py ... 50 1x2 2x1
"""
import os
import statistics
import subprocess
import sys
import threading
import time

import pydicom

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration-tests"))
from sagitta_node import OrthancNode, sop_instance_uid  # noqa: E402

SAGITTA, PLUGIN, BUNDLE, WORK = sys.argv[1:5]
STUDIES = int(sys.argv[5]) if len(sys.argv) > 5 else 50
CONFIGS = sys.argv[6:] or ["1x2", "2x1"]
STAGES = ("decode_s", "queue_wait_s", "inference_s", "measurement_s", "writing_s", "storing_s")


def films():
    """STUDIES distinct full-size studies: 10 phantoms, each sent as several studies (new UIDs)."""
    seeds = os.path.join(WORK, "seeds")
    if not os.path.isdir(seeds):
        subprocess.run([SAGITTA, "phantom", "--out", seeds, "--count", "10", "--seed", "8080", "--mode", "dicom",
                        "--quiet"], check=True)
    out = os.path.join(WORK, "burst")
    os.makedirs(out, exist_ok=True)
    paths = []
    for i in range(STUDIES):
        path = os.path.join(out, "study_%03d.dcm" % i)
        paths.append(path)
        if os.path.exists(path):
            continue
        ds = pydicom.dcmread(os.path.join(seeds, "case_%06d.dcm" % (i % 10)))
        for key in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"):
            setattr(ds, key, pydicom.uid.generate_uid(entropy_srcs=["bench", key, str(i)]))
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.save_as(path)
    return paths


def percentile(values, p):
    values = sorted(values)
    k = (len(values) - 1) * p
    lo = int(k)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def run(paths, workers, threads):
    node = OrthancNode(os.path.join(WORK, "orthanc-%dx%d" % (workers, threads)), PLUGIN, BUNDLE,
                       sagitta={"Workers": workers, "InferenceThreads": threads})
    node.start()
    time.sleep(2)
    rss = [node.rss_mb()]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            rss.append(node.rss_mb() or 0)
            time.sleep(0.25)
    sampler = threading.Thread(target=sample)
    sampler.start()
    start = time.time()
    node.store_scu(paths)
    sent = time.time()
    ids = [node.instance_of(sop_instance_uid(p)) for p in paths]
    jobs = {}
    while len(jobs) < len(ids):
        for i in ids:
            if i not in jobs:
                job = node.job_of(i)
                if job and job["state"] in ("done", "skipped", "failed"):
                    jobs[i] = (job, time.time())
        time.sleep(0.1)
    end = max(t for _, t in jobs.values())
    stop.set()
    sampler.join()
    node.stop()
    done = [j for j, _ in jobs.values() if j["state"] == "done"]
    print("\n%d worker(s) x %d inference thread(s): %d studies, %d done" % (workers, threads, len(ids), len(done)))
    print("  C-STORE of the burst: %.1f s; first C-STORE to last SR: %.1f s -> %.1f images/min"
          % (sent - start, end - start, len(done) * 60.0 / (end - start)))
    print("  Orthanc RSS: %.0f MB before, peak %.0f MB" % (rss[0], max(rss)))
    print("  stage            p50 (s)   p95 (s)")
    for stage in STAGES:
        values = [j["timings"][stage] for j in done if j.get("timings")]
        print("  %-15s %8.3f %9.3f" % (stage[:-2], percentile(values, 0.5), percentile(values, 0.95)))
    latency = [t - start for _, t in jobs.values()]
    print("  C-STORE start -> job finished: p50 %.1f s, p95 %.1f s" % (statistics.median(latency), percentile(latency, 0.95)))


def main():
    paths = films()
    for config in CONFIGS:
        workers, threads = (int(v) for v in config.split("x"))
        run(paths, workers, threads)


if __name__ == "__main__":
    sys.exit(main())
