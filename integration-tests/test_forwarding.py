#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Integration test of the forwards (issue 17): Orthanc keeps only JobsHistorySize finished jobs,
so the plugin cannot rely on /jobs to learn how a send ended. Two workers, a history of 2 and a
slow downstream (DCMTK's storescp, which holds every object until a gate opens, the way a PACS
that stalls does, then takes SLOW_SECONDS for each): the sends pile up, then finish within a
moment of each other, far more than the history holds. Every object arrives exactly once and no
send fails. A send job someone pauses is cancelled after
Forwarding.StalledSeconds and sent again, not left "sending".

usage: test_forwarding.py SAGITTA PLUGIN BUNDLE WORKDIR
"""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sagitta_node import OrthancNode, free_port, make_studies, sop_instance_uid  # noqa: E402

SAGITTA, PLUGIN, BUNDLE, WORK = sys.argv[1:5]
FAILURES = []
FILMS = 12
SLOW_SECONDS = 0.05  # what the downstream spends on each object once the gate is open


def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message, flush=True)
    if not condition:
        FAILURES.append(message)


def received(log):
    if not os.path.exists(log):
        return []
    with open(log) as f:
        return [line.strip() for line in f if line.strip()]


def main():
    if os.path.exists(WORK):
        shutil.rmtree(WORK)
    os.makedirs(WORK)
    seeds_dir = os.path.join(WORK, "seeds")
    subprocess.run([SAGITTA, "phantom", "--out", seeds_dir, "--count", "3", "--seed", "4343", "--mode", "dicom",
                    "--variety", "normal", "--quiet"], check=True)
    seeds = [os.path.join(seeds_dir, "case_%06d.dcm" % i) for i in range(3)]

    # The slow downstream: storescp runs the command for each object before it answers, and the
    # command logs the object's file name (the SOP Instance UID): a duplicate shows as a repeat.
    down_dir = os.path.join(WORK, "downstream")
    os.makedirs(down_dir)
    log = os.path.join(WORK, "received.log")
    gate = os.path.join(WORK, "gate")  # objects wait while it is missing
    port = free_port()
    storescp = subprocess.Popen(["storescp", "-aet", "DOWN", "-od", down_dir, "--exec-sync", "--exec-on-reception",
                                 "while [ ! -e %s ]; do sleep 0.1; done; sleep %s; echo #f >> %s"
                                 % (gate, SLOW_SECONDS, log), str(port)],
                                stdout=open(os.path.join(WORK, "storescp.log"), "w"), stderr=subprocess.STDOUT)
    node = OrthancNode(
        os.path.join(WORK, "node"), PLUGIN, BUNDLE,
        extra={"DicomModalities": {"DOWN": ["DOWN", "127.0.0.1", port]}, "JobsHistorySize": 2,
               "ConcurrentJobs": 1, "DicomScuTimeout": 300},
        sagitta={"Workers": 2, "InferenceThreads": 1,
                 "Forwarding": {"BackoffSeconds": 1, "MaxBackoffSeconds": 2, "MaxAttempts": 5, "StalledSeconds": 4},
                 "Rules": [{"Name": "spine laterals downstream", "Modality": ["CR", "DX"], "BodyPartExamined": ["SPINE"],
                            "ViewPosition": ["LL", "RL"], "Forward": ["DOWN"]}]})
    node.start()
    try:
        films = make_studies(WORK, FILMS, "fwd", seeds)
        node.store_scu(films)
        ids = [node.instance_of(sop_instance_uid(p)) for p in films]

        def piled_up():
            jobs = [node.job_of(i) for i in ids]
            fwd = [f for j in jobs if j for f in j["forwards"]]
            return len(fwd) == FILMS and all(f["state"] == "sending" for f in fwd)
        node.wait_for(piled_up, 400, "all the sends to be started and held by the downstream")
        held = len(received(log))
        with open(gate, "w"):
            pass

        def forwards_ended():
            jobs = [node.job_of(i) for i in ids]
            if not all(j and j["state"] in ("done", "skipped", "failed") for j in jobs):
                return None
            fwd = [f for j in jobs for f in j["forwards"]]
            return (jobs, fwd) if all(f["state"] in ("sent", "failed") for f in fwd) else None
        jobs, fwd = node.wait_for(forwards_ended, 600, "the analyses and their forwards")
        check(all(j["state"] == "done" for j in jobs), "%d films analysed by 2 workers" % FILMS)
        history = len(node.get("/jobs"))
        names = received(log)
        check(len(names) == 2 * FILMS and len(set(names)) == 2 * FILMS,
              "with JobsHistorySize 2 (Orthanc lists %d jobs) every one of the %d objects reached the slow downstream "
              "exactly once (%d receptions, %d distinct; %d before the gate opened)"
              % (history, 2 * FILMS, len(names), len(set(names)), held))
        check(len(fwd) == FILMS and all(f["state"] == "sent" and f["attempts"] == 1 for f in fwd),
              "every send succeeded at its first attempt (%s)"
              % sorted(set("%s/%d %s" % (f["state"], f["attempts"], f["reason"][:60]) for f in fwd)))
        jobs_total = node.get("/sagitta/jobs?limit=1000")["total"]
        check(jobs_total == FILMS, "the queue holds one job per film and none for the %d SR and SC the plugin stored "
              "(%d jobs)" % (2 * FILMS, jobs_total))

        # A send job paused by someone: after StalledSeconds it is cancelled and sent again. Orthanc
        # runs one job at a time here; a send of two films held at the closed gate keeps ours
        # pending, so that the pause takes effect at once.
        os.remove(gate)
        blocker = node.post("/modalities/DOWN/store", {"Resources": ids[:2], "Asynchronous": True})["ID"]
        node.wait_for(lambda: node.get("/jobs/%s" % blocker)["State"] == "Running", 30, "the blocking send to run")
        paused_film = make_studies(WORK, 1, "paused", seeds)
        node.store_scu(paused_film)
        film = node.instance_of(sop_instance_uid(paused_film[0]))

        def sending():
            job = node.job_of(film)
            fwd = (job or {}).get("forwards") or []
            return fwd[0]["orthanc_job"] if fwd and fwd[0]["state"] == "sending" and fwd[0]["orthanc_job"] else None
        orthanc_job = node.wait_for(sending, 300, "the send to start")
        node.post("/jobs/%s/pause" % orthanc_job)
        state = node.get("/jobs/%s" % orthanc_job)["State"]
        with open(gate, "w"):
            pass
        check(state == "Paused", "the send job is paused by hand while it waits (%s)" % state)
        final = node.wait_for(lambda: (lambda f: f if f["state"] in ("sent", "failed") else None)(
            node.job_of(film)["forwards"][0]), 60, "the stalled send to be replaced")
        with open(node.log_path) as f:
            why = [line.split("failed: ", 1)[1].strip() for line in f if orthanc_job + " stayed Paused" in line]
        check(final["state"] == "sent" and final["attempts"] == 2 and why,
              "the paused send was cancelled after StalledSeconds and the objects sent again (%s, attempt %d; %s)"
              % (final["state"], final["attempts"], why[0][:110] if why else "no log line"))
        left = node.get("/jobs/%s" % orthanc_job)["State"] if orthanc_job in node.get("/jobs") else "gone"
        check(left != "Paused", "the paused job is no longer waiting in Orthanc (%s)" % left)
    finally:
        node.stop()
        storescp.terminate()
        storescp.wait()
    if FAILURES:
        print("%d check(s) failed; log: %s" % (len(FAILURES), node.log_path))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
