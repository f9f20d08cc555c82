#!/usr/bin/env python3
"""Summarise `CudaGenre.Benchmarks ortprofile xception …` outputs: per file, ORT's and the engine's summed times and
their ratio; then, per thread count, the median ratio of each flow (entry blocks 1-3, middle 4-11, exit 12 and
conv3/conv4, other steps). Each fused depthwise+pointwise step is paired with ORT's depthwise (`X.rep.N.conv1`) and
pointwise node (`X.rep.N+2` when that is a Conv, else `X.rep.N+1`; ORT names a fused conv after its last fused node).
Usage: python3 benchmarks/ortprofile-summary.py FILE…"""
import re
import statistics
import sys


def parse(path):
    ort, eng, kinds, threads, side = {}, {}, {}, None, None
    for line in open(path, encoding="utf-8"):
        m = re.match(r"# \w+ batch \d+, (\d+) threads", line)
        if m:
            threads = int(m.group(1))
        if line.startswith("## ORT"):
            side = ort
            continue
        if line.startswith("## engine"):
            side = eng
            continue
        m = re.match(r"\s+([\d.]+)\s+[\d.]+\s+(\S+)(?: \[(\w+)\])?", line)
        if m and side is not None:
            side[m.group(2)] = float(m.group(1))
            kinds[m.group(2)] = m.group(3)
    return threads, ort, eng, kinds


def flow(step):
    if re.match(r"block([4-9]|1[01])\.", step):
        return "middle"
    return "entry" if re.match(r"block[123]\.", step) else "exit"


def flows(ort, eng, kinds):
    sums = {}
    paired_ort = 0.0
    for step, ms in eng.items():
        m = re.match(r"(.*)\.rep\.(\d+)\.pointwise$", step)
        if m:
            block, n = m.group(1), int(m.group(2))
            pointwise = f"{block}.rep.{n + 2}_nchwc" if kinds.get(f"{block}.rep.{n + 2}_nchwc") == "Conv" else f"{block}.rep.{n + 1}_nchwc"
            theirs = ort.get(f"{block}.rep.{n}.conv1_nchwc", 0) + ort.get(pointwise, 0)
        elif step in ("conv3.pointwise", "conv4.pointwise"):
            conv = step.split(".")[0]
            theirs = ort.get(f"{conv}.conv1_nchwc", 0) + ort.get({"conv3": "act3", "conv4": "act4"}[conv] + "_nchwc", 0)
        else:
            continue
        ours = sums.setdefault(flow(step), [0.0, 0.0])
        ours[0] += ms
        ours[1] += theirs
        paired_ort += theirs
    sums["other"] = [sum(ms for s, ms in eng.items() if s not in {k for k in eng if k.endswith("pointwise")}),
                     sum(ort.values()) - paired_ort]
    return sums


def main(paths):
    by_threads = {}
    for path in paths:
        threads, ort, eng, kinds = parse(path)
        o, e = sum(ort.values()), sum(eng.values())
        print(f"{threads} thread(s)  ORT {o:7.2f} ms  engine {e:7.2f} ms  engine/ORT {e / o:.3f}  {path}")
        by_threads.setdefault(threads, []).append((e / o, flows(ort, eng, kinds)))
    for threads, runs in sorted(by_threads.items()):
        ratios = [r for r, _ in runs]
        print(f"\n{threads} thread(s), {len(runs)} runs: engine/ORT median {statistics.median(ratios):.2f} "
              f"({min(ratios):.2f}–{max(ratios):.2f})")
        for name in ("entry", "middle", "exit", "other"):
            values = [f[name][0] / f[name][1] for _, f in runs if name in f and f[name][1] > 0]
            print(f"  {name:6} median {statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})")


if __name__ == "__main__":
    main(sys.argv[1:])
