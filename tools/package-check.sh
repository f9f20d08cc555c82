#!/usr/bin/env bash
# The packages as a user gets them (issue #17), in temporary folders only:
#  1. packs every project that sets IsPackable=true into a temporary folder feed (Release), libraries first, and
#     checks each package as it is made: description, licence expression, readme (present in the package), a
#     symbols package (.snupkg) beside it, XML docs for libraries, exact versions ([x.y.z]) on sibling packages;
#  3. installs both .NET tools into a temporary --tool-path and runs `cudagenre --help`, `cudagenre info`,
#     `cudagenre-train --help`; makes a small random model with `cudagenre-train export-random` and checks it with
#     `cudagenre verify` (the engine against the trainer's logits), and a spectrogram with `cudagenre data synth`;
#  4. builds and runs samples/ClassifyImage against the feed (PackageReference + its own nuget.config, a fresh
#     package cache so nothing stale is used), and checks it prints the genre that `cudagenre classify` gives.
# Exits 0 when all of it works; otherwise names the step that failed. Usage: bash tools/package-check.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
feed=$work/feed tools=$work/tools
current="(start)"
trap 'echo "package check: FAILED at: $current" >&2' ERR
step() { current=$1; printf -- '-- %s (%ss)\n' "$1" "$SECONDS"; }
fail() { echo "package check: $current: $*" >&2; exit 1; }

# The packages are found by asking each project file, so a new library (CudaGenre.Serving) needs only
# <IsPackable>true</IsPackable> and a README.md to be packed and checked here.
# Libraries first (quick), then the tools (the trainer's package, with libtorch, takes minutes to compress).
mapfile -t projects < <(grep -l '<IsPackable>true</IsPackable>' src/*/*.csproj tools/*/*.csproj | xargs grep -L '<PackAsTool>true' | sort
                        grep -l '<IsPackable>true</IsPackable>' src/*/*.csproj tools/*/*.csproj | xargs grep -l '<PackAsTool>true' | sort)
[ "${#projects[@]}" -gt 0 ] || fail "no project sets IsPackable=true"
version=$(dotnet msbuild "${projects[0]}" -getProperty:Version)

check_package() { # project package-id tool(true/"") symbols(yes/no)
  local p=$1 id=$2 tool=$3 symbols=$4 nupkg nuspec files description readme dep
  nupkg=$feed/$id.$version.nupkg
  [ -f "$nupkg" ] || fail "$p made no $id.$version.nupkg"
  [ "$symbols" = no ] || [ -f "$feed/$id.$version.snupkg" ] || fail "$id: no symbols package ($id.$version.snupkg)"
  nuspec=$(unzip -p "$nupkg" "$id.nuspec")
  files=$(unzip -Z1 "$nupkg")
  grep -q '<license type="expression">' <<<"$nuspec" || fail "$id: no licence expression"
  description=$(grep -oP '(?<=<description>)[^<]*' <<<"$nuspec" || true)
  case "$description" in ""|"Package Description") fail "$id: no description" ;; esac
  readme=$(grep -oP '(?<=<readme>)[^<]*' <<<"$nuspec" || true)
  [ -n "$readme" ] && grep -qxF "$readme" <<<"$files" || fail "$id: no readme (put a README.md beside the project file)"
  if [ "$tool" = true ]; then
    grep -qE '<packageType name="DotnetTool(RidPackage)?"' <<<"$nuspec" || fail "$id: not a .NET tool package"
  else
    grep -qE "^lib/net[0-9.]+/${id}\.xml$" <<<"$files" || fail "$id: no XML documentation in lib/"
  fi
  # Sibling packages are released together: every CudaGenre dependency must be pinned to exactly this version.
  while read -r dep; do
    [ -z "$dep" ] && continue
    grep -q "version=\"\[$version\]\"" <<<"$dep" || fail "$id: dependency not pinned to [$version]: $dep"
  done < <(grep -oE '<dependency id="CudaGenre\.[^"]*" version="[^"]*"' <<<"$nuspec" || true)
  echo "   $id: ok ($(du -k "$nupkg" | cut -f1) KiB${tool:+, tool=$tool})"
}
for p in "${projects[@]}"; do
  step "pack and check $p (version $version)"
  dotnet pack "$p" -c Release -o "$feed" -v q -nologo >"$work/pack.log" 2>&1 || { cat "$work/pack.log"; fail "dotnet pack $p failed"; }
  id=$(dotnet msbuild "$p" -getProperty:PackageId)
  tool=$(dotnet msbuild "$p" -getProperty:PackAsTool)
  rids=$(dotnet msbuild "$p" -getProperty:ToolPackageRuntimeIdentifiers)
  if [ "$tool" = true ] && [ -n "$rids" ]; then
    # A tool per platform: the top-level package points at one package per runtime identifier.
    check_package "$p" "$id" true no
    for rid in ${rids//;/ }; do check_package "$p" "$id.$rid" true yes; done
  else
    check_package "$p" "$id" "$tool" yes
  fi
done

# A fresh package cache: a package already cached under the same version would otherwise be used instead of the
# one just made. Third-party packages come from the usual feeds.
export NUGET_PACKAGES=$work/packages

step "install the tools into a temporary tool path"
for id in CudaGenre.Cli CudaGenre.Trainer; do
  dotnet tool install --tool-path "$tools" --add-source "$feed" --version "$version" "$id" >"$work/install.log" 2>&1 \
    || { cat "$work/install.log"; fail "dotnet tool install $id failed"; }
done

step "run the tools"
"$tools/cudagenre" --help >"$work/help.txt"
grep -q classify "$work/help.txt" || fail "cudagenre --help does not list classify"
"$tools/cudagenre" info >"$work/info.txt"
grep -q "CUDA driver" "$work/info.txt" || fail "cudagenre info printed no driver line"
# On an AVX2+FMA CPU the tool (JIT) must run the CPU kernels in hardware.
! grep -qw avx2 /proc/cpuinfo || ! grep -qw fma /proc/cpuinfo || grep -q "CPU kernels: 256-bit vectors with FMA, in hardware" "$work/info.txt" || fail "cudagenre info: the CPU kernels are not in hardware: $(grep "CPU kernels" "$work/info.txt")"
"$tools/cudagenre-train" --help >"$work/train-help.txt"
grep -q export-random "$work/train-help.txt" || fail "cudagenre-train --help does not list export-random"

step "make a model (cudagenre-train export-random) and verify it (cudagenre verify)"
"$tools/cudagenre-train" export-random --arch cnn --count 2 --threads 1 --out "$work/model" >/dev/null
model=$work/model/model.safetensors
"$tools/cudagenre" verify "$model" --backend cpu >"$work/verify.txt" || { cat "$work/verify.txt"; fail "cudagenre verify failed"; }

step "make a spectrogram (cudagenre data synth) and classify it (cudagenre classify)"
"$tools/cudagenre" data synth --out "$work/synth" --count-per-genre 1 --seconds 3 >/dev/null
image=$(find "$work/synth" -name '*.png' | sort | head -n 1)
[ -n "$image" ] || fail "cudagenre data synth wrote no image"
"$tools/cudagenre" classify "$model" "$image" --backend cpu --json >"$work/classify.json"
expected=$(grep -oP '"genre":\s*"\K[^"]+' "$work/classify.json" | head -n 1)
[ -n "$expected" ] || { cat "$work/classify.json"; fail "cudagenre classify gave no genre"; }

step "build and run samples/ClassifyImage against the feed"
cp -r samples "$work/samples"
sample=$work/samples/ClassifyImage
grep -q "Include=\"CudaGenre.Engine\" Version=\"$version\"" "$sample/ClassifyImage.csproj" \
  || fail "samples/ClassifyImage/ClassifyImage.csproj does not reference CudaGenre.Engine $version (the version packed)"
sed -i "s|value=\"../../nupkg\"|value=\"$feed\"|" "$sample/nuget.config"
grep -q "$feed" "$sample/nuget.config" || fail "samples/ClassifyImage/nuget.config has no ../../nupkg source to point at the feed"
grep -rq ProjectReference "$sample" && fail "the sample must use packages, not project references"
dotnet build "$sample" -c Release -v q -nologo >"$work/sample-build.log" 2>&1 || { cat "$work/sample-build.log"; fail "the sample did not build"; }
# Without a CUDA library path the sample's Backend.Auto takes the CPU, as `classify --backend cpu` did.
env -u CUDAGENRE_CUDA_LIB_PATH -u CUDAGENRE_REQUIRE_DEVICE dotnet run --project "$sample" -c Release --no-build -- "$model" "$image" >"$work/sample.txt"
actual=$(head -n 1 "$work/sample.txt" | cut -d' ' -f1)
[ "$actual" = "$expected" ] || { cat "$work/sample.txt"; fail "the sample says '$actual'; cudagenre classify says '$expected'"; }
echo "   sample: $(head -n 1 "$work/sample.txt") (cudagenre classify: $expected)"

step "NativeAOT: publish cudagenre as a service would (the engine's default x86-64-v3) and compare it with the tool"
# Its kernels must be in hardware, its answer the tool's, and its speed the tool's: a NativeAOT build without the
# instruction set ran the CPU kernels 120-150x slower (docs/publishing.md). Timing on a shared CI machine is noisy,
# so the bound is loose (3x); benchmarks/aot-vs-jit.sh measures the ratio.
aot_start=$SECONDS
dotnet publish src/CudaGenre.Cli -c Release -r linux-x64 -p:PublishAot=true -o "$work/aot" -v q -nologo >"$work/aot.log" 2>&1 \
  || { cat "$work/aot.log"; fail "the NativeAOT publish of cudagenre failed"; }
! grep -qi "warning" "$work/aot.log" || { grep -i warning "$work/aot.log" | sort -u; fail "the NativeAOT publish gave warnings"; }
echo "   published in $((SECONDS - aot_start)) s: $(du -h "$work/aot/cudagenre" | cut -f1) binary"
"$work/aot/cudagenre" info >"$work/aot-info.txt"
! grep -qw avx2 /proc/cpuinfo || ! grep -qw fma /proc/cpuinfo || grep -q "CPU kernels: 256-bit vectors with FMA, in hardware" "$work/aot-info.txt" \
  || fail "NativeAOT cudagenre: the CPU kernels are not in hardware: $(grep "CPU kernels" "$work/aot-info.txt")"
"$work/aot/cudagenre" classify "$model" "$image" --backend cpu --json >"$work/aot-classify.json"
cmp -s "$work/classify.json" "$work/aot-classify.json" \
  || { diff "$work/classify.json" "$work/aot-classify.json" | head; fail "NativeAOT cudagenre classify differs from the tool's"; }
bench_ms() { # cudagenre-binary…: the median ms of a short CPU bench of the model above, batch 1
  "$@" bench "$model" --backend cpu --batch-size 1 --seconds 2 --threads 2 | grep -oP 'median \K[0-9.]+' | head -n 1
}
jit_ms=$(bench_ms "$tools/cudagenre"); aot_ms=$(bench_ms "$work/aot/cudagenre")
[ -n "$jit_ms" ] && [ -n "$aot_ms" ] || fail "cudagenre bench printed no median (tool: '$jit_ms', NativeAOT: '$aot_ms')"
echo "   bench, CPU, batch 1: tool (JIT) median $jit_ms ms, NativeAOT median $aot_ms ms"
awk -v a="$aot_ms" -v j="$jit_ms" 'BEGIN { exit !(a <= 3 * j) }' || fail "NativeAOT cudagenre is over 3x slower than the tool ($aot_ms ms vs $jit_ms ms)"

step "NativeAOT: cudagenre serve answers REST and gRPC (Grpc.Net.Client) and drains on SIGTERM"
# Trimming can remove what gRPC, protobuf or JSON reach by reflection; the JIT tests would not see it.
CUDAGENRE_SERVE_BINARY="$work/aot/cudagenre" dotnet test tests/CudaGenre.Serving.Tests -v q --filter "FullyQualifiedName~ServeBinaryTests" >"$work/aot-serve.log" 2>&1 \
  || { tail -n 40 "$work/aot-serve.log"; fail "NativeAOT cudagenre serve failed its REST/gRPC round trip"; }
grep -qE "succeeded: 1\b" "$work/aot-serve.log" || { tail -n 20 "$work/aot-serve.log"; fail "the NativeAOT serve test did not run (skipped?)"; }

current="done"
echo "package check: passed in ${SECONDS}s"
