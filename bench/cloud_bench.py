"""Shared pieces of the cloud get/send benchmarks (s3_vs_rclone.py, azure_gcs.py, s3_floor.py): the test cloud
(tests/infra/test-cloud.mjs), job times from the server log, CPU and memory readings from /proc, and CloudBench, which
logs in through the mock OIDC provider, runs Skyport's get/send until done, times rclone doing the same copy, and
prints the table. Subclasses add the store: its server settings, authorization, rclone remote and source objects."""
import hashlib
import json
import os
import re
import resource
import shutil
import signal
import statistics
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
REMOTE = "skybench"  # rclone remote name, configured through RCLONE_CONFIG_SKYBENCH_* variables
CLK_TCK = os.sysconf("SC_CLK_TCK")
INFRA = os.path.join(ROOT, "tests", "infra")
CA_BUNDLE = os.path.join(INFRA, ".certs", "ca-bundle.pem")


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
    """Job run times from the server's single-line, UTC-timestamped console log: one line per job when it ends ok, or one
    per batch of small jobs run together, each with how long it ran."""

    JOB = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z .*?Job (\d+) \((\S+)\) finished ok in (\d+) ms")
    BATCH = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z .*?Batch of (\d+) (\S+) jobs ran in (\d+) ms: (\d+) ok")

    def __init__(self, path: str):
        self.path = path

    def issuances(self, since: float, until: float, provider: str = "aws") -> int:
        count = 0
        with open(self.path, errors="replace") as f:
            for line in f:
                if f"Issued {provider} credentials" in line:
                    t = datetime.fromisoformat(line[:23] + "+00:00").timestamp()
                    count += since <= t <= until
        return count

    def runs(self, since: float, until: float, tool: str) -> list:
        """[{start, end, jobs}] of the tool's runs (a job alone, or a batch) that started in [since, until] (epoch s)."""
        found = []
        with open(self.path, errors="replace") as f:
            for line in f:
                m = self.JOB.match(line) or self.BATCH.match(line)
                if not m or m.group(3) != tool:
                    continue
                end = datetime.fromisoformat(m.group(1) + "+00:00").timestamp()
                start = end - int(m.group(4)) / 1000
                if since <= start <= until:
                    found.append({"start": start, "end": end, "jobs": int(m.group(5)) if m.re is self.BATCH else 1})
        return found


class CloudBench:
    """One test cloud, one server, one logged-in user; rows of (Skyport, rclone or None) timings."""

    provider = "aws"      # the authorization's provider (its credential issuances are counted in the server log)
    rclone_flags = []     # shown in the report
    work_prefix = "skyport-cloud-bench-"

    def __init__(self, args):
        self.args = args
        self.work = tempfile.mkdtemp(prefix=self.work_prefix)
        self.cloud = None
        self.server = None
        self.user = None
        self.authz = None
        self.bucket = None
        self.rclone_env = None
        self.rows = []
        self.progress_done = None
        self.details = []
        self.failures = []  # (operation, what failed): rows that could not be measured

    # ---- setup ----

    def start_cloud(self):
        print(f"Work folder {self.work}; load average {loadavg()}", flush=True)
        self.cloud = TestCloud(self.work)
        print(f"Test cloud pid {self.cloud.pid}: " + ", ".join(f"{k} {v}" for k, v in self.cloud.urls.items()), flush=True)
        self.issuer = self.cloud.urls["oidc"].rstrip("/")
        self.cloud.admin("/oidc/claims", {"sub": SUBJECT, "email": f"{SUBJECT}@example.org"})

    def start_server(self, settings: dict):
        """./skyport serve pointed at the mock provider (plus `settings`), logged in; returns the user's identity id."""
        print("Starting ./skyport serve (builds on first use)...", flush=True)
        settings = {
            f"Skyport:Oidc:Providers:{PROVIDER}:Authority": self.issuer,
            f"Skyport:Oidc:Providers:{PROVIDER}:ClientId": CLIENT_ID,
            f"Skyport:Oidc:Providers:{PROVIDER}:RequireHttpsMetadata": "false",
            # One line per entry with a UTC timestamp, so that job start/finish times can be read back.
            "Logging:Console:FormatterName": "simple",  # without it the FormatterOptions are ignored
            "Logging:Console:FormatterOptions:SingleLine": "true",
            "Logging:Console:FormatterOptions:TimestampFormat": "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ",
            "Logging:Console:FormatterOptions:UseUtcTimestamp": "true",
            **settings,
        }
        extra = [f"--{k}={v}" for k, v in settings.items()] + [f"--{s}" for s in self.args.skyport_setting]
        self.server = Server(extra, parent_dir=self.work)
        self.log = ServerLog(self.server.log_path)
        print(f"Server {self.server.url} pid {self.server.pid}; RSS after start {self.server.rss_mb():.0f} MB", flush=True)
        self.user = self.login()
        return self.api("GET", "/authnz").json()[0]["id"]

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


    def rclone(self, *args) -> None:
        r = subprocess.run(["rclone", *args], env=self.rclone_env, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"rclone {' '.join(args)} failed ({r.returncode}):\n{r.stderr[-3000:]}")


    def make_local_sources(self, big_mib: int, prefix: str = ""):
        """A random big file (its SHA-256 kept), small_count random small files and a warm-up file under the work folder."""
        big = big_mib << 20
        self.big_path = os.path.join(self.work, prefix + "local-big", "big.bin")
        os.makedirs(os.path.dirname(self.big_path))
        digest = hashlib.sha256()
        with open(self.big_path, "wb") as f:
            left = big
            while left:
                data = os.urandom(min(64 << 20, left))
                digest.update(data)
                f.write(data)
                left -= len(data)
        self.big_sha256 = digest.hexdigest()
        self.small_dir = os.path.join(self.work, prefix + "local-small")
        os.makedirs(self.small_dir)
        for i in range(self.args.small_count):
            with open(os.path.join(self.small_dir, f"{i:04d}.bin"), "wb") as f:
                f.write(os.urandom(self.args.small_kib << 10))
        self.warm_dir = os.path.join(self.work, prefix + "local-warm")
        os.makedirs(self.warm_dir)
        with open(os.path.join(self.warm_dir, "w.txt"), "w") as f:
            f.write("warm up\n")

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
                          json={"history_id": history, "authz_id": self.authz, "bucket": self.bucket, **selection}).json()
        t_post = time.perf_counter() - t0
        if len(queued) != count:
            raise RuntimeError(f"get queued {len(queued)} datasets, expected {count}")
        self.wait_history_ok(history, count, t0=t0)
        return time.perf_counter() - t0, t_post

    def skyport_send(self, history: str, key_prefix: str, count: int) -> tuple:
        t0 = time.perf_counter()
        answer = self.api("POST", "/api/cloud/storage/send",
                          json={"history_id": history, "authz_id": self.authz, "bucket": self.bucket, "key_prefix": key_prefix}).json()
        t_post = time.perf_counter() - t0
        if len(answer["sent_dataset_labels"]) != count or answer["failed_dataset_labels"]:
            raise RuntimeError(f"send answered {answer}"[:1000])
        self.wait_jobs_done(history, count, t0=t0)
        return time.perf_counter() - t0, t_post

    # ---- measuring ----

    def measure(self, fn):
        """Runs fn; returns (its result, wall s, Skyport CPU s, emulator CPU s, rclone CPU s, epoch start, epoch end).
        Dirty pages are written out first (untimed): otherwise the write-back of what the previous operation left in the
        page cache (rclone does not fsync its files; removing a 1 GiB copy frees its blocks) lands in this one's time."""
        os.sync()
        self.progress_done = None
        sky, emu, kids = cpu_seconds(self.server.pid), cpu_seconds(self.cloud.pid), children_cpu()
        start_epoch = time.time()
        t0 = time.perf_counter()
        result = fn()
        wall = time.perf_counter() - t0
        return {"result": result, "wall": wall, "skyport_cpu": cpu_seconds(self.server.pid) - sky,
                "emulator_cpu": cpu_seconds(self.cloud.pid) - emu, "rclone_cpu": children_cpu() - kids,
                "since": start_epoch, "until": time.time(), "progress_done": self.progress_done}

    def round_label(self, i: int) -> str:
        rounds = getattr(self.args, "rounds", 1)
        return f" (round {i + 1} of {rounds})" if rounds > 1 else ""

    def both(self, i: int, skyport, rclone) -> tuple:
        """Measures Skyport's and rclone's copy, rclone going first in every second round (both meet the same
        machine state: disk write-back, the emulator's store growing); returns (Skyport's, rclone's) measures."""
        if i % 2 == 0:
            return self.measure(skyport), self.measure(rclone)
        rc = self.measure(rclone)
        return self.measure(skyport), rc

    def row(self, name: str, skyport: dict, rclone, history: str, tool: str, nbytes: int, count: int):
        """One table row; `rclone` is None where rclone cannot do the copy (the row then has no ratio)."""
        t_total, t_post = skyport["result"]
        time.sleep(0.3)
        peak = status_kb(self.server.pid, "VmHWM") / 1024
        self.rows.append({"op": name, "skyport": t_total, "rclone": rclone["wall"] if rclone else None, "peak": peak,
                          "bytes": nbytes, "count": count,
                          "skyport_cpu": skyport["skyport_cpu"], "emu_sky": skyport["emulator_cpu"],
                          "rclone_cpu": rclone["rclone_cpu"] if rclone else None,
                          "emu_rclone": rclone["emulator_cpu"] if rclone else None, "load": loadavg()})
        theirs = f"rclone {rclone['wall']:.2f} s, ratio {t_total / rclone['wall']:.2f}" if rclone else "no rclone row"
        print(f"  {name}: Skyport {t_total:.2f} s ({rate(nbytes, count, t_total)}), {theirs}, "
              f"VmHWM {peak:.0f} MB (load {loadavg()})", flush=True)
        self.details.append(self.breakdown(name, skyport, t_post, history, tool))

    def breakdown(self, name: str, m: dict, t_post: float, history: str, tool: str) -> str:
        # Runs that started after the measure began (a little slack for the log's clock): rounds run back to back, so a
        # wider window would count the previous round's last runs.
        runs = self.log.runs(m["since"] - 0.05, m["until"] + 0.5, tool)
        lines = [f"{name}: wall {m['result'][0]:.2f} s = POST {t_post:.2f} s + jobs/polling; "
                 f"server CPU {m['skyport_cpu']:.1f} s ({100 * m['skyport_cpu'] / m['wall']:.0f}% of one core), "
                 f"emulator CPU {m['emulator_cpu']:.1f} s ({100 * m['emulator_cpu'] / m['wall']:.0f}%)"]
        if runs:
            first = min(r["start"] for r in runs)
            last = max(r["end"] for r in runs)
            times = sorted(r["end"] - r["start"] for r in runs)
            busy = sum(times)
            lines.append(f"    {sum(r['jobs'] for r in runs)} ok {tool} jobs in {len(runs)} runs (alone or batched; server log): "
                         f"first start {first - m['since']:.2f} s after the POST, "
                         f"last finish {last - m['since']:.2f} s after it (seen by polling {m['result'][0]:.2f} s); "
                         f"run time p50 {times[len(times) // 2] * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms, "
                         f"sum {busy:.1f} s = {busy / max(last - first, 1e-9):.2f} runs at once on average")
        if m["progress_done"] is not None:
            lines.append(f"    bytes moved (job progress 100%) {m['progress_done']:.2f} s after the POST; "
                         f"verification, import and completion took the last {m['result'][0] - m['progress_done']:.2f} s")
        issued = self.log.issuances(m["since"] - 0.5, m["until"] + 0.5, self.provider)
        lines.append(f"    {self.provider} credential issuances (token exchanges) in the server log: {issued}")
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


    def report(self, title: str = ""):
        print()
        if title:
            print(title)
        print(f"rclone {rclone_version()} flags: {' '.join(self.rclone_flags)}; Skyport defaults"
              + (f" + {' '.join(self.args.skyport_setting)}" if self.args.skyport_setting else ""))
        header = (f"{'operation':<28} {'Skyport s':>10} {'Skyport rate':>13} {'rclone s':>9} {'rclone rate':>12} {'ratio':>6} "
                  f"{'peak RSS MB':>12}   {'CPU s: Skyport':>14} {'emu':>5} | {'rclone':>6} {'emu':>5}   load")
        print(header)
        print("-" * len(header))
        ratios = []
        for op, rows in self.grouped_rows():
            for n, r in enumerate(rows):
                print(self.table_line(r["op"] + (f" #{n + 1}" if len(rows) > 1 else ""), r))
            if len(rows) > 1:
                median = self.median_row(rows)
                print(self.table_line(f"{op} median", median))
                rows = [median]
            ratios += [ratio(r) for r in rows if r["rclone"] is not None]
        for f in self.failures:
            print(f"{f[0]:<28} FAILED: {f[1]}")
        peak = status_kb(self.server.pid, "VmHWM") / 1024
        goals = f"Server peak RSS (VmHWM) {peak:.0f} MB. Goals: "
        if ratios:
            worst = max(ratios)
            goals += (f"ratio <= {GOAL_RATIO} on every row with rclone {'met' if worst <= GOAL_RATIO else 'MISSED'} "
                      f"(stretch {STRETCH_RATIO}: {'met' if worst <= STRETCH_RATIO else 'missed'}); ")
        print(f"\n{goals}peak RSS <= {GOAL_RSS_MB} MB {'met' if peak <= GOAL_RSS_MB else 'MISSED'}.")
        print("(rate: MB/s = 10^6 bytes/s for one object, objects/s for many. CPU s = utime+stime from /proc/PID/stat during the"
              " operation: Skyport server and emulator while Skyport ran; rclone and emulator while rclone ran. The machine has"
              f" {os.cpu_count()} cores.)\n")
        print("Where Skyport's time went:")
        for d in self.details:
            print(d)

    def grouped_rows(self) -> list:
        """(operation, its rows) in the order first measured; an operation timed in several rounds has several rows."""
        groups = {}
        for r in self.rows:
            groups.setdefault(r["op"], []).append(r)
        return list(groups.items())

    @staticmethod
    def median_row(rows: list) -> dict:
        """The median of each column over the rounds; its ratio is the median of the rounds' ratios (each round's two
        copies ran back to back, so a round's ratio sees one state of the machine), not the ratio of the medians."""
        def med(key):
            values = [r[key] for r in rows if r[key] is not None]
            return statistics.median(values) if values else None
        median = {key: med(key) for key in ("skyport", "rclone", "skyport_cpu", "emu_sky", "rclone_cpu", "emu_rclone", "peak")}
        median.update(op=rows[0]["op"], bytes=rows[0]["bytes"], count=rows[0]["count"], load=rows[-1]["load"])
        if median["rclone"] is not None:
            median["ratio"] = statistics.median(ratio(r) for r in rows)
        return median

    @staticmethod
    def table_line(name: str, r: dict) -> str:
        has = r["rclone"] is not None
        theirs = (f"{r['rclone']:.2f}", rate(r["bytes"], r["count"], r["rclone"]), f"{ratio(r):.2f}",
                  f"{r['rclone_cpu']:.1f}", f"{r['emu_rclone']:.1f}") if has else ("-",) * 5
        return (f"{name:<28} {r['skyport']:>10.2f} {rate(r['bytes'], r['count'], r['skyport']):>13} {theirs[0]:>9} "
                f"{theirs[1]:>12} {theirs[2]:>6} {r['peak']:>12.0f}   {r['skyport_cpu']:>14.1f} {r['emu_sky']:>5.1f} | "
                f"{theirs[3]:>6} {theirs[4]:>5}   {r['load']}")

    def cleanup(self):
        if self.server is not None:
            self.server.stop()
        if self.cloud is not None:
            self.cloud.stop()
        if self.args.keep:
            print(f"kept {self.work} (server log {self.server.log_path if self.server else '-'})")
        else:
            shutil.rmtree(self.work, ignore_errors=True)


def run_to_end(bench: CloudBench) -> None:
    """Checks for rclone and node, then starts and runs the benchmark and always cleans up (SIGTERM and SIGHUP too)."""
    if shutil.which("rclone") is None:
        sys.exit("rclone is not installed: apt-get install rclone")
    if shutil.which("node") is None:
        sys.exit("node is not installed (the test cloud needs Node 20)")
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit("stopped by signal"))
    try:
        bench.start()
        bench.run()
    finally:
        bench.cleanup()


def ratio(row: dict) -> float:
    """Skyport's wall time over rclone's for a row (a median row carries the median of its rounds' ratios)."""
    return row.get("ratio") or row["skyport"] / row["rclone"]


def rate(nbytes: int, count: int, seconds: float) -> str:
    """MB/s (10^6 bytes/s) for one object, objects/s for many."""
    return f"{nbytes / seconds / 1e6:.1f} MB/s" if count == 1 else f"{count / seconds:.0f} obj/s"


def rclone_version() -> str:
    r = subprocess.run(["rclone", "version"], capture_output=True, text=True)
    return r.stdout.split("\n", 1)[0].replace("rclone ", "")


