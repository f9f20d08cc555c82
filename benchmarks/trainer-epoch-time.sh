#!/usr/bin/env bash
# Times training epochs of the TorchSharp trainer on the real GTZAN images (720 training images) and
# saves the raw output under benchmarks/results/. Each architecture runs 2 epochs (the first includes
# warm-up); the per-epoch train and validation seconds are in the log lines. Other processes on the
# machine are listed, because the 2 cores are shared.
# Usage: bash benchmarks/trainer-epoch-time.sh [gtzan-root] [threads] [arch[:extra options]...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
data=${1:-../shared/data/gtzan}
threads=${2:-2}
shift $(( $# > 2 ? 2 : $# ))
specs=("$@")
[ ${#specs[@]} -eq 0 ] && specs=(cnn resnet18)
stamp=$(date -u +%Y-%m-%dT%H%MZ)
result="benchmarks/results/trainer-epoch-time-${stamp}.txt"
mkdir -p benchmarks/results

dotnet build -c Release tools/CudaGenre.Trainer -v q -nologo >/dev/null
bin=tools/CudaGenre.Trainer/bin/Release/net10.0/cudagenre-train
{
  echo "# trainer epoch timing"
  echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit:  $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with uncommitted changes)')"
  echo "machine: $(bash benchmarks/machine.sh), $(free -g | awk '/Mem:/{print $2}') GiB RAM"
  echo "threads: $threads (torch.set_num_threads)"
  echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) at start"
  echo "other busy processes at start:"
  ps -eo pcpu,etime,args --sort=-pcpu | awk 'NR>1 && $1>5 {print "  " $0}' | cut -c1-160 | head -5
  for spec in "${specs[@]}"; do
    arch=${spec%%:*}
    extra=""
    [ "$spec" != "$arch" ] && extra=${spec#*:}
    echo
    echo "## train --arch $arch $extra --epochs 2 --threads $threads"
    run=$(mktemp -d)/run
    # shellcheck disable=SC2086
    /usr/bin/time -o "$run.time" -f "wall %e s, user %U s, sys %S s, max RSS %M KiB" \
      "$bin" train --data "$data" --arch "$arch" $extra --epochs 2 --threads "$threads" --out "$run" >/dev/null 2>&1 || echo "(the run failed)"
    grep -E "(Loaded|Model|epoch [0-9]+:|Best|Test)" "$run/train.log" | cut -c22- || true
    cat "$run.time"
  done
} 2>&1 | tee "$result"
echo "saved to $result"
