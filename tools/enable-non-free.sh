#!/usr/bin/env bash
# Adds Debian's non-free components to the apt sources when they are missing (NVRTC and the CUDA headers
# live there). Idempotent; needs root (or sudo); changes nothing when CUDAGENRE_SYSTEM_CHANGES=0. Does not run apt-get update: the caller does.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/system-changes.sh"
sources=/etc/apt/sources.list.d/debian.sources
if [ -f "$sources" ] && ! grep -q 'non-free' "$sources"; then
  system_change "add contrib non-free non-free-firmware to $sources" \
    $sudo sed -i 's/^Components: main$/Components: main contrib non-free non-free-firmware/' "$sources"
elif [ -f /etc/apt/sources.list ] && ! grep -q 'non-free' /etc/apt/sources.list; then
  system_change "add contrib non-free non-free-firmware to /etc/apt/sources.list" \
    $sudo sed -i -E 's/^(deb .* main)$/\1 contrib non-free non-free-firmware/' /etc/apt/sources.list
fi
