#!/usr/bin/env bash
# Runs every fuzz target (tests/CudaGenre.Core.Tests/Fuzz, and the server's request parsers in
# tests/CudaGenre.Serving.Tests/Fuzz) for longer than CI does, each from a random CsCheck seed,
# and writes the outcome counts (cases, successes, each documented exception) to benchmarks/results/fuzz-<date>.txt.
# A failure prints the CsCheck seed and the shrunk input (hex); turn it into a regression file
# tests/CudaGenre.Core.Tests/Fuzz/corpus/<target>/regress-<what>.bin and fix the product.
# Usage: bash benchmarks/fuzz.sh [seconds-per-target (default 60)]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=${1:-60}
stamp=$(date -u +%Y-%m-%dT%H%MZ)
result="benchmarks/results/fuzz-${stamp}.txt"
mkdir -p benchmarks/results

dotnet build tests/CudaGenre.Core.Tests -v q -nologo >/dev/null
dotnet build tests/CudaGenre.Serving.Tests -v q -nologo >/dev/null
exes=(tests/CudaGenre.Core.Tests/bin/Debug/net10.0/CudaGenre.Core.Tests tests/CudaGenre.Serving.Tests/bin/Debug/net10.0/CudaGenre.Serving.Tests)
counts=$(mktemp)
trap 'rm -f "$counts"' EXIT
{
  echo "# fuzz targets, ${seconds} s of mutations each from a random seed (plus the committed corpus)"
  echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit:  $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with uncommitted changes)')"
  echo "machine: $(bash benchmarks/machine.sh)"
  echo
} >"$result"
set +e
status=0
for exe in "${exes[@]}"; do
  CUDAGENRE_FUZZ_SECONDS=$seconds CUDAGENRE_FUZZ_REPORT=$counts \
    "$exe" -method '*Target_survives_its_corpus_and_mutations' 2>&1 | tail -n 40 | tee -a "$counts.log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done
set -e
{
  echo "## outcome counts (target, mode, cases, seconds, ok, then each documented exception)"
  cat "$counts"
  echo
  echo "## test run (exit $status)"
  grep -iE 'Total:|\[FAIL\]|seed' "$counts.log" || true
} >>"$result"
rm -f "$counts.log"
echo "wrote $result (exit $status)"
exit "$status"
