#!/usr/bin/python3
"""Dataset storage: the same upload and download with datasets in the local folder and in an S3 bucket.

Starts the test cloud (its S3 emulator holds the bucket, reached with a static key pair as an administrator would
configure it), then for each store starts ./skyport serve on a temporary data folder and times:
  upload    TUS (POST, then PATCH chunks) + POST /api/tools/fetch + waiting for the dataset to be ok
            (with the S3 store this includes the verified commit to the bucket)
  download  GET /api/datasets/{id}/display with curl (S3: streamed from the bucket)
  range     100 GETs of a 64 KiB range at random offsets (S3: one ranged GET each), median ms
and prints MB/s (10^6 bytes per second) per store and the S3/local ratios.

    /usr/bin/python3 bench/dataset_store.py [--size-mib 512] [--chunk-mib 64]
"""
import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cloud_bench import TestCloud, loadavg  # noqa: E402
from skyport_bench import Server  # noqa: E402
from upload_download import make_random_file, mbps, tus_upload, wait_ok  # noqa: E402


def measure(server: Server, source: str, size: int, chunk: int, expected_sha: str) -> dict:
    history = server.api("POST", "/api/histories", json={"name": "bench dataset store"}).json()["id"]
    start = time.perf_counter()
    session_id = tus_upload(server, source, size, chunk)
    response = server.api("POST", "/api/tools/fetch", json={
        "history_id": history,
        "targets": [{"destination": {"type": "hdas"}, "elements": [{"src": "files", "ext": "data", "name": "random.bin"}]}],
        "files_0|file_data": {"session_id": session_id, "name": "random.bin"},
    }).json()
    dataset_id = response["outputs"][0]["id"]
    dataset = wait_ok(server, dataset_id)
    upload = time.perf_counter() - start
    hashes = {h["hash_function"]: h["hash_value"] for h in dataset.get("hashes", [])}
    assert hashes.get("SHA-256") == expected_sha, (hashes, expected_sha)

    target = source + ".down"
    start = time.perf_counter()
    subprocess.run(["curl", "-sS", "--fail", "--noproxy", "*", "-o", target, "-H", f"x-api-key: {server.api_key}",
                    f"{server.url}/api/datasets/{dataset_id}/display"], check=True)
    download = time.perf_counter() - start
    if os.path.getsize(target) != size or subprocess.run(["cmp", "-s", source, target]).returncode != 0:
        raise RuntimeError("downloaded bytes differ from the uploaded file")
    os.remove(target)

    rng = random.Random(7)
    with open(source, "rb") as f:
        times = []
        for _ in range(100):
            offset = rng.randrange(0, size - 65536)
            start = time.perf_counter()
            r = server.session.get(f"{server.url}/api/datasets/{dataset_id}/display",
                                   headers={"Range": f"bytes={offset}-{offset + 65535}"})
            times.append((time.perf_counter() - start) * 1000)
            f.seek(offset)
            if r.status_code != 206 or r.content != f.read(65536):
                raise RuntimeError(f"range at {offset}: HTTP {r.status_code}, wrong bytes")
    return {"upload": upload, "download": download, "range_ms": statistics.median(times)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mib", type=int, default=512)
    parser.add_argument("--chunk-mib", type=int, default=64)
    args = parser.parse_args()
    size = args.size_mib << 20
    tmp = tempfile.mkdtemp(prefix="skyport-bench-store-")
    cloud = None
    try:
        cloud = TestCloud(tmp)
        key = cloud.admin("/s3/keys", {})
        cloud.admin("/s3/buckets", {"name": "bench-datasets"})
        source = os.path.join(tmp, "random.bin")
        print(f"Writing {args.size_mib} MiB of random data...", flush=True)
        expected_sha = make_random_file(source, size)
        stores = {
            "local": [],
            "s3": ["--Skyport:DatasetStorage:Kind=s3", "--Skyport:DatasetStorage:Bucket=bench-datasets",
                   f"--Skyport:DatasetStorage:ServiceUrl={cloud.urls['s3']}",
                   f"--Skyport:DatasetStorage:AccessKeyId={key['access_key_id']}",
                   f"--Skyport:DatasetStorage:SecretAccessKey={key['secret_access_key']}"],
        }
        results = {}
        for name, extra in stores.items():
            print(f"Starting ./skyport serve with the {name} store (builds on first use)...", flush=True)
            server = Server(extra_args=extra, parent_dir=tmp)
            try:
                results[name] = measure(server, source, size, args.chunk_mib << 20, expected_sha)
            finally:
                server.cleanup()
        print()
        print(f"file {args.size_mib} MiB, TUS chunks of {args.chunk_mib} MiB; load average {loadavg()}")
        print(f"{'store':6} {'upload MB/s':>12} {'download MB/s':>14} {'64 KiB range p50 ms':>20}")
        for name, r in results.items():
            print(f"{name:6} {mbps(size, r['upload']):12.1f} {mbps(size, r['download']):14.1f} {r['range_ms']:20.1f}")
        local, s3 = results["local"], results["s3"]
        print(f"s3/local: upload {local['upload'] / s3['upload']:.2f}x, download {local['download'] / s3['download']:.2f}x, "
              f"range latency {s3['range_ms'] / local['range_ms']:.1f}x")
    finally:
        if cloud is not None:
            cloud.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
