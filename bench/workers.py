#!/usr/bin/python3
"""Job throughput with 1, 2 and 4 dedicated workers on PostgreSQL (scale-out).

In one run: starts a throwaway PostgreSQL cluster (tests/infra/postgres.sh), the test cloud
(tests/infra/test-cloud.mjs: OIDC provider, STS double, S3 emulator) and one API server
(`./skyport serve --no-workers`) on that database, logs in through the mock OIDC provider, registers an aws
authorization for the emulator and puts N small objects into a bucket (through the emulator's admin API,
untimed). Then, for each worker count W, it starts W `./skyport worker` processes on the same database and
data folder, waits until they answer on /health, and times one `POST /api/cloud/storage/get` of the whole
prefix (N jobs queued in one transaction) until the history counts N datasets ok; the workers are stopped
before the next count. Prints objects/s per worker count and the scaling ratio against one worker, with the
CPU seconds used by the server, the workers, the emulator and PostgreSQL, and the load average.

    /usr/bin/python3 bench/workers.py [--objects 1000] [--kib 4] [--workers 1,2,4] [--loops 2] [--keep]

A "worker" is one `skyport worker` process running --loops job workers (Skyport:Jobs:Workers, default 2).
The machine's cores are shared by the API server, every worker, the single-threaded Node emulator and
PostgreSQL: read the scaling ratio with the core count and the load average in mind.
"""
import argparse
import base64
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cloud_bench import CLIENT_ID, SUBJECT, CloudBench, cpu_seconds, loadavg  # noqa: E402
from skyport_bench import ROOT, free_port  # noqa: E402

ROLE_ARN = "arn:aws:iam::123456789012:role/skyport-workers-bench"
BUCKET = "workers"
PG_SCRIPT = os.path.join(ROOT, "tests", "infra", "postgres.sh")


class Bench(CloudBench):
    work_prefix = "skyport-workers-bench-"

    def __init__(self, args):
        super().__init__(args)
        # Its own folder under /tmp: as root the cluster belongs to the postgres user, who cannot enter the work folder.
        self.pg_dir = tempfile.mkdtemp(prefix="skyport-workers-pg-")
        self.database = None
        self.workers = []

    def start(self):
        print("Starting PostgreSQL (tests/infra/postgres.sh)...", flush=True)
        started = subprocess.run([PG_SCRIPT, "start", self.pg_dir, str(os.getpid())], capture_output=True, text=True)
        if started.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start: {started.stderr[-2000:]}")
        server = started.stdout.strip()
        port = dict(p.split("=", 1) for p in server.split(";"))["Port"]
        subprocess.run(["createdb", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "skyport"], check=True)
        self.database = f"{server};Database=skyport"
        self.pg_pid = int(open(os.path.join(self.pg_dir, "data", "postmaster.pid")).readline())
        self.start_cloud()
        urls = self.cloud.urls
        self.cloud.admin("/sts/roles", {"role_arn": ROLE_ARN, "issuer": self.issuer, "audience": CLIENT_ID,
                                        "subject": SUBJECT, "max_session_seconds": 43200})
        self.cloud.admin("/s3/buckets", {"name": BUCKET})
        self.settings = {
            "Skyport:Cloud:Aws:StsEndpoint": urls["sts"],
            "Skyport:Database:Provider": "postgres",
            "Skyport:Database:ConnectionString": self.database,
        }
        identity = self.start_server({**self.settings, "Skyport:Jobs:Workers": "0"})
        self.bucket = BUCKET
        self.authz = self.api("POST", "/api/cloud/authz", json={
            "provider": "aws", "authn_id": identity, "description": "workers bench",
            "config": {"role_arn": ROLE_ARN, "endpoint": urls["s3"], "region": "us-east-1"}}).json()["id"]
        print(f"Putting {self.args.objects} x {self.args.kib} KiB into s3://{BUCKET}/small/ (untimed)...", flush=True)
        for i in range(self.args.objects):
            self.cloud.admin("/s3/objects", {"bucket": BUCKET, "key": f"small/{i:05d}.bin",
                                             "content_base64": base64.b64encode(os.urandom(self.args.kib << 10)).decode()})
        self.cloud.admin("/s3/objects", {"bucket": BUCKET, "key": "warm/w.txt", "content_base64": base64.b64encode(b"warm up\n").decode()})

    def start_workers(self, count: int):
        args = [f"--{k}={v}" for k, v in self.settings.items()] + [f"--Skyport:Jobs:Workers={self.args.loops}"]
        for n in range(count):
            url = f"http://127.0.0.1:{free_port()}"
            log = open(os.path.join(self.work, f"worker-{count}-{n}.log"), "w")
            process = subprocess.Popen([os.path.join(ROOT, "skyport"), "worker", "--urls", url,
                                        "--data-dir", self.server.data_dir, *args], cwd=ROOT, stdout=log, stderr=log)
            self.workers.append((process, url, log))
        for process, url, _ in self.workers:
            deadline = time.time() + 120
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"a worker exited with {process.returncode}; see its log in {self.work}")
                try:
                    if requests.get(url + "/health", timeout=2).ok:
                        break
                except (requests.ConnectionError, requests.Timeout):
                    pass
                if time.time() > deadline:
                    raise RuntimeError(f"worker {url} did not answer")
                time.sleep(0.1)

    def stop_workers(self):
        for process, _, log in self.workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process, _, log in self.workers:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
        self.workers = []

    def run_one(self, count: int) -> dict:
        self.start_workers(count)
        try:
            # Warm-up: one get, so each worker has its database pool, credentials and S3 client.
            warm = self.history(f"warm {count}")
            self.skyport_get(warm, 1, objects=["warm/w.txt"])
            history = self.history(f"{count} workers")
            pids = [p.pid for p, _, _ in self.workers]
            before = {"server": cpu_seconds(self.server.pid), "workers": sum(cpu_seconds(p) for p in pids),
                      "emulator": cpu_seconds(self.cloud.pid), "postgres": postgres_cpu(self.pg_pid)}
            seconds, post = self.skyport_get(history, self.args.objects, prefix="small/")
            used = {"server": cpu_seconds(self.server.pid) - before["server"],
                    "workers": sum(cpu_seconds(p) for p in pids) - before["workers"],
                    "emulator": cpu_seconds(self.cloud.pid) - before["emulator"],
                    "postgres": postgres_cpu(self.pg_pid) - before["postgres"]}
            jobs = self.api("GET", f"/api/jobs?history_id={history}&limit=10000").json()
            retried = sum(1 for j in jobs if j["attempts"] > 1)
            result = {"workers": count, "seconds": seconds, "post": post, "rate": self.args.objects / seconds,
                      "cpu": used, "retried": retried, "load": loadavg()}
            print(f"  {count} worker(s): {seconds:.2f} s, {result['rate']:.1f} obj/s (POST {post:.2f} s; "
                  f"jobs with attempts > 1: {retried}; load {result['load']})", flush=True)
            return result
        finally:
            self.stop_workers()

    def cleanup(self):
        self.stop_workers()
        if self.server is not None:
            self.server.stop()
        if self.cloud is not None:
            self.cloud.stop()
        subprocess.run([PG_SCRIPT, "stop", self.pg_dir], capture_output=True)
        if self.args.keep:
            print(f"kept {self.work} (server and worker logs)")
        else:
            shutil.rmtree(self.work, ignore_errors=True)


def postgres_cpu(postmaster: int) -> float:
    """CPU seconds of the postmaster and its backends (its children)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(entry) == postmaster or int(fields[1]) == postmaster:
                    total += cpu_seconds(int(entry))
            except (OSError, ValueError):
                pass
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=1000)
    parser.add_argument("--kib", type=int, default=4)
    parser.add_argument("--workers", default="1,2,4", help="worker process counts to measure")
    parser.add_argument("--loops", type=int, default=2, help="job workers per worker process (Skyport:Jobs:Workers)")
    parser.add_argument("--poll", type=float, default=0.2, help="how often the history is polled (s)")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--skyport-setting", action="append", default=[], help="extra Section:Key=value for the API server")
    args = parser.parse_args()

    bench = Bench(args)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        bench.start()
        print(f"Each run: one get of {args.objects} x {args.kib} KiB objects; {args.loops} job workers per worker process.", flush=True)
        results = [bench.run_one(int(n)) for n in args.workers.split(",")]
    finally:
        bench.cleanup()

    print()
    print(f"{'workers':>7} {'job loops':>9} {'seconds':>8} {'obj/s':>7} {'scaling':>8}   "
          f"{'CPU s: server':>13} {'workers':>8} {'emulator':>9} {'postgres':>9}   load")
    for r in results:
        scaling = r["rate"] / results[0]["rate"]
        print(f"{r['workers']:>7} {r['workers'] * args.loops:>9} {r['seconds']:>8.2f} {r['rate']:>7.1f} {scaling:>7.2f}x   "
              f"{r['cpu']['server']:>13.1f} {r['cpu']['workers']:>8.1f} {r['cpu']['emulator']:>9.1f} {r['cpu']['postgres']:>9.1f}   {r['load']}")
    print(f"\n(scaling: objects/s relative to {results[0]['workers']} worker(s); ideal is the ratio of worker counts. "
          f"The machine has {os.cpu_count()} cores shared by all of the processes above and by other work.)")


if __name__ == "__main__":
    main()
