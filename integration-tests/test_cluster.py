#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Integration test of issue 21: three Orthanc nodes with the plugin on one PostgreSQL 15 (started
here: initdb in the work folder, a loopback port), Orthanc's index in one database
(orthanc-postgresql), Sagitta's shared queue in another, one shared storage folder, and a
downstream PACS. Bursts of films spread over the nodes by C-STORE:
  1. 30 films, kill -9 of a node holding work, not restarted: the survivors finish its films
     once its leases expire;
  2. 12 films, kill -9 of a node and an immediate restart: it takes its own claims back;
  3. 12 films, the database server restarted in the middle.
Every film ends with exactly one SR and one SC in its study, no job is left queued or running,
and every result arrives once at the downstream PACS.

usage: test_cluster.py SAGITTA PLUGIN BUNDLE WORKDIR
"""
import os
import sys
import threading
import time
import urllib.error

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from postgres_server import PostgresServer  # noqa: E402
from sagitta_node import (OrthancNode, jobs_of, make_seeds, make_studies, sop_instance_uid,  # noqa: E402
                          spread, wait_done)

SAGITTA, PLUGIN, BUNDLE, WORK = sys.argv[1:5]
PG_INDEX = "/usr/share/orthanc/plugins/libOrthancPostgreSQLIndex.so"
LEASE = 6  # seconds: short, so that the test waits little for a dead node's claims
FAILURES = []


def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message, flush=True)
    if not condition:
        FAILURES.append(message)


def health(node):
    try:
        return node.get("/sagitta/health")
    except (urllib.error.URLError, ConnectionError, ValueError):
        return None


def make_node(index, pg, pacs, shared_storage):
    return OrthancNode(
        os.path.join(WORK, "node-%d" % index), PLUGIN, BUNDLE, aet="SAGITTA%d" % index, plugins=[PG_INDEX],
        extra={"Name": "sagitta-node-%d" % index, "StorageDirectory": shared_storage,
               "PostgreSQL": pg.orthanc_section("orthanc"),
               "DicomModalities": {"PACS": ["PACS", "127.0.0.1", pacs.dicom_port]}},
        sagitta={"Database": pg.connection_string("sagitta"), "Node": "node-%d" % index, "LeaseSeconds": LEASE,
                 "Workers": 1, "InferenceThreads": 1,
                 "Forwarding": {"BackoffSeconds": 1, "MaxBackoffSeconds": 4, "MaxAttempts": 100},
                 "Rules": [{"Name": "spine laterals to the PACS", "Modality": ["CR", "DX"],
                            "BodyPartExamined": ["SPINE"], "Forward": ["PACS"]}]})


def busy_node(query, candidates):
    """A node (not the one queried) holding a running job now, by the shared queue's nodes."""
    def find():
        h = health(query)
        held = {n["name"]: n["running"] for n in (h or {}).get("nodes", [])}
        for node in candidates:
            if held.get(node.sagitta["Node"], 0) > 0:
                return node
        return None
    return query.wait_for(find, 120, "a node holding a running job")


def study_instances(node, instance):
    study = node.get("/instances/%s/study" % instance)["ID"]
    return node.get("/studies/%s/instances" % study)


def check_outputs(node, pacs, ids, label):
    jobs = jobs_of(node, ids)
    states = [j["state"] for j in jobs]
    check(states.count("done") == len(ids), "%s: all %d films done (%s)" % (label, len(ids), ", ".join(
        "%s %d" % (s, states.count(s)) for s in sorted(set(states)))))
    counts = [len(study_instances(node, i)) for i in ids]
    check(all(c == 3 for c in counts), "%s: every study holds the film, one SR and one SC (instances per study: %s)"
          % (label, sorted(set(counts))))
    outputs = [node.get("/instances/%s/simplified-tags" % j[k])["SOPInstanceUID"] for j in jobs
               for k in ("sr_instance", "sc_instance") if j.get(k)]
    try:
        pacs.wait_for(lambda: all(pacs.instance_of(uid) for uid in outputs), 120, "the results at the PACS")
    except AssertionError:
        pass
    arrived = sum(1 for uid in outputs if pacs.instance_of(uid))
    check(len(outputs) == 2 * len(ids) and arrived == len(outputs),
          "%s: SR and SC of every film arrived at the downstream PACS (%d of %d)" % (label, arrived, len(outputs)))


def main():
    os.makedirs(WORK, exist_ok=True)
    seeds = make_seeds(SAGITTA, WORK, 2121)
    pg = PostgresServer(os.path.join(WORK, "pg"), databases=("orthanc", "sagitta"))
    pacs = OrthancNode(os.path.join(WORK, "pacs"), None, None, aet="PACS")
    shared = os.path.join(WORK, "shared-storage")
    nodes = []
    try:
        pacs.start()
        nodes = [make_node(i, pg, pacs, shared) for i in (1, 2, 3)]
        # Started together: the queue's migrations run once, under their lock.
        starters = [threading.Thread(target=n.start, kwargs={"timeout": 120}) for n in nodes]
        for t in starters:
            t.start()
        for t in starters:
            t.join()
        n1 = nodes[0]
        h = health(n1)
        check(h is not None and h["queue_database"]["engine"] == "postgresql" and h["queue_database"]["reachable"]
              and h["queue_database"]["schema_version"] == 1,
              "three nodes started together on one PostgreSQL; the queue's schema is version 1")
        migrations = pg.sql("sagitta", "SELECT COUNT(*) FROM sagitta_schema")[0][0]
        check(migrations == "1", "the shared queue was migrated once (%s row)" % migrations)
        n1.wait_for(lambda: len([n for n in health(n1)["nodes"] if n["alive"]]) == 3, 60, "three nodes alive")
        check(sorted(n["name"] for n in health(n1)["nodes"]) == ["node-1", "node-2", "node-3"],
              "/sagitta/health lists the three nodes that share the queue")

        # 1. A burst of 30, kill -9 of a node holding work, not restarted.
        films = make_studies(WORK, 30, "burst", seeds)
        spread(nodes, films)
        ids = [n1.instance_of(sop_instance_uid(p)) for p in films]
        check(all(ids), "all 30 films are in the shared index, whichever node stored them")
        victim = busy_node(n1, nodes[1:])
        victim.kill9()
        killed_at = time.time()
        survivors = [n for n in nodes if n is not victim]
        jobs = wait_done(n1, ids, 900, "the burst of 30 after the kill")
        check(True, "the survivors finished the burst %.0f s after the kill of %s" % (time.time() - killed_at,
                                                                                    victim.sagitta["Node"]))
        check_outputs(n1, pacs, ids, "burst of 30 with a node killed")
        by = {}
        for j in jobs:
            by[j.get("attempts", 0)] = by.get(j.get("attempts", 0), 0) + 1
        reclaimed = sum(float(line.rsplit(" ", 1)[1]) for n in survivors for line in n.get("/sagitta/metrics").decode()
                        .splitlines() if line.startswith('sagitta_leases_expired_total{claim="job"}'))
        check(reclaimed >= 1, "the killed node's claims came back when its lease expired (%d job claim(s) "
              "taken over; attempts per job %s)" % (reclaimed, dict(sorted(by.items()))))
        def dead():
            rows = [n for n in health(n1)["nodes"] if n["name"] == victim.sagitta["Node"]]
            return rows[0] if rows and not rows[0]["alive"] else None
        try:
            row = n1.wait_for(dead, 4 * LEASE, "the killed node to show as not alive")
        except AssertionError:
            row = None
        check(row is not None and row["running"] == 0,
              "/sagitta/health shows the killed node as not alive (no heartbeat for two leases) and holding nothing")

        # 2. The same with a restart: the node comes back and takes its own claims back at once.
        victim.start(timeout=120)
        films = make_studies(WORK, 12, "restart", seeds)
        spread(nodes, films)
        ids = [n1.instance_of(sop_instance_uid(p)) for p in films]
        victim = busy_node(n1, nodes[1:])
        victim.kill9()
        victim.start(timeout=120)
        wait_done(n1, ids, 600, "the burst of 12 after a kill and restart")
        check_outputs(n1, pacs, ids, "burst of 12 with a node killed and restarted")
        taken = [line for line in open(victim.log_path, errors="replace") if "interrupted job(s) requeued" in line]
        print("info %s after its restart: %s" % (victim.sagitta["Node"], taken[-1].split("Sagitta: ")[-1].strip()
                                                 if taken else "nothing of its own left to take back (the lease had "
                                                 "expired and another node took its claims)"), flush=True)

        # 3. The database server restarted in the middle of a burst.
        films = make_studies(WORK, 12, "dbrestart", seeds)
        spread(nodes, films)
        ids = [n1.instance_of(sop_instance_uid(p)) for p in films]
        n1.wait_for(lambda: sum(1 for j in jobs_of(n1, ids) if j and j["state"] == "done") >= 2, 300,
                    "two films done before the database restart")
        pg.stop("fast")
        time.sleep(1)
        down = [n.status_of("GET", "/sagitta/health") for n in nodes]
        time.sleep(3)
        pg.start()
        alive = [n for n in nodes if n.process and n.process.poll() is None]
        check(len(alive) == 3, "every Orthanc node lived through the database restart (%d of 3)" % len(alive))
        check(all(code in (200, 500, 503) for code in down), "while the database was down /sagitta/health answered "
              "(HTTP %s)" % down)
        wait_done(n1, ids, 600, "the burst of 12 after the database restart")
        check_outputs(n1, pacs, ids, "burst of 12 with the database restarted")

        # Nothing stuck, nothing sent twice.
        def settled():
            h = health(n1)
            return h if h and h["queue"]["queued"] == 0 and h["queue"]["running"] == 0 \
                and h["forwards"]["pending"] == 0 and h["forwards"]["sending"] == 0 else None
        h = n1.wait_for(settled, 120, "an empty queue")
        check(h["queue"]["done"] == 54 and h["queue"]["failed"] == 0,
              "the shared queue ends with 54 films done, none queued, running or failed (%s)" % h["queue"])
        check(len(pacs.get("/instances")) == 108, "the downstream PACS holds 108 instances: one SR and one SC per "
              "film, none missing, none duplicated (%d)" % len(pacs.get("/instances")))
        duplicates = pg.sql("sagitta", "SELECT COUNT(*) FROM (SELECT instance FROM jobs GROUP BY instance, bundle "
                                       "HAVING COUNT(*) > 1) d")[0][0]
        check(duplicates == "0", "one job per film and bundle in the shared queue")
    finally:
        for n in nodes:
            n.stop()
        pacs.stop()
        pg.close()
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES))
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
