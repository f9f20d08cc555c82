#!/usr/bin/env bash
# Filters `dotnet test` output (Microsoft.Testing.Platform) so that skipped tests do not drown it: without a GPU
# some 330 GPU tests skip, each with a three-line notice ("skipped NAME", the reason, "from DLL"). Those blocks
# are taken out and, just before "Test run summary" (or at the end), replaced by one line per distinct reason:
# how many tests it skipped and one of them by name. Everything else, the summary counts included, passes through
# unchanged, so .ci/run's count_tests reads the same lines. The full list (test, reason) goes to the file given as
# the first argument, when one is given. Usage: dotnet test 2>&1 | bash tools/skip-summary.sh [list-file]
set -uo pipefail
list=${1:-/dev/null}
# The SDK colours its output on a terminal; the patterns below match with or without the colour codes.
awk -v list="$list" '
  function plain(s) { gsub(/\033\[[0-9;]*m/, "", s); return s }
  function flush(   r, i, j, n, order) {
    if (printed || total == 0) return
    printed = 1
    printf "%d skipped tests, by reason (each test and reason: %s):\n", total, (list == "/dev/null" ? "pass a file to tools/skip-summary.sh" : list)
    # Most frequent reason first.
    n = 0
    for (r in count) order[++n] = r
    for (i = 2; i <= n; i++) { r = order[i]; for (j = i - 1; j >= 1 && count[order[j]] < count[r]; j--) order[j + 1] = order[j]; order[j + 1] = r }
    for (i = 1; i <= n; i++) printf "  %5d × %s (e.g. %s)\n", count[order[i]], order[i], example[order[i]]
  }
  {
    line = plain($0)
    if (state == 0 && match(line, /^skipped [^ ]/)) {
      test = substr(line, 9); reason = ""; state = 1; next
    }
    if (state == 1) {
      if (line ~ /^  from /) {
        if (reason == "") reason = "(no reason given)"
        count[reason]++; total++
        if (!(reason in example)) example[reason] = test
        print test "\t" reason > list
        state = 0; next
      }
      if (line ~ /^  /) { sub(/^ +/, "", line); reason = (reason == "" ? line : reason " " line); next }
      # Not a skip block after all: give its lines back.
      print "skipped " test; if (reason != "") print "  " reason
      state = 0
    }
    if (line ~ /^Test run summary/) flush()
    print
    fflush() # a line at a time: when a run hangs, CI shows how far it got
  }
  END { flush() }
'
