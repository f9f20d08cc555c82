#!/usr/bin/env python3
"""Where a reduced precision flips a top-1 class: compares `cudagenre classify --json --top 10` outputs of one model
on the same files in FP32 and in reduced precisions. For each file the FP32 margin is the log-probability (= logit)
gap between its first and second genre; a file flips when the reduced precision's first genre differs. Prints the
files with the smallest FP32 margins, every flip, and the largest change of that gap per precision.

Usage: python3 benchmarks/precision-margins.py FP32.json [LABEL=]REDUCED.json [[LABEL=]REDUCED.json...] [--smallest N]
(LABEL names a reduced precision in the output; default: its file name.)
"""
import json
import math
import sys


def load(path):
    return {entry["file"]: entry for entry in json.load(open(path))}


def gap(entry, first, second):
    """Logit gap first - second of one file (log of the ratio of their probabilities: softmax's normalizer cancels)."""
    p = {t["genre"]: t["probability"] for t in entry["top"]}
    return math.log(p[first]) - math.log(p[second])


def main(argv):
    smallest = 8
    if "--smallest" in argv:
        i = argv.index("--smallest")
        smallest = int(argv[i + 1])
        del argv[i:i + 2]
    if len(argv) < 2:
        sys.exit(__doc__)
    fp32 = load(argv[0])
    reduced = {}
    for arg in argv[1:]:
        label, _, path = arg.partition("=") if "=" in arg else (arg.rsplit("/", 1)[-1], "", arg)
        reduced[label] = load(path)
    for label, other in reduced.items():
        missing = fp32.keys() ^ other.keys()
        if missing:
            sys.exit(f"error: {label} and {argv[0]} do not classify the same files ({len(missing)} differ)")
        if any(len(e["top"]) < 10 for e in other.values()):
            sys.exit(f"error: {label} lists fewer genres than the model has; run classify with --top 10")
    rows = []
    for name, entry in fp32.items():
        first, second = entry["top"][0]["genre"], entry["top"][1]["genre"]
        rows.append((gap(entry, first, second), name, first, second))
    rows.sort()
    print(f"{len(rows)} files; the {smallest} smallest FP32 margins (logit gap between the first two genres) and the same gap in each precision:")
    for margin, name, first, second in rows[:smallest]:
        others = "  ".join(
            f"{label}: {gap(r[name], first, second):+.4f}{' FLIP ' + r[name]['genre'] if r[name]['genre'] != first else ''}"
            for label, r in reduced.items())
        print(f"  {margin:.4f}  {name.rsplit('/', 1)[-1]}  {first} over {second}  |  {others}")
    for label, other in reduced.items():
        shifts = [abs(gap(other[name], first, second) - margin) for margin, name, first, second in rows]
        flips = [name.rsplit('/', 1)[-1] for _, name, first, _ in rows if other[name]["genre"] != first]
        print(f"{label}: {len(rows) - len(flips)}/{len(rows)} same top-1; largest change of the first-two gap "
              f"{max(shifts):.4f}, median {sorted(shifts)[len(shifts) // 2]:.4f}; flips: {', '.join(flips) or 'none'}")


if __name__ == "__main__":
    main(sys.argv[1:])
