#!/usr/bin/env bash
# bench/gateway.sh - load `portico gateway` (the local Choreo Connect adapter stand-in) with curl.
#
# Usage:
#   bench/gateway.sh           # start a gateway on a fresh temporary data dir and benchmark it
#   bench/gateway.sh --help
#
# Runnable from any directory. Environment:
#   PORTICO               portico binary                      (default: <repo>/build/portico)
#   BENCH_DEPLOYS         deploys per deploy scenario         (default: 200)
#   BENCH_CLIENTS         concurrent clients listing APIs     (default: 16)
#   BENCH_LISTS           GET /apis requests per client       (default: 100)
#   BENCH_MAX_TIME        curl --max-time per request, s      (default: 30)
#   BENCH_KEEP=1          keep the temporary folder (data dir, zips, gateway log)
#
# Needs: curl, zip, awk, column (Debian: apt-get install curl zip bsdextrautils).
# Everything stays on 127.0.0.1: the gateway listens on 127.0.0.1:0 (a free port),
# and the endpoint URLs inside the projects (never contacted) are 127.0.0.1 too.
#
# What it does:
#   1. starts `portico gateway --listen 127.0.0.1:0 --data-dir TMP/data` (HTTPS with
#      the certificate it generates; curl trusts it with --cacert), waits at most 20 s
#      for its "listening on" line, and stops it with SIGTERM on every exit path;
#   2. builds small Choreo Connect projects (api.yaml, Definitions/swagger.yaml,
#      OpenAPI 3.0.1 with an x-wso2-production-endpoints failover block of two URLs and
#      x-wso2-basePath, deployment_environments.yaml), zipped with `zip -r -X`;
#   3. deploys, one request after the other (POST /apis, multipart part "file"):
#        create    BENCH_DEPLOYS distinct APIs (BenchApi001..., one base path each),
#                  no override, one curl process (new TCP+TLS connection) per request
#        override  BENCH_DEPLOYS redeploys of BenchApi001 with ?override=true,
#                  one curl process per request
#        override  the same, all requests from one curl process (keep-alive)
#   4. lists (GET /apis, answering with the BENCH_DEPLOYS APIs) from BENCH_CLIENTS
#      concurrent clients, BENCH_LISTS requests each:
#        one curl process (new connection) per request, then one curl process per
#        client reusing its connection (keep-alive);
#   5. reads the gateway's peak RSS (VmHWM in /proc/PID/status) at the end.
#
# Output: one table (scenario, requests, 2xx answers, new connections, seconds, req/s,
# median and 99th-percentile latency), then the gateway's RSS after start, at the end
# and at its peak. The figures are only printed, never asserted. A non-2xx answer does
# not stop the script: it shows in the table, and the first one of each scenario is
# printed (request, response status, headers and body) under "failures".

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$SCRIPT_DIR")
PORTICO=${PORTICO:-$REPO/build/portico}
DEPLOYS=${BENCH_DEPLOYS:-200}
CLIENTS=${BENCH_CLIENTS:-16}
LISTS=${BENCH_LISTS:-100}
MAX_TIME=${BENCH_MAX_TIME:-30}
START_TIMEOUT=20

case "${1:-}" in
  "") ;;
  -h|--help) sed -n '2,/^$/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit 0 ;;
  *) echo "gateway.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
esac

die() { echo "gateway.sh: $*" >&2; exit 2; }
log() { echo "[bench] $*" >&2; }

for v in DEPLOYS CLIENTS LISTS MAX_TIME; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "BENCH_$v must be a positive integer (got '${!v}')"
done
(( DEPLOYS <= 999 )) || die "BENCH_DEPLOYS must be at most 999 (got $DEPLOYS)"
for tool in curl zip awk column sort; do
  command -v "$tool" >/dev/null || die "$tool not found (Debian: apt-get install curl zip bsdextrautils coreutils gawk)"
done
[[ -x "$PORTICO" ]] || die "portico binary not found or not executable: $PORTICO
  build it first (cmake -S '$REPO' -B '$REPO/build' && cmake --build '$REPO/build'), or set PORTICO=/path/to/portico"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/portico-bench-gateway.XXXXXX")
GW_PID=""
cleanup() {
  local i
  if [[ -n "$GW_PID" ]] && kill -0 "$GW_PID" 2>/dev/null; then
    kill -TERM "$GW_PID" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$GW_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$GW_PID" 2>/dev/null; then
      log "gateway (pid $GW_PID) still running 5 s after SIGTERM: sending SIGKILL"
      kill -KILL "$GW_PID" 2>/dev/null || true
    fi
    wait "$GW_PID" 2>/dev/null || true
  fi
  if [[ "${BENCH_KEEP:-}" == 1 ]]; then
    log "kept $TMP"
  else
    rm -rf "$TMP"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
rss_kb() { awk -v k="$1:" '$1 == k { print $2; exit }' "/proc/$GW_PID/status" 2>/dev/null || true; }
fmt_mb() { awk -v k="$1" 'BEGIN { if (k == "") print "?"; else printf "%.1f", k / 1024 }'; }

# ---------------------------------------------------------------- projects
# make_project NUM: TMP/projects/BenchApiNUM/{api.yaml,Definitions/swagger.yaml,deployment_environments.yaml}
# and TMP/zips/BenchApiNUM.zip (the project folder as the zip's root folder, like apictl).
mkdir -p "$TMP/projects" "$TMP/zips"
make_project() {
  local num=$1 name="BenchApi$1" dir
  dir="$TMP/projects/$name"
  mkdir -p "$dir/Definitions"
  cat >"$dir/api.yaml" <<EOF
type: api
version: v4.0.0
data:
  name: $name
  version: 1.0.0
  context: /bench/$num
  type: HTTP
  endpointImplementationType: ENDPOINT
  endpointConfig:
    endpoint_type: failover
    production_endpoints:
      url: http://127.0.0.1:18081/v1
    production_failovers:
      - url: http://127.0.0.1:18082/v1
EOF
  cat >"$dir/Definitions/swagger.yaml" <<EOF
openapi: 3.0.1
info:
  title: $name
  version: 1.0.0
  description: Generated by bench/gateway.sh
x-wso2-basePath: /bench/$num
x-wso2-production-endpoints:
  urls:
    - http://127.0.0.1:18081/v1
    - http://127.0.0.1:18082/v1
  type: failover
paths:
  /pets:
    get:
      operationId: listPets
      responses:
        '200':
          description: A list of pets
          content:
            application/json:
              schema:
                type: array
                items:
                  \$ref: '#/components/schemas/Pet'
  /pets/{petId}:
    get:
      operationId: getPet
      parameters:
        - name: petId
          in: path
          required: true
          schema:
            type: integer
            format: int64
      responses:
        '200':
          description: One pet
          content:
            application/json:
              schema:
                \$ref: '#/components/schemas/Pet'
        '404':
          description: Not found
components:
  schemas:
    Pet:
      type: object
      required: [id, name]
      properties:
        id:
          type: integer
          format: int64
        name:
          type: string
EOF
  cat >"$dir/deployment_environments.yaml" <<'EOF'
type: deployment_environments
version: v4.0.0
data:
  - deploymentEnvironment: Default
    deploymentVhost: localhost
    displayOnDevportal: true
EOF
  (cd "$TMP/projects" && zip -q -r -X "$TMP/zips/$name.zip" "$name")
}

log "building $DEPLOYS projects and zips in $TMP"
for ((i = 1; i <= DEPLOYS; i++)); do make_project "$(printf '%03d' "$i")"; done
SMALL_ZIP="$TMP/zips/BenchApi001.zip"
validate_out=$("$PORTICO" validate "$TMP/projects/BenchApi001" 2>&1) && validate_rc=0 || validate_rc=$?
log "portico validate on the project: exit $validate_rc (not required by the benchmark)"
if (( validate_rc != 0 )) && [[ -n "$validate_out" ]]; then printf '%s\n' "$validate_out" | sed 's/^/[bench]   /' >&2; fi

# ---------------------------------------------------------------- gateway
mkdir -p "$TMP/data"
log "starting $PORTICO gateway --listen 127.0.0.1:0 --data-dir $TMP/data"
"$PORTICO" gateway --listen 127.0.0.1:0 --data-dir "$TMP/data" \
  </dev/null >"$TMP/gateway.out" 2>"$TMP/gateway.err" &
GW_PID=$!
started=$(now)
line=""
deadline=$((SECONDS + START_TIMEOUT))
while :; do
  line=$(grep -m 1 'listening on' "$TMP/gateway.out" 2>/dev/null || true)
  [[ -n "$line" ]] && break
  if ! kill -0 "$GW_PID" 2>/dev/null; then
    rc=0; wait "$GW_PID" || rc=$?
    GW_PID=""
    echo "gateway.sh: the gateway exited with status $rc before listening; its stdout and stderr:" >&2
    cat "$TMP/gateway.out" "$TMP/gateway.err" >&2
    exit 2
  fi
  if (( SECONDS >= deadline )); then
    echo "gateway.sh: no 'listening on' line from the gateway within ${START_TIMEOUT}s; its stdout and stderr so far:" >&2
    cat "$TMP/gateway.out" "$TMP/gateway.err" >&2
    exit 2
  fi
  sleep 0.05
done
start_secs=$(elapsed "$started" "$(now)")
re='listening on (https?://[^ ]+)'
[[ "$line" =~ $re ]] || die "cannot read the base URL from: $line"
BASE=${BASH_REMATCH[1]%/}
CA=""
re='\(CA: (.+)\)'
[[ "$line" =~ $re ]] && CA=${BASH_REMATCH[1]}
log "gateway pid $GW_PID listening after ${start_secs}s: $line"
if [[ "$BASE" == https://* ]]; then
  [[ -n "$CA" && -r "$CA" ]] || die "HTTPS without a readable CA in the line: $line"
fi
rss_start=$(rss_kb VmRSS)

# curl settings shared by every request; credentials stay out of argv.
{
  echo 'silent'
  echo 'show-error'
  echo "max-time = $MAX_TIME"
  echo 'connect-timeout = 5'
  echo 'user = "admin:admin"'
  [[ -n "$CA" ]] && printf 'cacert = "%s"\n' "$CA"
  printf '%s\n' 'write-out = "%{http_code} %{time_total} %{num_connects}\n"'
} >"$TMP/curlrc"

# ---------------------------------------------------------------- scenarios
# Every request appends "http_code time_total num_connects" to a results file; a
# curl failure (timeout, refused) shows as http_code 000.

indent() { awk '{ print "  " $0 }'; } # also ends an unterminated last line

# first_failure SCENARIO REQUEST HEADERS BODY CODE: keep the first non-2xx of a scenario
first_failure() {
  local f="$TMP/fail-$1"
  [[ -e "$f" ]] && return 0
  {
    echo "request:  $2"
    echo "status:   $5"
    if [[ -s "$3" ]]; then echo "headers:"; tr -d '\r' <"$3" | indent; fi
    if [[ -s "$4" ]]; then echo "body ($(stat -c %s "$4") bytes):"; head -c 2000 "$4" | indent; else echo "body:     (empty)"; fi
  } >"$f"
}

# one_post SCENARIO ZIP QUERY RESULTS: one curl process, one deploy
one_post() {
  local scen=$1 zipf=$2 query=$3 results=$4 out code
  out=$(curl -K "$TMP/curlrc" -D "$TMP/h-$scen" -o "$TMP/b-$scen" \
    -F "file=@$zipf;type=application/zip" "$BASE/apis$query" 2>"$TMP/e-$scen") || true
  [[ -n "$out" ]] || out="000 0 0"
  echo "$out" >>"$results"
  code=${out%% *}
  if [[ "$code" != 2?? ]]; then
    [[ "$code" == 000 ]] && cat "$TMP/e-$scen" >>"$TMP/b-$scen"
    first_failure "$scen" "POST $BASE/apis$query, multipart part file=$(basename "$zipf") ($(stat -c %s "$zipf") bytes: $(cd "$TMP/projects" && find "$(basename "$zipf" .zip)" -type f | sort | paste -sd ' ' -))" \
      "$TMP/h-$scen" "$TMP/b-$scen" "$code"
  fi
}

# list_client SCENARIO CLIENT COUNT RESULTS: COUNT curl processes, one GET each
list_client() {
  local scen="$1-$2" results=$4 out code i
  for ((i = 0; i < $3; i++)); do
    out=$(curl -K "$TMP/curlrc" -D "$TMP/h-$scen" -o "$TMP/b-$scen" "$BASE/apis" 2>"$TMP/e-$scen") || true
    [[ -n "$out" ]] || out="000 0 0"
    echo "$out" >>"$results"
    code=${out%% *}
    if [[ "$code" != 2?? ]]; then
      [[ "$code" == 000 ]] && cat "$TMP/e-$scen" >>"$TMP/b-$scen"
      first_failure "$scen" "GET $BASE/apis" "$TMP/h-$scen" "$TMP/b-$scen" "$code"
    fi
  done
}

# url_list URL COUNT OUTPUT: a curl config with COUNT url/output pairs (one process, keep-alive)
url_list() {
  local i
  for ((i = 0; i < $2; i++)); do printf 'url = "%s"\noutput = "%s"\n' "$1" "$3"; done
}

rows=()
# add_row LABEL RESULTS SECONDS
add_row() {
  local stats
  stats=$(awk -v ms="$2.ms" 'BEGIN { printf "" > ms }
    { n++; if ($1 ~ /^2/) ok++; c += $3; print $2 * 1000 > ms } END { printf "%d %d %d", n, ok, c }' "$2")
  local n ok conns p50 p99 rps
  read -r n ok conns <<<"$stats"
  read -r p50 p99 < <(sort -g "$2.ms" | awk '{ a[NR] = $1 } END {
    if (NR == 0) { print "? ?"; exit }
    i50 = int((NR + 1) / 2); i99 = int(NR * 0.99 + 0.999); if (i99 < 1) i99 = 1; if (i99 > NR) i99 = NR
    printf "%.1f %.1f\n", a[i50], a[i99] }')
  rps=$(awk -v n="$n" -v s="$3" 'BEGIN { if (s > 0) printf "%.1f", n / s; else print "?" }')
  rows+=("$1|$n|$ok|$conns|$3|$rps|$p50|$p99")
  log "  $n requests, $ok 2xx, $conns new connections, $3 s, $rps req/s"
}

# 1. create: DEPLOYS distinct APIs
log "create: $DEPLOYS sequential deploys of distinct APIs (no override), one curl per request"
: >"$TMP/r-create"
t0=$(now)
for ((i = 1; i <= DEPLOYS; i++)); do
  one_post create "$TMP/zips/BenchApi$(printf '%03d' "$i").zip" "" "$TMP/r-create"
done
add_row "deploy: create $DEPLOYS distinct APIs, curl per request" "$TMP/r-create" "$(elapsed "$t0" "$(now)")"

# 2. override, one curl per request
log "override: $DEPLOYS sequential redeploys of BenchApi001 (?override=true), one curl per request"
: >"$TMP/r-override"
t0=$(now)
for ((i = 1; i <= DEPLOYS; i++)); do
  one_post override "$SMALL_ZIP" "?override=true" "$TMP/r-override"
done
add_row "deploy: override BenchApi001, curl per request" "$TMP/r-override" "$(elapsed "$t0" "$(now)")"

# 3. override, one curl process (keep-alive)
log "override: $DEPLOYS sequential redeploys of BenchApi001 (?override=true), one keep-alive connection"
mkdir -p "$TMP/ka"
url_list "$BASE/apis?override=true" "$DEPLOYS" "$TMP/ka/body" >"$TMP/ka/deploys"
t0=$(now)
curl -K "$TMP/curlrc" -F "file=@$SMALL_ZIP;type=application/zip" -K "$TMP/ka/deploys" \
  >"$TMP/r-override-ka" 2>"$TMP/e-override-ka" || true
add_row "deploy: override BenchApi001, keep-alive" "$TMP/r-override-ka" "$(elapsed "$t0" "$(now)")"
if grep -qv '^2' "$TMP/r-override-ka"; then
  echo "POST $BASE/apis?override=true (keep-alive): statuses $(cut -d' ' -f1 "$TMP/r-override-ka" | sort | uniq -c | awk '{ printf "%s%sx%s", s, $2, $1; s = ", " }'); curl: $(head -c 500 "$TMP/e-override-ka")" \
    >"$TMP/fail-override-ka"
fi

# what the listing answers with
list_code=$(curl -K "$TMP/curlrc" -o "$TMP/list.json" "$BASE/apis" 2>&1 | cut -d' ' -f1) || true
list_bytes=$(stat -c %s "$TMP/list.json" 2>/dev/null || echo 0)
list_total=$(grep -o '"total"[[:space:]]*:[[:space:]]*[0-9]*' "$TMP/list.json" 2>/dev/null | grep -o '[0-9]*$' || echo '?')
log "GET /apis: HTTP $list_code, $list_bytes bytes, total $list_total (expected $DEPLOYS)"

# 4. list, CLIENTS concurrent clients, one curl per request
total_lists=$((CLIENTS * LISTS))
log "list: $CLIENTS concurrent clients x $LISTS GET /apis ($total_lists requests), one curl per request"
pids=()
t0=$(now)
for ((c = 1; c <= CLIENTS; c++)); do
  : >"$TMP/r-list-$c"
  list_client list "$c" "$LISTS" "$TMP/r-list-$c" &
  pids+=("$!")
done
for p in "${pids[@]}"; do wait "$p" || true; done
t1=$(now)
cat "$TMP"/r-list-[0-9]* >"$TMP/r-list"
add_row "list: $CLIENTS clients x $LISTS, curl per request" "$TMP/r-list" "$(elapsed "$t0" "$t1")"

# 5. list, CLIENTS concurrent clients, one keep-alive curl process each
log "list: $CLIENTS concurrent clients x $LISTS GET /apis, one keep-alive connection per client"
url_list "$BASE/apis" "$LISTS" /dev/null >"$TMP/ka/lists"
pids=()
t0=$(now)
for ((c = 1; c <= CLIENTS; c++)); do
  curl -K "$TMP/curlrc" -K "$TMP/ka/lists" >"$TMP/r-listka-$c" 2>"$TMP/e-listka-$c" &
  pids+=("$!")
done
for p in "${pids[@]}"; do wait "$p" || true; done
t1=$(now)
cat "$TMP"/r-listka-[0-9]* >"$TMP/r-listka"
add_row "list: $CLIENTS clients x $LISTS, keep-alive" "$TMP/r-listka" "$(elapsed "$t0" "$t1")"
if grep -qv '^2' "$TMP/r-listka"; then
  echo "GET $BASE/apis (keep-alive): statuses $(cut -d' ' -f1 "$TMP/r-listka" | sort | uniq -c | awk '{ printf "%s%sx%s", s, $2, $1; s = ", " }'); curl: $(cat "$TMP"/e-listka-* | head -c 500)" \
    >"$TMP/fail-list-ka"
fi

# ---------------------------------------------------------------- memory and stop
alive=yes
kill -0 "$GW_PID" 2>/dev/null || alive="no (it died during the run)"
rss_end=$(rss_kb VmRSS)
rss_peak=$(rss_kb VmHWM)
threads=$(rss_kb Threads)
log "stopping the gateway with SIGTERM"
stop_note="not running"
if [[ "$alive" == yes ]]; then
  t0=$(now)
  kill -TERM "$GW_PID" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do kill -0 "$GW_PID" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$GW_PID" 2>/dev/null; then
    stop_note="still running 5 s after SIGTERM (killed)"
    kill -KILL "$GW_PID" 2>/dev/null || true
    wait "$GW_PID" 2>/dev/null || true
  else
    rc=0; wait "$GW_PID" 2>/dev/null || rc=$?
    stop_note="exit status $rc, $(elapsed "$t0" "$(now)") s after SIGTERM"
  fi
else
  rc=0; wait "$GW_PID" 2>/dev/null || rc=$?
  stop_note="had already exited with status $rc"
fi
GW_PID=""

# ---------------------------------------------------------------- report
portico_version=$("$PORTICO" --version 2>/dev/null | head -n 1 || true)
echo "portico gateway under curl load"
echo "  date:     $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "  host:     $(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo '?')"
echo "  portico:  $PORTICO ${portico_version:+($portico_version)}"
echo "  gateway:  $BASE ${CA:+(CA: $CA) }listening ${start_secs}s after start"
echo "  client:   $(curl --version | head -n 1 | cut -d' ' -f1-2), --max-time $MAX_TIME, Basic auth admin:admin"
echo "  project:  $(stat -c %s "$SMALL_ZIP")-byte zip (api.yaml, Definitions/swagger.yaml OpenAPI 3.0.1 with a 2-URL failover block and x-wso2-basePath, deployment_environments.yaml); portico validate exit $validate_rc"
echo "  listing:  GET /apis answered HTTP $list_code, $list_bytes bytes, total $list_total"
echo
{
  echo "scenario|requests|2xx|new conns|seconds|req/s|p50 ms|p99 ms"
  echo "--------|--------|---|---------|-------|-----|------|------"
  printf '%s\n' "${rows[@]}"
} | column -t -s '|' -o '  '
echo
echo "gateway RSS: $(fmt_mb "$rss_start") MiB after start, $(fmt_mb "$rss_end") MiB at the end, peak $(fmt_mb "$rss_peak") MiB (VmHWM); threads at the end: ${threads:-?}"
echo "gateway alive at the end: $alive; stop: $stop_note"
echo "figures are printed, never asserted; latencies are curl's time_total (process start not included)"
shopt -s nullglob
fails=("$TMP"/fail-*)
if ((${#fails[@]})); then
  echo
  echo "failures (first non-2xx answer of each scenario):"
  list_shown=0
  for f in "${fails[@]}"; do
    name=${f##*/fail-}
    if [[ "$name" =~ ^list-[0-9]+$ ]]; then  # one per client: show the first only
      (( list_shown++ == 0 )) || continue
      name="list (client ${name#list-}; clients with a failure: $(find "$TMP" -maxdepth 1 -name 'fail-list-[0-9]*' | wc -l))"
    fi
    echo "- $name:"
    indent <"$f" | indent
  done
  if [[ -s "$TMP/gateway.err" ]]; then
    echo "- gateway stderr (last 20 lines):"
    tail -n 20 "$TMP/gateway.err" | indent | indent
  fi
fi
