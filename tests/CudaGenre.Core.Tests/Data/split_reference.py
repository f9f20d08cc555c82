#!/usr/bin/env python3
"""Independent reference for SplitManifest.Create with duplicates, written from the documented algorithm
(the remarks of SplitManifest), not from the C#. Prints the split hash of a GTZAN-layout folder.

usage: split_reference.py GTZAN_ROOT [SEED]
"""
import hashlib, os, sys

M = (1 << 64) - 1
GENRES = ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"]


def splitmix(x):
    x = (x + 0x9E3779B97F4A7C15) & M
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return x, z ^ (z >> 31)


def mix(seed, *keys):
    x, h = splitmix(seed)
    for k in keys:
        x = h ^ ((k * 0xD6E8FEB86659FD93) & M)
        x, h = splitmix(x)
    return h


def rotl(v, k):
    return ((v << k) | (v >> (64 - k))) & M


class Xoshiro:
    def __init__(self, seed):
        x = seed
        self.s = []
        for _ in range(4):
            x, v = splitmix(x)
            self.s.append(v)

    def next(self):
        s0, s1, s2, s3 = self.s
        result = (rotl((s1 * 5) & M, 7) * 9) & M
        t = (s1 << 17) & M
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t
        s3 = rotl(s3, 45)
        self.s = [s0, s1, s2, s3]
        return result

    def next_int(self, n):  # Lemire, rejecting the low part below (2^64 - n) mod n
        threshold = ((1 << 64) - n) % n
        while True:
            p = self.next() * n
            if (p & M) >= threshold:
                return p >> 64

    def shuffle(self, a):
        for i in range(len(a) - 1, 0, -1):
            j = self.next_int(i + 1)
            a[i], a[j] = a[j], a[i]


def part_size(n, f):
    if f <= 0:
        return 0
    v = n * f
    size = int(v + 0.5)  # half away from zero (v >= 0)
    return max(size, 1) if n >= 3 else size


def main():
    root = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 42
    items = []  # (file, label)
    for label, g in enumerate(GENRES):
        d = os.path.join(root, "images_original", g)
        for f in sorted(os.listdir(d)):
            if f.endswith(".png"):
                items.append((f"images_original/{g}/{f}", label))
    content = {}
    for f, _ in items:
        with open(os.path.join(root, f), "rb") as fh:
            content.setdefault(hashlib.sha256(fh.read()).hexdigest(), []).append(f)
    group_of = {}
    for h, files in content.items():
        if len(files) > 1:
            for f in files:
                group_of[f] = h
    placed = {}
    parts = {}
    for label in range(len(GENRES)):
        files = sorted(f for f, l in items if l == label)
        if not files:
            continue
        Xoshiro(mix(seed, label)).shuffle(files)
        test, val = part_size(len(files), 0.1), part_size(len(files), 0.1)
        units, seen = [], {}
        for f in files:
            g = group_of.get(f)
            if g is not None and g in seen:
                units[seen[g]][1].append(f)
                continue
            if g is not None:
                seen[g] = len(units)
            units.append((g, [f]))
        in_test = sum(len(u) for g, u in units if g in placed and placed[g] == "test")
        in_val = sum(len(u) for g, u in units if g in placed and placed[g] == "validation")
        for g, u in units:
            if g in placed:
                p = placed[g]
            else:
                p = "test" if in_test + len(u) <= test else "validation" if in_val + len(u) <= val else "train"
                in_test += len(u) if p == "test" else 0
                in_val += len(u) if p == "validation" else 0
                if g is not None:
                    placed[g] = p
            for f in u:
                parts[f] = (label, p)
    canonical = "cudagenre-split/1\n" + "".join(f"{f}\t{parts[f][0]}\t{parts[f][1]}\n" for f in sorted(parts))
    print(hashlib.sha256(canonical.encode()).hexdigest())


main()
