#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Integration test of issue 7: forwarding to a downstream PACS (a second real Orthanc) that goes
down and comes back, kill -9 during a burst of 20, a burst of 50 with the REST API answering,
JPEG 2000 decoded by Orthanc's GDCM plugin, /sagitta/metrics, an unwritable queue database, and
no patient data in any log.

usage: test_hardening.py SAGITTA PLUGIN BUNDLE WORKDIR
"""
import os
import subprocess
import sys
import threading
import time
import urllib.error

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sagitta_node import OrthancNode, make_seeds, make_studies, sop_instance_uid  # noqa: E402

SAGITTA, PLUGIN, BUNDLE, WORK = sys.argv[1:5]
GDCM = "/usr/share/orthanc/plugins/libOrthancGdcm.so"
FAILURES = []
PHI = []  # patient names and ids that must never appear in a log


def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message, flush=True)
    if not condition:
        FAILURES.append(message)


def make_films(count, prefix, seeds):
    return make_studies(WORK, count, prefix, seeds, PHI)


def instances_of(node, paths):
    return [node.instance_of(sop_instance_uid(p)) for p in paths]


def all_done(node, ids, timeout):
    def done():
        jobs = [node.job_of(i) for i in ids]
        return jobs if all(j and j["state"] in ("done", "skipped", "failed") for j in jobs) else None
    return node.wait_for(done, timeout, "%d jobs" % len(ids))


def sr_count(node, instance):
    study = node.get("/instances/%s/study" % instance)["ID"]
    total = 0
    for series in node.get("/studies/%s/series" % study):
        if series["MainDicomTags"].get("Modality") == "SR":
            total += len(series["Instances"])
    return total


def metric(text, name):
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


def main():
    os.makedirs(WORK, exist_ok=True)
    seeds = make_seeds(SAGITTA, WORK, 4242)

    pacs = OrthancNode(os.path.join(WORK, "pacs"), None, None, aet="PACS")
    pacs.start()
    node = OrthancNode(
        os.path.join(WORK, "node"), PLUGIN, BUNDLE, plugins=[GDCM],
        extra={"DicomModalities": {"PACS": ["PACS", "127.0.0.1", pacs.dicom_port]},
               "OrthancPeers": {"pacs-http": {"Url": pacs.url + "/"}}},
        sagitta={"Workers": 1, "Forwarding": {"BackoffSeconds": 1, "MaxBackoffSeconds": 2, "MaxAttempts": 60},
                 "Rules": [{"Name": "spine laterals to the PACS", "Modality": ["CR", "DX"], "BodyPartExamined": ["SPINE"],
                            "ViewPosition": ["LL", "RL"], "Forward": ["PACS", "peer:pacs-http"]}]})
    node.start()
    unwritable = None
    try:
        # Forwarding: SR and SC reach the downstream PACS.
        films = make_films(2, "forward", seeds)
        node.store_scu(films)
        ids = instances_of(node, films)
        jobs = all_done(node, ids, 180)
        check(all(j["state"] == "done" for j in jobs), "two studies analysed")
        outputs = [sop_instance_uid_of(node, j[k]) for j in jobs for k in ("sr_instance", "sc_instance")]
        try:
            pacs.wait_for(lambda: all(pacs.instance_of(uid) for uid in outputs), 60, "the results at the PACS")
        except AssertionError:
            pass
        arrived = [uid for uid in outputs if pacs.instance_of(uid)]
        check(len(outputs) == 4 and len(arrived) == 4,
              "SR and SC of both studies arrived at the downstream PACS (%d of %d)" % (len(arrived), len(outputs)))
        job = node.wait_for(lambda: all(f["state"] == "sent" for f in node.get("/sagitta/jobs/%d" % jobs[0]["id"])["forwards"])
                            and node.get("/sagitta/jobs/%d" % jobs[0]["id"]), 30, "the forward to be recorded as sent")
        check(sorted(f["destination"] for f in job["forwards"]) == ["modality:PACS", "peer:pacs-http"],
              "the job shows its sends to modality:PACS (C-STORE) and peer:pacs-http (HTTP) as sent")

        # The PACS goes down: sends fail, wait with backoff, and complete once it is back.
        pacs.stop()
        films = make_films(2, "outage", seeds)
        node.store_scu(films)
        ids = instances_of(node, films)
        jobs = all_done(node, ids, 180)

        def retried():
            fwd = [f for i in ids for f in node.job_of(i)["forwards"]]
            return fwd if fwd and all(f["attempts"] >= 2 and f["state"] in ("pending", "sending") for f in fwd) else None
        fwd = node.wait_for(retried, 60, "failed sends to be retried")
        check(all(f["reason"] for f in fwd), "while the PACS is down the sends wait, with the failure recorded (%s)"
              % fwd[0]["reason"][:80])
        pacs.start()
        node.wait_for(lambda: all(f["state"] == "sent" for i in ids for f in node.job_of(i)["forwards"]), 90,
                      "the sends after the PACS came back")
        outputs = [sop_instance_uid_of(node, j[k]) for j in jobs for k in ("sr_instance", "sc_instance")]
        check(all(pacs.instance_of(uid) for uid in outputs), "after the outage every result arrived")
        check(len(pacs.get("/instances")) == 8, "the PACS holds 8 instances: 4 SR and 4 SC, none lost or duplicated "
              "(each sent twice, by C-STORE and by HTTP, and stored once)")

        # JPEG 2000: DCMTK cannot decompress it here; Orthanc's GDCM plugin can.
        j2k_source = make_films(1, "j2k", seeds)[0]
        j2k = os.path.join(WORK, "j2k.dcm")
        subprocess.run(["gdcmconv", "--j2k", j2k_source, j2k], check=True)
        with open(j2k, "rb") as f:
            node.post("/instances", f.read())  # storescu would transcode it; Orthanc keeps it as is
        j2k_job = node.finished_job(node.instance_of(sop_instance_uid(j2k)), 180)
        check(j2k_job["state"] == "done", "a JPEG 2000 film is decoded by Orthanc's decoder and analysed (%s %s)"
              % (j2k_job["state"], j2k_job["reason"][:100]))

        # kill -9 in the middle of a burst of 20: after the restart every one ends done, once.
        films = make_films(20, "crash", seeds)
        node.store_scu(films)
        ids = instances_of(node, films)
        node.wait_for(lambda: sum(1 for i in ids if (node.job_of(i) or {}).get("state") == "done") >= 3, 120,
                      "the burst to be under way")
        at_kill = sum(1 for i in ids if (node.job_of(i) or {}).get("state") == "done")
        node.kill9()
        node.start()
        jobs = all_done(node, ids, 300)
        check(all(j["state"] == "done" for j in jobs) and at_kill < 20,
              "after kill -9 (%d of 20 done at the kill) and a restart all 20 are done" % at_kill)
        check(node.get("/sagitta/jobs?state=running")["total"] == 0, "no job is left running")
        counts = [sr_count(node, i) for i in ids]
        check(counts == [1] * 20, "each of the 20 studies has exactly one SR (%s)" % counts)
        jobs_all = node.get("/sagitta/jobs?limit=1000")["jobs"]
        check(all(sum(1 for j in jobs_all if j["instance"] == i) == 1 for i in ids), "one job per instance")

        # A burst of 50: all analysed, memory bounded, the REST API answering within a second.
        films = make_films(50, "burst", seeds)
        rss = [node.rss_mb()]
        latencies = []
        stop = threading.Event()

        def probe():
            while not stop.is_set():
                t = time.time()
                try:
                    node.get("/system")
                    node.get("/sagitta/health")
                    latencies.append(time.time() - t)
                except (urllib.error.URLError, ConnectionError):
                    latencies.append(float("inf"))
                rss.append(node.rss_mb())
                time.sleep(0.5)
        prober = threading.Thread(target=probe)
        prober.start()
        started = time.time()
        node.store_scu(films)
        ids = instances_of(node, films)
        jobs = all_done(node, ids, 600)
        seconds = time.time() - started
        stop.set()
        prober.join()
        check(all(j["state"] == "done" for j in jobs), "a burst of 50 is analysed: %.0f s, %.1f images/min"
              % (seconds, 50 * 60.0 / seconds))
        check(max(latencies) < 1.0, "the REST API answered within a second while the queue drained (max %.3f s over %d probes)"
              % (max(latencies), len(latencies)))
        peak = max(r for r in rss if r)
        check(peak < 4096, "Orthanc's memory stayed bounded: peak RSS %.0f MB (%.0f MB before)" % (peak, rss[0]))

        # Metrics.
        text = node.get("/sagitta/metrics").decode()
        done = node.get("/sagitta/jobs?state=done")["total"]
        check(metric(text, 'sagitta_jobs{state="done"}') == done, "metrics: jobs by state match the queue (%d done)" % done)
        for stage in ("decode", "inference", "measurement", "writing", "storing", "forwarding"):
            n = metric(text, 'sagitta_stage_seconds_count{stage="%s"}' % stage)
            check(n and n > 0, "metrics: the %s stage has a latency histogram (%d observations)" % (stage, n or 0))
        check('sagitta_model_info{' in text and metric(text, 'sagitta_queue_depth{queue="database"}') == 0,
              "metrics: model info and an empty queue at the end")

        # Hostile REST requests: 4xx, never 5xx, and Orthanc stays up.
        some = ids[0]
        hostile = [
            ("GET", "/sagitta/jobs/1abc", None), ("GET", "/sagitta/jobs/-1", None),
            ("GET", "/sagitta/jobs/99999999999999999999999", None), ("GET", "/sagitta/jobs/0", None),
            ("GET", "/sagitta/jobs?limit=abc", None), ("GET", "/sagitta/jobs?offset=-5", None),
            ("GET", "/sagitta/jobs?limit=99999999999", None), ("GET", "/sagitta/jobs?state=%27%3B%20DROP", None),
            ("GET", "/sagitta/instances/%s/results" % ("x" * 44), None),
            ("GET", "/sagitta/instances/%s/results" % some.upper(), None),
            ("POST", "/sagitta/instances/%s/analyse" % some, b"[]"),
            ("POST", "/sagitta/instances/%s/analyse" % some, b'{"force": "yes"}'),
            ("POST", "/sagitta/instances/%s/analyse" % some, b'{"force": true, "priority": 1}'),
            ("POST", "/sagitta/instances/%s/analyse" % some, b"\xff\xfe\x00"),
            ("POST", "/sagitta/instances/%s/analyse" % some, b"{" * 100000),
            ("POST", "/sagitta/series/not-a-series/analyse", b""),
            ("POST", "/sagitta/series/%s/analyse" % ("0" * 8 + "-00000000" * 4), b""),
            ("POST", "/sagitta/metrics", b""), ("PUT", "/sagitta/health", b"{}"), ("DELETE", "/sagitta/jobs/1", None),
        ]
        statuses = [node.status_of(method, path, body) for method, path, body in hostile]
        check(all(400 <= s < 500 for s in statuses), "%d hostile REST requests are answered 4xx (%s)"
              % (len(hostile), sorted(set(statuses))))
        check(node.get("/sagitta/health")["enabled"], "... and the plugin is healthy afterwards")

        # An unwritable queue database: reported clearly, Orthanc keeps working.
        unwritable = OrthancNode(os.path.join(WORK, "unwritable"), PLUGIN, BUNDLE,
                                 sagitta={"Database": "/proc/sagitta/jobs.db"})
        unwritable.start()
        health = unwritable.get("/sagitta/health")
        check(not health["enabled"] and "/proc/sagitta" in health["reason"],
              "an unwritable database path disables the plugin with its reason (%s)" % health["reason"][:100])
        unwritable.store_scu([films[0]])
        check(len(unwritable.get("/instances")) == 1, "... and Orthanc still stores images")
    finally:
        node.stop()
        pacs.stop()
        if unwritable:
            unwritable.stop()

    logs = [node.log_path, pacs.log_path] + ([unwritable.log_path] if unwritable else [])
    leaked = []
    for path in logs:
        with open(path) as f:
            for line in f:
                if "Sagitta" in line and any(value in line for value in PHI):
                    leaked.append(line.strip())
    check(not leaked, "no patient name or id in the plugin's log lines of %d runs (%s)" % (len(logs), leaked[:1]))
    if FAILURES:
        print("%d check(s) failed; logs: %s" % (len(FAILURES), ", ".join(logs)))
        return 1
    return 0


def sop_instance_uid_of(node, instance):
    return node.get("/instances/%s/simplified-tags" % instance)["SOPInstanceUID"]


if __name__ == "__main__":
    sys.exit(main())
