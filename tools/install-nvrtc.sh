#!/usr/bin/env bash
# Installs Debian's NVRTC (CUDA 11.8 runtime compiler, ~16 MB) so that kernels can be compiled to PTX on
# a machine without a GPU (CI). Adds the non-free component to the apt sources if it is missing.
# Idempotent; needs root (or sudo). Prints the library path at the end.
set -euo pipefail
if ldconfig -p 2>/dev/null | grep -q 'libnvrtc\.so\.11\.2'; then
  ldconfig -p | grep 'libnvrtc\.so\.11\.2' | head -n 1
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
bash "$(dirname "${BASH_SOURCE[0]}")/enable-non-free.sh"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends libnvrtc11.2 libnvrtc-builtins11.8 >/dev/null
ldconfig -p | grep 'libnvrtc\.so\.11\.2' | head -n 1
