# SPDX-License-Identifier: GPL-3.0-or-later
"""A real Orthanc (Debian's /usr/sbin/Orthanc) with libOrthancSagitta, on free loopback ports.

Used by the integration tests and by scripts/demo.sh. Standard library only.
"""
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OrthancNode:
    def __init__(self, workdir, plugin, bundle, aet="SAGITTA", sagitta=None, keep=False, extra=None, plugins=()):
        """plugin None: a plain Orthanc (e.g. the downstream PACS). extra: more configuration
        keys (DicomModalities, ...). plugins: more plugin paths (e.g. the GDCM decoder)."""
        self.workdir = os.path.abspath(workdir)
        self.plugin = os.path.abspath(plugin) if plugin else None
        self.bundle = os.path.abspath(bundle) if bundle else None
        self.extra = extra or {}
        self.plugins = list(plugins)
        self.aet = aet
        self.http_port = free_port()
        self.dicom_port = free_port()
        self.process = None
        self.log_path = os.path.join(self.workdir, "orthanc.log")
        self.sagitta = sagitta or {}
        self.credentials = None  # (user, password) sent with every REST request
        if not keep and os.path.exists(self.workdir):
            shutil.rmtree(self.workdir)
        os.makedirs(self.workdir, exist_ok=True)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.http_port

    def write_config(self):
        section = {"ModelBundle": self.bundle, "Workers": 1, "InferenceThreads": 2}
        section.update(self.sagitta)
        config = {
            "Name": "sagitta-node",
            "StorageDirectory": os.path.join(self.workdir, "storage"),
            "IndexDirectory": os.path.join(self.workdir, "storage"),
            "HttpPort": self.http_port,
            "DicomPort": self.dicom_port,
            "DicomAet": self.aet,
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": False,
            "DicomCheckCalledAet": False,
            "Plugins": ([self.plugin] if self.plugin else []) + self.plugins,
        }
        if self.plugin:
            config["Sagitta"] = section
        config.update(self.extra)
        path = os.path.join(self.workdir, "orthanc.json")
        with open(path, "w") as f:
            json.dump(config, f, indent=2)
        return path

    def start(self, timeout=60):
        config = self.write_config()
        log = open(self.log_path, "a")
        self.process = subprocess.Popen(["Orthanc", "--verbose", config], stdout=log, stderr=subprocess.STDOUT,
                                        cwd=self.workdir, start_new_session=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("Orthanc exited at start; see " + self.log_path)
            try:
                self.get("/system")
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.3)
        raise RuntimeError("Orthanc did not answer within %d s" % timeout)

    def restart(self):
        """The same node again (same ports, storage and configuration)."""
        self.stop()
        self.start()

    def rss_mb(self):
        """Resident memory of the Orthanc process, MB (None when it is not running)."""
        if not self.process or self.process.poll() is not None:
            return None
        with open("/proc/%d/status" % self.process.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
        return None

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None

    def kill9(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def request(self, method, path, body=None):
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        if body is not None and not isinstance(body, bytes):
            req.add_header("Content-Type", "application/json")
        if self.credentials:  # Orthanc's RegisteredUsers: HTTP Basic
            token = base64.b64encode(("%s:%s" % self.credentials).encode()).decode()
            req.add_header("Authorization", "Basic " + token)
        with urllib.request.urlopen(req, timeout=30) as r:
            payload = r.read()
        try:
            return json.loads(payload)
        except ValueError:
            return payload

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, body=None):
        return self.request("POST", path, body if body is not None else b"")

    def status_of(self, method, path, body=None):
        """HTTP status of a request (4xx answers are not exceptions here)."""
        try:
            self.request(method, path, body)
            return 200
        except urllib.error.HTTPError as e:
            return e.code

    def store_scu(self, files, calling="SAGITTA_TEST"):
        subprocess.run(["storescu", "-aet", calling, "-aec", self.aet, "127.0.0.1", str(self.dicom_port)] + list(files),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stow(self, paths):
        """DICOMweb STOW-RS of files (the orthanc-dicomweb plugin): one multipart/related request."""
        boundary = "sagitta-stow-boundary"
        body = b""
        for path in paths:
            with open(path, "rb") as f:
                body += b"--" + boundary.encode() + b"\r\nContent-Type: application/dicom\r\n\r\n" + f.read() + b"\r\n"
        body += b"--" + boundary.encode() + b"--\r\n"
        req = urllib.request.Request(self.url + "/dicom-web/studies", data=body, method="POST", headers={
            "Content-Type": 'multipart/related; type="application/dicom"; boundary=%s' % boundary,
            "Accept": "application/dicom+json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read())

    def instance_of(self, sop_instance_uid):
        found = self.post("/tools/lookup", sop_instance_uid.encode())
        for item in found:
            if item["Type"] == "Instance":
                return item["ID"]
        return None

    def wait_for(self, predicate, timeout, what):
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.25)
        raise AssertionError("timed out after %d s waiting for %s" % (timeout, what))

    def job_of(self, instance):
        try:
            return self.get("/sagitta/instances/%s/results" % instance)
        except urllib.error.HTTPError:
            return None

    def finished_job(self, instance, timeout=120):
        def done():
            job = self.job_of(instance)
            return job if job and job["state"] in ("done", "skipped", "failed") else None
        return self.wait_for(done, timeout, "the job of instance " + instance)


def sop_instance_uid(path):
    out = subprocess.run(["dcmdump", "+P", "0008,0018", path], check=True, capture_output=True, text=True).stdout
    return out.split("[", 1)[1].split("]", 1)[0]


def make_studies(workdir, count, prefix, seeds, phi=None):
    """count distinct studies (new UIDs, patient) from the phantoms in seeds, at half size
    (0.3 mm pixels: a coarse but real CR), so that a burst stays quick to send. The patient
    names and ids are appended to phi (what no log may contain)."""
    import pydicom  # Debian's python3-pydicom; only the tests that make films need it
    out = os.path.join(workdir, prefix)
    os.makedirs(out, exist_ok=True)
    paths = []
    for i in range(count):
        ds = pydicom.dcmread(seeds[i % len(seeds)])
        pixels = ds.pixel_array[::2, ::2].copy()
        ds.Rows, ds.Columns = pixels.shape
        ds.PixelData = pixels.tobytes()
        for key in ("ImagerPixelSpacing", "PixelSpacing"):
            if key in ds:
                ds[key].value = [float(v) * 2 for v in ds[key].value]
        tag = "%s-%03d" % (prefix, i)
        ds.PatientName = "BURST^%s" % tag.upper()
        ds.PatientID = "SGT-%s" % tag.upper()
        if phi is not None:
            phi.extend([str(ds.PatientName), ds.PatientID])
        for key in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"):
            setattr(ds, key, pydicom.uid.generate_uid(entropy_srcs=[prefix, key, str(i)]))
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        path = os.path.join(out, tag + ".dcm")
        ds.save_as(path)
        paths.append(path)
    return paths


def make_seeds(sagitta, workdir, seed, count=3):
    """count normal DICOM phantoms (the seeds make_studies copies), made once per work folder."""
    seeds_dir = os.path.join(workdir, "seeds")
    paths = [os.path.join(seeds_dir, "case_%06d.dcm" % i) for i in range(count)]
    if not all(os.path.isfile(p) for p in paths):
        subprocess.run([sagitta, "phantom", "--out", seeds_dir, "--count", str(count), "--seed", str(seed),
                        "--mode", "dicom", "--variety", "normal", "--quiet"], check=True)
    return paths


def spread(nodes, films):
    """C-STORE films round-robin over the nodes, one storescu per node at the same time."""
    threads = []
    for i, node in enumerate(nodes):
        part = films[i::len(nodes)]
        if part:
            threads.append(threading.Thread(target=node.store_scu, args=(part,)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def jobs_of(node, ids):
    return [node.job_of(i) for i in ids]


def wait_done(node, ids, timeout, what):
    """Waits until every instance's job has ended (done, skipped or failed); returns the jobs."""
    def done():
        jobs = jobs_of(node, ids)
        return jobs if all(j and j["state"] in ("done", "skipped", "failed") for j in jobs) else None
    return node.wait_for(done, timeout, what)
