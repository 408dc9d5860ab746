#!/usr/bin/env bash
# Runs portico's libFuzzer targets (see fuzz/README.md).
#
#   fuzz/run.sh [--merge] [SECONDS] [TARGET...]
#
# Configures and builds the clang fuzz build when needed (build-fuzz/, or
# $FUZZ_BUILD_DIR), then runs each TARGET (default: all) for SECONDS
# (default 60) on a work copy of its seed corpus (fuzz/corpus/TARGET) plus
# its regressions (fuzz/regressions/TARGET) and, for doc and rules, the
# documents of ../shared/corpus when that folder exists. New inputs go to
# build-fuzz/work/TARGET/corpus, findings to build-fuzz/work/TARGET/artifacts;
# the committed corpus changes only with --merge (libFuzzer -merge=1: the
# inputs that add coverage). Prints, per target, the executions, the final
# coverage (cov: edges, ft: features) and the findings (crash-, timeout-,
# oom-, leak- files). Exits 1 when anything was found.
#
# Environment: CXX (default clang++, else clang++-14); FUZZ_BUILD_DIR;
# PORTICO_BUILD_LOCK: the lock file builds wait for (default
# /tmp/portico-build.lock; empty: no lock, as in CI).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

merge=0
if [ "${1:-}" = "--merge" ]; then merge=1; shift; fi
seconds=60
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then seconds=$1; shift; fi
all=(doc rules url zip gateway_request router_request jwt client_json)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

# Per target: dictionary and largest input.
declare -A dict=([doc]=yaml [rules]=yaml [url]=yaml [zip]=yaml [gateway_request]=http [router_request]=http [jwt]=json [client_json]=json)
declare -A maxlen=([doc]=65536 [rules]=65536 [url]=4096 [zip]=65536 [gateway_request]=65536 [router_request]=8192 [jwt]=8192 [client_json]=65536)
for t in "${targets[@]}"; do
  [ -n "${dict[$t]:-}" ] || { echo "fuzz/run.sh: unknown target '$t' (targets: ${all[*]})" >&2; exit 2; }
done

build=${FUZZ_BUILD_DIR:-build-fuzz}
lock=${PORTICO_BUILD_LOCK-/tmp/portico-build.lock}
locked() { if [ -n "$lock" ] && command -v flock >/dev/null; then flock "$lock" "$@"; else "$@"; fi; }

if [ ! -f "$build/build.ninja" ]; then
  cxx=${CXX:-}
  if [ -z "$cxx" ]; then
    if command -v clang++ >/dev/null; then cxx=clang++; elif command -v clang++-14 >/dev/null; then cxx=clang++-14;
    else echo "fuzz/run.sh: clang++ not found (Debian: apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 2; fi
  fi
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  locked cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
    -DPORTICO_FUZZ=ON -DBUILD_TESTING=OFF "${launcher[@]}" >/dev/null
fi
locked cmake --build "$build" -j"$(nproc)" --target portico_fuzz

shared="$root/../shared/corpus"
found=0
summary=()
for t in "${targets[@]}"; do
  work="$build/work/$t"
  mkdir -p "$work/corpus" "$work/artifacts"
  cp -n fuzz/corpus/"$t"/* "$work/corpus/" 2>/dev/null || true
  extra=()
  [ -d "fuzz/regressions/$t" ] && extra+=("fuzz/regressions/$t")
  if [[ "$t" = doc || "$t" = rules ]] && [ -d "$shared" ]; then
    while IFS= read -r d; do extra+=("$d"); done < <(find "$shared" -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) -printf '%h\n' | sort -u)
  fi
  before=$(ls "$work/artifacts" | sort)
  log="$work/log.txt"
  echo "== $t: ${seconds}s (log: $log)"
  set +e
  nice -n 19 "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -max_len="${maxlen[$t]}" -rss_limit_mb=2048 \
    -timeout=10 -print_final_stats=1 -dict="fuzz/dict/${dict[$t]}.dict" -artifact_prefix="$work/artifacts/" \
    "$work/corpus" "${extra[@]}" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\) .*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\) .*/\1/p' <<<"$last")
  new=$(comm -13 <(echo "$before") <(ls "$work/artifacts" | sort) | grep -E '^(crash|timeout|oom|leak)-' || true)
  line="$t: ${execs:-?} executions, cov ${cov:-?}, ft ${ft:-?}"
  if [ -n "$new" ] || [ "$rc" -ne 0 ]; then
    found=1
    line+=", FINDINGS (exit $rc):"
    for f in $new; do line+=" $work/artifacts/$f"; done
    grep -E 'ERROR: |runtime error|SUMMARY' "$log" | head -3 | sed 's/^/    /' || true
  else
    line+=", no findings"
  fi
  echo "$line"
  summary+=("$line")
  if [ "$merge" = 1 ]; then
    "$build/fuzz/fuzz_$t" -merge=1 -max_len="${maxlen[$t]}" fuzz/corpus/"$t" "$work/corpus" >>"$log" 2>&1
    echo "   merged into fuzz/corpus/$t: $(ls fuzz/corpus/$t | wc -l) files"
  fi
done
echo "== fuzz summary"
printf '%s\n' "${summary[@]}"
exit $found
