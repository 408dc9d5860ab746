#!/usr/bin/env bash
# bench/probe.sh - time `portico probe` on 100 failover groups whose primaries are black holes.
#
# Usage:
#   bench/probe.sh             # start the loopback servers, generate the definition, benchmark
#   bench/probe.sh --help
#
# Runnable from any directory. Environment:
#   PORTICO               portico binary                          (default: <repo>/build/portico)
#   BENCH_RUNS            timed runs of each portico scenario     (default: 3)
#   BENCH_CURL=0          skip the sequential curl loop (it takes ~100 s)
#   BENCH_MAX_TIME        time limit of each portico run, s       (default: 60)
#   BENCH_KEEP=1          keep the temporary folder (definition, JSON reports, helper log)
#
# Needs: python3, curl, awk, column, timeout, sort (Debian: apt-get install python3 curl
# bsdextrautils coreutils gawk). Nothing is downloaded. Every address used is loopback
# (127.0.0.0/8): the black holes are 127.0.1.1..127.0.1.100 and the live backends
# 127.0.2.1..127.0.2.100, all on one free port P (Linux routes all of 127/8 to lo).
#
# What it does:
#   1. starts one python3 helper process that
#        - listens on 127.0.2.i:P (i = 1..100) and accepts and closes every connection
#          (the live backends: a TCP connect succeeds);
#        - listens with backlog 0 on 127.0.1.i:P, never accepts, and fills each accept
#          queue with 2 connects of its own that it keeps open (the black holes: the
#          queue is full, so Linux drops further SYNs and connects time out);
#        - checks all 200 with non-blocking connects (300 ms): how many black holes
#          answered and how many live backends did not;
#      it exits by itself when this script goes away, and is stopped on every exit path;
#   2. checks one black hole and one live backend with curl (bounded by `timeout 3`):
#      `curl --connect-timeout 1 http://127.0.1.1:P/` must give exit 28 (timeout); if
#      Linux answers instead (exit 7 refused, 52 empty reply, 0 ...), the script says so
#      and stops (exit 2);
#   3. writes an OpenAPI 3.0.3 YAML with x-wso2-basePath, an API-level
#      x-wso2-production-endpoints failover block [http://127.0.1.1:P/v1,
#      http://127.0.2.1:P/v1] and 99 path items /r2../r100, each with its own failover
#      block [http://127.0.1.i:P/v1, http://127.0.2.i:P/v1]: 100 groups, 200 host:ports;
#   4. runs, BENCH_RUNS times each, under `timeout BENCH_MAX_TIME`:
#        portico probe FILE --timeout 500 --attempts 2 --format json
#        the same with --parallel 256 (diagnostic row: every endpoint in flight at once)
#      wall time from bash's $EPOCHREALTIME; checks the exit status is 7 (a group failed
#      over) and that the JSON lists 100 groups, all "failed-over", serving index 1;
#   5. unless BENCH_CURL=0, times once a sequential loop over the same 200 URLs with the
#      same semantics: up to 2 tries each of
#        curl -s -o /dev/null --connect-timeout 0.5 --max-time 2 URL
#      (a second try only when the first could not connect: curl exit 7 or 28).
#
# Output: one table (scenario, runs, median and min-max wall ms, ratio to the ideal of
# attempts x timeout = 2 x 500 ms = 1000 ms, target, check), then portico's own
# elapsed_ms from its JSON and the per-run times. Target: `portico probe` within 1.25x
# of the ideal. The figures are only printed, never asserted: the script exits 0
# whatever they are (2 on a setup failure: missing tool, helper not starting, a black
# hole that does not time out).

set -euo pipefail

# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RUNS=${BENCH_RUNS:-3}
DO_CURL=${BENCH_CURL:-1}
MAX_TIME=${BENCH_MAX_TIME:-60}
GROUPS_N=100
TIMEOUT_MS=500
ATTEMPTS=2
IDEAL_MS=$((TIMEOUT_MS * ATTEMPTS))
TARGET_RATIO=1.25
DIAG_PARALLEL=256
HELPER_START_TIMEOUT=15

bench_args "$@"
require_positive RUNS MAX_TIME
[[ "$DO_CURL" =~ ^[01]$ ]] || die "BENCH_CURL must be 0 or 1 (got '$DO_CURL')"
require_tools "python3 curl bsdextrautils coreutils gawk" python3 curl awk column timeout sort
require_bash5
[[ "$(uname -s)" == Linux ]] || die "the black holes rely on Linux dropping SYNs to a full accept queue"
require_portico

make_tmp probe

ratio() { awk -v m="$1" -v i="$IDEAL_MS" 'BEGIN { if (m == "?") print "?"; else printf "%.2fx", m / i }'; }
met() { awk -v m="$1" -v i="$IDEAL_MS" -v t="$TARGET_RATIO" 'BEGIN { if (m == "?") print "n/a"; else print (m / i <= t) ? "met" : "MISSED" }'; }
indent() { sed 's/^/  /'; }

# ---------------------------------------------------------------- loopback servers
# argv: groups, parent pid. stdout: "ready PORT BH_ANSWERED LIVE_SILENT" once set up.
PY_HELPER='
import errno, os, resource, select, selectors, signal, socket, sys, time
n, parent = int(sys.argv[1]), int(sys.argv[2])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
want = 8 * n + 64
if soft < want and (hard == resource.RLIM_INFINITY or hard >= want):
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
bh_addrs = ["127.0.1.%d" % i for i in range(1, n + 1)]
live_addrs = ["127.0.2.%d" % i for i in range(1, n + 1)]

def listener(addr, port, backlog):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(backlog)
    return s

# one port free on all 2n addresses: take one from the kernel on the first, retry on clashes
for _ in range(50):
    first = listener(live_addrs[0], 0, 128)
    port = first.getsockname()[1]
    live, bh = [first], []
    try:
        live += [listener(a, port, 128) for a in live_addrs[1:]]
        bh = [listener(a, port, 0) for a in bh_addrs]
        break
    except OSError as e:
        if e.errno != errno.EADDRINUSE: raise
        for s in live + bh: s.close()
else:
    sys.exit("no port free on all %d loopback addresses after 50 tries" % (2 * n))

# fill every black hole accept queue: with backlog 0 Linux queues one connection and
# then drops SYNs; the second connect stays in SYN-SENT (retransmitting, dropped again)
fillers = []
for a in bh_addrs:
    for _ in range(2):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.setblocking(False)
        c.connect_ex((a, port))
        fillers.append(c)
time.sleep(0.3)

# self-check: a non-blocking connect to each of the 2n, 300 ms for all
def connected(addrs, wait):
    socks = []
    for a in addrs:
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.setblocking(False)
        c.connect_ex((a, port))
        socks.append(c)
    sel = selectors.DefaultSelector()
    for c in socks: sel.register(c, selectors.EVENT_WRITE)
    done, deadline = {}, time.monotonic() + wait
    while len(done) < len(socks) and time.monotonic() < deadline:
        for key, _ in sel.select(max(0, deadline - time.monotonic())):
            if key.fileobj not in done:
                done[key.fileobj] = key.fileobj.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                sel.unregister(key.fileobj)
    ok = sum(1 for c in socks if done.get(c) == 0)
    answered = sum(1 for c in socks if c in done)
    for c in socks: c.close()
    sel.close()
    return ok, answered

sel = selectors.DefaultSelector()
for s in live:
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
def serve(wait):
    end = time.monotonic() + wait
    while True:
        left = end - time.monotonic()
        if left <= 0: return
        for key, _ in sel.select(min(left, 1.0)):
            try:
                c, _ = key.fileobj.accept()
                c.close()
            except OSError:
                pass
# the live check needs the accept loop running: connects complete in the kernel anyway
live_ok, _ = connected(live_addrs, 0.3)
serve(0.05)
_, bh_answered = connected(bh_addrs, 0.3)
print("ready %d %d %d" % (port, bh_answered, n - live_ok), flush=True)
limit = time.monotonic() + 4 * 3600
while time.monotonic() < limit and os.getppid() == parent:
    serve(1.0)
'

log "starting the loopback helper: $GROUPS_N live backends on 127.0.2.x, $GROUPS_N black holes on 127.0.1.x"
python3 -c "$PY_HELPER" "$GROUPS_N" "$$" >"$TMP/helper.out" 2>"$TMP/helper.err" &
HELPER_PID=$!
ready=""
for ((i = 0; i < HELPER_START_TIMEOUT * 10; i++)); do
  ready=$(grep -m1 '^ready ' "$TMP/helper.out" 2>/dev/null || true)
  [[ -n "$ready" ]] && break
  kill -0 "$HELPER_PID" 2>/dev/null || break
  sleep 0.1
done
if [[ -z "$ready" ]]; then
  echo "probe.sh: the loopback helper did not get ready within ${HELPER_START_TIMEOUT}s; its stderr:" >&2
  indent <"$TMP/helper.err" >&2
  exit 2
fi
read -r _ PORT BH_ANSWERED LIVE_SILENT <<<"$ready"
log "helper ready on port $PORT: black holes that answered a connect: $BH_ANSWERED/$GROUPS_N; live backends that did not: $LIVE_SILENT/$GROUPS_N"

# curl check of one black hole (must time out) and one live backend (must connect)
bh_url="http://127.0.1.1:$PORT/"
live_url="http://127.0.2.1:$PORT/"
t0=$EPOCHREALTIME
rc=0; timeout 3 curl -sS -o /dev/null --connect-timeout 1 "$bh_url" 2>"$TMP/bh-check.err" || rc=$?
bh_check_ms=$(ms_between "$t0" "$EPOCHREALTIME")
if [[ $rc -ne 28 ]]; then
  {
    echo "probe.sh: the black hole $bh_url did not time out: curl --connect-timeout 1 exited $rc after $bh_check_ms ms (expected 28, a connect timeout)"
    case $rc in
      7) echo "  exit 7: the connect was refused or failed at once: Linux answered the SYN with a RST instead of dropping it (net.ipv4.tcp_abort_on_overflow = $(cat /proc/sys/net/ipv4/tcp_abort_on_overflow 2>/dev/null || echo '?'))" ;;
      52|56|0) echo "  exit $rc: the TCP connect succeeded: the accept queue did not stay full (SYN accepted instead of dropped; net.ipv4.tcp_syncookies = $(cat /proc/sys/net/ipv4/tcp_syncookies 2>/dev/null || echo '?'))" ;;
      124) echo "  exit 124: curl itself did not return within 3 s" ;;
    esac
    echo "  curl said: $(head -c 300 "$TMP/bh-check.err")"
    echo "  sockets to 127.0.1.1:$PORT (ss -tan):"
    ss -tan 2>/dev/null | awk -v d="127.0.1.1:$PORT" '$4 == d || $5 == d' | indent | indent || true
  } >&2
  exit 2
fi
rc=0; timeout 3 curl -sS -o /dev/null --connect-timeout 1 "$live_url" 2>"$TMP/live-check.err" || rc=$?
# the backend accepts and closes at once: 52 (empty reply) or 56 (reset) mean the connect worked
[[ $rc -eq 52 || $rc -eq 56 || $rc -eq 0 ]] || die "the live backend $live_url did not accept a connect: curl exit $rc ($(head -c 300 "$TMP/live-check.err"))"
log "curl check: black hole $bh_url timed out (exit 28 after $bh_check_ms ms); live $live_url connected (exit $rc)"

# ---------------------------------------------------------------- definition
DEF="$TMP/failover-100.yaml"
{
  cat <<EOF
openapi: 3.0.3
info:
  title: ProbeBench
  version: 1.0.0
  description: Generated by bench/probe.sh - $GROUPS_N failover groups, primaries are black holes
x-wso2-basePath: /probebench
x-wso2-production-endpoints:
  urls:
    - http://127.0.1.1:$PORT/v1
    - http://127.0.2.1:$PORT/v1
  type: failover
paths:
  /r1:
    get:
      operationId: getR1
      responses:
        "200":
          description: OK
EOF
  for ((i = 2; i <= GROUPS_N; i++)); do
    cat <<EOF
  /r$i:
    x-wso2-production-endpoints:
      urls:
        - http://127.0.1.$i:$PORT/v1
        - http://127.0.2.$i:$PORT/v1
      type: failover
    get:
      operationId: getR$i
      responses:
        "200":
          description: OK
EOF
  done
} >"$DEF"
log "definition: $DEF ($(wc -c <"$DEF") bytes, $GROUPS_N failover groups, $((2 * GROUPS_N)) URLs)"

# ---------------------------------------------------------------- portico
# summarize JSON: "groups failed_over serving1 elapsed_ms exit_code" (or "? ? ? ? ?")
PY_SUMMARY='
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    g = d.get("groups", [])
    fo = sum(1 for x in g if x.get("verdict") == "failed-over")
    s1 = sum(1 for x in g if x.get("serving") == 1)
    print(len(g), fo, s1, "%.1f" % d.get("elapsed_ms", float("nan")), d.get("exit_code", "?"))
except Exception as e:
    print("? ? ? ? ?")
'

declare -A MED RANGE CHECK PER_RUN ELAPSED
run_portico() { # run_portico KEY EXTRA_ARGS...
  local key=$1; shift
  local i rc t0 t1 ms walls=() elapsed=() bad="" groups fo s1 el
  for ((i = 1; i <= RUNS; i++)); do
    t0=$EPOCHREALTIME
    rc=0
    timeout "$MAX_TIME" "$PORTICO" probe "$DEF" --timeout "$TIMEOUT_MS" --attempts "$ATTEMPTS" --format json "$@" \
      </dev/null >"$TMP/$key-$i.json" 2>"$TMP/$key-$i.err" || rc=$?
    t1=$EPOCHREALTIME
    ms=$(ms_between "$t0" "$t1")
    walls+=("$ms")
    read -r groups fo s1 el _ < <(python3 -c "$PY_SUMMARY" "$TMP/$key-$i.json")
    elapsed+=("$el")
    log "  run $i: $ms ms, exit $rc, $groups groups, $fo failed-over, $s1 served by URL 2, portico elapsed_ms $el"
    if [[ $rc -ne 7 || "$groups" != "$GROUPS_N" || "$fo" != "$GROUPS_N" || "$s1" != "$GROUPS_N" ]]; then
      [[ -n "$bad" ]] || bad="run $i: exit $rc (expected 7), $groups groups, $fo failed-over, $s1 served by URL 2 (expected $GROUPS_N each)"
      [[ -s "$TMP/$key-$i.err" ]] && bad+="; stderr: $(head -c 300 "$TMP/$key-$i.err" | tr '\n' ' ')"
    fi
  done
  MED[$key]=$(median "${walls[@]}")
  RANGE[$key]=$(range "${walls[@]}")
  PER_RUN[$key]=$(printf '%s, ' "${walls[@]}"); PER_RUN[$key]=${PER_RUN[$key]%, }
  ELAPSED[$key]=$(printf '%s, ' "${elapsed[@]}"); ELAPSED[$key]=${ELAPSED[$key]%, }
  if [[ -z "$bad" ]]; then
    CHECK[$key]="exit 7, $GROUPS_N/$GROUPS_N failed-over"
  else
    CHECK[$key]="FAILED: $bad"
  fi
}

log "portico probe --timeout $TIMEOUT_MS --attempts $ATTEMPTS --format json: $RUNS runs"
run_portico default
log "portico probe ... --parallel $DIAG_PARALLEL (diagnostic): $RUNS runs"
run_portico wide --parallel "$DIAG_PARALLEL"

# ---------------------------------------------------------------- curl loop
CURL_MS="?" CURL_NOTE="skipped (BENCH_CURL=0)"
if (( DO_CURL )); then
  log "sequential curl loop over $((2 * GROUPS_N)) URLs, up to $ATTEMPTS tries each with --connect-timeout 0.5 (~$((GROUPS_N * IDEAL_MS / 1000)) s)"
  bh_down=0 live_up=0 other=""
  t0=$EPOCHREALTIME
  for ((i = 1; i <= GROUPS_N; i++)); do
    for url in "http://127.0.1.$i:$PORT/v1" "http://127.0.2.$i:$PORT/v1"; do
      for ((a = 1; a <= ATTEMPTS; a++)); do
        rc=0
        curl -s -o /dev/null --connect-timeout 0.5 --max-time 2 "$url" || rc=$?
        [[ $rc -eq 7 || $rc -eq 28 ]] || break
      done
      if [[ $url == http://127.0.1.* ]]; then
        [[ $rc -eq 28 ]] && bh_down=$((bh_down + 1)) || other=$(add_code "$other" "$url:$rc")
      else
        [[ $rc -eq 52 || $rc -eq 56 || $rc -eq 0 ]] && live_up=$((live_up + 1)) || other=$(add_code "$other" "$url:$rc")
      fi
    done
    (( i % 20 == 0 )) && log "  $i/$GROUPS_N groups, $(ms_between "$t0" "$EPOCHREALTIME") ms"
  done
  CURL_MS=$(ms_between "$t0" "$EPOCHREALTIME")
  CURL_NOTE="$bh_down/$GROUPS_N black holes timed out twice, $live_up/$GROUPS_N live connected"
  [[ -z "$other" ]] || CURL_NOTE+="; unexpected: $(head -c 300 <<<"$other")"
fi

# ---------------------------------------------------------------- report
portico_version=$(portico_version)
echo "portico probe on $GROUPS_N failover groups [black hole, live backend]"
echo "  date:     $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "  host:     $(host_summary), Linux $(uname -r)"
echo "  portico:  $PORTICO ${portico_version:+($portico_version)}"
echo "  servers:  one python3 process, port $PORT: live 127.0.2.1-$GROUPS_N (accept and close), black holes 127.0.1.1-$GROUPS_N (backlog 0, accept queue filled)"
echo "  check:    black holes answering a connect: $BH_ANSWERED/$GROUPS_N; live not answering: $LIVE_SILENT/$GROUPS_N; curl to $bh_url: exit 28 after $bh_check_ms ms (--connect-timeout 1)"
echo "  input:    OpenAPI 3.0.3, $(wc -c <"$DEF") bytes: API-level failover + 99 path items with their own, $((2 * GROUPS_N)) distinct host:port"
echo "  command:  portico probe FILE --timeout $TIMEOUT_MS --attempts $ATTEMPTS --format json   (default --parallel 64)"
echo
if (( DO_CURL )); then
  curl_row="sequential curl, $((2 * GROUPS_N)) URLs|1|$CURL_MS|-|$(ratio "$CURL_MS")|-|$CURL_NOTE"
else
  curl_row="sequential curl, $((2 * GROUPS_N)) URLs|0|-|-|-|-|$CURL_NOTE"
fi
table "scenario|runs|wall ms (median)|min-max ms|ratio to ideal|target|check" \
  "ideal: $ATTEMPTS x $TIMEOUT_MS ms|-|$IDEAL_MS|-|1.00x|-|-" \
  "portico probe|$RUNS|${MED[default]}|${RANGE[default]}|$(ratio "${MED[default]}")|<= ${TARGET_RATIO}x $(met "${MED[default]}")|${CHECK[default]}" \
  "portico probe --parallel $DIAG_PARALLEL (diagnostic)|$RUNS|${MED[wide]}|${RANGE[wide]}|$(ratio "${MED[wide]}")|-|${CHECK[wide]}" \
  "$curl_row"
echo
echo "per run (wall ms):        portico ${PER_RUN[default]}; --parallel $DIAG_PARALLEL ${PER_RUN[wide]}"
echo "portico's own elapsed_ms: portico ${ELAPSED[default]}; --parallel $DIAG_PARALLEL ${ELAPSED[wide]}"
echo "target: portico probe (default flags) <= ${TARGET_RATIO}x the ideal ($(met "${MED[default]}")); figures are printed, never asserted"
if [[ "${CHECK[default]}${CHECK[wide]}" == *FAILED* ]]; then
  for key in default wide; do
    [[ "${CHECK[$key]}" == FAILED* ]] || continue
    echo
    echo "output of the last $key run (first 20 lines of stdout, stderr):"
    head -n 20 "$TMP/$key-$RUNS.json" | indent
    indent <"$TMP/$key-$RUNS.err"
  done
fi
