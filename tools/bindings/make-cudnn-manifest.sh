#!/usr/bin/env bash
# Regenerates the cuDNN 9 declaration manifest (tests/CudaGenre.Cuda.Tests/Bindings/cudnn9.manifest.json) that
# the binding conformance test compares CudnnApi and the cuDNN enums and structs with. cuDNN's headers are not
# committed (and not in Debian), so the test reads this reduction of them instead (tools/bindings/cudnn_manifest.py):
# the functions, enums and structs that src/CudaGenre.Cuda/Dnn binds, as castxml sees them, and the names of all
# other cuDNN functions. Rerun it when a cuDNN binding is added or the headers change.
# Usage: tools/bindings/make-cudnn-manifest.sh HEADER_DIR SOURCE [OUT]
#   HEADER_DIR  a CUDA include folder holding cudnn*.h and the CUDA headers they include (cuda_runtime_api.h …)
#   SOURCE      where HEADER_DIR came from, recorded in the manifest (repository, commit, folder)
# Needs castxml (apt-get install castxml) and python3.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
[ $# -ge 2 ] || { sed -n '7,10p' "${BASH_SOURCE[0]}" >&2; exit 2; }
headers=$(cd "$1" && pwd)
source=$2
out=${3:-$repo/tests/CudaGenre.Cuda.Tests/Bindings/cudnn9.manifest.json}
xml=$(mktemp)
trap 'rm -f "$xml"' EXIT
castxml --castxml-output=1 -x c -std=c11 -I "$headers" -o "$xml" "$headers/cudnn.h"
python3 "$(dirname "${BASH_SOURCE[0]}")/cudnn_manifest.py" "$xml" "$headers" "$repo/src/CudaGenre.Cuda/Dnn" "$source" > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out"
