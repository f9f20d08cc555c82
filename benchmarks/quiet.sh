#!/usr/bin/env bash
# Usage: bash benchmarks/quiet.sh CMD...: runs CMD with every other CPU user of this machine paused (SIGSTOP: dotnet,
# test hosts, compilers, trainers, browsers; re-checked every 0.5 s so late starters are paused too), then resumes them.
# Never wrap a build or `dotnet run` in it (their child processes would be paused) nor a test run (watchdogs).
# The CPU benchmarks' A/B numbers of 2026-12-06 were taken this way (benchmarks/results/cpu-two-threads-2026-12-06.md).
list=$(mktemp); watcher_pid=
( while true; do
    for p in $(pgrep -if "dotnet|testhost|VBCSCompiler|MSBuild|cudagenre|clang|cc1|/ld|python|chromium|Tests"); do
      case "$(tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null)" in
        *CudaGenre.Benchmarks*|*quiet.sh*|*cpu-ab-wall.sh*|*ort-compare.sh*|*pgrep*) ;;
        *) kill -STOP "$p" 2>/dev/null && echo "$p" >> "$list" ;;
      esac
    done
    sleep 0.5
  done ) &
watcher_pid=$!
trap 'kill $watcher_pid; sleep 0.2; sort -u "$list" | xargs -r kill -CONT 2>/dev/null; rm -f "$list"' EXIT
sleep 2
"$@"
