#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plugin bench: C-STORE end -> SR stored, p50 / p95 over single studies, and Orthanc's memory
with the plugin loaded, after the first studies and after 100 analyses (forced reruns).

usage: plugin_latency.py SAGITTA PLUGIN BUNDLE WORKDIR [STUDIES]
"""
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration-tests"))
from sagitta_node import OrthancNode, sop_instance_uid  # noqa: E402

SAGITTA, PLUGIN, BUNDLE, WORK = sys.argv[1:5]
STUDIES = int(sys.argv[5]) if len(sys.argv) > 5 else 20


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def main():
    films = os.path.join(WORK, "films")
    subprocess.run([SAGITTA, "phantom", "--out", films, "--count", str(STUDIES), "--seed", "5150", "--mode", "dicom",
                    "--quiet"], check=True)
    node = OrthancNode(os.path.join(WORK, "orthanc"), PLUGIN, BUNDLE)
    node.start()
    time.sleep(2)
    loaded = rss_mb(node.process.pid)
    latencies, instances = [], []
    for name in sorted(f for f in os.listdir(films) if f.endswith(".dcm")):
        path = os.path.join(films, name)
        node.store_scu([path])
        end = time.time()
        instance = node.instance_of(sop_instance_uid(path))

        def stored():
            job = node.job_of(instance)
            return job if job and job["state"] in ("done", "skipped", "failed") else None
        job = node.wait_for(stored, 120, name)
        latencies.append(time.time() - end)
        instances.append(instance)
        if job["state"] != "done":
            print("%s: %s %s" % (name, job["state"], job["reason"]))
    after_first = rss_mb(node.process.pid)
    analyses = len(instances)
    while analyses < 100:
        instance = instances[analyses % len(instances)]
        before = node.job_of(instance)["updated"]
        node.post("/sagitta/instances/%s/analyse" % instance, {"force": True})
        node.wait_for(lambda: node.job_of(instance)["updated"] > before and node.job_of(instance)["state"] == "done",
                      120, "rerun")
        analyses += 1
    after_all = rss_mb(node.process.pid)
    node.stop()
    q = statistics.quantiles(latencies, n=20)
    print("studies: %d, C-STORE end -> SR stored: p50 %.2f s, p95 %.2f s, max %.2f s"
          % (len(latencies), statistics.median(latencies), q[18], max(latencies)))
    print("Orthanc RSS: %.0f MB with the plugin loaded, %.0f MB after %d studies, %.0f MB after %d analyses"
          % (loaded, after_first, len(latencies), after_all, analyses))


if __name__ == "__main__":
    sys.exit(main())
