# bench/lib.sh - what the benchmark scripts share; sourced by them, not run.
#
# Sets SCRIPT_DIR, REPO, PORTICO (default <repo>/build/portico), BENCH_SCRIPT and
# BENCH_NAME (the sourcing script's path and file name), and defines:
#   die, log                     messages on stderr ("NAME: ..." and exit 2; "[bench] ...")
#   bench_args "$@"              nothing, or -h/--help (prints the script's header), or exit 2
#   require_positive VAR...      each BENCH_VAR (in $VAR) is a positive integer
#   require_tools HINT TOOL...   each TOOL is on PATH (HINT: the Debian packages)
#   require_bash5, require_portico
#   make_tmp NAME                TMP, removed on every exit path after stop_process of
#                                GW_PID and HELPER_PID (kept with BENCH_KEEP=1)
#   stop_process PID LABEL SECS  SIGTERM, SIGKILL after SECS, then reaped
#   start_gateway DATA_DIR [ARGS...] / stop_gateway
#   curl_config                  curl settings shared by every request (credentials
#                                out of argv)
#   pets_openapi TITLE DESCRIPTION BASEPATH   a small OpenAPI 3.0.1 definition
#   ms_between, median, range, max_of, add_code, fmt_mib, host_summary, portico_version,
#   table HEADER ROW...          the figures and the report

# shellcheck shell=bash disable=SC2034 # the variables set here are read by the scripts

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
REPO=$(dirname "$SCRIPT_DIR")
PORTICO=${PORTICO:-$REPO/build/portico}
BENCH_SCRIPT=${BASH_SOURCE[1]}
BENCH_NAME=$(basename "$BENCH_SCRIPT")
START_TIMEOUT=20  # seconds start_gateway waits for the gateway's "listening on" line
GW_PID=""
HELPER_PID=""

die() { echo "$BENCH_NAME: $*" >&2; exit 2; }
log() { echo "[bench] $*" >&2; }

bench_args() {
  case "${1:-}" in
    "") ;;
    -h|--help) sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$BENCH_SCRIPT"; exit 0 ;;
    *) echo "$BENCH_NAME: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
}

# ---------------------------------------------------------------- checks

require_positive() {
  local v
  for v in "$@"; do
    [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "BENCH_$v must be a positive integer (got '${!v}')"
  done
}

require_tools() { # require_tools HINT TOOL...
  local hint=$1 tool; shift
  for tool in "$@"; do
    command -v "$tool" >/dev/null || die "$tool not found (Debian: apt-get install $hint)"
  done
}

require_bash5() {
  [[ -n "${EPOCHREALTIME:-}" ]] || die "bash 5 or newer is needed (\$EPOCHREALTIME)"
}

require_portico() {
  [[ -x "$PORTICO" ]] || die "portico binary not found or not executable: $PORTICO
  build it first (cmake -S '$REPO' -B '$REPO/build' && cmake --build '$REPO/build'), or set PORTICO=/path/to/portico"
}

# ---------------------------------------------------------------- processes and TMP

stop_process() { # stop_process PID LABEL SECONDS
  local pid=$1 label=$2 secs=$3 i
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < secs * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    log "$label (pid $pid) still running $secs s after SIGTERM: sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

bench_cleanup() {
  stop_process "$GW_PID" gateway 5
  stop_process "$HELPER_PID" helper 3
  cd /
  if [[ "${BENCH_KEEP:-}" == 1 ]]; then
    log "kept $TMP"
  else
    rm -rf "$TMP"
  fi
}

make_tmp() { # make_tmp NAME
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/portico-bench-$1.XXXXXX")
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# start_gateway DATA_DIR [ARGS...]: `portico gateway --listen 127.0.0.1:0 --data-dir DATA_DIR
# ARGS...` with stdout and stderr in TMP/gateway.out and TMP/gateway.err; waits at most
# START_TIMEOUT s for its "listening on" line (exit 2 when it exits or stays silent). Sets
# GW_PID, GW_LINE (that line), GW_START_SECS, BASE (the http(s) URL in the line without a
# trailing /, "" if none) and CA (the certificate file in the line, "" if none).
start_gateway() {
  local dir=$1 started deadline rc re; shift
  log "starting $PORTICO gateway --listen 127.0.0.1:0 --data-dir $dir${*:+ $*}"
  # A gateway started before in this TMP left its "listening on" line there: read
  # before the new one's redirection truncates the file, it would name a port closed.
  rm -f "$TMP/gateway.out" "$TMP/gateway.err"
  "$PORTICO" gateway --listen 127.0.0.1:0 --data-dir "$dir" "$@" \
    </dev/null >"$TMP/gateway.out" 2>"$TMP/gateway.err" &
  GW_PID=$!
  started=$EPOCHREALTIME
  GW_LINE=""
  deadline=$((SECONDS + START_TIMEOUT))
  while :; do
    GW_LINE=$(grep -m 1 'listening on' "$TMP/gateway.out" 2>/dev/null || true)
    [[ -n "$GW_LINE" ]] && break
    if ! kill -0 "$GW_PID" 2>/dev/null; then
      rc=0; wait "$GW_PID" || rc=$?
      GW_PID=""
      echo "$BENCH_NAME: the gateway exited with status $rc before listening; its stdout and stderr:" >&2
      cat "$TMP/gateway.out" "$TMP/gateway.err" >&2
      exit 2
    fi
    if (( SECONDS >= deadline )); then
      echo "$BENCH_NAME: no 'listening on' line from the gateway within ${START_TIMEOUT}s; its stdout and stderr so far:" >&2
      cat "$TMP/gateway.out" "$TMP/gateway.err" >&2
      exit 2
    fi
    sleep 0.05
  done
  GW_START_SECS=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')
  BASE=""
  re='listening on (https?://[^ ]+)'
  if [[ "$GW_LINE" =~ $re ]]; then BASE=${BASH_REMATCH[1]%/}; fi
  CA=""
  re='\(CA: (.+)\)'
  if [[ "$GW_LINE" =~ $re ]]; then CA=${BASH_REMATCH[1]}; fi
}

# stop_gateway: SIGTERM to GW_PID, SIGKILL when it still runs 5 s later. Sets GW_KILLED
# (1 if it had to be killed), GW_RC (its exit status) and GW_STOP_SECS (SIGTERM to its
# end); clears GW_PID.
stop_gateway() {
  local t0 i
  t0=$EPOCHREALTIME
  kill -TERM "$GW_PID" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do kill -0 "$GW_PID" 2>/dev/null || break; sleep 0.05; done
  GW_KILLED=0
  if kill -0 "$GW_PID" 2>/dev/null; then
    GW_KILLED=1
    kill -KILL "$GW_PID" 2>/dev/null || true
  fi
  GW_RC=0; wait "$GW_PID" 2>/dev/null || GW_RC=$?
  GW_STOP_SECS=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')
  GW_PID=""
}

# curl_config: the settings every request shares, for curl -K (the credentials stay
# out of argv; CA, when set, is trusted).
curl_config() {
  echo 'silent'
  echo 'show-error'
  echo "max-time = $MAX_TIME"
  echo 'connect-timeout = 5'
  echo 'user = "admin:admin"'
  if [[ -n "${CA:-}" ]]; then printf 'cacert = "%s"\n' "$CA"; fi
}

# ---------------------------------------------------------------- inputs

# pets_openapi TITLE DESCRIPTION BASEPATH: an OpenAPI 3.0.1 definition with a failover
# x-wso2-production-endpoints block of two loopback URLs (never contacted), GET /pets
# and GET /pets/{petId}.
pets_openapi() {
  cat <<EOF
openapi: 3.0.1
info:
  title: $1
  version: 1.0.0
  description: $2
x-wso2-basePath: $3
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
}

# ---------------------------------------------------------------- figures and report

ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END {
  if (NR == 0) print "?"; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
range() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }'; }
max_of() { printf '%s\n' "$@" | awk '$1 ~ /^[0-9]+$/ && $1 > m { m = $1 } END { print m + 0 }'; }
# add_code LIST CODE: LIST (comma-separated) with CODE appended unless it is there already
add_code() { [[ ",$1," == *",$2,"* ]] && echo "$1" || echo "${1:+$1,}$2"; }
# fmt_mib KIB: MiB with one decimal, "?" when unknown
fmt_mib() { awk -v k="$1" 'BEGIN { if (k == "") print "?"; else printf "%.1f", k / 1024 }'; }

host_summary() { echo "$(nproc) cores, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo '?')"; }
portico_version() { "$PORTICO" --version 2>/dev/null | head -n 1 || true; }

# table HEADER ROW...: "|"-separated cells in aligned columns, the header underlined
table() {
  {
    echo "$1"
    echo "${1//[^|]/-}"
    shift
    if (($#)); then printf '%s\n' "$@"; fi
  } | column -t -s '|' -o '  '
}
