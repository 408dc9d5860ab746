#!/usr/bin/env bash
# bench/scaling.sh - does the work grow linearly with the input? Doubles N and prints
# the time ratio per doubling (about 2 is linear, about 4 quadratic).
#
# Usage:
#   bench/scaling.sh           # every case, BENCH_STEPS doublings each
#   BENCH_CASES=apis bench/scaling.sh
#   bench/scaling.sh --help
#
# Runnable from any directory. Environment:
#   PORTICO               portico binary                         (default: <repo>/build/portico)
#   BENCH_MERGE_START     keys of the merged map at the first step (default: 20000)
#   BENCH_URLS_START      failover URLs at the first step        (default: 5000)
#   BENCH_PATHS_START     path items at the first step           (default: 4000)
#   BENCH_APIS_START      APIs deployed at the first step        (default: 250)
#   BENCH_CASES           the cases to run, in order     (default: merge urls paths apis)
#   BENCH_STEPS           sizes per case, each twice the last     (default: 4)
#   BENCH_MAX_TIME        bound on each command, s               (default: 300)
#   BENCH_KEEP=1          keep the temporary folder (inputs, zips, gateway log)
#
# Needs: curl, zip, awk, column, timeout (Debian: apt-get install curl zip bsdextrautils
# coreutils gawk). Nothing is downloaded; the gateway listens on 127.0.0.1:0 (plain
# HTTP) and no endpoint URL is ever contacted.
#
# Cases (issue 12 item 3), generated at run time:
#   merge  an OpenAPI definition whose root holds an anchored map of N keys
#          (`x-base: &base`) and a map that merges it (`<<: *base`): the merge once
#          compared every merged key with every key already set
#   urls   a project whose api.yaml lists N production_failovers URLs: every URL's
#          JSON pointer was once found by a search from the root
#   paths  a definition with N path items, each with its own route: the router's
#          table once looked every route's path item up by a search of `paths`
# For each size: `portico validate` (wall time, bash $EPOCHREALTIME), and the
# gateway's acceptance of the project zipped (POST /apis?override=true, the time from
# the gateway's access log).
#   apis   N small APIs (three routes, one cluster each) deployed one after another
#          into one fresh gateway (its own data directory per size, one curl process,
#          one connection): every deploy once rebuilt the router's whole table (every
#          archive read again, every API's routes and clusters built again)
# For apis: the gateway's time of the N deploys (access log, the router's table
# included), summed, with its ratio to the size before (about 2x linear, about 4x
# quadratic); the mean per deploy; the mean of the last tenth of the deploys (the cost
# of one deploy into a gateway that holds about N APIs: flat when linear).
#
# Output: one table per case: N, input size, validate ms and its ratio to the row
# above, gateway ms and its ratio (apis: the columns above). Figures are printed,
# never asserted.

set -euo pipefail

# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
MERGE_START=${BENCH_MERGE_START:-20000}
URLS_START=${BENCH_URLS_START:-5000}
PATHS_START=${BENCH_PATHS_START:-4000}
APIS_START=${BENCH_APIS_START:-250}
CASES=${BENCH_CASES:-merge urls paths apis}
STEPS=${BENCH_STEPS:-4}
MAX_TIME=${BENCH_MAX_TIME:-300}

bench_args "$@"
require_positive MERGE_START URLS_START PATHS_START APIS_START STEPS MAX_TIME
require_tools "curl zip bsdextrautils coreutils gawk" curl zip awk column timeout
require_bash5
require_portico
for c in $CASES; do
  case $c in merge | urls | paths | apis) ;; *) die "unknown case '$c' in BENCH_CASES (merge, urls, paths, apis)" ;; esac
done

make_tmp scaling

api_yaml() { # api_yaml NAME FAILOVERS
  awk -v name="$1" -v n="$2" 'BEGIN {
    print "type: api\nversion: v4.0.0\ndata:\n  name: " name "\n  version: 1.0.0\n  context: /" tolower(name)
    print "  type: HTTP\n  endpointImplementationType: ENDPOINT\n  endpointConfig:\n    endpoint_type: failover"
    print "    production_endpoints:\n      url: http://127.0.0.1:18080/v1"
    if (n > 0) print "    production_failovers:"
    for (i = 0; i < n; i++) printf "      - url: http://backup%d.example.com/v1\n", i
  }'
}

definition() { # definition NAME MERGED_KEYS [PATH_ITEMS]
  awk -v name="$1" -v n="$2" -v p="${3:-0}" 'BEGIN {
    print "openapi: 3.0.1\ninfo:\n  title: " name "\n  version: 1.0.0\nx-wso2-basePath: /" tolower(name)
    print "x-wso2-production-endpoints:\n  urls:\n    - http://127.0.0.1:18080/v1\n  type: failover"
    if (n > 0) {
      print "x-base: &base"
      for (i = 0; i < n; i++) printf "  k%d: v%d\n", i, i
      print "x-merged:\n  <<: *base\n  own: 1"
    }
    print "paths:\n  /ping:\n    get:\n      responses:\n        \"200\":\n          description: ok"
    for (i = 0; i < p; i++) printf "  /r%d/{id}:\n    get: {responses: {\"200\": {description: ok}}}\n", i
  }'
}

# make_case CASE N: TMP/CASE-N/Project (the project) and TMP/CASE-N/project.zip; prints the
# size of the file that grows
make_case() {
  local c=$1 n=$2 dir="$TMP/$1-$2" name
  name=$(case $c in merge) echo "Merge$n" ;; urls) echo "Urls$n" ;; *) echo "Paths$n" ;; esac)
  mkdir -p "$dir/Project/Definitions"
  if [[ $c == paths ]]; then
    api_yaml "$name" 0 >"$dir/Project/api.yaml"
    definition "$name" 0 "$n" >"$dir/Project/Definitions/swagger.yaml"
    stat -c %s "$dir/Project/Definitions/swagger.yaml"
  elif [[ $c == merge ]]; then
    api_yaml "$name" 0 >"$dir/Project/api.yaml"
    definition "$name" "$n" >"$dir/Project/Definitions/swagger.yaml"
    stat -c %s "$dir/Project/Definitions/swagger.yaml"
  else
    api_yaml "$name" "$n" >"$dir/Project/api.yaml"
    definition "$name" 0 >"$dir/Project/Definitions/swagger.yaml"
    stat -c %s "$dir/Project/api.yaml"
  fi
  (cd "$dir" && zip -q -r -X project.zip Project)
}

validate_ms() { # validate_ms DIR: wall ms of `portico validate DIR` (exit 0 or 1 count as runs)
  local t0 t1 rc=0
  t0=$EPOCHREALTIME
  timeout "$MAX_TIME" "$PORTICO" validate "$1" >"$TMP/validate.out" 2>&1 || rc=$?
  t1=$EPOCHREALTIME
  if ((rc > 1)); then echo "exit-$rc"; else ms_between "$t0" "$t1"; fi
}

gateway_ms() { # gateway_ms ZIP: the gateway's own time for POST /apis, from its access log
  local code
  code=$(curl -s -o "$TMP/post.out" -w '%{http_code}' --max-time "$MAX_TIME" -u admin:admin \
    -F "file=@$1" "$BASE/apis?override=true" || true)
  if [[ "$code" != 200 ]]; then echo "http-$code"; return; fi
  grep 'POST .*/apis' "$TMP/gateway.err" | tail -n 1 | awk '{ sub(/ms$/, "", $NF); print $NF }'
}

# deploy_apis N: N small projects zipped (Api1..ApiN, base paths /api1..), then deployed
# one after another into a fresh gateway by one curl process. Sets APIS_CELLS to the
# table cells "total ms|mean ms|last-tenth mean ms" from the gateway's access log (or
# "http-" and the codes that were not 200).
deploy_apis() {
  local n=$1 dir="$TMP/apis-$n" i codes
  mkdir -p "$dir"
  for ((i = 1; i <= n; i++)); do
    mkdir -p "$dir/$i/Project/Definitions"
    api_yaml "Api$i" 0 >"$dir/$i/Project/api.yaml"
    definition "Api$i" 0 2 >"$dir/$i/Project/Definitions/swagger.yaml"
    (cd "$dir/$i" && zip -q -r -X project.zip Project && rm -rf Project)
  done
  start_gateway "$TMP/gw-apis-$n" --plain-http --router-listen 127.0.0.1:0
  for ((i = 1; i <= n; i++)); do
    curl_config
    printf 'url = "%s/apis"\nform = "file=@%s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' \
      "$BASE" "$dir/$i/project.zip"
    if ((i < n)); then echo 'next'; fi
  done >"$dir/curl.cfg"
  codes=$(timeout "$MAX_TIME" curl -K "$dir/curl.cfg" | sort | uniq -c | awk '$2 != 200 { printf "%s:%s ", $2, $1 }' || true)
  stop_gateway
  rm -rf "$dir" "$TMP/gw-apis-$n"
  if [[ -n "$codes" ]]; then
    log "apis: N=$n: answers other than 200 ($codes); the gateway exited with $GW_RC; the end of its log:"
    tail -n 5 "$TMP/gateway.err" >&2
    APIS_CELLS="http-$codes||"
    return
  fi
  APIS_CELLS=$(grep 'POST .*/apis ' "$TMP/gateway.err" | awk -v n="$n" '{ sub(/ms$/, "", $NF); t[NR] = $NF; s += $NF }
    END { if (NR != n) { printf "logged-%d||", NR; exit }
          k = int(n / 10); if (k < 1) k = 1
          for (i = n - k + 1; i <= n; i++) l += t[i]
          printf "%.1f|%.2f|%.2f", s, s / n, l / k }')
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2fx", a / b; else print "-" }'; }

echo "portico: time per doubling of N (about 2x per step is linear, about 4x quadratic)"
echo "  date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "  host:    $(host_summary)"
echo "  portico: $PORTICO ($(portico_version))"
for c in $CASES; do
  if [[ $c == apis ]]; then
    n=$APIS_START rows=() prev=""
    for ((s = 0; s < STEPS; s++)); do
      log "apis: N=$n"
      deploy_apis "$n"
      total=${APIS_CELLS%%|*}
      rows+=("$n|$total|$(ratio "$total" "$prev")|${APIS_CELLS#*|}")
      prev=$total
      n=$((n * 2))
    done
    echo
    echo "apis: N small APIs deployed one after another into one gateway (each deploy includes the router's table)"
    table "N|gateway ms, all N deploys|ratio|ms per deploy|ms per deploy, last tenth" "${rows[@]}"
    continue
  fi
  if [[ -z "${GW_PID:-}" ]]; then
    start_gateway "$TMP/gw" --plain-http --router-listen 127.0.0.1:0 --max-upload 268435456
  fi
  n=$(case $c in merge) echo "$MERGE_START" ;; urls) echo "$URLS_START" ;; *) echo "$PATHS_START" ;; esac)
  rows=()
  prev_v="" prev_g=""
  for ((s = 0; s < STEPS; s++)); do
    log "$c: N=$n"
    bytes=$(make_case "$c" "$n")
    v=$(validate_ms "$TMP/$c-$n/Project")
    g=$(gateway_ms "$TMP/$c-$n/project.zip")
    rows+=("$n|$(fmt_mib $((bytes / 1024)))|$v|$(ratio "$v" "$prev_v")|$g|$(ratio "$g" "$prev_g")")
    prev_v=$v prev_g=$g
    rm -rf "$TMP/$c-$n"
    n=$((n * 2))
  done
  echo
  case $c in
    merge) echo "merge: <<: *base over N keys (Definitions/swagger.yaml)" ;;
    urls) echo "urls: N production_failovers in api.yaml" ;;
    *) echo "paths: N path items, each its own route (gateway time includes the router's table)" ;;
  esac
  table "N|MiB|validate ms|ratio|gateway ms|ratio" "${rows[@]}"
  stop_gateway
done
