#!/usr/bin/env bash
# bench/router.sh - the router of `portico gateway`: throughput and latency against the
# same backend called directly and through HAProxy, and failover timing.
#
# Usage:
#   bench/router.sh            # start the backends, HAProxy and a gateway; measure; stop them
#   bench/router.sh --help
#
# Runnable from any directory. Environment:
#   PORTICO                portico binary                             (default: <repo>/build/portico)
#   BENCH_SECONDS          wrk run per target, s                      (default: 10)
#   BENCH_WARMUP           untimed wrk run before each, s             (default: 1)
#   BENCH_THREADS          wrk threads                                (default: 2)
#   BENCH_CONNECTIONS      wrk connections (keep-alive)               (default: 32)
#   BENCH_HAPROXY_THREADS  nbthread of the measured HAProxy           (default: HAProxy's own, one per core)
#   BENCH_FAILOVERS        kill/restart cycles of the primary         (default: 3)
#   BENCH_HEALTH_INTERVAL  gateway --health-interval and --no-traffic-interval, ms (default: 500)
#   BENCH_HEALTH_TIMEOUT   gateway --health-timeout, ms               (default: 200)
#   BENCH_UNHEALTHY        gateway --unhealthy-threshold              (default: 2)
#   BENCH_HEALTHY          gateway --healthy-threshold                (default: 2)
#   BENCH_MAX_TIME         bound of one wait (answer, start), s       (default: 20)
#   BENCH_KEEP=1           keep the temporary folder (configs, logs, wrk output, traffic log)
#
# Needs: wrk, haproxy (2.6), curl, jq, ss, awk, column (Debian: apt-get install wrk
# haproxy curl jq iproute2 gawk bsdextrautils). Nothing is downloaded. Everything stays
# on 127.0.0.1: HAProxy cannot bind port 0, so its ports are picked at run time below
# the ephemeral range and checked free with `ss`; the gateway uses port 0 (adapter and
# router, plain HTTP).
#
# What it does:
#   1. starts HAProxy instances (`haproxy -db -f CFG`, foreground) that answer every
#      request themselves (`http-request return status 200 ... string BODY`): the
#      backend ("ok"), and for the failover part a primary ("primary") and a backup
#      ("backup"); and the measured HAProxy: a frontend with one backend server (the
#      backend above), `option http-keep-alive`, `http-reuse always`;
#   2. starts `portico gateway --listen 127.0.0.1:0 --router-listen 127.0.0.1:0
#      --plain-http` with the health-check flags above, and deploys three OpenAPI 3.0.1
#      definitions with `portico deploy FILE -e ADAPTER --override`:
#        /bench      one URL (the backend), x-wso2-disable-security: true
#        /benchjwt   the same URL, tokens required (a JWT from the router's /testkey)
#        /failover   a failover list [primary, backup], x-wso2-disable-security: true
#   3. load: `wrk -t THREADS -c CONNECTIONS -d SECONDS --latency` (keep-alive, Host:
#      localhost) against the backend directly, HAProxy, HAProxy with nbthread 1 (for
#      reading only), the router (/bench) and the router with a Bearer token
#      (/benchjwt); then `wrk -t1 -c1` (one request at a time: latency without
#      queueing) against the backend, HAProxy and the router; requests/s, p50 and p99
#      from wrk's latency distribution;
#   4. failover, BENCH_FAILOVERS times: with one curl per request in a loop on
#      /failover/who (each answer noted with its time: primary, backup or the error),
#      once the router's /portico/clusters shows both hosts healthy and the primary
#      serving, after a random wait within one check interval, SIGKILL to the primary
#      and the time to the first answer from the backup; then the primary restarted on
#      its port and the time to the first answer from it again.
#
# Output: one table. Load rows: requests, errors (non-2xx and socket errors), req/s,
# p50 and p99 ms; derived rows with the issue's targets: router req/s >= 0.5x HAProxy's,
# router p50 - direct p50 < 1 ms (at CONNECTIONS connections, where the p50 is mostly
# queueing; the one-connection row shows the same difference unloaded, for reading
# only). Failover rows: requests that ended in the window, the error answers among
# them, the time, and the target: within one check interval of interval x
# unhealthy-threshold (the return to the primary is shown against interval x
# healthy-threshold, for reading only). The gateway's health lines follow. The figures
# are only printed, never asserted; every process is stopped on every exit path.

set -euo pipefail

# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DURATION=${BENCH_SECONDS:-10}
WARMUP=${BENCH_WARMUP:-1}
THREADS=${BENCH_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
HAPROXY_THREADS=${BENCH_HAPROXY_THREADS:-}
FAILOVERS=${BENCH_FAILOVERS:-3}
HEALTH_INTERVAL=${BENCH_HEALTH_INTERVAL:-500}
HEALTH_TIMEOUT=${BENCH_HEALTH_TIMEOUT:-200}
UNHEALTHY=${BENCH_UNHEALTHY:-2}
HEALTHY=${BENCH_HEALTHY:-2}
MAX_TIME=${BENCH_MAX_TIME:-20}

bench_args "$@"
# BENCH_SECONDS cannot be checked by name: $SECONDS is bash's own
[[ "$DURATION" =~ ^[1-9][0-9]*$ ]] || die "BENCH_SECONDS must be a positive integer (got '$DURATION')"
require_positive WARMUP THREADS CONNECTIONS FAILOVERS HEALTH_INTERVAL HEALTH_TIMEOUT UNHEALTHY HEALTHY MAX_TIME
if [[ -n "$HAPROXY_THREADS" ]]; then require_positive HAPROXY_THREADS; fi
(( CONNECTIONS >= THREADS )) || die "BENCH_CONNECTIONS ($CONNECTIONS) must be at least BENCH_THREADS ($THREADS)"
require_bash5
require_tools "wrk haproxy curl jq iproute2 gawk bsdextrautils coreutils" wrk haproxy curl jq ss awk column timeout sort
require_portico

make_tmp router
declare -A HAP_PID=() HAP_PORT=()
LOOP_PID=""
# stop_loop: ask the traffic loop to end after its request in flight (at most 3 s),
# then stop_process
stop_loop() {
  local i
  [[ -n "$LOOP_PID" ]] || return 0
  : >"$TMP/loop.stop"
  for ((i = 0; i < 30; i++)); do kill -0 "$LOOP_PID" 2>/dev/null || break; sleep 0.1; done
  stop_process "$LOOP_PID" "traffic loop" 3
  LOOP_PID=""
}
router_cleanup() {
  local name
  stop_loop
  for name in "${!HAP_PID[@]}"; do stop_process "${HAP_PID[$name]}" "haproxy $name" 3; done
  bench_cleanup
}
trap router_cleanup EXIT
export PORTICO_CONFIG_DIR="$TMP/config" PORTICO_USERNAME=admin PORTICO_PASSWORD=admin TMPDIR="$TMP"

# ---------------------------------------------------------------- ports and HAProxy

# free_port: FREE_PORT, a TCP port on no socket at all (ss), below the ephemeral range and not
# handed out before by this script; exit 2 after 200 tries
declare -A PICKED=()
free_port() {
  local low hi=32767 p i
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || low=32768
  (( low > 20001 )) && hi=$((low - 1))
  for ((i = 0; i < 200; i++)); do
    p=$((20000 + SRANDOM % (hi - 20000)))
    [[ -n "${PICKED[$p]:-}" ]] && continue
    [[ -z "$(ss -Htan "( sport = :$p )" 2>/dev/null)" ]] || continue
    PICKED[$p]=1
    FREE_PORT=$p
    return 0
  done
  die "no free TCP port found between 20000 and $hi"
}

# haproxy_config NAME PORT RETURN_BODY|-- SERVER_PORT [NBTHREAD [close]]: TMP/haproxy-NAME.cfg;
# a frontend on 127.0.0.1:PORT that either answers 200 RETURN_BODY itself or passes
# every request to 127.0.0.1:SERVER_PORT over reused keep-alive connections (with
# "close": a new server connection per request, `option http-server-close`)
haproxy_config() {
  local name=$1 port=$2 body=$3 server=${4:-} nbthread=${5:-} close=${6:-}
  {
    echo "global"
    echo "  maxconn 4096"
    [[ -n "$nbthread" ]] && echo "  nbthread $nbthread"
    echo "defaults"
    echo "  mode http"
    echo "  option http-keep-alive"
    echo "  http-reuse always"
    echo "  timeout connect 2s"
    echo "  timeout client 30s"
    echo "  timeout server 30s"
    echo "  timeout http-keep-alive 30s"
    echo "frontend fe_$name"
    echo "  bind 127.0.0.1:$port"
    if [[ "$body" != -- ]]; then
      echo "  http-request return status 200 content-type text/plain string $body"
    else
      echo "  default_backend be_$name"
      echo "backend be_$name"
      if [[ "$close" == close ]]; then
        echo "  option http-server-close"
        echo "  http-reuse never"
      fi
      echo "  server s1 127.0.0.1:$server"
    fi
  } >"$TMP/haproxy-$name.cfg"
}

# run_haproxy NAME: start haproxy on TMP/haproxy-NAME.cfg (port HAP_PORT[NAME]) and wait
# at most MAX_TIME s until it answers; returns 1 when it exits first (its log stays in
# TMP/haproxy-NAME.log)
run_haproxy() {
  local name=$1 port=${HAP_PORT[$1]} deadline
  haproxy -db -f "$TMP/haproxy-$name.cfg" </dev/null >"$TMP/haproxy-$name.log" 2>&1 &
  HAP_PID[$name]=$!
  deadline=$((SECONDS + MAX_TIME))
  until curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; do
    if ! kill -0 "${HAP_PID[$name]}" 2>/dev/null; then
      wait "${HAP_PID[$name]}" 2>/dev/null || true
      unset 'HAP_PID[$name]'
      return 1
    fi
    (( SECONDS < deadline )) || die "haproxy $name does not answer on 127.0.0.1:$port within ${MAX_TIME}s: $(tail -n 5 "$TMP/haproxy-$name.log")"
    sleep 0.02
  done
}

# start_haproxy NAME BODY|-- [SERVER_PORT [NBTHREAD]]: on a free port (another one when
# the bind fails, up to 5 times); sets HAP_PORT[NAME]
start_haproxy() {
  local name=$1 try
  for ((try = 0; try < 5; try++)); do
    free_port
    HAP_PORT[$name]=$FREE_PORT
    haproxy_config "$name" "${HAP_PORT[$name]}" "${@:2}"
    run_haproxy "$name" && return 0
    grep -qi -e "cannot bind" -e "address already in use" "$TMP/haproxy-$name.log" ||
      die "haproxy $name did not start; its log: $(cat "$TMP/haproxy-$name.log")"
    log "haproxy $name could not bind port ${HAP_PORT[$name]}: trying another"
  done
  die "haproxy $name did not start in 5 tries; last log: $(cat "$TMP/haproxy-$name.log")"
}

stop_haproxy() { # stop_haproxy NAME SIGNAL
  kill "-$2" "${HAP_PID[$1]}" 2>/dev/null || true
  wait "${HAP_PID[$1]}" 2>/dev/null || true
  unset 'HAP_PID[$1]'
}

log "starting the HAProxy backends and the measured HAProxy"
start_haproxy backend ok
start_haproxy primary primary
start_haproxy backup backup
start_haproxy proxy -- "${HAP_PORT[backend]}" "$HAPROXY_THREADS"
start_haproxy proxy1 -- "${HAP_PORT[backend]}" 1
start_haproxy proxyclose -- "${HAP_PORT[backend]}" "$HAPROXY_THREADS" close
for name in backend primary backup proxy proxy1 proxyclose; do log "  haproxy $name: 127.0.0.1:${HAP_PORT[$name]} (pid ${HAP_PID[$name]})"; done
body=$(curl -s --max-time 5 "http://127.0.0.1:${HAP_PORT[proxy]}/v1/ping") || true
[[ "$body" == ok ]] || die "HAProxy in front of the backend answered '$body', not 'ok'"
haproxy_version=$(haproxy -v 2>/dev/null | head -n 1 | awk '{ print $3 }')
haproxy_threads=${HAPROXY_THREADS:-$(nproc) (its default: one per core)}

# ---------------------------------------------------------------- gateway and APIs

HEALTH_FLAGS=(--health-interval "$HEALTH_INTERVAL" --health-timeout "$HEALTH_TIMEOUT"
  --unhealthy-threshold "$UNHEALTHY" --healthy-threshold "$HEALTHY" --no-traffic-interval "$HEALTH_INTERVAL")
start_gateway "$TMP/data" --router-listen 127.0.0.1:0 --plain-http "${HEALTH_FLAGS[@]}"
re='and (https?://[^ ]+) \(router\)'
[[ "$GW_LINE" =~ $re ]] || die "cannot read the router URL from: $GW_LINE"
ROUTER=${BASH_REMATCH[1]%/}
[[ -n "$BASE" ]] || die "cannot read the adapter URL from: $GW_LINE"
log "gateway pid $GW_PID: $GW_LINE"

# definition FILE TITLE BASEPATH SECURITY(true|false) PATH URL...
definition() {
  local file=$1 title=$2 basepath=$3 security=$4 path=$5 url
  shift 5
  {
    echo "openapi: 3.0.1"
    echo "info:"
    echo "  title: $title"
    echo "  version: 1.0.0"
    echo "x-wso2-basePath: $basepath"
    [[ "$security" == false ]] && echo "x-wso2-disable-security: true"
    echo "x-wso2-production-endpoints:"
    echo "  urls:"
    for url in "$@"; do echo "    - $url"; done
    (($# > 1)) && echo "  type: failover"
    echo "paths:"
    echo "  $path:"
    echo "    get:"
    echo "      responses:"
    echo "        '200':"
    echo "          description: ok"
  } >"$file"
}
definition "$TMP/bench.yaml" RouterBench /bench false /ping "http://127.0.0.1:${HAP_PORT[backend]}/v1"
definition "$TMP/benchjwt.yaml" RouterBenchJwt /benchjwt true /ping "http://127.0.0.1:${HAP_PORT[backend]}/v1"
PRIMARY_URL="http://127.0.0.1:${HAP_PORT[primary]}/v1"
BACKUP_URL="http://127.0.0.1:${HAP_PORT[backup]}/v1"
definition "$TMP/failover.yaml" RouterFailover /failover false /who "$PRIMARY_URL" "$BACKUP_URL"
for f in bench benchjwt failover; do
  timeout "$MAX_TIME" "$PORTICO" deploy "$TMP/$f.yaml" -e "$BASE" --override >"$TMP/deploy-$f.out" 2>&1 ||
    die "portico deploy $f.yaml failed: $(cat "$TMP/deploy-$f.out")"
done
log "deployed /bench, /benchjwt and /failover; router $ROUTER"

# a token for /benchjwt from the router's /testkey (Basic credentials in a config file)
curl_config >"$TMP/curlrc-admin"
TOKEN=$(curl -K "$TMP/curlrc-admin" -X POST -H 'Host: localhost' "$ROUTER/testkey") || die "no token from $ROUTER/testkey"
[[ "$TOKEN" == *.*.* ]] || die "$ROUTER/testkey answered '$TOKEN', not a JWT"
# the header lives in a file so the token stays out of argv (wrk gets it from a Lua script)
printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$TOKEN" >"$TMP/bearer.lua"
printf 'header = "Authorization: Bearer %s"\n' "$TOKEN" >"$TMP/curlrc-bearer"
for path in /bench/ping /benchjwt/ping; do
  out=$(curl -s -K "$TMP/curlrc-bearer" --max-time 5 -H 'Host: localhost' -w ' %{http_code}' "$ROUTER$path") || true
  [[ "$out" == "ok 200" ]] || die "$ROUTER$path answered '$out', not 'ok 200'; gateway stderr: $(tail -n 5 "$TMP/gateway.err")"
done

# ---------------------------------------------------------------- load

# WRK_T and WRK_C: wrk threads and connections of the next wrk_run
WRK_T=$THREADS WRK_C=$CONNECTIONS
# wrk_run LABEL URL [wrk args...]: a warm-up then the measured run; sets W_REQ, W_ERR,
# W_RPS, W_P50, W_P99 (ms) from TMP/wrk-LABEL.out
wrk_run() {
  local label=$1 url=$2 stats
  shift 2
  log "wrk -t$WRK_T -c$WRK_C: $label ($url), ${WARMUP}s warm-up + ${DURATION}s"
  timeout $((WARMUP + 30)) wrk -t "$WRK_T" -c "$WRK_C" -d "${WARMUP}s" --timeout 5s \
    -H 'Host: localhost' "$@" "$url" >"$TMP/wrk-$label.warmup" 2>&1 || true
  timeout $((DURATION + 30)) wrk -t "$WRK_T" -c "$WRK_C" -d "${DURATION}s" --timeout 5s --latency \
    -H 'Host: localhost' "$@" "$url" >"$TMP/wrk-$label.out" 2>&1 || log "  wrk exited with status $?"
  stats=$(awk '
    function ms(v) {
      if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0
      if (v ~ /m$/) return v * 60000; if (v ~ /s$/) return v * 1000; return "?" }
    $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    / requests in / { req = $1 }
    /Non-2xx or 3xx responses:/ { err += $NF }
    /Socket errors:/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) err += $i }
    $1 == "Requests/sec:" { rps = $2 }
    END { if (req == "") req = "?"; if (rps == "") rps = "?"; if (p50 == "") p50 = "?"; if (p99 == "") p99 = "?"
          printf "%s %d %s %s %s\n", req, err, rps, p50, p99 }' "$TMP/wrk-$label.out")
  read -r W_REQ W_ERR W_RPS W_P50 W_P99 <<<"$stats"
  log "  $W_REQ requests, $W_ERR errors, $W_RPS req/s, p50 $W_P50 ms, p99 $W_P99 ms"
}

fmt2() { awk -v v="$1" 'BEGIN { if (v ~ /^[0-9.]+$/) printf "%.2f", v; else print "?" }'; }
fmt0() { awk -v v="$1" 'BEGIN { if (v ~ /^[0-9.]+$/) printf "%.0f", v; else print "?" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else print "?" }'; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/) printf "%.2f", a - b; else print "?" }'; }
# verdict VALUE OP LIMIT: met / MISSED / ? (OP: ge, lt, le)
verdict() {
  awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
    if (v !~ /^-?[0-9.]+$/) { print "?"; exit }
    ok = (op == "ge") ? v + 0 >= l + 0 : (op == "lt") ? v + 0 < l + 0 : v + 0 <= l + 0
    print ok ? "met" : "MISSED" }'
}

rows=()
load_row() { rows+=("$1|$W_REQ|$W_ERR|$(fmt0 "$W_RPS")|$(fmt2 "$W_P50")|$(fmt2 "$W_P99")|${2:--}|${3:--}|${4:--}"); }

wrk_run direct "http://127.0.0.1:${HAP_PORT[backend]}/v1/ping"
D_RPS=$W_RPS D_P50=$W_P50
load_row "backend directly, $CONNECTIONS connections"
wrk_run haproxy "http://127.0.0.1:${HAP_PORT[proxy]}/v1/ping"
H_RPS=$W_RPS
load_row "HAProxy -> backend, nbthread ${HAPROXY_THREADS:-$(nproc) (default)}" \
  "$(ratio "$W_RPS" "$D_RPS")x direct req/s"
wrk_run haproxy1 "http://127.0.0.1:${HAP_PORT[proxy1]}/v1/ping"
load_row "HAProxy -> backend, nbthread 1 (reading only)" "$(ratio "$W_RPS" "$H_RPS")x HAProxy req/s"
wrk_run haproxyclose "http://127.0.0.1:${HAP_PORT[proxyclose]}/v1/ping"
load_row "HAProxy -> backend, new server connection per request (reading only)" "$(ratio "$W_RPS" "$H_RPS")x HAProxy req/s"
wrk_run router "$ROUTER/bench/ping"
R_RPS=$W_RPS R_P50=$W_P50
load_row "portico router -> backend (security off)" "$(ratio "$W_RPS" "$H_RPS")x HAProxy req/s"
wrk_run routerjwt "$ROUTER/benchjwt/ping" -s "$TMP/bearer.lua"
load_row "portico router -> backend, Bearer JWT (reading only)" "$(ratio "$W_RPS" "$H_RPS")x HAProxy req/s"
R_RATIO=$(ratio "$R_RPS" "$H_RPS")
rows+=("router req/s / HAProxy req/s|-|-|-|-|-|$R_RATIO|>= 0.5|$(verdict "$R_RATIO" ge 0.5)")
R_OVER=$(minus "$R_P50" "$D_P50")
rows+=("router p50 - direct p50, $CONNECTIONS connections|-|-|-|-|-|$R_OVER ms|< 1 ms|$(verdict "$R_OVER" lt 1)")

# unloaded latency: one connection, one request at a time (no queueing in the p50)
WRK_T=1 WRK_C=1
wrk_run direct1 "http://127.0.0.1:${HAP_PORT[backend]}/v1/ping"
D1_P50=$W_P50
load_row "backend directly, 1 connection"
wrk_run haproxy_c1 "http://127.0.0.1:${HAP_PORT[proxy]}/v1/ping"
load_row "HAProxy -> backend, 1 connection (reading only)" "p50 +$(minus "$W_P50" "$D1_P50") ms over direct"
wrk_run router1 "$ROUTER/bench/ping"
R1_OVER=$(minus "$W_P50" "$D1_P50")
load_row "portico router -> backend, 1 connection" "p50 +$R1_OVER ms over direct" "< 1 ms (reading only)" "$(verdict "$R1_OVER" lt 1)"

# ---------------------------------------------------------------- failover

# the traffic loop: one curl per request on /failover/who; each line of TMP/loop.log is
# "START END ANSWER" (EPOCHREALTIME; ANSWER P, B, or E<status>[/<router code>])
LOOP_SECS=$((FAILOVERS * 4 * MAX_TIME + 60))
traffic_loop() {
  local deadline=$((SECONDS + LOOP_SECS)) t0 t1 code answer body re='"code": *"?([0-9]+)'
  while [[ ! -e "$TMP/loop.stop" ]] && (( SECONDS < deadline )); do
    : >"$TMP/loop.body"
    t0=$EPOCHREALTIME
    code=$(curl -s -o "$TMP/loop.body" -w '%{http_code}' --max-time 2 -H 'Host: localhost' "$ROUTER/failover/who" 2>/dev/null) || true
    t1=$EPOCHREALTIME
    body=""
    IFS= read -r -d '' body <"$TMP/loop.body" || true
    case "$code:$body" in
      200:primary) answer=P ;;
      200:backup) answer=B ;;
      *) answer="E${code:-000}"; [[ "$body" =~ $re ]] && answer+="/${BASH_REMATCH[1]}" ;;
    esac
    echo "$t0 $t1 $answer" >>"$TMP/loop.log"
  done
}

# first_answer KIND SINCE: wait at most MAX_TIME s for an answer KIND that started after
# SINCE; prints "END N ERRORS" (its end; the requests that ended after SINCE up to it;
# the error answers among them, "0" or "12: E503/102503x12") or returns 1
first_answer() {
  local kind=$1 since=$2 deadline=$((SECONDS + MAX_TIME)) out
  while (( SECONDS < deadline )); do
    out=$(awk -v k="$kind" -v s="$since" '
      NF == 3 && $2 + 0 > s + 0 {
        n++; if ($3 == k && $1 + 0 >= s + 0) { found = $2; exit }
        if ($3 ~ /^E/) { e++; o[$3]++ } }
      END { if (found == "") exit 1
            for (a in o) { oth = oth sep a "x" o[a]; sep = "," }
            printf "%s %d %s\n", found, n, (e ? e ": " oth : "0") }' "$TMP/loop.log") && { echo "$out"; return 0; }
    sleep 0.05
  done
  return 1
}

# steady: wait at most MAX_TIME s until /portico/clusters shows the failover cluster with
# both hosts healthy, no panic and the primary serving
steady() {
  local deadline=$((SECONDS + MAX_TIME)) state=""
  while (( SECONDS < deadline )); do
    state=$(curl -s --max-time 2 "$ROUTER/portico/clusters" | jq -r '.clusters[] | select(.name | startswith("RouterFailover"))
      | "\(.serving) \(.panic) \([.hosts[].health] | join(","))"' 2>/dev/null) || true
    [[ "$state" == "$PRIMARY_URL false healthy,healthy" ]] && return 0
    sleep 0.05
  done
  log "the failover cluster is not steady after ${MAX_TIME}s: $state"
  return 1
}

EXPECT_DOWN=$((HEALTH_INTERVAL * UNHEALTHY))
EXPECT_UP=$((HEALTH_INTERVAL * HEALTHY))
: >"$TMP/loop.log"
traffic_loop &
LOOP_PID=$!
log "failover: traffic loop pid $LOOP_PID on $ROUTER/failover/who; primary $PRIMARY_URL, backup $BACKUP_URL"
first_answer P 0 >/dev/null || die "the router never answered from the primary; last answers: $(tail -n 3 "$TMP/loop.log" | tr '\n' ' ')"
downs=() ups=()
for ((run = 1; run <= FAILOVERS; run++)); do
  steady || die "the failover cluster never became steady (both hosts healthy, primary serving)"
  sleep "$(awk -v i="$HEALTH_INTERVAL" -v r="$SRANDOM" 'BEGIN { printf "%.3f", (r % i) / 1000 }')"
  t_kill=$EPOCHREALTIME
  stop_haproxy primary KILL
  log "run $run: primary killed (SIGKILL)"
  res=$(first_answer B "$t_kill") || die "no answer from the backup within ${MAX_TIME}s of the kill; last answers: $(tail -n 5 "$TMP/loop.log" | tr '\n' ' ')"
  t_end=${res%% *}; res=${res#* }; n=${res%% *}; others=${res#* }
  ms=$(ms_between "$t_kill" "$t_end")
  downs+=("$ms")
  dev=$(awk -v m="$ms" -v e="$EXPECT_DOWN" 'BEGIN { d = m - e; print (d < 0 ? -d : d) }')
  rows+=("failover $run: kill primary -> first backup answer|$n|$others|-|-|-|$ms ms|$EXPECT_DOWN ± $HEALTH_INTERVAL ms|$(verdict "$dev" le "$HEALTH_INTERVAL")")
  log "  first backup answer after $ms ms ($n requests; others: $others)"

  t_up=$EPOCHREALTIME
  run_haproxy primary || die "haproxy primary did not restart on port ${HAP_PORT[primary]}: $(cat "$TMP/haproxy-primary.log")"
  ready=$(ms_between "$t_up" "$EPOCHREALTIME")
  res=$(first_answer P "$t_up") || die "no answer from the primary within ${MAX_TIME}s of its restart; last answers: $(tail -n 5 "$TMP/loop.log" | tr '\n' ' ')"
  t_end=${res%% *}; res=${res#* }; n=${res%% *}; others=${res#* }
  ms=$(ms_between "$t_up" "$t_end")
  ups+=("$ms")
  dev=$(awk -v m="$ms" -v e="$EXPECT_UP" 'BEGIN { d = m - e; print (d < 0 ? -d : d) }')
  rows+=("failover $run: restart primary -> first primary answer|$n|$others|-|-|-|$ms ms (up in $ready)|$EXPECT_UP ± $HEALTH_INTERVAL ms (reading only)|$(verdict "$dev" le "$HEALTH_INTERVAL")")
  log "  first primary answer $ms ms after the restart ($n requests; others: $others)"
done
stop_loop
md=$(median "${downs[@]}") mu=$(median "${ups[@]}")
dev=$(awk -v m="$md" -v e="$EXPECT_DOWN" 'BEGIN { d = m - e; print (d < 0 ? -d : d) }')
rows+=("failover: median of $FAILOVERS kills|-|-|-|-|-|$md ms|$EXPECT_DOWN ± $HEALTH_INTERVAL ms|$(verdict "$dev" le "$HEALTH_INTERVAL")")
rows+=("return: median of $FAILOVERS restarts|-|-|-|-|-|$mu ms|$EXPECT_UP ± $HEALTH_INTERVAL ms (reading only)|-")
loop_stats=$(awk '{ n++; d = ($2 - $1) * 1000; s += d; if ($3 ~ /^E/) e++ } END { printf "%d requests, %.1f ms each on average, %d errors", n, (n ? s / n : 0), e }' "$TMP/loop.log")

# ---------------------------------------------------------------- stop and report
alive=yes
kill -0 "$GW_PID" 2>/dev/null || alive="no (it died during the run)"
rss_peak=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$GW_PID/status" 2>/dev/null || true)
if [[ "$alive" == yes ]]; then stop_gateway; stop_note="exit status $GW_RC, $GW_STOP_SECS s after SIGTERM"; else stop_note="-"; GW_PID=""; fi

echo "portico router: throughput against HAProxy, and failover timing"
echo "  date:     $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "  host:     $(host_summary); load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
echo "  portico:  $PORTICO ($(portico_version))"
echo "  gateway:  router $ROUTER, adapter $BASE (plain HTTP); ${HEALTH_FLAGS[*]}"
echo "  haproxy:  $haproxy_version; measured one: nbthread $haproxy_threads, option http-keep-alive, http-reuse always, one server;"
echo "            backends: haproxy 'http-request return' on 127.0.0.1:${HAP_PORT[backend]} (ok), :${HAP_PORT[primary]} (primary), :${HAP_PORT[backup]} (backup)"
echo "  load:     $(wrk --version 2>&1 | head -n 1 | awk '{ print $1, $2 }'), -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency (keep-alive, ${WARMUP}s warm-up), Host: localhost; same machine, shared cores"
echo "  failover: one curl per request on /failover/who: $loop_stats"
echo
table "measurement|requests|errors|req/s|p50 ms|p99 ms|figure|target|verdict" "${rows[@]}"
echo
echo "gateway: peak RSS $(fmt_mib "$rss_peak") MiB (VmHWM); alive at the end: $alive; stop: $stop_note"
echo "health transitions (gateway stderr):"
{ grep -v -e '^router: ' -e '^[A-Z]* /api/' "$TMP/gateway.err" | grep -i 'health' || echo "(none)"; } | sed 's/^/  /'
echo "failover rows: requests = answers that ended in the window, errors = the error answers among them (status/router code x count);"
echo "times are from the kill (or the restart command) to the end of the first request answered by the awaited host"
