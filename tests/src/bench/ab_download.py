#!/usr/bin/env python3
"""Interleaved curl downloads against FTP servers that are already running (issue 5; docs/BENCHMARKS.md).

    ab_download.py ROUNDS LABEL=PORT[:CURL_ARG...] ...

Each round downloads /big.bin (must be 1 GiB) once from every server, alternating the order round to round,
with `curl -o /dev/null` (curl's own time_total). Prints every round with the 1-minute load average, then per
server the median, interquartile range and min-max in GB/s, and for each server after the first the median of its
per-round ratio to the first one and in how many rounds it was ahead. `PIN="taskset -c 1"` in the environment
runs curl under that prefix. Extra curl arguments after the port, split on ':', e.g. `x=2121:-P:127.0.0.1` for
active mode (EPRT).
"""
import subprocess, sys, statistics, os
rounds = int(sys.argv[1]); targets = []
for t in sys.argv[2:]:
    label, rest = t.split("=", 1); port, *extra = rest.split(":")
    targets.append((label, port, extra))
res = {l: [] for l, _, _ in targets}
print("load at start:", open("/proc/loadavg").read().strip(), flush=True)
for r in range(rounds):
    order = targets if r % 2 == 0 else targets[::-1]
    row = []
    for label, port, extra in order:
        out = subprocess.run(os.environ.get("PIN","").split() + ["curl", "-s", "-o", "/dev/null", "-w", "%{time_total} %{size_download}"] + extra +
                             [f"ftp://127.0.0.1:{port}/big.bin"], capture_output=True, text=True, check=True).stdout
        t, n = out.split(); g = float(n) / float(t) / 1e9
        assert int(float(n)) == 1 << 30, out
        res[label].append(g); row.append(f"{label} {g:.2f}")
    print(f"round {r+1}: " + ", ".join(row), "| load", open("/proc/loadavg").read().split()[0], flush=True)
print("load at end:", open("/proc/loadavg").read().strip())
for label, v in res.items():
    s = sorted(v); q = statistics.quantiles(s, n=4) if len(s) >= 4 else [s[0], statistics.median(s), s[-1]]
    print(f"{label:12} median {statistics.median(s):.2f} GB/s  IQR {q[0]:.2f}-{q[2]:.2f}  min-max {s[0]:.2f}-{s[-1]:.2f}  n={len(s)}")
first = targets[0][0]
for label, v in res.items():
    if label == first: continue
    r = sorted(a / b for a, b in zip(v, res[first]))
    wins = sum(1 for x in r if x > 1)
    print(f"{label:12} / {first}: paired median ratio {statistics.median(r):.2f}  IQR {statistics.quantiles(r, n=4)[0]:.2f}-{statistics.quantiles(r, n=4)[2]:.2f}  wins {wins}/{len(r)}")
