#!/usr/bin/env bash
# The one-command GPU check. Two halves, because the GPU machine has no .NET:
#
#   bash tools/gpu-check.sh publish   # here: self-contained linux-x64 build of the CUDA tests, the CUDA
#                                     # backend tests and the cudagenre CLI, packed into
#                                     # .gpu/gpu-check.tar.xz (ignored by git)
#   bash tools/gpu-check.sh run       # on a machine with an NVIDIA GPU and no .NET: unpacks, finds the
#                                     # CUDA libraries (pip's nvidia-* packages or a toolkit), prints
#                                     # `cudagenre info`, runs every CUDA test (where nvidia-smi lists a
#                                     # GPU, a GPU test that cannot run fails instead of skipping), then
#                                     # prints the table: device, library versions, each kernel compiled,
#                                     # each kernel vs its CPU twin and each cuBLAS/cuDNN call (max abs /
#                                     # max rel error). Exit code: the test run's.
#
#   bash tools/gpu-check.sh accuracy  # there: trained runs packed by `publish RUN…`, every precision: verify against
#                                     # the trainer's reference logits, evaluate on the test split (balanced accuracy)
#
#   bash tools/gpu-check.sh bench engine|pytorch|compile MODEL
#                                     # there: the engine's latency/throughput per precision and CUDA-graph
#                                     # setting, and PyTorch's on the same GPU (see bench() below)
#
# With the device tool: publish here, then run `bash tools/gpu-check.sh run` there with carry [".gpu"].
# On the emulated device (tools/cuda-emulator), to show the script works end to end before a GPU runs it:
#   CUDAGENRE_CUDA_LIB_PATH=$PWD/build/cuda-emulator/plain CUDAGENRE_GPU_CHECK_LABEL=EMULATED bash tools/gpu-check.sh run
# (a CUDAGENRE_CUDA_LIB_PATH set beforehand is searched first; the label goes into the file names and the header).
# Output goes to $OUT when set (the device tool brings it back), else to benchmarks/results/:
# gpu-check-<date>.txt (everything printed) and gpu-check-<date>.tsv (the table's raw figures).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mode=${1:-}

# publish [RUN…]: each RUN is a trainer run folder (model.safetensors, reference.safetensors, metrics.json,
# split.json); its files and the test images its split names (from $CUDAGENRE_GTZAN, default ../shared/data/gtzan)
# go into the bundle for `accuracy`. Mind the device's 64 MiB limit on what travels: the CNN's fits, a ResNet's
# weights alone do not.
publish() {
  rm -rf .gpu/publish .gpu/trained && mkdir -p .gpu
  # .git is a file in a worktree: ask git where the exclude file is.
  local exclude; exclude=$(git rev-parse --git-path info/exclude)
  mkdir -p "$(dirname "$exclude")"
  grep -qxF '/.gpu/' "$exclude" 2>/dev/null || echo '/.gpu/' >> "$exclude"
  for project in tests/CudaGenre.Cuda.Tests tests/CudaGenre.Engine.Cuda.Tests src/CudaGenre.Cli; do
    dotnet publish "$project" -c Release -r linux-x64 --self-contained -p:InvariantGlobalization=true \
      -o .gpu/publish -v q -nologo
  done
  git rev-parse --short HEAD > .gpu/publish/COMMIT
  local parts=(publish)
  if [ $# -gt 0 ]; then
    stage_trained "$@"
    parts+=(trained)
  fi
  tar -C .gpu -cf - "${parts[@]}" | xz -T0 -9 > .gpu/gpu-check.tar.xz
  rm -rf .gpu/publish .gpu/trained
  ls -la .gpu/gpu-check.tar.xz
  local bytes; bytes=$(stat -c %s .gpu/gpu-check.tar.xz)
  if [ "$bytes" -gt $((60 << 20)) ]; then
    echo "publish: WARNING: the bundle is $((bytes >> 20)) MiB; with the working tree it may pass the device's 64 MiB limit" >&2
  fi
}

# Copies each run's model, reference bundle, metrics and split, and the test images of its split, into .gpu/trained.
stage_trained() {
  local gtzan=${CUDAGENRE_GTZAN:-../shared/data/gtzan}
  [ -d "$gtzan" ] || { echo "publish: no GTZAN images at $gtzan (set CUDAGENRE_GTZAN)" >&2; return 2; }
  mkdir -p .gpu/trained/gtzan-test
  for run in "$@"; do
    local name; name=$(basename "$run")
    mkdir -p ".gpu/trained/runs/$name"
    for f in model.safetensors reference.safetensors metrics.json split.json; do
      [ -f "$run/$f" ] || { echo "publish: $run has no $f" >&2; return 2; }
      cp "$run/$f" ".gpu/trained/runs/$name/"
    done
    python3 - "$run/split.json" "$gtzan" .gpu/trained/gtzan-test <<'PY'
import json, os, shutil, sys
manifest, source, target = sys.argv[1:]
entries = [e for e in json.load(open(manifest, encoding="utf-8"))["entries"] if e["split"] == "test"]
for e in entries:
    os.makedirs(os.path.join(target, os.path.dirname(e["file"])), exist_ok=True)
    shutil.copyfile(os.path.join(source, e["file"]), os.path.join(target, e["file"]))
print(f"publish: {len(entries)} test images of {manifest}")
PY
  done
  du -sh .gpu/trained
}

# Each trained run in the bundle, on the GPU, in every precision: `verify` against the trainer's reference logits
# (FP32: relative L2 ≤ 1e-4 and every top-1; TF32/FP16/BF16: finite and the top-1 kept on ≥ 99.5 %), and `evaluate`
# on its test split, whose balanced accuracy the trainer recorded (FP32 must equal it; the others within 0.5 points).
# The CPU's FP32 evaluation is printed first for comparison.
accuracy() {
  local out=${OUT:-benchmarks/results}
  local stamp; stamp=$(date -u +%Y-%m-%dT%H%MZ)
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
  unpack
  local bin=/tmp/gpu-check/publish data=/tmp/gpu-check/trained/gtzan-test
  export CUDAGENRE_CUDA_LIB_PATH; CUDAGENRE_CUDA_LIB_PATH=$(find_cuda_libs)
  export DOTNET_gcServer=0
  if [ ! -d /tmp/gpu-check/trained/runs ]; then
    echo "accuracy: the bundle holds no trained runs (publish with: bash tools/gpu-check.sh publish RUN…)" >&2
    return 2
  fi
  local failures=0
  {
    echo "# GPU accuracy check: trained runs, every precision"
    echo "date:   $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(cat "$bin/COMMIT")"
    gpu_query name,driver_version
    for run in /tmp/gpu-check/trained/runs/*/; do
      local name; name=$(basename "$run")
      echo; echo "## $name"
      "$bin/cudagenre" evaluate "$run/model.safetensors" --data "$data" --manifest "$run/split.json" --backend cpu \
        --out "$out/accuracy-$name-cpu-fp32-$stamp" 2>&1 | grep -E "balanced accuracy|trainer recorded|error" || failures=$((failures + 1))
      for precision in fp32 tf32 fp16 bf16; do
        echo "### CUDA $precision"
        "$bin/cudagenre" verify "$run/model.safetensors" --backend cuda --precision "$precision" 2>&1 || failures=$((failures + 1))
        "$bin/cudagenre" evaluate "$run/model.safetensors" --data "$data" --manifest "$run/split.json" --backend cuda --precision "$precision" \
          --out "$out/accuracy-$name-cuda-$precision-$stamp" 2>&1 | grep -E "balanced accuracy|trainer recorded|error|CUDA" || failures=$((failures + 1))
      done
    done
    echo; echo "accuracy check: $failures command(s) failed"
  } 2>&1 | tee "$out/gpu-accuracy-$stamp.txt"
  echo "saved to $out/gpu-accuracy-$stamp.txt"
}

# The GPUs' FIELDS as nvidia-smi reports them, or a line saying there is no nvidia-smi (the emulated device).
gpu_query() {
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu="$1" --format=csv,noheader 2>&1 || true
  else
    echo "nvidia-smi: not available"
  fi
}

unpack() {
  if [ ! -x /tmp/gpu-check/publish/cudagenre ]; then
    rm -rf /tmp/gpu-check && mkdir -p /tmp/gpu-check
    tar -C /tmp/gpu-check -xJf .gpu/gpu-check.tar.xz
  fi
}

find_cuda_libs() {
  # Folders that hold libcublas/libcudnn/libnvrtc: pip's nvidia-* wheels first, then toolkits.
  local dirs=()
  for py in python3 python; do
    command -v "$py" >/dev/null || continue
    while IFS= read -r d; do dirs+=("$d"); done < <("$py" - <<'PY' 2>/dev/null
import glob, os, site
roots = set(site.getsitepackages() + [site.getusersitepackages()])
for root in sorted(roots):
    for lib in sorted(glob.glob(os.path.join(root, "nvidia", "*", "lib"))):
        print(lib)
PY
)
    break
  done
  for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do [ -d "$d" ] && dirs+=("$d"); done
  (IFS=:; echo "${dirs[*]}")
}

# The table from the figures the tests recorded (tab-separated lines, see TestSupport/GpuReport.cs):
# device, library versions, each kernel compiled, each kernel vs its CPU twin, each cuBLAS/cuDNN call.
print_table() {
  local report=$1
  if [ ! -s "$report" ]; then
    echo "(no figures: the tests recorded nothing in $report)"
    return
  fi
  if ! command -v python3 >/dev/null; then
    echo "(python3 not found: the raw figures, tab-separated)"
    cat "$report"
    return
  fi
  python3 - "$report" <<'PY' || { echo "(python3 failed: the raw figures, tab-separated)"; cat "$report"; }
import sys
sections = [
    ("device", "Device", None),
    ("library", "Libraries", None),
    ("compiled", "Kernels compiled", ("file", "target", "entry points", "time", "NVRTC messages")),
    ("kernel", "Kernels vs CPU twins", ("entry point", "case", "max abs", "max rel", "criterion", "result")),
    ("call", "cuBLAS / cuDNN calls vs CPU references", ("function", "case", "max abs", "max rel", "criterion", "result")),
]
rows = {}
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        fields = line.rstrip("\n").split("\t")
        rows.setdefault(fields[0], []).append(fields[1:])
for key, title, header in sections:
    found = rows.get(key, [])
    if key in ("compiled", "kernel", "call"):
        found = sorted(found)
    print(f"\n{title}")
    if not found:
        print("  (none recorded" + (": the GPU tests did not run; the test output above says why" if key in ("kernel", "call") else "") + ")")
        continue
    table = ([list(header)] if header else []) + found
    widths = [max(len(r[i]) for r in table if i < len(r)) for i in range(max(len(r) for r in table))]
    for r in table:
        print("  " + "  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip())
    if key in ("kernel", "call"):
        failed = sum(1 for r in found if r[-1].startswith("FAIL"))
        print(f"  {len(found)} compared, {failed} failed")
PY
}

run() {
  local out=${OUT:-benchmarks/results}
  local stamp; stamp=$(date -u +%Y-%m-%dT%H%MZ)
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
  local label=${CUDAGENRE_GPU_CHECK_LABEL:+$CUDAGENRE_GPU_CHECK_LABEL-}
  local log="$out/gpu-check-$label$stamp.txt"
  rm -rf /tmp/gpu-check && mkdir -p /tmp/gpu-check
  tar -C /tmp/gpu-check -xJf .gpu/gpu-check.tar.xz
  local bin=/tmp/gpu-check/publish
  export CUDAGENRE_CUDA_LIB_PATH; CUDAGENRE_CUDA_LIB_PATH=${CUDAGENRE_CUDA_LIB_PATH:+$CUDAGENRE_CUDA_LIB_PATH:}$(find_cuda_libs)
  # Where the machine has an NVIDIA GPU, a GPU test that cannot run fails instead of skipping.
  local gpus=0
  if command -v nvidia-smi >/dev/null; then gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU ' || true); fi
  if [ "$gpus" -gt 0 ]; then export CUDAGENRE_REQUIRE_GPU=${CUDAGENRE_REQUIRE_GPU:-1}; fi
  export CUDAGENRE_REQUIRE_NVRTC=${CUDAGENRE_REQUIRE_NVRTC:-1} DOTNET_gcServer=0
  # Every test that compares a GPU result records its figures here; the table below is made from them.
  export CUDAGENRE_GPU_REPORT="$out/gpu-check-$label$stamp.tsv"
  : > "$CUDAGENRE_GPU_REPORT"
  local tests_status=0
  {
    echo "# GPU check${CUDAGENRE_GPU_CHECK_LABEL:+ ($CUDAGENRE_GPU_CHECK_LABEL)}"
    echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit:  $(cat "$bin/COMMIT")"
    echo "machine: $(uname -n), $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
    echo "GPUs:   $gpus (nvidia-smi)"
    gpu_query name,driver_version,memory.total
    echo "CUDAGENRE_CUDA_LIB_PATH=$CUDAGENRE_CUDA_LIB_PATH"
    echo "CUDAGENRE_REQUIRE_GPU=${CUDAGENRE_REQUIRE_GPU:-0} CUDAGENRE_REQUIRE_NVRTC=$CUDAGENRE_REQUIRE_NVRTC"
    echo
    echo "## cudagenre info"
    "$bin/cudagenre" info 2>&1 || echo "cudagenre info failed with exit code $?"
    echo
    echo "## CUDA tests"
    "$bin/CudaGenre.Cuda.Tests" -noColor 2>&1 || { tests_status=$?; echo "CUDA tests failed with exit code $tests_status"; }
    echo
    echo "## CUDA backend tests (every model variant vs the CPU backend, graphs, concurrency, TF32)"
    "$bin/CudaGenre.Engine.Cuda.Tests" -noColor 2>&1 || { tests_status=$?; echo "CUDA backend tests failed with exit code $tests_status"; }
    echo
    echo "## Table (raw figures: $CUDAGENRE_GPU_REPORT)"
    print_table "$CUDAGENRE_GPU_REPORT" || echo "(the table could not be printed; the raw figures are in $CUDAGENRE_GPU_REPORT)"
    echo
    echo "CUDA tests exit code: $tests_status"
    echo "$tests_status" > /tmp/gpu-check/tests-status
  } 2>&1 | tee "$log"
  echo "saved to $log"
  return "$(cat /tmp/gpu-check/tests-status)"
}

# The figures of issue #6, in parts small enough for one device call (10 minutes) each:
#   bash tools/gpu-check.sh bench engine  MODEL   # cudagenre bench: fp32/tf32/fp16/bf16 × graphs on/off × batch 1/64/256
#   bash tools/gpu-check.sh bench pytorch MODEL   # random model in our format with PyTorch's logits; our CUDA logits
#                                                 # against them (cudagenre verify); PyTorch eager, every precision
#   bash tools/gpu-check.sh bench compile MODEL [PRECISIONS]   # torch.compile(mode="reduce-overhead"), default fp32,fp16
# MODEL: cnn, resnet18, resnet50 or xception. Output under $OUT (or benchmarks/results/).
bench() {
  local part=${1:-} model=${2:-}
  if [ -z "$part" ] || [ -z "$model" ]; then
    echo "usage: bash tools/gpu-check.sh bench engine|pytorch|compile MODEL [PRECISIONS]" >&2
    return 2
  fi
  local out=${OUT:-benchmarks/results}
  local stamp; stamp=$(date -u +%Y-%m-%dT%H%MZ)
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
  unpack
  local bin=/tmp/gpu-check/publish
  export CUDAGENRE_CUDA_LIB_PATH; CUDAGENRE_CUDA_LIB_PATH=$(find_cuda_libs)
  export DOTNET_gcServer=0
  local dir=/tmp/gpu-check/pytorch-$model
  {
    echo "# GPU benchmark: $part $model"
    echo "date:   $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(cat "$bin/COMMIT")"
    gpu_query name,driver_version,memory.total,clocks.max.sm
    case "$part" in
      engine)
        # Session-open time across a restart: a process with empty disk caches (kernels compiled, algorithms
        # measured), then a new process that finds both caches filled.
        local cache=/tmp/gpu-check/cache-$model
        rm -rf "$cache"
        for run in "empty disk caches" "disk caches filled by the run above"; do
          echo "### new process, $run"
          CUDAGENRE_CACHE_DIR=$cache "$bin/cudagenre" bench --arch "$model" --backend cuda --batch-size 1 --seconds 0.2 2>&1 \
            | grep -E "session open|median|Fp32" || echo "cudagenre bench (restart check) failed"
        done
        "$bin/cudagenre" bench --arch "$model" --backend cuda --precision fp32,tf32,fp16,bf16 --graphs both --batch-size 1,64,256 \
          --seconds 2 --json "$out/gpu-bench-$model-$stamp.json" || echo "cudagenre bench failed with exit code $?"
        ;;
      pytorch)
        python3 benchmarks/pytorch_compare.py --random "$model" --head linear --out "$dir" || echo "pytorch_compare --random failed"
        "$bin/cudagenre" verify "$dir/model.safetensors" --backend cuda || echo "cudagenre verify (our CUDA logits vs PyTorch's) failed with exit code $?"
        timeout 480 python3 benchmarks/pytorch_compare.py "$dir/model.safetensors" --reference "$dir/reference.safetensors" \
          --modes eager --precisions fp32,tf32,fp16,bf16 --batches 1,64,256 --json "$out/pytorch-eager-$model-$stamp.json" \
          || echo "pytorch_compare eager ended with exit code $?"
        ;;
      compile)
        [ -f "$dir/model.safetensors" ] || python3 benchmarks/pytorch_compare.py --random "$model" --head linear --out "$dir"
        timeout 560 python3 benchmarks/pytorch_compare.py "$dir/model.safetensors" --reference "$dir/reference.safetensors" \
          --modes compile --precisions "${3:-fp32,fp16}" --batches 1,64,256 --json "$out/pytorch-compile-$model-$stamp.json" \
          || echo "pytorch_compare compile ended with exit code $? (124: cut at 560 s; the JSON keeps the rows that finished)"
        ;;
      *) echo "unknown part '$part': engine, pytorch or compile" ;;
    esac
  } 2>&1 | tee "$out/gpu-bench-$part-$model-$stamp.txt"
  echo "saved to $out/gpu-bench-$part-$model-$stamp.txt"
}

case "$mode" in
  publish) shift; publish "$@" ;;
  run) run ;;
  accuracy) accuracy ;;
  bench) shift; bench "$@" ;;
  *) echo "usage: bash tools/gpu-check.sh publish [RUN…]|run|accuracy|bench engine|pytorch|compile MODEL" >&2; exit 2 ;;
esac
