#!/usr/bin/python3
"""Skyport's cloud get/send on Azure Blob (against rclone's azureblob backend) and on GCS (Skyport alone).

In one run: starts the test cloud (OIDC provider, Entra double, Google STS/IAM doubles, Azurite over HTTPS with
bearer tokens, the GCS emulator behind a token-checking front), starts ./skyport serve pointed at them (SSL_CERT_FILE =
tests/infra/.certs/ca-bundle.pem so that .NET trusts the HTTPS doubles), logs in through the mock provider, registers
an Entra app whose federated credential trusts that login and a Google workload identity pool + service account, and
creates a keyless `azure` authorization {tenant_id, client_id, account_url} and a `gcp` authorization
{audience, service_account_email}. Then it times:

  Azure  get/send 1 x 256 MiB and 300 x 4 KiB   Skyport  vs  rclone's azureblob backend doing the same copy
  GCS    get/send 1 x 100 MiB and 300 x 4 KiB   Skyport alone (rclone's GCS upload fails against the emulator)

rclone reaches Azurite through a container SAS URL signed with the account's well-known shared key (Azurite leaves
Shared Key on, as a real account with keys enabled) and trusts the test cloud's certificate through --ca-cert. The GCS sources are uploaded through the JSON
API (simple upload, one request each) with a token from the Google doubles; Skyport's server sends resumable uploads
in its default chunks (Skyport:Cloud:Gcp:UploadChunkMiB, 16; the test cloud's front keeps every chunk, which the bare
emulator does not). The emulator caps a request body at 130 MB, hence --gcs-big-mib <= 100 by default.

    /usr/bin/python3 bench/azure_gcs.py [--big-mib 256] [--gcs-big-mib 100] [--small-count 300] [--small-kib 4] [--keep]
"""
import argparse
import base64
import hashlib
import hmac
import os
import shutil
import subprocess
import sys
import urllib.parse
import uuid
from datetime import datetime, timedelta, timezone

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cloud_bench import CA_BUNDLE, CLIENT_ID, INFRA, REMOTE, SUBJECT, CloudBench, run_to_end  # noqa: E402

TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CONTAINER = "bench"
GCS_BUCKET = "bench-gcs"
AZURITE_ACCOUNT = "devstoreaccount1"
# Azurite's documented well-known key for devstoreaccount1 (public, emulator only).
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
GCP_PROJECT = "123456789"
GCP_POOL = "bench-pool"
GCP_AUDIENCE = (f"//iam.googleapis.com/projects/{GCP_PROJECT}/locations/global/workloadIdentityPools/{GCP_POOL}"
                "/providers/bench-oidc")
SERVICE_ACCOUNT = "skyport-bench@lab-project.iam.gserviceaccount.com"
# As for S3: Skyport moves a large object in 8 parallel parts (blocks) of 8 MiB; rclone gets the same, 8 files at a time.
RCLONE_FLAGS = ["--transfers", "8", "--multi-thread-streams", "8", "--azureblob-upload-concurrency", "8",
                "--azureblob-chunk-size", "8M", "--ca-cert", CA_BUNDLE]


class Bench(CloudBench):
    rclone_flags = RCLONE_FLAGS
    work_prefix = "skyport-azure-gcs-"

    def start(self):
        self.start_cloud()
        urls = self.cloud.urls
        self.azure_client_id = str(uuid.uuid4())
        self.cloud.admin("/entra/apps", {"tenant_id": TENANT_ID, "client_id": self.azure_client_id,
                                         "federated": [{"issuer": self.issuer, "subject": SUBJECT, "audience": CLIENT_ID}]})
        self.cloud.admin("/azure/containers", {"name": CONTAINER})
        self.cloud.admin("/google/pools", {"audience": GCP_AUDIENCE, "issuer": self.issuer, "allowed_audiences": [CLIENT_ID]})
        self.cloud.admin("/google/service-accounts", {"email": SERVICE_ACCOUNT, "members": [
            f"principal://iam.googleapis.com/projects/{GCP_PROJECT}/locations/global/workloadIdentityPools/{GCP_POOL}/subject/{SUBJECT}"]})
        # .NET (OpenSSL) reads SSL_CERT_FILE once at start: the server inherits it to trust Entra and Azurite.
        os.environ["SSL_CERT_FILE"] = CA_BUNDLE
        identity = self.start_server({
            "Skyport:Cloud:Azure:AuthorityHost": urls["entra"],
            "Skyport:Cloud:Azure:DisableInstanceDiscovery": "true",
            "Skyport:Cloud:Gcp:StsTokenUrl": urls["google_sts"] + "/v1/token",
            "Skyport:Cloud:Gcp:IamUrl": urls["google_iam"],
            "Skyport:Cloud:Gcp:StorageUrl": urls["gcs"] + "/",
        })
        self.azure_authz = self.api("POST", "/api/cloud/authz", json={
            "provider": "azure", "authn_id": identity, "description": "bench azure",
            "config": {"tenant_id": TENANT_ID, "client_id": self.azure_client_id,
                       "account_url": urls["azure_blob"].rstrip("/")}}).json()["id"]
        self.gcp_authz = self.api("POST", "/api/cloud/authz", json={
            "provider": "gcp", "authn_id": identity, "description": "bench gcs",
            "config": {"audience": GCP_AUDIENCE, "service_account_email": SERVICE_ACCOUNT}}).json()["id"]
        self.rclone_env = self.rclone_environment()

    def use(self, provider: str):
        self.provider = provider
        self.authz = self.azure_authz if provider == "azure" else self.gcp_authz
        self.bucket = CONTAINER if provider == "azure" else GCS_BUCKET

    # ---- rclone on Azurite ----

    def rclone_environment(self) -> dict:
        """An azureblob remote through a container SAS URL signed with Azurite's well-known account key.

        rclone 1.60 builds https://{account}.{endpoint} from account + key + endpoint, which cannot name Azurite's
        path-style https://127.0.0.1:P/devstoreaccount1; a SAS URL is used as given."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "RCLONE_"))}
        config = os.path.join(self.work, "rclone.conf")
        open(config, "w").close()
        prefix = f"RCLONE_CONFIG_{REMOTE.upper()}_"
        env.update({"RCLONE_CONFIG": config, prefix + "TYPE": "azureblob",
                    prefix + "SAS_URL": container_sas_url(self.cloud.urls["azure_blob"].rstrip("/"), CONTAINER)})
        return env

    # ---- GCS through its JSON API (sources and checks) ----

    def gcs_token(self) -> str:
        """A service account access token as Skyport gets one: id token -> Google STS -> IAM generateAccessToken."""
        urls = self.cloud.urls
        id_token = self.cloud.admin("/oidc/tokens", {"sub": SUBJECT, "email": f"{SUBJECT}@example.org"})["id_token"]
        sts = requests.post(urls["google_sts"] + "/v1/token", data={
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange", "audience": GCP_AUDIENCE,
            "scope": "https://www.googleapis.com/auth/cloud-platform",
            "requested_token_type": "urn:ietf:params:oauth:token-type:access_token",
            "subject_token": id_token, "subject_token_type": "urn:ietf:params:oauth:token-type:jwt"}, timeout=30)
        sts.raise_for_status()
        iam = requests.post(f"{urls['google_iam']}/v1/projects/-/serviceAccounts/{SERVICE_ACCOUNT}:generateAccessToken",
                            headers={"Authorization": f"Bearer {sts.json()['access_token']}"},
                            json={"scope": ["https://www.googleapis.com/auth/devstorage.read_write"], "lifetime": "3600s"},
                            timeout=30)
        iam.raise_for_status()
        return iam.json()["accessToken"]

    def gcs_put(self, http: requests.Session, name: str, path: str):
        with open(path, "rb") as f:
            r = http.post(f"{self.cloud.urls['gcs']}/upload/storage/v1/b/{GCS_BUCKET}/o",
                          params={"uploadType": "media", "name": name}, data=f,
                          headers={"Content-Type": "application/octet-stream"}, timeout=600)
        if not r.ok:
            raise RuntimeError(f"GCS upload of {name}: HTTP {r.status_code}: {r.text[:300]}")

    def gcs_size(self, http: requests.Session, prefix: str) -> dict:
        count, total, page = 0, 0, None
        while True:
            r = http.get(f"{self.cloud.urls['gcs']}/storage/v1/b/{GCS_BUCKET}/o",
                         params={"prefix": prefix, **({"pageToken": page} if page else {})}, timeout=60)
            r.raise_for_status()
            body = r.json()
            for item in body.get("items", []):
                count += 1
                total += int(item["size"])
            page = body.get("nextPageToken")
            if not page:
                return {"count": count, "bytes": total}

    def gcs_http(self) -> requests.Session:
        http = requests.Session()
        http.trust_env = False
        http.headers["Authorization"] = f"Bearer {self.gcs_token()}"
        return http

    # ---- the run ----

    def check_dataset(self, history: str, size: int, sha256: str):
        dataset = self.api("GET", f"/api/histories/{history}/contents").json()[0]
        shown = self.api("GET", f"/api/datasets/{dataset['id']}").json()
        hashes = {h["hash_function"]: h["hash_value"] for h in shown.get("hashes", [])}
        if shown["file_size"] != size or hashes.get("SHA-256") != sha256:
            raise RuntimeError(f"the got dataset differs: size {shown['file_size']}, hashes {hashes}")

    def rclone_measured(self, op: str, *args, check=None):
        """rclone timed, or None (with the failure recorded) when it fails: the Skyport row is kept."""
        try:
            m = self.measure(lambda: self.rclone(*args))
            if check:
                check()
            return m
        except Exception as e:  # noqa: BLE001 - reported in the table
            self.failures.append((f"{op} (rclone)", str(e).strip().splitlines()[-1][:300]))
            print(f"  rclone failed: {e}", flush=True)
            return None

    def run(self):
        a = self.args
        small = a.small_count * (a.small_kib << 10)
        label_small = f"{a.small_count} x {a.small_kib} KiB"
        self.run_azure(small, label_small)
        self.run_gcs(small, label_small)
        self.report(f"Azure Blob (Azurite 3.37.0 over HTTPS, bearer tokens for Skyport, shared key for rclone) and GCS "
                    f"(firebase-tools 15.34.2 emulator, Skyport alone)")

    def run_azure(self, small: int, label_small: str):
        a = self.args
        big = a.big_mib << 20
        self.use("azure")
        self.make_local_sources(a.big_mib, "azure-")
        print("Azure: creating the objects with rclone (untimed)...", flush=True)
        remote = f"{REMOTE}:{CONTAINER}"
        self.rclone("copyto", self.big_path, f"{remote}/get/big.bin", *RCLONE_FLAGS)
        self.rclone("copy", self.small_dir, f"{remote}/get-small/", *RCLONE_FLAGS)
        self.rclone("copy", self.warm_dir, f"{remote}/warm/", *RCLONE_FLAGS)
        print("Azure: warming up both paths (one small get and send, untimed)...", flush=True)
        warm = self.history("azure warm-up")
        self.skyport_get(warm, 1, objects=["warm/w.txt"])
        self.skyport_send(warm, "warm-send/", 1)
        self.rclone("copy", f"{remote}/warm/", os.path.join(self.work, "rclone-warm"), *RCLONE_FLAGS)

        label_big = f"1 x {a.big_mib} MiB"
        print(f"Azure get {label_big}...", flush=True)
        h_big = self.history("azure get big")
        sky = self.measure(lambda: self.skyport_get(h_big, 1, objects=["get/big.bin"]))
        self.check_dataset(h_big, big, self.big_sha256)
        target = os.path.join(self.work, "rclone-get-big")
        rc = self.rclone_measured(f"azure get  {label_big}", "copy", f"{remote}/get/", target, *RCLONE_FLAGS,
                                  check=lambda: expect(os.path.getsize(os.path.join(target, "big.bin")) == big, "rclone's copy has the wrong size"))
        shutil.rmtree(target, ignore_errors=True)
        self.row(f"azure get  {label_big}", sky, rc, h_big, "cloud_get", big, 1)

        print(f"Azure get {label_small}...", flush=True)
        h_small = self.history("azure get small")
        sky = self.measure(lambda: self.skyport_get(h_small, a.small_count, prefix="get-small/"))
        target = os.path.join(self.work, "rclone-get-small")
        rc = self.rclone_measured(f"azure get  {label_small}", "copy", f"{remote}/get-small/", target, *RCLONE_FLAGS,
                                  check=lambda: expect(len(os.listdir(target)) == a.small_count, "rclone copied the wrong number of files"))
        shutil.rmtree(target, ignore_errors=True)
        self.row(f"azure get  {label_small}", sky, rc, h_small, "cloud_get", small, a.small_count)

        print(f"Azure send {label_big}...", flush=True)
        sky = self.measure(lambda: self.skyport_send(h_big, "skyport-send/", 1))
        rc = self.rclone_measured(f"azure send {label_big}", "copy", os.path.dirname(self.big_path), f"{remote}/rclone-send/", *RCLONE_FLAGS)
        self.row(f"azure send {label_big}", sky, rc, h_big, "cloud_send", big, 1)

        print(f"Azure send {label_small}...", flush=True)
        sky = self.measure(lambda: self.skyport_send(h_small, "skyport-send-small/", a.small_count))
        rc = self.rclone_measured(f"azure send {label_small}", "copy", self.small_dir, f"{remote}/rclone-send-small/", *RCLONE_FLAGS)
        self.row(f"azure send {label_small}", sky, rc, h_small, "cloud_send", small, a.small_count)

        for prefix, count, size in (("skyport-send/", 1, big), ("rclone-send/", 1, big),
                                    ("skyport-send-small/", a.small_count, small), ("rclone-send-small/", a.small_count, small)):
            r = subprocess.run(["rclone", "size", "--json", "--ca-cert", CA_BUNDLE, f"{remote}/{prefix}"],
                               env=self.rclone_env, capture_output=True, text=True)
            got = r.stdout.strip()
            if r.returncode != 0 or f'"count":{count},' not in got or f'"bytes":{size}' not in got:
                print(f"  Azure check: {prefix} holds {got or r.stderr[-300:]}, expected {count} objects of {size} bytes", flush=True)
        shutil.rmtree(os.path.dirname(self.big_path))  # room for the GCS sources

    def run_gcs(self, small: int, label_small: str):
        a = self.args
        big = a.gcs_big_mib << 20
        self.use("gcp")
        self.make_local_sources(a.gcs_big_mib, "gcs-")
        print("GCS: creating the objects through the JSON API (untimed)...", flush=True)
        http = self.gcs_http()
        self.gcs_put(http, "get/big.bin", self.big_path)
        for name in sorted(os.listdir(self.small_dir)):
            self.gcs_put(http, f"get-small/{name}", os.path.join(self.small_dir, name))
        self.gcs_put(http, "warm/w.txt", os.path.join(self.warm_dir, "w.txt"))
        print("GCS: warming up (one small get and send, untimed)...", flush=True)
        warm = self.history("gcs warm-up")
        self.skyport_get(warm, 1, objects=["warm/w.txt"])
        self.skyport_send(warm, "warm-send/", 1)

        label_big = f"1 x {a.gcs_big_mib} MiB"
        steps = [
            (f"gcs   get  {label_big}", "cloud_get", big, 1, "big", lambda h: self.skyport_get(h, 1, objects=["get/big.bin"])),
            (f"gcs   get  {label_small}", "cloud_get", small, a.small_count, "small",
             lambda h: self.skyport_get(h, a.small_count, prefix="get-small/")),
            (f"gcs   send {label_big}", "cloud_send", big, 1, "big", lambda h: self.skyport_send(h, "skyport-send/", 1)),
            (f"gcs   send {label_small}", "cloud_send", small, a.small_count, "small",
             lambda h: self.skyport_send(h, "skyport-send-small/", a.small_count)),
        ]
        histories = {}
        for op, tool, nbytes, count, kind, fn in steps:
            print(f"{op.strip()}...", flush=True)
            if tool == "cloud_get":
                histories[kind] = self.history(f"gcs get {kind}")
            elif kind not in histories:
                continue
            try:
                sky = self.measure(lambda: fn(histories[kind]))
                if op.startswith("gcs   get") and kind == "big":
                    self.check_dataset(histories[kind], big, self.big_sha256)
            except Exception as e:  # noqa: BLE001 - reported in the table; later rows still run
                self.failures.append((op, str(e)[:300]))
                print(f"  failed: {e}", flush=True)
                if tool == "cloud_get":
                    del histories[kind]
                continue
            self.row(op, sky, None, histories[kind], tool, nbytes, count)
        http = self.gcs_http()
        for prefix, count, size in (("skyport-send/", 1, big), ("skyport-send-small/", a.small_count, small)):
            got = self.gcs_size(http, prefix)
            if got != {"count": count, "bytes": size}:
                print(f"  GCS check: {prefix} holds {got}, expected {count} objects of {size} bytes", flush=True)


def container_sas_url(account_url: str, container: str) -> str:
    """A service SAS (sv=2019-12-12, sr=c, racwdl, 12 h) for one container, signed with the account key."""
    version, permissions = "2019-12-12", "racwdl"
    start = (datetime.now(timezone.utc) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    expiry = (datetime.now(timezone.utc) + timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M:%SZ")
    resource = f"/blob/{AZURITE_ACCOUNT}/{container}"
    # permissions, start, expiry, resource, identifier, IP, protocol, version, resource type, snapshot time, rscc..rsct
    to_sign = "\n".join([permissions, start, expiry, resource, "", "", "https", version, "c", "", "", "", "", "", ""])
    signature = base64.b64encode(hmac.new(base64.b64decode(AZURITE_KEY), to_sign.encode(), hashlib.sha256).digest()).decode()
    query = urllib.parse.urlencode({"sv": version, "st": start, "se": expiry, "sr": "c", "sp": permissions,
                                    "spr": "https", "sig": signature})
    return f"{account_url}/{container}?{query}"


def expect(condition: bool, message: str):
    if not condition:
        raise RuntimeError(message)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--big-mib", type=int, default=256, help="the large Azure object")
    parser.add_argument("--gcs-big-mib", type=int, default=100,
                        help="the large GCS object (the emulator refuses request bodies above 130 MB)")
    parser.add_argument("--small-count", type=int, default=300)
    parser.add_argument("--small-kib", type=int, default=4)
    parser.add_argument("--poll", type=float, default=0.1, help="seconds between completion polls")
    parser.add_argument("--skyport-setting", action="append", default=[], metavar="KEY=VALUE",
                        help="extra server setting, e.g. Skyport:Jobs:Workers=8 (repeatable)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (server log, test cloud log)")
    args = parser.parse_args()
    if args.gcs_big_mib > 124:
        sys.exit("--gcs-big-mib must stay below the emulator's 130 MB request cap (<= 124 MiB)")
    if not os.path.exists(CA_BUNDLE):
        subprocess.run([os.path.join(INFRA, "install.sh")], check=True)
    run_to_end(Bench(args))


if __name__ == "__main__":
    main()
