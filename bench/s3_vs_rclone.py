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
import json
import os
import re
import shutil
import subprocess
import sys

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cloud_bench import CLIENT_ID, REMOTE, SUBJECT, CloudBench, run_to_end  # noqa: E402

ROLE_ARN = "arn:aws:iam::123456789012:role/skyport-bench"
BUCKET = "bench"
# Skyport's defaults move one large object in 8 parts of 8 MiB at a time (Skyport:Transfers:PartConcurrency,
# PartSizeMiB); rclone is given the same part size and concurrency, and 8 files at a time.
RCLONE_FLAGS = ["--transfers", "8", "--multi-thread-streams", "8", "--s3-upload-concurrency", "8", "--s3-chunk-size", "8M"]


class Bench(CloudBench):
    provider = "aws"
    rclone_flags = RCLONE_FLAGS
    work_prefix = "skyport-s3-vs-rclone-"

    # ---- setup ----

    def start(self):
        self.start_cloud()
        urls = self.cloud.urls
        self.cloud.admin("/sts/roles", {"role_arn": ROLE_ARN, "issuer": self.issuer, "audience": CLIENT_ID,
                                        "subject": SUBJECT, "max_session_seconds": 43200})
        self.cloud.admin("/s3/buckets", {"name": BUCKET})
        identity = self.start_server({"Skyport:Cloud:Aws:StsEndpoint": urls["sts"]})
        self.bucket = BUCKET
        self.authz = self.api("POST", "/api/cloud/authz", json={
            "provider": "aws", "authn_id": identity, "description": "bench",
            "config": {"role_arn": ROLE_ARN, "endpoint": urls["s3"], "region": "us-east-1"}}).json()["id"]
        self.rclone_env = self.rclone_environment()

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


    def make_sources(self):
        self.make_local_sources(self.args.big_mib)
        print("Creating the objects with rclone (untimed)...", flush=True)
        self.rclone("copyto", self.big_path, f"{REMOTE}:{BUCKET}/get/big.bin", *RCLONE_FLAGS)
        self.rclone("copy", self.small_dir, f"{REMOTE}:{BUCKET}/get-small/", *RCLONE_FLAGS)
        self.rclone("copy", self.warm_dir, f"{REMOTE}:{BUCKET}/warm/", *RCLONE_FLAGS)

    # ---- the run ----

    def run(self):
        a = self.args
        big = a.big_mib << 20
        self.make_sources()

        print("Warming up both paths (one small get and send, untimed)...", flush=True)
        warm = self.history("bench warm-up")
        self.skyport_get(warm, 1, objects=["warm/w.txt"])
        self.skyport_send(warm, "warm-send/", 1)
        for round_number in range(a.warmup_rounds):
            # A server runs for days; a fresh one spends its first thousands of jobs compiling hot code (tiered JIT).
            # These untimed rounds (the same small get and send as timed below) measure it as users meet it later.
            print(f"Warm-up round {round_number + 1} of {a.warmup_rounds}: the small get and send, untimed...", flush=True)
            warm_small = self.history(f"bench warm-up small {round_number}")
            self.skyport_get(warm_small, a.small_count, prefix="get-small/")
            self.skyport_send(warm_small, f"warm-send-small-{round_number}/", a.small_count)
        self.rclone("copy", f"{REMOTE}:{BUCKET}/warm/", os.path.join(self.work, "rclone-warm"), *RCLONE_FLAGS)

        small = a.small_count * (a.small_kib << 10)
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
        self.row(f"get  {label_big}", sky, rc, h_big, "cloud_get", big, 1)

        small_histories = []
        for i in range(a.rounds):
            print(f"get {label_small}{self.round_label(i)}...", flush=True)
            h_small = self.history(f"bench get small {i + 1}")
            small_histories.append(h_small)
            target = os.path.join(self.work, "rclone-get-small")
            sky, rc = self.both(i, lambda: self.skyport_get(h_small, a.small_count, prefix="get-small/"),
                                lambda: self.rclone("copy", f"{REMOTE}:{BUCKET}/get-small/", target, *RCLONE_FLAGS))
            if len(os.listdir(target)) != a.small_count:
                raise RuntimeError("rclone copied the wrong number of files")
            shutil.rmtree(target)
            self.row(f"get  {label_small}", sky, rc, h_small, "cloud_get", small, a.small_count)

        print(f"send {label_big}...", flush=True)
        sky = self.measure(lambda: self.skyport_send(h_big, "skyport-send/", 1))
        rc = self.measure(lambda: self.rclone("copy", os.path.dirname(self.big_path), f"{REMOTE}:{BUCKET}/rclone-send/", *RCLONE_FLAGS))
        self.row(f"send {label_big}", sky, rc, h_big, "cloud_send", big, 1)

        for i, h_small in enumerate(small_histories):
            print(f"send {label_small}{self.round_label(i)}...", flush=True)
            sky, rc = self.both(i, lambda: self.skyport_send(h_small, f"skyport-send-small-{i + 1}/", a.small_count),
                                lambda: self.rclone("copy", self.small_dir, f"{REMOTE}:{BUCKET}/rclone-send-small-{i + 1}/", *RCLONE_FLAGS))
            self.row(f"send {label_small}", sky, rc, h_small, "cloud_send", small, a.small_count)

        self.check_sent(a.small_count, big)
        self.report()

    def check_sent(self, small_count: int, big: int):
        """Both tools' copies are in the bucket with the expected count and size (rclone size, untimed)."""
        small = small_count * (self.args.small_kib << 10)
        expected = [("skyport-send/", 1, big), ("rclone-send/", 1, big)]
        for i in range(self.args.rounds):
            expected += [(f"skyport-send-small-{i + 1}/", small_count, small), (f"rclone-send-small-{i + 1}/", small_count, small)]
        for prefix, count, size in expected:
            r = subprocess.run(["rclone", "size", "--json", f"{REMOTE}:{BUCKET}/{prefix}"], env=self.rclone_env,
                               capture_output=True, text=True, check=True)
            got = json.loads(r.stdout)
            if got["count"] != count or got["bytes"] != size:
                raise RuntimeError(f"{prefix} holds {got}, expected {count} objects of {size} bytes in all")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--big-mib", type=int, default=1024)
    parser.add_argument("--small-count", type=int, default=1000)
    parser.add_argument("--small-kib", type=int, default=4)
    parser.add_argument("--poll", type=float, default=0.1, help="seconds between completion polls")
    parser.add_argument("--skyport-setting", action="append", default=[], metavar="KEY=VALUE",
                        help="extra server setting, e.g. Skyport:Jobs:Workers=8 (repeatable)")
    parser.add_argument("--warmup-rounds", type=int, default=0, metavar="R",
                        help="before timing, do the small get and send R times (untimed), so the server is past its JIT warm-up")
    parser.add_argument("--rounds", type=int, default=1, metavar="N",
                        help="time the small get and send N times each, Skyport and rclone taking turns going first; "
                             "the table adds the median of each and the median ratio")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (server log, test cloud log)")
    run_to_end(Bench(parser.parse_args()))


if __name__ == "__main__":
    main()
