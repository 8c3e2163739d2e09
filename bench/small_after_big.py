#!/usr/bin/python3
"""Does a get of many small objects cost more right after a large get, or after the server was idle?

On one server (the test cloud and log-in of s3_vs_rclone.py): three warm-up rounds of the small get (the JIT settling),
two rounds before a get of one large object (1 GiB), three right after it, and two after a pause. Each round is a new history and the same
prefix of small objects; before each, dirty pages are written out (sync). Prints each round's wall time and the CPU
seconds the server and the emulator spent on it.

    /usr/bin/python3 bench/small_after_big.py [--small-count 1000] [--big-mib 1024] [--pause 20]

Environment variables the script is started with reach the server (e.g. DOTNET_ThreadPool_ForceMinWorkerThreads=16).
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import s3_vs_rclone  # noqa: E402
from cloud_bench import cpu_seconds, run_to_end  # noqa: E402


class SmallAfterBig(s3_vs_rclone.Bench):
    work_prefix = "skyport-small-after-big-"

    def small(self, label: str):
        history = self.history(label)
        os.sync()
        server, emulator, t0 = cpu_seconds(self.server.pid), cpu_seconds(self.cloud.pid), time.perf_counter()
        self.skyport_get(history, self.args.small_count, prefix="get-small/")
        print(f"{label:<24} wall {time.perf_counter() - t0:5.2f} s, server CPU {cpu_seconds(self.server.pid) - server:5.2f} s, "
              f"emulator CPU {cpu_seconds(self.cloud.pid) - emulator:5.2f} s", flush=True)

    def run(self):
        self.make_sources()
        for i in range(3):
            self.small(f"warm-up {i + 1}")
        for i in range(2):
            self.small(f"before the big get {i + 1}")
        history = self.history("big")
        os.sync()
        t0 = time.perf_counter()
        self.skyport_get(history, 1, objects=["get/big.bin"])
        print(f"{f'{self.args.big_mib} MiB get':<24} wall {time.perf_counter() - t0:5.2f} s", flush=True)
        for i in range(3):
            self.small(f"after it {i + 1}")
        time.sleep(self.args.pause)
        for i in range(2):
            self.small(f"after {self.args.pause:.0f} s idle {i + 1}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--big-mib", type=int, default=1024)
    parser.add_argument("--small-count", type=int, default=1000)
    parser.add_argument("--small-kib", type=int, default=4)
    parser.add_argument("--pause", type=float, default=20, help="seconds idle before the last two rounds")
    parser.add_argument("--poll", type=float, default=0.1, help="seconds between completion polls")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    args.skyport_setting, args.warmup_rounds, args.rounds = [], 0, 1
    run_to_end(SmallAfterBig(args))


if __name__ == "__main__":
    main()
