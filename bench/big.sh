#!/usr/bin/env bash
# bench/big.sh - portico on a big definition: validate, deploy, deploy
# --skip-validation, the gateway's acceptance and probe on the same ~37 MB file.
#
# Usage:
#   bench/big.sh               # generate the definition, start a gateway, time everything
#   bench/big.sh --help
#
# Runnable from any directory. Environment:
#   PORTICO               portico binary                       (default: <repo>/build/portico)
#   BENCH_PATHS           path items in the definition          (default: 120000, ~37 MB)
#   BENCH_RUNS            runs of each command (median, max RSS) (default: 1)
#   BENCH_MAX_TIME        bound on each command, s              (default: 300)
#   BENCH_KEEP=1          keep the temporary folder (definition, logs, gateway data)
#
# Needs: awk, column, timeout and /usr/bin/time (Debian: apt-get install gawk
# bsdextrautils coreutils time). Nothing is downloaded and nothing is committed: the
# definition is generated at run time in a temp dir, removed at the end. The gateway
# listens on 127.0.0.1:0 (plain HTTP); the endpoints in the definition are
# 127.0.0.1:1 and 127.0.0.1:9, which refuse at once, so probe's time is its parse.
#
# The definition: OpenAPI 3.0.1 YAML, x-wso2-basePath, a root failover
# x-wso2-production-endpoints block, BENCH_PATHS path items /resourceNNNNNN/{id} with a
# GET (operationId, summary, one path parameter, a 200 response), and a path-level
# failover block on every 1000th.
#
# Rows (wall time: bash $EPOCHREALTIME around the command; RSS: /usr/bin/time %M):
#   validate                  portico validate FILE
#   deploy                    portico deploy FILE -e URL --override (client + upload + gateway)
#     client side             deploy minus the gateway's time for its POST /apis
#   deploy --skip-validation  the same with --skip-validation
#   deploy, exists (409)      portico deploy FILE -e URL (no --override): the gateway's 409
#   gateway acceptance        the gateway's time for POST /apis (its access log), the
#                             median over the deploys above that got 200
#   probe                     portico probe FILE --timeout 300 --attempts 1
# and the targets of issue 10 item 14: deploy's client side <= 1.3x validate, gateway
# acceptance <= 1.2x validate, probe's peak RSS <= 1.5x validate's. Figures are printed,
# never asserted.

set -euo pipefail

# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PATHS=${BENCH_PATHS:-120000}
RUNS=${BENCH_RUNS:-1}
MAX_TIME=${BENCH_MAX_TIME:-300}

bench_args "$@"
require_positive PATHS RUNS MAX_TIME
require_tools "gawk bsdextrautils coreutils" awk column timeout
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (Debian: apt-get install time)"
require_bash5
require_portico

make_tmp big
FILE="$TMP/big.yaml"

log "generating $PATHS path items into $FILE"
awk -v n="$PATHS" 'BEGIN {
  print "openapi: 3.0.1"
  print "info:\n  title: BigApi\n  version: 1.0.0\n  description: A generated definition with many paths"
  print "x-wso2-basePath: /big"
  print "x-wso2-production-endpoints:\n  urls:\n    - http://127.0.0.1:1/v1\n    - http://127.0.0.1:9/v1\n  type: failover"
  print "paths:"
  for (i = 0; i < n; i++) {
    printf "  /resource%06d/{id}:\n", i
    printf "    get:\n      operationId: getResource%06d\n      summary: Get resource number %d\n", i, i
    printf "      parameters:\n        - name: id\n          in: path\n          required: true\n"
    printf "          schema:\n            type: string\n"
    printf "      responses:\n        \"200\":\n          description: The resource of this number\n"
    if (i % 1000 == 999)
      printf "    x-wso2-production-endpoints:\n      urls:\n        - http://127.0.0.1:1/p%d\n        - http://127.0.0.1:9/p%d\n      type: failover\n", i, i
  }
}' >"$FILE"
BYTES=$(stat -c %s "$FILE")

start_gateway "$TMP/gw" --plain-http --max-upload 268435456
export PORTICO_CONFIG_DIR="$TMP/config" PORTICO_USERNAME=admin PORTICO_PASSWORD=admin TMPDIR="$TMP"

# run_cmd LABEL CMD...: BENCH_RUNS runs; sets MS (median wall ms), KB (max peak RSS),
# CODES (exit statuses) and GW_MS (the gateway's times for the POSTs during the runs)
run_cmd() {
  local label=$1 i t0 t1 c posts_before walls=() gws=()
  shift
  KB=0 CODES=""
  for ((i = 0; i < RUNS; i++)); do
    posts_before=$(grep -c 'POST .*/apis' "$TMP/gateway.err" || true)
    t0=$EPOCHREALTIME
    set +e
    timeout "$MAX_TIME" /usr/bin/time -f '%M' -o "$TMP/$label.rss" "$@" >"$TMP/$label.out" 2>&1 </dev/null
    c=$?
    set -e
    t1=$EPOCHREALTIME
    walls+=("$(ms_between "$t0" "$t1")")
    local kb
    kb=$(tail -n 1 "$TMP/$label.rss" 2>/dev/null || echo 0)
    [[ "$kb" =~ ^[0-9]+$ ]] && ((kb > KB)) && KB=$kb
    CODES=$(add_code "$CODES" "$c")
    gws+=($( { grep 'POST .*/apis' "$TMP/gateway.err" || true; } | tail -n +"$((posts_before + 1))" |
      awk '{ sub(/ms$/, "", $NF); print $NF }'))
  done
  MS=$(median "${walls[@]}")
  GW_MS=$(if ((${#gws[@]})); then median "${gws[@]}"; else echo "-"; fi)
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2fx", a / b; else print "-" }'; }
verdict() { awk -v r="${1%x}" -v t="$2" 'BEGIN { if (r !~ /^[0-9.]+$/) print "?"; else if (r + 0 <= t + 0) print "met"; else print "MISSED" }'; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/) printf "%.1f", a - b; else print "-" }'; }

rows=()
log "validate"
run_cmd validate "$PORTICO" validate "$FILE"
V_MS=$MS V_KB=$KB
rows+=("validate|$V_MS|$(fmt_mib "$V_KB")|-|$CODES")

log "deploy --override"
run_cmd deploy "$PORTICO" deploy "$FILE" -e "$BASE" --override
D_MS=$MS D_GW=$GW_MS
rows+=("deploy --override|$D_MS|$(fmt_mib "$KB")|$(ratio "$D_MS" "$V_MS") of validate|$CODES")
D_CLIENT=$(minus "$D_MS" "$D_GW")
rows+=("  client side (minus gateway)|$D_CLIENT|-|$(ratio "$D_CLIENT" "$V_MS") (target <= 1.3x: $(verdict "$(ratio "$D_CLIENT" "$V_MS")" 1.3))|")

log "deploy --override --skip-validation"
run_cmd skip "$PORTICO" deploy "$FILE" -e "$BASE" --override --skip-validation
S_MS=$MS S_GW=$GW_MS
rows+=("deploy --skip-validation|$S_MS|$(fmt_mib "$KB")|$(ratio "$S_MS" "$V_MS") of validate|$CODES")
S_CLIENT=$(minus "$S_MS" "$S_GW")
rows+=("  client side (minus gateway)|$S_CLIENT|-|$(ratio "$S_CLIENT" "$V_MS")|")

log "deploy without --override (409)"
run_cmd exists "$PORTICO" deploy "$FILE" -e "$BASE"
rows+=("deploy, exists (409)|$MS|$(fmt_mib "$KB")|gateway ${GW_MS} ms|$CODES")

G_MS=$(median "$D_GW" "$S_GW")
rows+=("gateway acceptance (200)|$G_MS|-|$(ratio "$G_MS" "$V_MS") (target <= 1.2x: $(verdict "$(ratio "$G_MS" "$V_MS")" 1.2))|")

log "probe"
run_cmd probe "$PORTICO" probe "$FILE" --timeout 300 --attempts 1
P_RATIO=$(ratio "$KB" "$V_KB")
rows+=("probe|$MS|$(fmt_mib "$KB")|RSS $P_RATIO of validate's (target <= 1.5x: $(verdict "$P_RATIO" 1.5))|$CODES")

GW_HWM=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$GW_PID/status" 2>/dev/null || true)
stop_gateway

echo "portico on a big definition"
echo "  date:       $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "  host:       $(host_summary)"
echo "  portico:    $PORTICO ($(portico_version))"
echo "  definition: $PATHS path items, $(fmt_mib $((BYTES / 1024))) MiB of YAML; runs: $RUNS"
echo
table "command|ms|peak MiB|ratio|exit" "${rows[@]}"
echo
echo "gateway peak RSS (VmHWM): $(fmt_mib "$GW_HWM") MiB"
echo "exit statuses: validate 0; deploy 0; the 409 run exits 4; probe 8 (every endpoint refuses)"
