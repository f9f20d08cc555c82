#!/usr/bin/env bash
# NativeAOT vs the JIT for the engine's CPU backend, and the publish options' sizes and start-up times (issue #17).
# Publishes `cudagenre` three ways into a temporary folder: self-contained JIT; NativeAOT as published by default
# (x86-64-v3, set by src/CudaGenre.Engine/build/CudaGenre.Engine.targets); NativeAOT for plain x86-64 (the SDK's own
# default, IlcInstructionSet empty). Then for each: its size, the start-up time of `classify` on one image (process
# start to first result, 5 runs), the classify output (must be identical across builds), and `cudagenre bench`
# (CPU, batch 1) on the CNN and ResNet18. The framework-dependent build (the .NET tool) is timed like the JIT one.
# Saves everything under benchmarks/results/aot-vs-jit-<date>.txt. Takes 15-25 minutes on 2 cores (three publishes).
# Usage: bash benchmarks/aot-vs-jit.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
stamp=$(date -u +%Y-%m-%dT%H%MZ)
result="benchmarks/results/aot-vs-jit-${stamp}.txt"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mkdir -p benchmarks/results
# No CUDA here, on purpose: the CPU backend is what is compared.
unset CUDAGENRE_CUDA_LIB_PATH CUDAGENRE_REQUIRE_DEVICE

publish() { # name extra-arguments…
  local name=$1; shift
  local t0=$SECONDS
  dotnet publish src/CudaGenre.Cli -c Release -r linux-x64 -o "$out/$name" -v q -nologo "$@" >"$out/$name.log" 2>&1 \
    || { cat "$out/$name.log"; exit 1; }
  echo "published $name in $((SECONDS - t0)) s: dotnet publish -c Release -r linux-x64 $*"
  grep -iE "warning" "$out/$name.log" | sort -u | sed 's/^/  /' || true
}

# Median and minimum of N runs of a command, in ms, process start to exit (the first result is its last output).
startup() { # runs command…
  local runs=$1; shift
  local times=() t0 t1
  for ((i = 0; i < runs; i++)); do
    t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N)
    times+=($(((t1 - t0) / 1000000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "median %d ms, min %d ms, max %d ms (%d runs)", a[int((NR + 1) / 2)], a[1], a[NR], NR }'
}

{
  echo "# NativeAOT vs JIT: the engine's CPU backend through cudagenre"
  echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit:  $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with uncommitted changes)')"
  echo "machine: $(bash benchmarks/machine.sh), $(free -g | awk '/Mem:/{print $2}') GiB RAM"
  echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) at the start: other work shares these cores, so compare rows"
  echo "         measured close together, not absolute times"
  echo

  dotnet build -c Release src/CudaGenre.Cli -v q -nologo >"$out/fdd.log" 2>&1 || { cat "$out/fdd.log"; exit 1; }
  fdd=src/CudaGenre.Cli/bin/Release/net10.0
  publish jit --self-contained
  publish aot -p:PublishAot=true
  publish aot-sse -p:PublishAot=true -p:IlcInstructionSet=
  echo
  echo "## Sizes"
  echo "framework-dependent build (what the .NET tool holds, all platforms' native libraries): $(du -sh --exclude='*.pdb' --exclude='*.xml' --exclude="$fdd/linux-x64" "$fdd" | cut -f1) without .pdb/.xml"
  for b in jit aot aot-sse; do
    echo "$b: folder $(du -sh --exclude='*.pdb' --exclude='*.xml' --exclude='*.dbg' "$out/$b" | cut -f1) without .pdb/.xml/.dbg; cudagenre $(du -h "$out/$b/cudagenre" | cut -f1); as .tar.xz $(tar -C "$out/$b" --exclude='*.pdb' --exclude='*.xml' --exclude='*.dbg' -cf - . | xz -T1 -6 | wc -c | awk '{ printf "%.1f MB", $1 / 1e6 }')"
  done
  echo
  echo "## CPU kernels as each build reports them (cudagenre info)"
  for b in jit aot aot-sse; do echo "$b: $("$out/$b/cudagenre" info | grep 'CPU kernels')"; done

  # A CNN with seeded random weights (the trainer's export-random) and one synthetic spectrogram.
  dotnet build -c Release tools/CudaGenre.Trainer -v q -nologo >"$out/trainer.log" 2>&1 || { cat "$out/trainer.log"; exit 1; }
  dotnet tools/CudaGenre.Trainer/bin/Release/net10.0/cudagenre-train.dll export-random --arch cnn --count 2 --threads 1 --out "$out/cnn" >/dev/null
  "$out/jit/cudagenre" data synth --out "$out/synth" --count-per-genre 1 --seconds 3 >/dev/null
  image=$(find "$out/synth" -name '*.png' | sort | head -n 1)
  model=$out/cnn/model.safetensors
  echo
  echo "## Same results: classify --json (probabilities printed in full) on one image, and verify's error"
  for b in jit aot aot-sse; do "$out/$b/cudagenre" classify "$model" "$image" --backend cpu --json >"$out/$b.json"; done
  for b in aot aot-sse; do
    if cmp -s "$out/jit.json" "$out/$b.json"; then echo "$b: identical to jit"; else echo "$b: DIFFERS from jit"; diff "$out/jit.json" "$out/$b.json" || true; fi
  done
  for b in jit aot; do echo "$b verify: $("$out/$b/cudagenre" verify "$model" --backend cpu 2>&1 | tr '\n' ' ' | tr -s ' ' | grep -oE 'relative L2 error [^,]+, largest difference [^,]+')"; done
  echo
  echo "## Start-up: process start to first result (cudagenre classify, CNN, one image, --backend cpu)"
  echo "framework-dependent (dotnet cudagenre.dll, as the tool runs): $(startup 5 dotnet "$fdd/cudagenre.dll" classify "$model" "$image" --backend cpu --json)"
  for b in jit aot aot-sse; do
    echo "$b: $(startup 5 "$out/$b/cudagenre" classify "$model" "$image" --backend cpu --json)"
  done
  echo "for scale, cudagenre --help: jit $(startup 5 "$out/jit/cudagenre" --help), aot $(startup 5 "$out/aot/cudagenre" --help)"
  echo
  echo "## Throughput: cudagenre bench --backend cpu --batch 1 (two rounds, alternating, to show the spread)"
  for round in 1 2; do
    for b in jit aot; do
      for arch in cnn resnet18; do
        echo "round $round, $b, $arch: $("$out/$b/cudagenre" bench --backend cpu --arch "$arch" --batch 1 --seconds 3 --threads 2 2>&1 | grep -m1 'median' | tr -s ' ')"
      done
    done
  done
  for arch in cnn resnet18; do
    echo "aot-sse, $arch (10 calls): $("$out/aot-sse/cudagenre" bench --backend cpu --arch "$arch" --batch 1 --seconds 0.1 --threads 2 2>&1 | grep -m1 'median' | tr -s ' ')"
  done
} 2>&1 | tee "$result"
echo "saved $result"
