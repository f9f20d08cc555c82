#!/usr/bin/env bash
# The training grid: runs every line of a grid list (default benchmarks/trainer-grid.txt) one after
# another, skipping finished runs and resuming unfinished ones from their checkpoints, and keeps a
# summary table up to date. Run folders live outside the work tree, so they outlive a checkout, but not a fresh
# machine (a new session's machine had an empty home on 2026-12-06): a run whose results are committed under
# benchmarks/results/trainer-runs/NAME counts as finished, and its committed files are copied back into its run
# folder so that the summary still shows it. An unfinished run on a lost machine starts again from epoch 1.
#
#   benchmarks/trainer-grid.sh start [LIST]   start in the background (setsid nohup nice -n 19); returns at once
#   benchmarks/trainer-grid.sh run [LIST]     the same in the foreground
#   benchmarks/trainer-grid.sh status         the grid's process, the current run and its last log lines
#   benchmarks/trainer-grid.sh summary [LIST] print (and write $RUNS/grid-summary.md) the table, and draw the finished runs
#                                             beside the seed study's figures ($RUNS/grid-comparison.png)
#   benchmarks/trainer-grid.sh stop           stop the grid and its current run (it resumes on the next start)
#   benchmarks/trainer-grid.sh collect NAME...  copy finished runs' results (no weights) into the committed results
#                                             folder, with the engine's `evaluate` on the run's own test split
#                                             (engine-evaluate.txt: date, commit, machine, command, output)
#
# Environment:
#   CUDAGENRE_RUNS     run folders (default ~/cudagenre-runs)
#   CUDAGENRE_GRID_RESULTS  committed results of finished runs (default benchmarks/results/trainer-runs)
#   CUDAGENRE_GTZAN    the GTZAN root (default ../shared/data/gtzan next to the repository)
#   CUDAGENRE_TRAINER  the trainer executable (default ~/cudagenre-trainer-bin/cudagenre-train: a published
#                      copy, so that rebuilding the work tree does not change the binary under a running grid)
#   GRID_THREADS       libtorch threads per run (default 2)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
command=${1:-status}
list=$here/trainer-grid.txt
[[ $command == collect ]] || list=$(realpath "${2:-$list}") # collect's arguments are run names, not a list
runs=${CUDAGENRE_RUNS:-$HOME/cudagenre-runs}
gtzan=${CUDAGENRE_GTZAN:-$(realpath -m "$repo/../shared/data/gtzan")}
trainer=${CUDAGENRE_TRAINER:-$HOME/cudagenre-trainer-bin/cudagenre-train}
threads=${GRID_THREADS:-2}
results=${CUDAGENRE_GRID_RESULTS:-$repo/benchmarks/results/trainer-runs}
pidfile=$runs/grid.pid
mkdir -p "$runs"

log() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $*"; }

running_pid() {
  [[ -f $pidfile ]] || return 1
  local pid
  pid=$(cat "$pidfile")
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

summary() {
  "$trainer" grid-summary "$list" --runs "$runs" --out "$runs/grid-summary.md" --plot "$runs/grid-comparison.png"
}

# Lines of the list as "name<TAB>options", comments and blank lines dropped.
entries() {
  sed -e 's/#.*//' -e 's/^[[:space:]]*//' -e '/^$/d' "$list" | while read -r name rest; do
    printf '%s\t%s\n' "$name" "$rest"
  done
}

finished() { [[ -f $1/metrics.json ]] && grep -q '"cancelled": false' "$1/metrics.json"; }

# A run finished on an earlier machine: its committed results (no weights) go back into the run folder. Only a
# grid run's folder (it has the split.json the trainer writes since the grid began) counts.
restore_committed() {
  local name=$1 folder=$runs/$1
  finished "$results/$name" && [[ -f $results/$name/split.json ]] || return 1
  mkdir -p "$folder"
  cp -p "$results/$name"/*.json "$folder/"
}

# A line's options with @DATA@ and @RUNS@ filled in.
fill() { local rest=${1//@DATA@/$gtzan}; echo "${rest//@RUNS@/$runs}"; }

# Every line through the trainer's --dry-run before the first run: a typo must not wait hours for its turn.
check_list() {
  local bad=0 name rest
  while IFS=$'\t' read -r name rest; do
    local -a options
    read -ra options <<<"$(fill "$rest")"
    local said
    if ! said=$("$trainer" train "${options[@]}" --threads "$threads" --out "$runs/$name" --dry-run 2>&1); then
      echo "error: $list: the line of $name does not pass the trainer's check: $said" >&2
      bad=1
    fi
  done < <(entries)
  return $bad
}

run_grid() {
  [[ -x $trainer ]] || { echo "error: no trainer at $trainer (publish it: dotnet publish tools/CudaGenre.Trainer -c Release -o ~/cudagenre-trainer-bin)" >&2; exit 1; }
  [[ -d $gtzan ]] || { echo "error: no GTZAN data at $gtzan (set CUDAGENRE_GTZAN)" >&2; exit 1; }
  log "grid $list: runs in $runs, trainer $trainer, data $gtzan, $threads threads, pid $$"
  check_list || exit 1
  # setsid gives the grid an autogroup of its own, and with autogroups (Linux's default) the scheduler shares the
  # CPU between groups first, so nice 19 alone still took half the machine; the group's own nice applies.
  if [[ -w /proc/self/autogroup ]]; then echo 19 > /proc/self/autogroup 2>/dev/null || true; fi
  if grep -q '@RUNS@/resnet18_imagenet.safetensors' "$list" && [[ ! -f $runs/resnet18_imagenet.safetensors ]]; then
    log "converting the ImageNet ResNet18 to $runs/resnet18_imagenet.safetensors"
    "$trainer" convert-resnet18 --out "$runs/resnet18_imagenet.safetensors" --threads "$threads"
  fi
  local failed=0
  while IFS=$'\t' read -r name rest; do
    local folder=$runs/$name
    local -a options
    read -ra options <<<"$(fill "$rest")"
    if finished "$folder"; then
      log "$name: finished, skipped"
      continue
    fi
    if restore_committed "$name"; then
      log "$name: finished on an earlier machine (results in $results/$name), skipped"
      continue
    fi
    local rc=0
    if [[ -f $folder/checkpoint.bin ]]; then
      log "$name: resuming from its checkpoint"
      "$trainer" train "${options[@]}" --threads "$threads" --resume "$folder" </dev/null || rc=$?
    else
      log "$name: starting"
      "$trainer" train "${options[@]}" --threads "$threads" --out "$folder" </dev/null || rc=$?
    fi
    if ((rc != 0)); then
      log "$name: the trainer exited with $rc; going on with the next run"
      failed=$((failed + 1))
    else
      log "$name: done"
    fi
    summary >/dev/null || true
  done < <(entries)
  summary || true
  log "grid finished ($failed run(s) failed)"
}

case $command in
  start)
    if pid=$(running_pid); then
      echo "The grid is already running (pid $pid); see $runs/grid.log." >&2
      exit 1
    fi
    # It runs from copies of this script and the list in the runs folder: bash reads a script while running
    # it, so editing (or checking out) the work tree must not change what a running grid executes.
    cp "${BASH_SOURCE[0]}" "$runs/grid-runner.sh"
    cp "$list" "$runs/grid-list.txt"
    export CUDAGENRE_GTZAN=$gtzan CUDAGENRE_TRAINER=$trainer CUDAGENRE_RUNS=$runs GRID_THREADS=$threads CUDAGENRE_GRID_RESULTS=$results
    # setsid: its own process group, so `stop` ends the grid and its current run together; nice 19 keeps it
    # from taking the cores from foreground work.
    setsid nohup nice -n 19 bash "$runs/grid-runner.sh" run "$runs/grid-list.txt" >>"$runs/grid.log" 2>&1 </dev/null &
    echo $! >"$pidfile"
    echo "Started the grid (pid $!, process group $!): log $runs/grid.log, runs in $runs."
    ;;
  run)
    run_grid
    ;;
  status)
    if pid=$(running_pid); then echo "grid running: pid $pid"; else echo "grid not running"; fi
    current=$(ls -t "$runs"/*/train.log 2>/dev/null | head -1 || true)
    if [[ -n $current ]]; then
      echo "latest run log: $current"
      tail -n 5 "$current"
    fi
    ;;
  summary)
    summary
    ;;
  collect)
    shift
    cli=$repo/src/CudaGenre.Cli/bin/Release/net10.0/cudagenre.dll
    dotnet build -c Release "$repo/src/CudaGenre.Cli" -v q -nologo >/dev/null
    for name in "$@"; do
      if [[ -z $name || $name == */* || $name == .* ]]; then
        echo "collect: '$name' is not a run name (a folder name in $runs)" >&2
        exit 2
      fi
      run=$runs/$name
      if ! finished "$run" || [[ ! -f $run/model.safetensors ]]; then
        echo "$name: not a finished run with weights in $runs; nothing collected" >&2
        exit 1
      fi
      out=$results/$name
      mkdir -p "$out"
      cp "$run"/{config,metrics,progress,split}.json "$run"/train.log "$run"/*.png "$out"/
      command="dotnet $cli evaluate $run/model.safetensors --data $gtzan --manifest $run/split.json --backend cpu"
      {
        echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) commit $(git -C "$repo" rev-parse --short HEAD) (Release build of src/CudaGenre.Cli), $(bash "$here/machine.sh"), CPU backend:"
        echo "# $command"
        $command --out "$run/evaluation-test" 2>&1
      } >"$out/engine-evaluate.txt"
      tail -n 4 "$out/engine-evaluate.txt"
      grep -q 'identical' "$out/engine-evaluate.txt" || { echo "$name: the engine's figure differs from the trainer's" >&2; exit 1; }
      echo "collected $name into $out"
    done
    ;;
  stop)
    if pid=$(running_pid); then
      kill -TERM -- "-$pid"
      echo "Stopped the grid (process group $pid); start it again to resume."
    else
      echo "The grid is not running."
    fi
    ;;
  *)
    echo "usage: $0 start|run|status|summary|stop [LIST] | collect NAME..." >&2
    exit 2
    ;;
esac
