#!/usr/bin/python3
"""Upload and download throughput of one large file, compared with cp on the same disk.

Starts ./skyport serve on a temporary data folder, writes a random file (1 GiB by default), then:
  cp          cp of that file on the same filesystem (and the fsync that Skyport also does)
  upload      TUS (POST, then PATCH: the whole file with curl, or chunks from Python) + POST /api/tools/fetch
              + waiting for the dataset to be ok
  download    GET /api/datasets/{id}/display with curl, written to a file
and prints MB/s (10^6 bytes per second), the ratios to cp, and the server's peak RSS (VmHWM).

    /usr/bin/python3 bench/upload_download.py [--size-mib 1024] [--chunk-mib 0 | 64]
"""
import argparse
import base64
import hashlib
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skyport_bench import Server  # noqa: E402

GOAL_RATIO = 0.5
GOAL_RSS_MB = 250


class RssSampler(threading.Thread):
    """Samples the server's RSS so that the peak can be attributed to a phase."""

    def __init__(self, server: Server):
        super().__init__(daemon=True)
        self.server = server
        self.phase = "startup"
        self.peaks: dict = {}
        self.running = True

    def run(self):
        while self.running:
            try:
                rss = self.server.rss_mb()
            except (OSError, KeyError):
                return
            self.peaks[self.phase] = max(self.peaks.get(self.phase, 0), rss)
            time.sleep(0.05)


def mbps(size: int, seconds: float) -> float:
    return size / seconds / 1e6


def make_random_file(path: str, size: int) -> str:
    digest = hashlib.sha256()
    block = 64 << 20
    with open(path, "wb") as f:
        left = size
        while left:
            data = os.urandom(min(block, left))
            digest.update(data)
            f.write(data)
            left -= len(data)
        f.flush()
        os.fsync(f.fileno())
    return digest.hexdigest()


def time_limits(source: str, target: str) -> tuple:
    """What a server that receives bytes must at least do, on this machine: write them to a new file from user space
    (cp copies inside the kernel with copy_file_range, which no network receiver can), and MD5 them on one core
    (Skyport computes MD5 and SHA-256 while storing; MD5 is the slower and cannot be split across cores)."""
    start = time.perf_counter()
    subprocess.run(["dd", f"if={source}", f"of={target}", "bs=1M", "status=none"], check=True)
    written = time.perf_counter() - start
    os.remove(target)
    digest = hashlib.md5()
    start = time.perf_counter()
    with open(source, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return written, time.perf_counter() - start


def time_cp(source: str, target: str) -> tuple:
    start = time.perf_counter()
    subprocess.run(["cp", source, target], check=True)
    copied = time.perf_counter() - start
    subprocess.run(["sync", target], check=True)
    synced = time.perf_counter() - start
    os.remove(target)
    return copied, synced


def tus_upload(server: Server, path: str, size: int, chunk: int) -> str:
    created = server.api("POST", "/api/upload/resumable_upload/", headers={
        "Tus-Resumable": "1.0.0", "Upload-Length": str(size),
        "Upload-Metadata": "filename " + base64.b64encode(b"random.bin").decode()})
    location = created.headers["Location"]
    session_id = location.rstrip("/").rsplit("/", 1)[-1]
    url = location if location.startswith("http") else server.url + location
    if chunk == 0:
        # One PATCH of the whole file, streamed from disk by curl (tus-js-client's default, chunkSize Infinity).
        result = subprocess.run(["curl", "-sS", "--fail", "--noproxy", "*", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PATCH",
                                 "-T", path, "-H", f"x-api-key: {server.api_key}", "-H", "Tus-Resumable: 1.0.0",
                                 "-H", "Upload-Offset: 0", "-H", "Content-Type: application/offset+octet-stream", url],
                                capture_output=True, text=True)
        if result.returncode != 0 or result.stdout != "204":
            raise RuntimeError(f"PATCH: curl exit {result.returncode}, HTTP {result.stdout}: {result.stderr[:300]}")
        return session_id
    offset = 0
    with open(path, "rb") as f:
        while offset < size:
            data = f.read(chunk)
            r = server.session.patch(url, data=data, headers={
                "Tus-Resumable": "1.0.0", "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"})
            if r.status_code != 204:
                raise RuntimeError(f"PATCH at {offset}: HTTP {r.status_code}: {r.text[:300]}")
            offset = int(r.headers["Upload-Offset"])
    return session_id


def wait_ok(server: Server, dataset_id: str, timeout: float = 1800) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        dataset = server.api("GET", f"/api/datasets/{dataset_id}").json()
        if dataset["state"] not in ("new", "queued", "running"):
            if dataset["state"] != "ok":
                raise RuntimeError(f"dataset ended {dataset['state']}: {dataset.get('misc_info')}")
            return dataset
        time.sleep(0.05)
    raise RuntimeError("dataset not ok in time")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--chunk-mib", type=int, default=0,
                        help="0 (default): one PATCH of the whole file with curl; N: PATCHes of N MiB sent by Python requests")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (data dir, server log)")
    args = parser.parse_args()
    size = args.size_mib << 20

    print("Starting ./skyport serve (builds on first use)...", flush=True)
    server = Server()
    sampler = RssSampler(server)
    sampler.start()
    try:
        print(f"Server {server.url} pid {server.pid}, data {server.data_dir}; RSS after start {server.rss_mb():.0f} MB", flush=True)
        source = os.path.join(server.work, "random.bin")
        print(f"Writing {args.size_mib} MiB of random data...", flush=True)
        expected_sha = make_random_file(source, size)

        cp_seconds, cp_sync_seconds = time_cp(source, os.path.join(server.work, "random.cp"))
        dd_seconds, md5_seconds = time_limits(source, os.path.join(server.work, "random.dd"))

        history = server.api("POST", "/api/histories", json={"name": "bench upload"}).json()["id"]
        sampler.phase = "tus"
        start = time.perf_counter()
        session_id = tus_upload(server, source, size, args.chunk_mib << 20)
        tus_done = time.perf_counter()
        sampler.phase = "import"
        response = server.api("POST", "/api/tools/fetch", json={
            "history_id": history,
            "targets": [{"destination": {"type": "hdas"}, "elements": [{"src": "files", "ext": "auto", "name": "random.bin", "to_posix_lines": True}]}],
            "files_0|file_data": {"session_id": session_id, "name": "random.bin"},
        }).json()
        dataset_id = response["outputs"][0]["id"]
        dataset = wait_ok(server, dataset_id)
        upload_seconds = time.perf_counter() - start
        import_seconds = time.perf_counter() - tus_done
        hashes = {h["hash_function"]: h["hash_value"] for h in dataset.get("hashes", [])}
        assert dataset["file_size"] == size, dataset
        assert hashes.get("SHA-256") == expected_sha, (hashes, expected_sha)

        sampler.phase = "download"
        target = os.path.join(server.work, "random.down")
        start = time.perf_counter()
        subprocess.run(["curl", "-sS", "--fail", "--noproxy", "*", "-o", target, "-H", f"x-api-key: {server.api_key}",
                        f"{server.url}/api/datasets/{dataset_id}/display"], check=True)
        download_seconds = time.perf_counter() - start
        # The same download into /dev/null: what the server delivers when the client does not write a new file.
        start = time.perf_counter()
        subprocess.run(["curl", "-sS", "--fail", "--noproxy", "*", "-o", "/dev/null", "-H", f"x-api-key: {server.api_key}",
                        f"{server.url}/api/datasets/{dataset_id}/display"], check=True)
        null_seconds = time.perf_counter() - start
        sampler.phase = "idle"
        if os.path.getsize(target) != size or subprocess.run(["cmp", "-s", source, target]).returncode != 0:
            raise RuntimeError("downloaded bytes differ from the uploaded file")
        os.remove(target)
        time.sleep(0.2)
        peak = server.peak_rss_mb()
        sampler.running = False

        cp_rate = mbps(size, cp_seconds)
        up_rate = mbps(size, upload_seconds)
        down_rate = mbps(size, download_seconds)
        print()
        sent_as = f"TUS chunks of {args.chunk_mib} MiB (Python)" if args.chunk_mib else "one TUS PATCH (curl)"
        print(f"file                {args.size_mib} MiB ({size} bytes), {sent_as}")
        print(f"cp                  {cp_seconds:7.2f} s  {cp_rate:8.1f} MB/s   (cp + fsync: {cp_sync_seconds:.2f} s, {mbps(size, cp_sync_seconds):.1f} MB/s)")
        print(f"dd (user-space write of a new file, 1 MiB blocks) {dd_seconds:.2f} s, {mbps(size, dd_seconds):.1f} MB/s;"
              f" MD5 on one core {md5_seconds:.2f} s, {mbps(size, md5_seconds):.1f} MB/s (ratios to cp"
              f" {mbps(size, dd_seconds) / cp_rate:.2f} and {mbps(size, md5_seconds) / cp_rate:.2f})")
        print(f"upload (TUS+import) {upload_seconds:7.2f} s  {up_rate:8.1f} MB/s   ratio to cp {up_rate / cp_rate:.2f}"
              f"   [TUS PATCHes {upload_seconds - import_seconds:.2f} s, fetch + import job {import_seconds:.2f} s]")
        print(f"download            {download_seconds:7.2f} s  {down_rate:8.1f} MB/s   ratio to cp {down_rate / cp_rate:.2f}   (into a file)")
        print(f"download            {null_seconds:7.2f} s  {mbps(size, null_seconds):8.1f} MB/s   ratio to cp {mbps(size, null_seconds) / cp_rate:.2f}"
              "   (into /dev/null)")
        print(f"peak RSS (VmHWM)    {peak:7.1f} MB  ; sampled peak by phase: "
              + ", ".join(f"{k} {v:.0f} MB" for k, v in sampler.peaks.items()))
        ok_up = up_rate / cp_rate >= GOAL_RATIO
        ok_down = down_rate / cp_rate >= GOAL_RATIO
        ok_rss = peak <= GOAL_RSS_MB
        print(f"goals: upload >= {GOAL_RATIO}x cp {'met' if ok_up else 'MISSED'}; download >= {GOAL_RATIO}x cp {'met' if ok_down else 'MISSED'};"
              f" peak RSS <= {GOAL_RSS_MB} MB {'met' if ok_rss else 'MISSED'}")
    finally:
        sampler.running = False
        if args.keep:
            server.stop()
            print(f"kept {server.work}")
        else:
            server.cleanup()


if __name__ == "__main__":
    main()
