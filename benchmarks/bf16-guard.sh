#!/usr/bin/env bash
# The CPU BF16 mode's accuracy guard on trained runs (kept for the commands quoted in earlier results): see precision-guard.sh.
# Usage: bash benchmarks/bf16-guard.sh DATA RUN_FOLDER...
exec bash "$(dirname "${BASH_SOURCE[0]}")/precision-guard.sh" bf16 "$@"
