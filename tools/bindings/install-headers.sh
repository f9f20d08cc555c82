#!/usr/bin/env bash
# Makes the CUDA 11.8 C headers that the binding conformance test (tests/CudaGenre.Cuda.Tests/Bindings) reads:
# installs castxml, downloads Debian's nvidia-cuda-dev (non-free, 774 MB; downloaded, never installed), keeps
# only its usr/include in a cache folder, and has castxml dump cuda.h, nvrtc.h, cublas_v2.h and cublasLt.h as
# XML. Idempotent: a second run reuses the cache. Needs root (or sudo) for apt-get install; changes nothing on the
# system when CUDAGENRE_SYSTEM_CHANGES=0 (tools/system-changes.sh).
# Usage: tools/bindings/install-headers.sh [CACHE]   (default CACHE: build/cuda-headers in the repository)
# Prints, as its last line, the variable the test reads: CUDAGENRE_CUDA_HEADERS_XML=<folder>.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=$(mkdir -p "${1:-$repo/build/cuda-headers}" && cd "${1:-$repo/build/cuda-headers}" && pwd)
include=$cache/usr/include
xml=$cache/xml
source "$repo/tools/system-changes.sh"
export DEBIAN_FRONTEND=noninteractive

updated=0
update_once() { [ "$updated" -eq 1 ] || { apt_update; updated=1; }; }

if ! command -v castxml >/dev/null; then
  update_once
  apt_install castxml
fi

# The stamp names the package version whose headers are in the cache; it is written last, so an
# interrupted extraction is redone.
stamp=$cache/nvidia-cuda-dev.version
if [ ! -s "$stamp" ] || [ ! -f "$include/cuda.h" ]; then
  bash "$repo/tools/enable-non-free.sh"
  update_once
  download=$(mktemp -d)
  trap 'rm -rf "$download"' EXIT
  chmod 777 "$download"   # apt-get download writes as the _apt user where it can
  (cd "$download" && apt-get download -qq nvidia-cuda-dev)
  deb=$(ls "$download"/nvidia-cuda-dev_*.deb)
  rm -rf "$cache/usr"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$cache" ./usr/include
  dpkg-deb -f "$deb" Version > "$stamp"
  rm -f "$deb"
fi

mkdir -p "$xml"
for header in cuda.h nvrtc.h cublas_v2.h cublasLt.h; do
  out=$xml/${header%.h}.xml
  if [ ! -s "$out" ] || [ "$include/$header" -nt "$out" ] || [ "$stamp" -nt "$out" ]; then
    # cublasLt.h starts with "#pragma once", which clang notes as a warning when it is the main file.
    castxml --castxml-output=1 -x c -std=c11 -Wno-pragma-once-outside-header -I "$include" -o "$out.tmp" "$include/$header"
    mv "$out.tmp" "$out"
  fi
done

echo "CUDA headers: $include (nvidia-cuda-dev $(cat "$stamp")); castxml XML: $xml"
echo "CUDAGENRE_CUDA_HEADERS_XML=$xml"
