#!/usr/bin/python3
"""Latency of listing a large history: GET /api/histories/{id}/contents over a history of 10,000 datasets.

Starts ./skyport serve on a temporary data folder, fills one history through the API (10 requests of
/api/tools/fetch with 1,000 pasted elements each, then waits until every dataset is ok), and times
the listing (default 50 requests after 3 warm-ups). Prints p50/p95/max ms and response size.

    /usr/bin/python3 bench/list_history.py [--datasets 10000] [--requests 50]
"""
import argparse
import os
import statistics
import sys
import subprocess
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skyport_bench import Server  # noqa: E402

GOAL_P50_MS = 20
BATCH = 1000  # FetchRequestParser.MaxElements


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def time_requests(server: Server, path: str, count: int, warmup: int = 3):
    for _ in range(warmup):
        server.api("GET", path)
    times = []
    size = 0
    items = 0
    for _ in range(count):
        start = time.perf_counter()
        r = server.api("GET", path)
        body = r.content
        times.append((time.perf_counter() - start) * 1000)
        size = len(body)
        if items == 0:
            items = len(r.json())
    return times, size, items


def time_with_curl(server: Server, path: str, count: int) -> list[float]:
    """The same request timed by curl (time_total: connect to last byte), without Python's own reading costs."""
    times = []
    for _ in range(count):
        out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{time_total}", "-H", f"x-api-key: {server.api_key}",
                              server.url + path], check=True, capture_output=True, text=True).stdout
        times.append(float(out) * 1000)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (data dir, server log)")
    args = parser.parse_args()

    print("Starting ./skyport serve (builds on first use)...", flush=True)
    server = Server()
    try:
        print(f"Server {server.url} pid {server.pid}, data {server.data_dir}", flush=True)
        history = server.api("POST", "/api/histories", json={"name": "bench list"}).json()["id"]

        start = time.perf_counter()
        post_times = []
        created = 0
        while created < args.datasets:
            n = min(BATCH, args.datasets - created)
            elements = [{"src": "pasted", "paste_content": f"row\t{created + i}\n", "ext": "tabular", "name": f"d{created + i:05d}"}
                        for i in range(n)]
            t = time.perf_counter()
            server.api("POST", "/api/tools/fetch", json={
                "history_id": history, "targets": [{"destination": {"type": "hdas"}, "elements": elements}]})
            post_times.append(time.perf_counter() - t)
            created += n
        queued = time.perf_counter() - start
        print(f"queued {created} datasets in {queued:.1f} s ({len(post_times)} fetch requests, "
              f"{statistics.mean(post_times) * 1000:.0f} ms each on average)", flush=True)

        while True:
            details = server.api("GET", f"/api/histories/{history}").json()
            states = details.get("state_details", {})
            if states.get("ok", 0) >= created:
                break
            if states.get("error", 0):
                raise RuntimeError(f"some uploads failed: {states}")
            time.sleep(0.5)
        filled = time.perf_counter() - start
        print(f"all {created} datasets ok after {filled:.1f} s ({created / filled:.0f} datasets/s end to end)", flush=True)

        path = f"/api/histories/{history}/contents"
        times, size, items = time_requests(server, path, args.requests)
        assert items == created, (items, created)
        p50, p95 = percentile(times, 50), percentile(times, 95)
        print()
        print(f"GET {path}")
        print(f"  {args.requests} requests, {items} items, {size / 1e6:.2f} MB per response")
        print(f"  python requests: p50 {p50:.1f} ms   p95 {p95:.1f} ms   min {min(times):.1f} ms   max {max(times):.1f} ms")
        curl_times = time_with_curl(server, path, args.requests)
        c50, c95 = percentile(curl_times, 50), percentile(curl_times, 95)
        print(f"  curl:            p50 {c50:.1f} ms   p95 {c95:.1f} ms   min {min(curl_times):.1f} ms   max {max(curl_times):.1f} ms")
        print(f"  goal p50 <= {GOAL_P50_MS} ms (curl): {'met' if c50 <= GOAL_P50_MS else 'MISSED'}")
        print(f"  load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"  server peak RSS (VmHWM) {server.peak_rss_mb():.0f} MB")
    finally:
        if args.keep:
            server.stop()
            print(f"kept {server.work}")
        else:
            server.cleanup()


if __name__ == "__main__":
    main()
