#!/usr/bin/env bash
# Before/after for CPU kernel work: two builds of benchmarks/CudaGenre.Benchmarks (e.g. a worktree of the old commit
# with the `pass` mode added, and this one), run alternately, model by model and round by round, so both see the same
# machine. Each run is `pass MODEL 1`: whole forward passes on ONE thread timed by the thread's CPU clock (best of 10),
# which stays usable on a loaded machine; the clock speed still drops when the other core is busy, hence alternation.
# Usage: benchmarks/cpu-kernels-ab.sh BEFORE_BIN_DIR AFTER_BIN_DIR [ROUNDS] > result.txt
set -euo pipefail
before=$1 after=$2 rounds=${3:-3}
echo "# CPU backend, one thread, thread CPU time per pass (best of 10): before vs after, alternating"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ); machine: $(bash "$(dirname "${BASH_SOURCE[0]}")/machine.sh")"
echo "before: $before"
echo "after:  $after"
for round in $(seq "$rounds"); do
  for model in cnn resnet18 resnet50 xception; do
    sides="before after"; (( round % 2 == 0 )) && sides="after before" # even rounds reversed: the first of a pair can be favoured
    for side in $sides; do
      dir=$before; [ "$side" = after ] && dir=$after
      printf 'round %s %-6s ' "$round" "$side"
      (cd "$dir" && dotnet CudaGenre.Benchmarks.dll pass "$model" 1)
    done
  done
done
