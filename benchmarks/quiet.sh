#!/usr/bin/env bash
# Usage: bash benchmarks/quiet.sh CMD...: runs CMD with every other CPU user of this machine paused (SIGSTOP: dotnet,
# test hosts, compilers, trainers, browsers; re-checked every 0.5 s so late starters are paused too), then resumes them.
# Never wrap a build or `dotnet run` in it (their child processes would be paused) nor a test run (watchdogs).
# The CPU benchmarks' A/B numbers of 2026-12-06 were taken this way (benchmarks/results/cpu-two-threads-2026-12-06.md).
list=$(mktemp); watcher_pid=
# Our own process group (CMD and its children) is never paused: a paused child would hang CMD, and reading the
# command line of a paused .NET process can block the reader too (that hung a session for 35 minutes on 2026-12-06,
# when `cudagenre bench` under this script matched "cudagenre").
group_of() { local s; s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0; s=${s##*) }; set -- $s; echo "$3"; } # after "(comm) ": state ppid pgrp
own_group=$(group_of $$)
resume() { sort -u "$list" | xargs -r kill -CONT 2>/dev/null; rm -f "$list"; }
alive() { local s; s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; s=${s##*) }; [[ ${s:0:1} != Z ]]; } # a zombie is dead
( while alive $$; do # the watcher ends, resuming what it paused, when this script is killed
    for p in $(pgrep -if "dotnet|testhost|VBCSCompiler|MSBuild|cudagenre|clang|cc1|/ld|python|chromium|Tests"); do
      [[ $(group_of "$p") == "$own_group" ]] && continue
      case "$(tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null)" in
        *CudaGenre.Benchmarks*|*quiet.sh*|*cpu-ab-wall.sh*|*cpu-ab.sh*|*ort-compare.sh*|*pgrep*) ;;
        *) kill -STOP "$p" 2>/dev/null && echo "$p" >> "$list" ;;
      esac
    done
    sleep 0.5
  done; resume ) &
watcher_pid=$!
trap 'kill $watcher_pid; sleep 0.2; resume' EXIT
sleep 2
"$@"
