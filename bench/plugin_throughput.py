#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plugin bench: sustained throughput for a burst of full-size studies, per worker
configuration, two ways: (1) sent at once by C-STORE (one storescu association) while the
plugin analyses, from the start of the C-STORE to the last SR stored; (2) already stored and
queued all at once (the catch-up at start), from Orthanc's start to the last SR: the analysis
capacity alone. Each with images per minute, p50 / p95 per stage (each job's recorded timings),
start -> SR latency, and Orthanc's peak RSS sampled every 0.25 s.

usage: plugin_throughput.py SAGITTA PLUGIN BUNDLE WORKDIR [STUDIES] [WORKERSxTHREADS ...]
   e.g. plugin_throughput.py ... 50 1x2 2x1
"""
import os
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


class RssSampler:
    """Orthanc's VmRSS every 0.25 s while running."""

    def __init__(self, node):
        self.node, self.values, self.stop = node, [node.rss_mb() or 0], threading.Event()
        self.thread = threading.Thread(target=self.loop)
        self.thread.start()

    def loop(self):
        while not self.stop.is_set():
            self.values.append(self.node.rss_mb() or 0)
            time.sleep(0.25)

    def finish(self):
        self.stop.set()
        self.thread.join()
        return self.values[0], max(self.values)


def wait_all(node, ids):
    jobs = {}
    while len(jobs) < len(ids):
        for i in ids:
            if i not in jobs:
                job = node.job_of(i)
                if job and job["state"] in ("done", "skipped", "failed"):
                    jobs[i] = job
        time.sleep(0.2)
    return list(jobs.values())


def report(title, jobs, start, rss):
    done = [j for j in jobs if j["state"] == "done"]
    end = max(j["updated"] for j in jobs)  # Unix time written by the plugin
    print("  %s: %d of %d done, %.1f s -> %.1f images/min; Orthanc RSS %.0f MB at the start, peak %.0f MB"
          % (title, len(done), len(jobs), end - start, len(done) * 60.0 / (end - start), rss[0], rss[1]))
    latency = [j["updated"] - start for j in done]
    print("    start -> SR stored: p50 %.1f s, p95 %.1f s" % (percentile(latency, 0.5), percentile(latency, 0.95)))
    print("    stage            p50 (s)   p95 (s)")
    for stage in STAGES:
        values = [j["timings"][stage] for j in done if j.get("timings")]
        print("    %-15s %8.3f %9.3f" % (stage[:-2], percentile(values, 0.5), percentile(values, 0.95)))


def run(paths, workers, threads):
    sagitta = {"Workers": workers, "InferenceThreads": threads}
    print("\n%d worker(s) x %d inference thread(s), %d full-size studies" % (workers, threads, len(paths)))
    # 1. The burst sent by C-STORE while the plugin analyses.
    node = OrthancNode(os.path.join(WORK, "burst-%dx%d" % (workers, threads)), PLUGIN, BUNDLE, sagitta=sagitta)
    node.start()
    time.sleep(2)
    sampler = RssSampler(node)
    start = time.time()
    node.store_scu(paths)
    print("  C-STORE of the burst (one association): %.1f s" % (time.time() - start))
    ids = [node.instance_of(sop_instance_uid(p)) for p in paths]
    jobs = wait_all(node, ids)
    report("burst by C-STORE (start of C-STORE to last SR)", jobs, start, sampler.finish())
    node.stop()
    # 2. The same studies already stored, all queued at once (stored while the plugin was
    #    absent, found by the catch-up at start): the analysis capacity alone.
    folder = os.path.join(WORK, "drain-%dx%d" % (workers, threads))
    node = OrthancNode(folder, PLUGIN, BUNDLE, sagitta=sagitta)
    node.start()  # sets the change-log cursor
    node.stop()
    plain = OrthancNode(folder, None, None, keep=True)
    plain.http_port, plain.dicom_port, plain.aet = node.http_port, node.dicom_port, node.aet
    plain.start()
    plain.store_scu(paths)
    plain.stop()
    node = OrthancNode(folder, PLUGIN, BUNDLE, sagitta=sagitta, keep=True)
    node.http_port, node.dicom_port = plain.http_port, plain.dicom_port
    start = time.time()
    node.start()
    sampler = RssSampler(node)
    ids = [node.instance_of(sop_instance_uid(p)) for p in paths]
    jobs = wait_all(node, ids)
    report("queue of %d drained (Orthanc start to last SR)" % len(paths), jobs, start, sampler.finish())
    node.stop()


def main():
    paths = films()
    for config in CONFIGS:
        workers, threads = (int(v) for v in config.split("x"))
        run(paths, workers, threads)


if __name__ == "__main__":
    sys.exit(main())
