#!/usr/bin/env bash
# Installs Debian's NVRTC (CUDA 11.8 runtime compiler, ~16 MB) so that kernels can be compiled to PTX on
# a machine without a GPU (CI). Adds the non-free component to the apt sources if it is missing.
# Idempotent; needs root (or sudo); changes nothing when CUDAGENRE_SYSTEM_CHANGES=0 (tools/system-changes.sh). Prints the library path at the end.
set -euo pipefail
if ldconfig -p 2>/dev/null | grep -q 'libnvrtc\.so\.11\.2'; then
  ldconfig -p | grep 'libnvrtc\.so\.11\.2' | head -n 1
  exit 0
fi
source "$(dirname "${BASH_SOURCE[0]}")/system-changes.sh"
bash "$(dirname "${BASH_SOURCE[0]}")/enable-non-free.sh"
apt_update
apt_install libnvrtc11.2 libnvrtc-builtins11.8
ldconfig -p | grep 'libnvrtc\.so\.11\.2' | head -n 1
