# SPDX-License-Identifier: GPL-3.0-or-later
"""A throw-away PostgreSQL 15 server (Debian's postgresql-15): initdb in a folder, a free loopback
port, trust authentication, stopped at the end. Run as the postgres user when this runs as root
(the server refuses root). Used by the cluster test and its bench. Standard library only."""
import os
import shutil
import subprocess

from sagitta_node import free_port

BIN = os.environ.get("SAGITTA_PG_BIN", "/usr/lib/postgresql/15/bin")


class PostgresServer:
    def __init__(self, workdir, databases=("sagitta",)):
        if not os.path.exists(os.path.join(BIN, "initdb")):
            raise RuntimeError("PostgreSQL 15's server is not installed (%s/initdb): run scripts/setup.sh" % BIN)
        self.dir = os.path.abspath(workdir)
        if os.path.exists(self.dir):
            shutil.rmtree(self.dir)
        os.makedirs(self.dir)
        self.port = free_port()
        self.log = os.path.join(self.dir, "server.log")
        self._run([BIN + "/initdb", "-D", self.data, "-U", "sagitta", "-A", "trust", "-E", "UTF8", "--no-locale",
                   "--no-sync"], quiet=True)
        self.start()
        for name in databases:
            self._run([BIN + "/createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "sagitta", name])

    @property
    def data(self):
        return os.path.join(self.dir, "data")

    def connection_string(self, database="sagitta"):
        return "host=127.0.0.1 port=%d user=sagitta dbname=%s" % (self.port, database)

    def orthanc_section(self, database, storage=False):
        """The "PostgreSQL" section of Orthanc's configuration (orthanc-postgresql): the index of
        every node in one database; Lock false, since several Orthanc write to it."""
        return {"EnableIndex": True, "EnableStorage": storage, "Host": "127.0.0.1", "Port": self.port,
                "Database": database, "Username": "sagitta", "Password": "", "Lock": False, "EnableSsl": False,
                "MaximumConnectionRetries": 30, "ConnectionRetryInterval": 2}

    def start(self):
        self._run([BIN + "/pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "-o",
                   "-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300"
                   % (self.port, self.dir), "start"], quiet=True)

    def stop(self, mode="fast"):
        self._run([BIN + "/pg_ctl", "-D", self.data, "-m", mode, "-w", "stop"], quiet=True)

    def sql(self, database, statement):
        """One statement through psql; its rows as lists of text."""
        out = self._run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "sagitta", "-d", database, "-At",
                         "-F", "\t", "-c", statement], capture=True)
        return [line.split("\t") for line in out.splitlines() if line]

    def close(self):
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass

    def _run(self, argv, quiet=False, capture=False):
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", "postgres:postgres", self.dir], check=True)
            argv = ["runuser", "-u", "postgres", "--"] + argv
        result = subprocess.run(argv, check=True, cwd="/", text=True,
                                stdout=subprocess.PIPE if capture else (subprocess.DEVNULL if quiet else None),
                                stderr=subprocess.DEVNULL if quiet else None)
        return result.stdout if capture else ""
