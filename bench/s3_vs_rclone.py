#!/usr/bin/python3
"""Skyport's cloud get/send against rclone, on the same S3 emulator and machine.

In one run: starts the test cloud (tests/infra/test-cloud.mjs: OIDC provider, STS double, S3 emulator),
starts ./skyport serve on a temporary data folder pointed at that OIDC provider and STS double, logs in
through /authnz/mock/login -> provider -> /authnz/mock/callback as a browser-less API client would,
registers a role in the STS double and an aws authorization pointing at the emulator, obtains the same
role's temporary keys for rclone (AssumeRoleWithWebIdentity with an id token minted by the provider), and
times:

  get  1 x 1 GiB       POST /api/cloud/storage/get until the dataset is ok  vs  rclone copy to a folder
  get  1000 x 4 KiB    the same for a prefix of 1,000 objects                vs  rclone copy of the prefix
  send 1 x 1 GiB       POST /api/cloud/storage/send until the job is ok      vs  rclone copy of a local file
  send 1000 x 4 KiB    the 1,000 datasets of the get above                   vs  rclone copy of 1,000 files

The objects are created with rclone beforehand (untimed), and one small get + send warms both paths up.
Prints seconds, the ratio Skyport/rclone, the CPU seconds of the Skyport server, of rclone and of the
emulator during each operation, and the server's peak RSS (VmHWM); then a per-operation breakdown from the
server log (job start/finish times) and the jobs API.

    /usr/bin/python3 bench/s3_vs_rclone.py [--big-mib 1024] [--small-count 1000] [--small-kib 4] [--keep]

Needs rclone (apt-get install rclone), node (the test cloud; tests/infra/install.sh is run if its
node_modules is missing) and ~5x the big size free in /tmp.
"""
import argparse
import base64
import hashlib
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skyport_bench import ROOT, Server, status_kb  # noqa: E402

GOAL_RATIO = 1.0
STRETCH_RATIO = 0.8
GOAL_RSS_MB = 250
PROVIDER = "mock"
CLIENT_ID = "skyport"
SUBJECT = "bench-user"
ROLE_ARN = "arn:aws:iam::123456789012:role/skyport-bench"
BUCKET = "bench"
REMOTE = "skybench"  # rclone remote name, configured through RCLONE_CONFIG_SKYBENCH_* variables
# Skyport's defaults move one large object in 8 parts of 8 MiB at a time (Skyport:Transfers:PartConcurrency,
# PartSizeMiB); rclone is given the same part size and concurrency, and 8 files at a time.
RCLONE_FLAGS = ["--transfers", "8", "--multi-thread-streams", "8", "--s3-upload-concurrency", "8", "--s3-chunk-size", "8M"]
CLK_TCK = os.sysconf("SC_CLK_TCK")
INFRA = os.path.join(ROOT, "tests", "infra")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads) from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


class TestCloud:
    """node tests/infra/test-cloud.mjs; exits when its stdin closes. Its S3 store goes under `tmp` (TMPDIR)."""

    def __init__(self, tmp: str):
        if not os.path.isdir(os.path.join(INFRA, "node_modules", "@20minutes", "s3rver")):
            print("Installing the test cloud (tests/infra/install.sh)...", flush=True)
            subprocess.run([os.path.join(INFRA, "install.sh")], check=True)
        env = dict(os.environ)
        env["NODE_OPTIONS"] = (env.get("NODE_OPTIONS", "") + " --openssl-legacy-provider").strip()
        env["TMPDIR"] = tmp
        self.log_path = os.path.join(tmp, "test-cloud.log")
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(["node", os.path.join(INFRA, "test-cloud.mjs")], cwd=INFRA, env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True)
        timer = threading.Timer(60, self.process.kill)
        timer.start()
        try:
            line = self.process.stdout.readline()
        finally:
            timer.cancel()
        if not line:
            self.stop()
            raise RuntimeError(f"the test cloud did not start; see {self.log_path}:\n{open(self.log_path).read()[-2000:]}")
        self.urls = json.loads(line)
        threading.Thread(target=lambda: self.process.stdout.read(), daemon=True).start()
        self.http = requests.Session()
        self.http.trust_env = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def admin(self, path: str, body: dict) -> dict:
        r = self.http.post(self.urls["admin"] + path, json=body, timeout=60)
        if not r.ok:
            raise RuntimeError(f"test cloud admin {path}: HTTP {r.status_code}: {r.text[:500]}")
        return r.json()

    def stop(self):
        if self.process.poll() is None:
            try:
                self.process.stdin.close()  # its signal to shut down (and remove its S3 store)
                self.process.wait(timeout=15)
            except (subprocess.TimeoutExpired, OSError):
                self.process.kill()
                self.process.wait()
        self._log.close()


class ServerLog:
    """Job start/finish times from the server's single-line, UTC-timestamped console log."""

    LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z .*?Job (\d+) (?:\((\S+)\) (started)|(finished ok))")

    def __init__(self, path: str):
        self.path = path

    def issuances(self, since: float, until: float) -> int:
        count = 0
        with open(self.path, errors="replace") as f:
            for line in f:
                if "Issued aws credentials" in line:
                    t = datetime.fromisoformat(line[:23] + "+00:00").timestamp()
                    count += since <= t <= until
        return count

    def jobs(self, since: float, until: float) -> dict:
        """{job id: {tool, start, end}} for jobs that started in [since, until] (epoch seconds)."""
        found = {}
        with open(self.path, errors="replace") as f:
            for line in f:
                m = self.LINE.match(line)
                if not m:
                    continue
                t = datetime.fromisoformat(m.group(1) + "+00:00").timestamp()
                job = int(m.group(2))
                if m.group(4):
                    if since <= t <= until:
                        found[job] = {"tool": m.group(3), "start": t, "end": None}
                elif job in found:
                    found[job]["end"] = t
        return found


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = tempfile.mkdtemp(prefix="skyport-s3-vs-rclone-")
        self.cloud = None
        self.server = None
        self.user = None
        self.rows = []
        self.progress_done = None
        self.details = []

    # ---- setup ----

    def start(self):
        print(f"Work folder {self.work}; load average {loadavg()}", flush=True)
        self.cloud = TestCloud(self.work)
        urls = self.cloud.urls
        print(f"Test cloud pid {self.cloud.pid}: oidc {urls['oidc']}, sts {urls['sts']}, s3 {urls['s3']}", flush=True)
        issuer = urls["oidc"].rstrip("/")
        self.cloud.admin("/oidc/claims", {"sub": SUBJECT, "email": f"{SUBJECT}@example.org"})
        self.cloud.admin("/sts/roles", {"role_arn": ROLE_ARN, "issuer": issuer, "audience": CLIENT_ID,
                                        "subject": SUBJECT, "max_session_seconds": 43200})
        self.cloud.admin("/s3/buckets", {"name": BUCKET})

        print("Starting ./skyport serve (builds on first use)...", flush=True)
        settings = {
            f"Skyport:Oidc:Providers:{PROVIDER}:Authority": issuer,
            f"Skyport:Oidc:Providers:{PROVIDER}:ClientId": CLIENT_ID,
            f"Skyport:Oidc:Providers:{PROVIDER}:RequireHttpsMetadata": "false",
            "Skyport:Cloud:Aws:StsEndpoint": urls["sts"],
            # One line per entry with a UTC timestamp, so that job start/finish times can be read back.
            "Logging:Console:FormatterName": "simple",  # without it the FormatterOptions are ignored
            "Logging:Console:FormatterOptions:SingleLine": "true",
            "Logging:Console:FormatterOptions:TimestampFormat": "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ",
            "Logging:Console:FormatterOptions:UseUtcTimestamp": "true",
        }
        extra = [f"--{k}={v}" for k, v in settings.items()] + [f"--{s}" for s in self.args.skyport_setting]
        self.server = Server(extra, parent_dir=self.work)
        self.log = ServerLog(self.server.log_path)
        print(f"Server {self.server.url} pid {self.server.pid}; RSS after start {self.server.rss_mb():.0f} MB", flush=True)

        self.user = self.login()
        identity = self.api("GET", "/authnz").json()[0]["id"]
        self.authz = self.api("POST", "/api/cloud/authz", json={
            "provider": "aws", "authn_id": identity, "description": "bench",
            "config": {"role_arn": ROLE_ARN, "endpoint": urls["s3"], "region": "us-east-1"}}).json()["id"]
        self.rclone_env = self.rclone_environment()

    def login(self) -> requests.Session:
        """/authnz/mock/login answers API clients with {redirect_uri}; the provider redirects at once to the callback."""
        s = requests.Session()
        s.trust_env = False
        r = s.get(self.server.url + f"/authnz/{PROVIDER}/login", allow_redirects=False)
        r.raise_for_status()
        at_provider = s.get(r.json()["redirect_uri"], allow_redirects=False)
        if at_provider.status_code != 302:
            raise RuntimeError(f"the provider answered {at_provider.status_code}: {at_provider.text[:300]}")
        callback = s.get(at_provider.headers["Location"], allow_redirects=False)
        if callback.status_code != 302:
            raise RuntimeError(f"login callback answered {callback.status_code}: {callback.text[:500]}")
        me = s.get(self.server.url + "/api/users/current").json()
        print(f"Logged in through OIDC as {me.get('email')}", flush=True)
        return s

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        r = self.user.request(method, self.server.url + path, **kwargs)
        if not r.ok:
            raise RuntimeError(f"{method} {path}: HTTP {r.status_code}: {r.text[:500]}")
        return r

    def rclone_environment(self) -> dict:
        """The role's temporary keys from the STS double (a plain Query-protocol POST) as an rclone remote."""
        token = self.cloud.admin("/oidc/tokens", {"sub": SUBJECT, "email": f"{SUBJECT}@example.org"})["id_token"]
        r = requests.post(self.cloud.urls["sts"], data={
            "Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15", "RoleArn": ROLE_ARN,
            "RoleSessionName": "rclone-bench", "WebIdentityToken": token, "DurationSeconds": "43200"}, timeout=30)
        if not r.ok:
            raise RuntimeError(f"STS answered {r.status_code}: {r.text[:500]}")
        keys = {name: re.search(f"<{name}>([^<]*)</{name}>", r.text).group(1)
                for name in ("AccessKeyId", "SecretAccessKey", "SessionToken")}
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "RCLONE_"))}  # AWS_CA_BUNDLE breaks rclone's S3
        config = os.path.join(self.work, "rclone.conf")
        open(config, "w").close()
        prefix = f"RCLONE_CONFIG_{REMOTE.upper()}_"
        env.update({"RCLONE_CONFIG": config, prefix + "TYPE": "s3", prefix + "PROVIDER": "Other",
                    prefix + "ENDPOINT": self.cloud.urls["s3"], prefix + "REGION": "us-east-1",
                    prefix + "FORCE_PATH_STYLE": "true", prefix + "ACCESS_KEY_ID": keys["AccessKeyId"],
                    prefix + "SECRET_ACCESS_KEY": keys["SecretAccessKey"], prefix + "SESSION_TOKEN": keys["SessionToken"]})
        return env

    def rclone(self, *args) -> None:
        r = subprocess.run(["rclone", *args], env=self.rclone_env, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"rclone {' '.join(args)} failed ({r.returncode}):\n{r.stderr[-3000:]}")

    def make_sources(self):
        big = self.args.big_mib << 20
        self.big_path = os.path.join(self.work, "local-big", "big.bin")
        os.makedirs(os.path.dirname(self.big_path))
        print(f"Writing {self.args.big_mib} MiB of random data and {self.args.small_count} x {self.args.small_kib} KiB files...", flush=True)
        digest = hashlib.sha256()
        with open(self.big_path, "wb") as f:
            left = big
            while left:
                data = os.urandom(min(64 << 20, left))
                digest.update(data)
                f.write(data)
                left -= len(data)
        self.big_sha256 = digest.hexdigest()
        self.small_dir = os.path.join(self.work, "local-small")
        os.makedirs(self.small_dir)
        for i in range(self.args.small_count):
            with open(os.path.join(self.small_dir, f"{i:04d}.bin"), "wb") as f:
                f.write(os.urandom(self.args.small_kib << 10))
        warm = os.path.join(self.work, "local-warm")
        os.makedirs(warm)
        with open(os.path.join(warm, "w.txt"), "w") as f:
            f.write("warm up\n")
        print("Creating the objects with rclone (untimed)...", flush=True)
        self.rclone("copyto", self.big_path, f"{REMOTE}:{BUCKET}/get/big.bin", *RCLONE_FLAGS)
        self.rclone("copy", self.small_dir, f"{REMOTE}:{BUCKET}/get-small/", *RCLONE_FLAGS)
        self.rclone("copy", warm, f"{REMOTE}:{BUCKET}/warm/", *RCLONE_FLAGS)

    # ---- Skyport operations ----

    def history(self, name: str) -> str:
        return self.api("POST", "/api/histories", json={"name": name}).json()["id"]

    def watch_progress(self, history: str, t0: float):
        """For one-job operations: when the job's bytes were all moved (the rest is verification and import)."""
        if self.progress_done is None:
            jobs = self.api("GET", f"/api/jobs?history_id={history}&state=running&limit=1").json()
            if jobs and jobs[0]["progress"]["percent"] == 100:
                self.progress_done = time.perf_counter() - t0

    def wait_history_ok(self, history: str, count: int, timeout: float = 3600, t0: float = 0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if count == 1:
                self.watch_progress(history, t0)
            states = self.api("GET", f"/api/histories/{history}").json().get("state_details", {})
            if states.get("error", 0):
                raise RuntimeError(f"some gets failed: {states}")
            if states.get("ok", 0) >= count:
                return
            time.sleep(self.args.poll)
        raise RuntimeError("datasets not ok in time")

    def wait_jobs_done(self, history: str, count: int, timeout: float = 3600, t0: float = 0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if count == 1:
                self.watch_progress(history, t0)
            if not self.api("GET", f"/api/jobs?history_id={history}&state=new,queued,running&limit=1").json():
                failed = self.api("GET", f"/api/jobs?history_id={history}&state=error&limit=5").json()
                if failed:
                    raise RuntimeError(f"send jobs failed: {[j['stderr'][:300] for j in failed]}")
                return
            time.sleep(self.args.poll)
        raise RuntimeError("jobs not done in time")

    def skyport_get(self, history: str, count: int, **selection) -> tuple:
        t0 = time.perf_counter()
        queued = self.api("POST", "/api/cloud/storage/get",
                          json={"history_id": history, "authz_id": self.authz, "bucket": BUCKET, **selection}).json()
        t_post = time.perf_counter() - t0
        if len(queued) != count:
            raise RuntimeError(f"get queued {len(queued)} datasets, expected {count}")
        self.wait_history_ok(history, count, t0=t0)
        return time.perf_counter() - t0, t_post

    def skyport_send(self, history: str, key_prefix: str, count: int) -> tuple:
        t0 = time.perf_counter()
        answer = self.api("POST", "/api/cloud/storage/send",
                          json={"history_id": history, "authz_id": self.authz, "bucket": BUCKET, "key_prefix": key_prefix}).json()
        t_post = time.perf_counter() - t0
        if len(answer["sent_dataset_labels"]) != count or answer["failed_dataset_labels"]:
            raise RuntimeError(f"send answered {answer}"[:1000])
        self.wait_jobs_done(history, count, t0=t0)
        return time.perf_counter() - t0, t_post

    # ---- measuring ----

    def measure(self, fn):
        """Runs fn; returns (its result, wall s, Skyport CPU s, emulator CPU s, rclone CPU s, epoch start, epoch end)."""
        self.progress_done = None
        sky, emu, kids = cpu_seconds(self.server.pid), cpu_seconds(self.cloud.pid), children_cpu()
        start_epoch = time.time()
        t0 = time.perf_counter()
        result = fn()
        wall = time.perf_counter() - t0
        return {"result": result, "wall": wall, "skyport_cpu": cpu_seconds(self.server.pid) - sky,
                "emulator_cpu": cpu_seconds(self.cloud.pid) - emu, "rclone_cpu": children_cpu() - kids,
                "since": start_epoch, "until": time.time(), "progress_done": self.progress_done}

    def row(self, name: str, skyport: dict, rclone: dict, history: str, tool: str):
        t_total, t_post = skyport["result"]
        time.sleep(0.3)
        peak = status_kb(self.server.pid, "VmHWM") / 1024
        self.rows.append({"op": name, "skyport": t_total, "rclone": rclone["wall"], "peak": peak,
                          "skyport_cpu": skyport["skyport_cpu"], "emu_sky": skyport["emulator_cpu"],
                          "rclone_cpu": rclone["rclone_cpu"], "emu_rclone": rclone["emulator_cpu"], "load": loadavg()})
        print(f"  {name}: Skyport {t_total:.2f} s, rclone {rclone['wall']:.2f} s, ratio {t_total / rclone['wall']:.2f}, "
              f"VmHWM {peak:.0f} MB (load {loadavg()})", flush=True)
        self.details.append(self.breakdown(name, skyport, t_post, history, tool))

    def breakdown(self, name: str, m: dict, t_post: float, history: str, tool: str) -> str:
        jobs = {k: v for k, v in self.log.jobs(m["since"] - 1, m["until"] + 1).items() if v["tool"] == tool}
        runs = sorted(v["end"] - v["start"] for v in jobs.values() if v["end"])
        lines = [f"{name}: wall {m['result'][0]:.2f} s = POST {t_post:.2f} s + jobs/polling; "
                 f"server CPU {m['skyport_cpu']:.1f} s ({100 * m['skyport_cpu'] / m['wall']:.0f}% of one core), "
                 f"emulator CPU {m['emulator_cpu']:.1f} s ({100 * m['emulator_cpu'] / m['wall']:.0f}%)"]
        if runs:
            first = min(v["start"] for v in jobs.values())
            last = max(v["end"] for v in jobs.values() if v["end"])
            busy = sum(runs)
            lines.append(f"    {len(jobs)} {tool} jobs (server log): first start {first - m['since']:.2f} s after the POST, "
                         f"last finish {last - m['since']:.2f} s after it (seen by polling {m['result'][0]:.2f} s); "
                         f"run time p50 {runs[len(runs) // 2] * 1000:.0f} ms, max {runs[-1] * 1000:.0f} ms, "
                         f"sum {busy:.1f} s = {busy / max(last - first, 1e-9):.2f} jobs running on average")
        if m["progress_done"] is not None:
            lines.append(f"    bytes moved (job progress 100%) {m['progress_done']:.2f} s after the POST; "
                         f"verification, import and completion took the last {m['result'][0] - m['progress_done']:.2f} s")
        issued = self.log.issuances(m["since"] - 0.5, m["until"] + 0.5)
        lines.append(f"    STS AssumeRoleWithWebIdentity calls (credential issuances in the server log): {issued}")
        listed = self.api("GET", f"/api/jobs?history_id={history}&limit=10000").json()
        listed = [j for j in listed if j["tool_id"] == tool]
        if listed:
            created = [datetime.fromisoformat(j["create_time"].rstrip("Z")) for j in listed]
            updated = [datetime.fromisoformat(j["update_time"].rstrip("Z")) for j in listed]
            lines.append(f"    jobs API: {len(listed)} jobs, create_time span {(max(created) - min(created)).total_seconds():.2f} s, "
                         f"first create -> last update {(max(updated) - min(created)).total_seconds():.2f} s, "
                         f"attempts > 1: {sum(1 for j in listed if j['attempts'] > 1)}")
        return "\n".join(lines)

    # ---- the run ----

    def run(self):
        a = self.args
        big = a.big_mib << 20
        self.make_sources()

        print("Warming up both paths (one small get and send, untimed)...", flush=True)
        warm = self.history("bench warm-up")
        self.skyport_get(warm, 1, objects=["warm/w.txt"])
        self.skyport_send(warm, "warm-send/", 1)
        self.rclone("copy", f"{REMOTE}:{BUCKET}/warm/", os.path.join(self.work, "rclone-warm"), *RCLONE_FLAGS)

        label_big = f"1 x {a.big_mib} MiB"
        label_small = f"{a.small_count} x {a.small_kib} KiB"

        print(f"get {label_big}...", flush=True)
        h_big = self.history("bench get big")
        sky = self.measure(lambda: self.skyport_get(h_big, 1, objects=["get/big.bin"]))
        dataset = self.api("GET", f"/api/histories/{h_big}/contents").json()[0]
        shown = self.api("GET", f"/api/datasets/{dataset['id']}").json()
        hashes = {h["hash_function"]: h["hash_value"] for h in shown.get("hashes", [])}
        if shown["file_size"] != big or hashes.get("SHA-256") != self.big_sha256:
            raise RuntimeError(f"the got dataset differs: size {shown['file_size']}, hashes {hashes}")
        target = os.path.join(self.work, "rclone-get-big")
        rc = self.measure(lambda: self.rclone("copy", f"{REMOTE}:{BUCKET}/get/", target, *RCLONE_FLAGS))
        if os.path.getsize(os.path.join(target, "big.bin")) != big:
            raise RuntimeError("rclone's copy has the wrong size")
        shutil.rmtree(target)
        self.row(f"get  {label_big}", sky, rc, h_big, "cloud_get")

        print(f"get {label_small}...", flush=True)
        h_small = self.history("bench get small")
        sky = self.measure(lambda: self.skyport_get(h_small, a.small_count, prefix="get-small/"))
        target = os.path.join(self.work, "rclone-get-small")
        rc = self.measure(lambda: self.rclone("copy", f"{REMOTE}:{BUCKET}/get-small/", target, *RCLONE_FLAGS))
        if len(os.listdir(target)) != a.small_count:
            raise RuntimeError("rclone copied the wrong number of files")
        shutil.rmtree(target)
        self.row(f"get  {label_small}", sky, rc, h_small, "cloud_get")

        print(f"send {label_big}...", flush=True)
        sky = self.measure(lambda: self.skyport_send(h_big, "skyport-send/", 1))
        rc = self.measure(lambda: self.rclone("copy", os.path.dirname(self.big_path), f"{REMOTE}:{BUCKET}/rclone-send/", *RCLONE_FLAGS))
        self.row(f"send {label_big}", sky, rc, h_big, "cloud_send")

        print(f"send {label_small}...", flush=True)
        sky = self.measure(lambda: self.skyport_send(h_small, "skyport-send-small/", a.small_count))
        rc = self.measure(lambda: self.rclone("copy", self.small_dir, f"{REMOTE}:{BUCKET}/rclone-send-small/", *RCLONE_FLAGS))
        self.row(f"send {label_small}", sky, rc, h_small, "cloud_send")

        self.check_sent(a.small_count, big)
        self.report()

    def check_sent(self, small_count: int, big: int):
        """Both tools' copies are in the bucket with the expected count and size (rclone size, untimed)."""
        for prefix, count, size in (("skyport-send/", 1, big), ("rclone-send/", 1, big),
                                    ("skyport-send-small/", small_count, small_count * (self.args.small_kib << 10)),
                                    ("rclone-send-small/", small_count, small_count * (self.args.small_kib << 10))):
            r = subprocess.run(["rclone", "size", "--json", f"{REMOTE}:{BUCKET}/{prefix}"], env=self.rclone_env,
                               capture_output=True, text=True, check=True)
            got = json.loads(r.stdout)
            if got["count"] != count or got["bytes"] != size:
                raise RuntimeError(f"{prefix} holds {got}, expected {count} objects of {size} bytes in all")

    def report(self):
        print()
        print(f"rclone {rclone_version()} flags: {' '.join(RCLONE_FLAGS)}; Skyport defaults"
              + (f" + {' '.join(self.args.skyport_setting)}" if self.args.skyport_setting else ""))
        header = (f"{'operation':<22} {'Skyport s':>10} {'rclone s':>9} {'ratio':>6} {'peak RSS MB':>12}   "
                  f"{'CPU s: Skyport':>14} {'emu':>5} | {'rclone':>6} {'emu':>5}   load")
        print(header)
        print("-" * len(header))
        for r in self.rows:
            print(f"{r['op']:<22} {r['skyport']:>10.2f} {r['rclone']:>9.2f} {r['skyport'] / r['rclone']:>6.2f} {r['peak']:>12.0f}   "
                  f"{r['skyport_cpu']:>14.1f} {r['emu_sky']:>5.1f} | {r['rclone_cpu']:>6.1f} {r['emu_rclone']:>5.1f}   {r['load']}")
        peak = status_kb(self.server.pid, "VmHWM") / 1024
        worst = max(r["skyport"] / r["rclone"] for r in self.rows)
        print(f"\nServer peak RSS (VmHWM) {peak:.0f} MB. Goals: ratio <= {GOAL_RATIO} on every row "
              f"{'met' if worst <= GOAL_RATIO else 'MISSED'} (stretch {STRETCH_RATIO}: {'met' if worst <= STRETCH_RATIO else 'missed'}); "
              f"peak RSS <= {GOAL_RSS_MB} MB {'met' if peak <= GOAL_RSS_MB else 'MISSED'}.")
        print("(CPU s = utime+stime from /proc/PID/stat during the operation: Skyport server and emulator while Skyport ran;"
              " rclone and emulator while rclone ran. The machine has"
              f" {os.cpu_count()} cores.)\n")
        print("Where Skyport's time went:")
        for d in self.details:
            print(d)

    def cleanup(self):
        if self.server is not None:
            self.server.stop()
        if self.cloud is not None:
            self.cloud.stop()
        if self.args.keep:
            print(f"kept {self.work} (server log {self.server.log_path if self.server else '-'})")
        else:
            shutil.rmtree(self.work, ignore_errors=True)


def rclone_version() -> str:
    r = subprocess.run(["rclone", "version"], capture_output=True, text=True)
    return r.stdout.split("\n", 1)[0].replace("rclone ", "")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--big-mib", type=int, default=1024)
    parser.add_argument("--small-count", type=int, default=1000)
    parser.add_argument("--small-kib", type=int, default=4)
    parser.add_argument("--poll", type=float, default=0.1, help="seconds between completion polls")
    parser.add_argument("--skyport-setting", action="append", default=[], metavar="KEY=VALUE",
                        help="extra server setting, e.g. Skyport:Jobs:Workers=8 (repeatable)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (server log, test cloud log)")
    args = parser.parse_args()
    if shutil.which("rclone") is None:
        sys.exit("rclone is not installed: apt-get install rclone")
    if shutil.which("node") is None:
        sys.exit("node is not installed (the test cloud needs Node 20)")

    # SIGTERM/SIGHUP clean up like Ctrl-C does.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit(f"stopped by signal"))
    bench = Bench(args)
    try:
        bench.start()
        bench.run()
    finally:
        bench.cleanup()


if __name__ == "__main__":
    main()
