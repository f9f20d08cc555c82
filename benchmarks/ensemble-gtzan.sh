#!/usr/bin/env bash
# An ensemble of trained runs, end to end: `cudagenre-train ensemble` (TorchSharp: each member on the runs' split,
# combined), then the engine on its manifest: `cudagenre evaluate` on the test and validation splits (must equal the
# trainer's metrics.json) and `cudagenre verify` (each member and the combination against the trainer's logits).
# Saves the raw output with date, commit and machine under benchmarks/results/. Niced: the machine is shared.
# Usage: bash benchmarks/ensemble-gtzan.sh OUT_FOLDER RUN_FOLDER...   (the runs must share one split)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=$1; shift
stamp=$(date -u +%Y-%m-%dT%H%MZ)
result="benchmarks/results/ensemble-${stamp}.txt"
dotnet build -c Release tools/CudaGenre.Trainer -v q -nologo >/dev/null
dotnet build -c Release src/CudaGenre.Cli -v q -nologo >/dev/null
train=tools/CudaGenre.Trainer/bin/Release/net10.0/cudagenre-train
cli=src/CudaGenre.Cli/bin/Release/net10.0/cudagenre
members=()
for run in "$@"; do members+=(--member "$run"); done
split="$1/split.json"
{
  echo "# ensemble of trained runs: trainer, then engine (CPU backend, FP32)"
  echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit:  $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with uncommitted changes)')"
  echo "machine: $(bash benchmarks/machine.sh) (shared with other work; niced)"
  echo
  echo "\$ cudagenre-train ensemble ${members[*]} --out $out --threads 2"
  /usr/bin/time -f "wall %e s" nice -n 10 "$train" ensemble "${members[@]}" --out "$out" --threads 2 2>&1
  for part in test validation; do
    echo
    echo "\$ cudagenre evaluate $out/ensemble.json --data (the runs' data) --manifest $split --split $part --backend cpu --threads 2"
    /usr/bin/time -f "wall %e s" nice -n 10 "$cli" evaluate "$out/ensemble.json" --manifest "$split" --data "$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['data'])" "$1/config.json")" \
      --split "$part" --backend cpu --threads 2 --out "$out/evaluation-$part" 2>&1 | grep -vE "^Classifying" 
  done
  echo
  echo "\$ cudagenre verify $out/ensemble.json --backend cpu --threads 2"
  /usr/bin/time -f "wall %e s" nice -n 10 "$cli" verify "$out/ensemble.json" --backend cpu --threads 2 2>&1
  echo
  echo "\$ cat $out/metrics.json (members and ensemble)"
  python3 - "$out/metrics.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
for x in m["members"]:
    t = x["testBalancedAccuracy95"]
    print(f"member {x['path']:<55} val {x['validationBalancedAccuracy']:.4f}  test {t['estimate']:.4f} [{t['lower']:.4f}, {t['upper']:.4f}]")
t = m["test"]["balancedAccuracy95"]
print(f"ensemble {m['model']}\n         val {m['validation']['balancedAccuracy']:.4f}  test {t['estimate']:.4f} [{t['lower']:.4f}, {t['upper']:.4f}]  ({t['method']})")
PY
} 2>&1 | tee "$result"
echo "saved $result"
