#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Cluster bench: images per minute with 1, 2 and 3 nodes on one PostgreSQL 15 (started here),
against one node on SQLite (index and queue) as the baseline. A burst of FILMS half-size
phantom studies is spread over the nodes by C-STORE (one storescu per node at once); the time
runs from the first C-STORE to the last job done. Per node: CPU seconds of its Orthanc process
(user + system, /proc/PID/stat) over the burst, and the PostgreSQL server's.

usage: cluster_throughput.py SAGITTA PLUGIN BUNDLE WORKDIR [FILMS]
"""
import glob
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration-tests"))
from postgres_server import PostgresServer  # noqa: E402
from sagitta_node import OrthancNode, make_seeds, make_studies, sop_instance_uid, spread, wait_done  # noqa: E402

SAGITTA, PLUGIN, BUNDLE, WORK = sys.argv[1:5]
FILMS = int(sys.argv[5]) if len(sys.argv) > 5 else 30
PG_INDEX = "/usr/share/orthanc/plugins/libOrthancPostgreSQLIndex.so"
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def postgres_cpu(pg):
    total = 0.0
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(stat) as f:
                text = f.read()
            if "(postgres)" in text:
                fields = text.rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / TICKS
        except OSError:
            pass
    return total


def run(label, nodes_count, films, pg):
    work = os.path.join(WORK, label)
    shared = os.path.join(work, "storage")
    nodes = []
    for i in range(nodes_count):
        extra = {"StorageDirectory": shared}
        sagitta = {"Workers": 1, "InferenceThreads": 1 if nodes_count > 1 else 2}
        plugins = []
        if pg:
            extra["PostgreSQL"] = pg.orthanc_section("orthanc")
            sagitta.update({"Database": pg.connection_string("sagitta"), "Node": "node-%d" % i})
            plugins = [PG_INDEX]
        nodes.append(OrthancNode(os.path.join(work, "node-%d" % i), PLUGIN, BUNDLE, aet="N%d" % i, plugins=plugins,
                                 extra=extra, sagitta=sagitta))
    try:
        for n in nodes:
            n.start(timeout=120)
        time.sleep(2)
        before = [cpu_seconds(n.process.pid) for n in nodes]
        pg_before = postgres_cpu(pg) if pg else 0.0
        start = time.time()
        spread(nodes, films)
        ids = [nodes[0].instance_of(sop_instance_uid(p)) for p in films]
        jobs = wait_done(nodes[0], ids, 1800, label)
        elapsed = time.time() - start
        cpu = [cpu_seconds(n.process.pid) - b for n, b in zip(nodes, before)]
        pg_cpu = (postgres_cpu(pg) - pg_before) if pg else 0.0
        done = sum(1 for j in jobs if j["state"] == "done")
        print("| %s | %d | %.1f (%d in %.1f s) | %s | %.1f | %.2f |" % (
            label, nodes_count, 60.0 * done / elapsed, done, elapsed, " / ".join("%.1f" % c for c in cpu),
            pg_cpu, (sum(cpu) + pg_cpu) / max(done, 1)), flush=True)
    finally:
        for n in nodes:
            n.stop()


def main():
    os.makedirs(WORK, exist_ok=True)
    seeds = make_seeds(SAGITTA, WORK, 2121)
    print("| configuration | nodes | images/min | CPU s per node | PostgreSQL CPU s | CPU s per film, all |")
    print("|---|---|---|---|---|---|")
    run("sqlite-1", 1, make_studies(WORK, FILMS, "sqlite", seeds), None)
    for count in (1, 2, 3):
        pg = PostgresServer(os.path.join(WORK, "pg-%d" % count), databases=("orthanc", "sagitta"))
        try:
            run("postgresql-%d" % count, count, make_studies(WORK, FILMS, "pg%d" % count, seeds), pg)
        finally:
            pg.close()


if __name__ == "__main__":
    main()
