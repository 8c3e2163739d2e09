#!/usr/bin/python3
"""Where a small get's time goes: Skyport against its own transfer path without jobs, and rclone.

For a prefix of small objects (default 1,000 x 4 KiB) on the S3 emulator, times in alternating rounds:

  skyport  POST /api/cloud/storage/get of the prefix until every dataset is ok (./skyport serve, as s3_vs_rclone.py)
  floor    bench/transfer_floor: Skyport's own transfer code for the same prefix in a plain process: one LIST,
           then 8 objects at a time read (S3ObjectStorage), hashed while written (HashingCopy), checked against the
           ETag and committed like a dataset's bytes (LocalDatasetStore: fsync, rename). No jobs, database or import.
  rclone   rclone copy of the prefix to a folder

and prints, per tool, the median wall time, its CPU seconds and the emulator's. The difference between skyport and
floor is what the job machinery costs (queueing, claims, job and dataset rows, import); the difference between floor
and rclone is what the SDK, hashing and fsync cost against rclone's own path.

    /usr/bin/python3 bench/s3_floor.py [--small-count 1000] [--small-kib 4] [--rounds 3] [--warmup-rounds 2]

Needs what s3_vs_rclone.py needs. Nothing is removed between rounds (see bench/README.md on ext4's recently deleted inodes).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import s3_vs_rclone  # noqa: E402
from cloud_bench import REMOTE, ROOT, children_cpu, cpu_seconds, loadavg, run_to_end  # noqa: E402

PREFIX = "get-small/"


class FloorBench(s3_vs_rclone.Bench):
    work_prefix = "skyport-s3-floor-"

    def make_sources(self):
        self.make_local_sources(1)
        print("Creating the objects with rclone (untimed)...", flush=True)
        self.rclone("copy", self.small_dir, f"{REMOTE}:{s3_vs_rclone.BUCKET}/{PREFIX}", *s3_vs_rclone.RCLONE_FLAGS)

    def start_floor(self):
        print("Building bench/transfer_floor...", flush=True)
        out = os.path.join(self.work, "transfer-floor")
        subprocess.run(["dotnet", "build", os.path.join(ROOT, "bench", "transfer_floor"), "-c", "Release", "-o", out,
                        "--nologo", "-v", "quiet"], check=True, stdout=subprocess.DEVNULL)
        remote = f"RCLONE_CONFIG_{REMOTE.upper()}_"
        env = dict(os.environ, FLOOR_ACCESS_KEY_ID=self.rclone_env[remote + "ACCESS_KEY_ID"],
                   FLOOR_SECRET_ACCESS_KEY=self.rclone_env[remote + "SECRET_ACCESS_KEY"],
                   FLOOR_SESSION_TOKEN=self.rclone_env[remote + "SESSION_TOKEN"])
        self.floor = subprocess.Popen(["dotnet", os.path.join(out, "TransferFloor.dll"), self.cloud.urls["s3"], "us-east-1",
                                       s3_vs_rclone.BUCKET], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True)

    def floor_round(self, folder: str) -> dict:
        self.floor.stdin.write(f"{PREFIX} {folder}\n")
        self.floor.stdin.flush()
        answer = json.loads(self.floor.stdout.readline())
        if answer["objects"] != self.args.small_count:
            raise RuntimeError(f"the floor copied {answer['objects']} objects")
        return answer

    def timed(self, tool: str, round_number: int) -> dict:
        emulator, floor_cpu, kids = cpu_seconds(self.cloud.pid), cpu_seconds(self.floor.pid), children_cpu()
        server = cpu_seconds(self.server.pid)
        t0 = time.perf_counter()
        if tool == "skyport":
            self.skyport_get(self.history(f"floor bench {round_number}"), self.args.small_count, prefix=PREFIX)
        elif tool == "floor":
            self.floor_round(os.path.join(self.work, f"floor-{round_number}"))
        else:
            target = os.path.join(self.work, f"rclone-{round_number}")
            self.rclone("copy", f"{REMOTE}:{s3_vs_rclone.BUCKET}/{PREFIX}", target, *s3_vs_rclone.RCLONE_FLAGS)
            if len(os.listdir(target)) != self.args.small_count:
                raise RuntimeError("rclone copied the wrong number of files")
        wall = time.perf_counter() - t0
        cpu = {"skyport": cpu_seconds(self.server.pid) - server, "floor": cpu_seconds(self.floor.pid) - floor_cpu,
               "rclone": children_cpu() - kids}[tool]
        return {"wall": wall, "cpu": cpu, "emulator": cpu_seconds(self.cloud.pid) - emulator}

    def run(self):
        a = self.args
        self.make_sources()
        self.start_floor()
        tools = ["skyport", "floor", "rclone"]
        print(f"Warming up ({a.warmup_rounds} untimed rounds of each)...", flush=True)
        for r in range(a.warmup_rounds):
            for tool in tools:
                self.timed(tool, -1 - r)
        results = {tool: [] for tool in tools}
        for r in range(a.rounds):
            order = tools[r % 3:] + tools[:r % 3]  # each tool takes each place in turn
            for tool in order:
                results[tool].append(self.timed(tool, r))
            print(f"round {r + 1}: " + ", ".join(f"{t} {results[t][-1]['wall']:.2f} s" for t in tools)
                  + f"; load average {loadavg()}", flush=True)
        n = a.small_count
        print(f"\n{n} x {a.small_kib} KiB, median of {a.rounds} rounds (CPU ms per object = CPU s / {n} x 1000)")
        print(f"{'tool':8s} {'wall s':>7s} {'x rclone':>8s} {'CPU s':>6s} {'ms/obj':>7s} {'emulator CPU s':>15s}")
        rclone_wall = statistics.median(x["wall"] for x in results["rclone"])
        for tool in tools:
            wall = statistics.median(x["wall"] for x in results[tool])
            cpu = statistics.median(x["cpu"] for x in results[tool])
            emulator = statistics.median(x["emulator"] for x in results[tool])
            print(f"{tool:8s} {wall:7.2f} {wall / rclone_wall:8.2f} {cpu:6.2f} {1000 * cpu / n:7.2f} {emulator:15.2f}")

    def cleanup(self):
        if getattr(self, "floor", None) is not None:
            self.floor.stdin.close()
            self.floor.wait(timeout=30)
        super().cleanup()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small-count", type=int, default=1000)
    parser.add_argument("--small-kib", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup-rounds", type=int, default=2)
    parser.add_argument("--poll", type=float, default=0.1, help="seconds between completion polls")
    parser.add_argument("--skyport-setting", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    run_to_end(FloorBench(parser.parse_args()))


if __name__ == "__main__":
    main()
