#!/usr/bin/env bash
# Load benchmark of `cudagenre serve` on the CPU backend: batching off (max batch 1) vs on, open-loop Poisson arrivals
# at several rates, then a soak with the server's RSS sampled. Output: benchmarks/results/serve-<UTC time>.txt.
#   bash benchmarks/serve-load.sh [RATES] [SECONDS_PER_RATE] [SOAK_SECONDS] [SOAK_RATE] [HEIGHT] [WIDTH]
# RATES "-" skips the rate sweeps (soak only). Environment: SOAK_SAMPLE_SECONDS (default 5) spaces the soak's memory
# samples; CUDAGENRE_CLI serves with another cudagenre binary (e.g. a NativeAOT build); PORT_BASE (default 18090).
# The model is the CNN with seeded random weights at HEIGHT×WIDTH (default 144×216, the trainer's CNN size).
set -euo pipefail
cd "$(dirname "$0")/.."
RATES=${1:-20,40,60,80}
SECONDS_PER_RATE=${2:-15}
SOAK_SECONDS=${3:-300}
SOAK_RATE=${4:-30}
HEIGHT=${5:-144}
WIDTH=${6:-216}
dotnet build -c Release src/CudaGenre.Cli -v q -nologo >/dev/null
dotnet build -c Release benchmarks/CudaGenre.LoadGen -v q -nologo >/dev/null
CLI=${CUDAGENRE_CLI:-src/CudaGenre.Cli/bin/Release/net10.0/cudagenre}
P0=${PORT_BASE:-18090}; P1=$((P0 + 1))
LG=benchmarks/CudaGenre.LoadGen/bin/Release/net10.0/cudagenre-loadgen
WORK=$(mktemp -d)
OUT=benchmarks/results/serve-$(date -u +%Y-%m-%dT%H%MZ)${OUT_SUFFIX:-}.txt
mkdir -p benchmarks/results
$LG write-model "$WORK/cnn.safetensors" --height "$HEIGHT" --width "$WIDTH" | tee "$OUT"
{ echo "# $(uname -srm), $(bash benchmarks/machine.sh)"; echo "# git $(git rev-parse --short HEAD); server binary $CLI"; } | tee -a "$OUT"

serve() { # $1 port, rest: options
  local port=$1; shift
  $CLI serve --model "cnn=$WORK/cnn.safetensors,backend=cpu" --port "$port" --grpc-port 0 --no-request-log "$@" > "$WORK/server-$port.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 240); do curl -sf "localhost:$port/v2/health/ready" -o /dev/null && return 0; sleep 0.5; done
  echo "server on $port did not become ready" >&2; cat "$WORK/server-$port.log" >&2; exit 1
}
stop() { kill -TERM "$SERVER"; wait "$SERVER" || true; }

[ "$RATES" = - ] && MODES=() || MODES=(off on)
for mode in "${MODES[@]}"; do
  if [ $mode = off ]; then opts=(--max-batch-size 1 --max-queue-size 64); else opts=(--max-batch-size 8 --max-queue-delay-us 2000 --max-queue-size 64); fi
  echo "## batching $mode: ${opts[*]}" | tee -a "$OUT"
  serve $P0 "${opts[@]}"
  $LG open --url http://127.0.0.1:$P0 --rates "$RATES" --seconds "$SECONDS_PER_RATE" | tee -a "$OUT"
  curl -s localhost:$P0/metrics | grep -E '^nv_inference_(request_success|request_failure|count|exec_count)' | sed 's/^/# metrics: /' | tee -a "$OUT"
  stop
done

if [ "$SOAK_SECONDS" -gt 0 ]; then
  echo "## soak, batching on, $SOAK_SECONDS s at $SOAK_RATE/s" | tee -a "$OUT"
  serve $P1 --max-batch-size 8 --max-queue-delay-us 2000 --max-queue-size 64
  $LG soak --url http://127.0.0.1:$P1 --rate "$SOAK_RATE" --seconds "$SOAK_SECONDS" --pid "$SERVER" --sample-seconds "${SOAK_SAMPLE_SECONDS:-5}" | tee -a "$OUT"
  curl -s localhost:$P1/metrics | grep -E '^nv_inference_(request_success|request_failure|count|exec_count)' | sed 's/^/# metrics: /' | tee -a "$OUT"
  stop
fi
echo "# load average at the end: $(cat /proc/loadavg)" | tee -a "$OUT"
rm -rf "$WORK"
