#!/usr/bin/python3
"""Two builds of Skyport side by side on the small-object get (or send, or one large object), in alternating rounds.

On this machine the same build's figures move by +-25% from one run to the next, so a change worth 10% cannot be
seen by running the benchmark once before and once after it. This script starts both servers (each with its own test
cloud, as bench/s3_vs_rclone.py does), warms both up, then times rounds of N small objects alternating between them
(A B, B A, A B, ...), so that whatever the machine does meanwhile falls on both, each after a `sync` (so that the
write-back the previous round left is not timed in this one). Prints each round and the medians of wall time, server
CPU and emulator CPU.

    git worktree add /tmp/skyport-base HEAD~1
    /usr/bin/python3 bench/ab_builds.py --base /tmp/skyport-base                # this tree against HEAD~1
    /usr/bin/python3 bench/ab_builds.py --base /tmp/skyport-base --op send --rounds 8
    /usr/bin/python3 bench/ab_builds.py --base . --env DOTNET_TieredPGO=0       # one setting, same build
    /usr/bin/python3 bench/ab_builds.py --base /tmp/skyport-base --big-mib 1024 --rounds 4   # one large object instead

--env KEY=VALUE (repeatable) is set for this tree's server only.
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import skyport_bench  # noqa: E402
import s3_vs_rclone  # noqa: E402
from cloud_bench import cpu_seconds  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True, help="the other tree (a git worktree) to compare this one with")
    parser.add_argument("--op", choices=["get", "send"], default="get")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="set for this tree's server only")
    parser.add_argument("--big-mib", type=int, default=0, help="time one object of this many MiB instead of --count small ones")
    args = parser.parse_args()
    trees = {"base": os.path.abspath(args.base), "this": skyport_bench.ROOT}
    bench_args = argparse.Namespace(big_mib=args.big_mib or 1, small_count=args.count, small_kib=4, poll=0.05, skyport_setting=[],
                                    warmup_rounds=0, keep=False)
    benches = {}
    try:
        for name, root in trees.items():
            skyport_bench.ROOT = root  # the tree whose ./skyport the server is started from
            saved = dict(os.environ)
            if name == "this":
                os.environ.update(kv.split("=", 1) for kv in args.env)
            bench = s3_vs_rclone.Bench(bench_args)
            benches[name] = bench
            bench.start()
            bench.make_sources()
            os.environ.clear()
            os.environ.update(saved)
        for name, bench in benches.items():
            for r in range(2):
                history = bench.history(f"warm-{r}")
                bench.skyport_get(history, args.count, prefix="get-small/")
                bench.skyport_send(history, f"warm-{r}/", args.count)
        results = {name: [] for name in benches}
        order = list(benches)
        for r in range(args.rounds):
            for name in (order if r % 2 == 0 else order[::-1]):
                bench = benches[name]
                history = bench.history(f"round-{r}")
                count, selection = (1, {"objects": ["get/big.bin"]}) if args.big_mib else (args.count, {"prefix": "get-small/"})
                if args.op == "send":
                    bench.skyport_get(history, count, **selection)
                os.sync()  # what the previous round left to write back is not this round's
                cpu, emu, t0 = cpu_seconds(bench.server.pid), cpu_seconds(bench.cloud.pid), time.time()
                if args.op == "get":
                    bench.skyport_get(history, count, **selection)
                else:
                    bench.skyport_send(history, f"round-{r}/", count)
                row = (time.time() - t0, cpu_seconds(bench.server.pid) - cpu, cpu_seconds(bench.cloud.pid) - emu)
                results[name].append(row)
                print(f"round {r} {name}: {args.op} {f'1 x {args.big_mib} MiB' if args.big_mib else f'{args.count} x 4 KiB'} wall {row[0]:.2f} s, server CPU {row[1]:.2f} s, "
                      f"emulator CPU {row[2]:.2f} s", flush=True)
        for name, rows in results.items():
            print(f"{name} ({trees[name]}): median wall {statistics.median(r[0] for r in rows):.2f} s, server CPU "
                  f"{statistics.median(r[1] for r in rows):.2f} s, emulator CPU {statistics.median(r[2] for r in rows):.2f} s, "
                  f"peak RSS {benches[name].server.peak_rss_mb():.0f} MB")
    finally:
        for bench in benches.values():
            bench.cleanup()


if __name__ == "__main__":
    main()
