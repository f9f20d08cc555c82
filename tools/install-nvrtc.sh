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
sources=/etc/apt/sources.list.d/debian.sources
if [ -f "$sources" ] && ! grep -q 'non-free' "$sources"; then
  $sudo sed -i 's/^Components: main$/Components: main contrib non-free non-free-firmware/' "$sources"
elif [ -f /etc/apt/sources.list ] && ! grep -q 'non-free' /etc/apt/sources.list; then
  $sudo sed -i -E 's/^(deb .* main)$/\1 contrib non-free non-free-firmware/' /etc/apt/sources.list
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends libnvrtc11.2 libnvrtc-builtins11.8 >/dev/null
ldconfig -p | grep 'libnvrtc\.so\.11\.2' | head -n 1
