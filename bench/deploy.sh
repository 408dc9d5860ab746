#!/usr/bin/env bash
# bench/deploy.sh - time `portico deploy` of a project with 50 MB of documentation
# against the floor of `zip -r` + `curl -F` for the same bytes, on loopback.
#
# Usage:
#   bench/deploy.sh            # build the project, start a gateway on a fresh temp dir, benchmark
#   bench/deploy.sh --help
#
# Runnable from any directory. Environment:
#   PORTICO               portico binary                        (default: <repo>/build/portico)
#   BENCH_RUNS            timed runs of each side               (default: 3)
#   BENCH_DOCS_MB         MiB of documentation in Docs/         (default: 50; one 1 MiB file per MiB)
#   BENCH_MAX_TIME        time limit of each timed command, s   (default: 300)
#   BENCH_KEEP=1          keep the temporary folder (project, zips, logs, gateway data)
#
# Needs: curl, zip, awk, column, timeout, base64, truncate and /usr/bin/time for peak
# RSS (Debian: apt-get install curl zip bsdextrautils coreutils time). Nothing is
# downloaded. Everything stays on 127.0.0.1: the gateway listens on 127.0.0.1:0 (a
# free port), and the endpoint URLs in the definition (never contacted) are 127.0.0.1.
#
# What it does:
#   1. writes a small OpenAPI 3.0.1 file (x-wso2-basePath, a failover
#      x-wso2-production-endpoints block with two URLs), runs
#      `portico init TMP/proj --oas` on it, and adds TMP/proj/Docs/ with BENCH_DOCS_MB
#      files of 1 MiB of base64 text of /dev/urandom (text that deflate shrinks only
#      to ~76%, so the archive stays ~38 MiB instead of compressing to nothing);
#   2. starts `portico gateway --listen 127.0.0.1:0 --data-dir TMP/gw --max-upload
#      268435456` (HTTPS with the certificate it generates), waits at most 20 s for its
#      "listening on" line, and stops it with SIGTERM on every exit path;
#   3. one untimed warm-up of each side (it also fills the page cache); the portico
#      one runs with --keep-archive, giving portico's archive size and the streaming
#      check (peak RSS well under the archive size: the archive is not held in memory);
#   4. BENCH_RUNS times, alternating:
#        portico  PORTICO_USERNAME=admin PORTICO_PASSWORD=admin portico deploy TMP/proj
#                 -e https://127.0.0.1:PORT --ca-cert CA --override
#                 (validates, archives, uploads, then confirms with GET /apis)
#        floor    (cd TMP && zip -q -r -X floor.zip proj)   (floor.zip removed first)
#                 curl -s --cacert CA -u admin:admin -F file=@floor.zip URL/apis?override=true
#      each command under `timeout` and `/usr/bin/time -f %M` (peak RSS), wall time
#      from bash's $EPOCHREALTIME around it.
#
# Output: one table (scenario, runs, median and min-max wall ms, peak RSS MiB, archive
# size, ratio portico/floor and its target <= 1.2x, RSS target <= 64 MiB, exit status),
# then the streaming check and notes. The figures are only printed, never asserted:
# the script exits 0 whatever they are (2 on a setup failure: missing tool, the
# gateway not starting, `portico init` failing).

set -euo pipefail

# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RUNS=${BENCH_RUNS:-3}
DOCS_MB=${BENCH_DOCS_MB:-50}
MAX_TIME=${BENCH_MAX_TIME:-300}
MAX_UPLOAD=268435456
TARGET_RATIO=1.2
TARGET_RSS_MIB=64

bench_args "$@"
require_positive RUNS DOCS_MB MAX_TIME
(( DOCS_MB <= 200 )) || die "BENCH_DOCS_MB must be at most 200 (got $DOCS_MB; the gateway's --max-upload is 256 MiB)"
require_tools "curl zip bsdextrautils coreutils gawk" curl zip awk column sort timeout base64 truncate head
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found: it measures peak RSS (Debian: apt-get install time)"
require_bash5
require_portico
[[ "$PORTICO" == */* && "$PORTICO" != /* ]] && PORTICO="$PWD/$PORTICO"  # the script cds into TMP

make_tmp deploy

cd "$TMP"
mkdir -p logs ptmp config
# portico's configuration (and any token it keeps) and its temporary archive stay in TMP
export PORTICO_CONFIG_DIR="$TMP/config"
export PORTICO_USERNAME=admin PORTICO_PASSWORD=admin

fmt_size() { awk -v b="$1" 'BEGIN { if (b == "") print "?"; else printf "%.1f MiB (%d bytes)", b / 1048576, b }'; }

# timed NAME COMMAND...: run COMMAND (stdin /dev/null, stdout/stderr in logs/NAME.out/.err)
# under `timeout` and `/usr/bin/time -f %M`; sets T_MS (wall ms), T_RSS (peak RSS KiB,
# empty if unknown) and T_RC (exit status; 124 = killed by timeout).
timed() {
  local name=$1 t0 t1; shift
  t0=$EPOCHREALTIME
  set +e
  timeout -k 5 "$MAX_TIME" /usr/bin/time -f '%M' -o "logs/$name.rss" "$@" \
    </dev/null >"logs/$name.out" 2>"logs/$name.err"
  T_RC=$?
  set -e
  t1=$EPOCHREALTIME
  T_MS=$(ms_between "$t0" "$t1")
  T_RSS=$(tail -n 1 "logs/$name.rss" 2>/dev/null || true)  # a non-zero exit adds a line before it
  [[ "$T_RSS" =~ ^[0-9]+$ ]] || T_RSS=""
}

# gateway-side time of the last POST /apis logged since line $1 of its stderr ("?" if none)
gw_post_ms() {
  tail -n "+$(($1 + 1))" gateway.err 2>/dev/null | awk '$1 == "POST" && $2 ~ /\/apis/ { v = $NF } END {
    sub(/ms$/, "", v); print (v == "" ? "?" : v) }'
}
gw_lines() { wc -l <gateway.err 2>/dev/null || echo 0; }

# ---------------------------------------------------------------- project
pets_openapi DocsBench "Generated by bench/deploy.sh (a project with a large Docs/ folder)" /docsbench >oas.yaml
log "portico init $TMP/proj --oas oas.yaml"
"$PORTICO" init proj --oas oas.yaml >logs/init.out 2>&1 || {
  cat logs/init.out >&2
  die "portico init failed (output above)"
}

log "writing $DOCS_MB x 1 MiB of base64 text of /dev/urandom into proj/Docs/"
mkdir -p proj/Docs
for ((i = 1; i <= DOCS_MB; i++)); do
  f=$(printf 'proj/Docs/guide-%03d.md' "$i")
  # 786432 random bytes -> 1048576 base64 characters plus newlines; cut to exactly 1 MiB
  head -c 786432 /dev/urandom | base64 -w 76 >"$f"
  truncate -s 1048576 "$f"
done
docs_bytes=$(find proj/Docs -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
proj_bytes=$(find proj -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
proj_files=$(find proj -type f | wc -l)
log "project: $proj_files files, $proj_bytes bytes ($docs_bytes in Docs/)"

validate_rc=0
timed validate "$PORTICO" validate proj || true
validate_ms=$T_MS validate_rc=$T_RC validate_rss=$T_RSS
log "portico validate proj: exit $validate_rc, $validate_ms ms (part of what deploy does)"

# ---------------------------------------------------------------- gateway
mkdir -p gw
start_gateway "$TMP/gw" --max-upload "$MAX_UPLOAD"
[[ "$BASE" == https://* ]] || die "expected an https:// URL in the gateway's line: $GW_LINE"
re='^(https://127\.0\.0\.1:[0-9]+)'
[[ "$BASE" =~ $re ]] || die "the gateway does not listen on 127.0.0.1: $GW_LINE"
ORIGIN=${BASH_REMATCH[1]}            # https://127.0.0.1:PORT
[[ -n "$CA" && -r "$CA" ]] || die "no readable CA certificate in the gateway's line: $GW_LINE"
log "gateway pid $GW_PID: $GW_LINE"

# curl's settings; the credentials stay out of argv
{
  curl_config
  printf '%s\n' 'write-out = "%{http_code}"'
  echo 'output = "logs/curl-body"'
} >curlrc

# ---------------------------------------------------------------- one run of each side
# portico_run NAME [ARGS...]: sets P_MS P_RSS P_RC P_GW (and P_FAILED, the last failing run)
P_FAILED=""
portico_run() {
  local name=$1 before; shift
  before=$(gw_lines)
  TMPDIR="$TMP/ptmp" timed "$name" "$PORTICO" deploy proj -e "$ORIGIN" --ca-cert "$CA" --override "$@"
  P_MS=$T_MS P_RSS=$T_RSS P_RC=$T_RC
  (( P_RC == 0 )) || P_FAILED=$name
  P_GW=$(gw_post_ms "$before")
}
# floor_run NAME: sets F_MS F_ZIP_MS F_CURL_MS F_ZIP_RSS F_CURL_RSS F_ZIP_RC F_CURL_RC F_HTTP F_GW
floor_run() {
  local name=$1 before
  rm -f floor.zip
  timed "$name-zip" zip -q -r -X floor.zip proj
  F_ZIP_MS=$T_MS F_ZIP_RSS=$T_RSS F_ZIP_RC=$T_RC
  before=$(gw_lines)
  timed "$name-curl" curl -K curlrc -F file=@floor.zip "$BASE/apis?override=true"
  F_CURL_MS=$T_MS F_CURL_RSS=$T_RSS F_CURL_RC=$T_RC
  F_HTTP=$(head -c 3 "logs/$name-curl.out" 2>/dev/null || true)
  [[ -n "$F_HTTP" ]] || F_HTTP=000
  F_MS=$(awk -v a="$F_ZIP_MS" -v b="$F_CURL_MS" 'BEGIN { printf "%.1f", a + b }')
  F_GW=$(gw_post_ms "$before")
}

log "warm-up: portico deploy --keep-archive (untimed; the streaming check)"
portico_run warmup-portico --keep-archive "$TMP/portico-archive.zip"
w_p_ms=$P_MS w_p_rss=$P_RSS w_p_rc=$P_RC
portico_archive=$(stat -c %s portico-archive.zip 2>/dev/null || true)
log "  exit $w_p_rc, $w_p_ms ms, peak RSS $(fmt_mib "$w_p_rss") MiB, archive $(fmt_size "$portico_archive")"
if (( w_p_rc != 0 )); then
  log "  portico deploy failed; its output:"
  sed 's/^/[bench]   /' "logs/warmup-portico.out" "logs/warmup-portico.err" >&2
fi
log "warm-up: zip + curl (untimed)"
floor_run warmup-floor
floor_archive=$(stat -c %s floor.zip 2>/dev/null || true)
log "  zip exit $F_ZIP_RC, curl exit $F_CURL_RC, HTTP $F_HTTP, $F_MS ms, archive $(fmt_size "$floor_archive")"

# ---------------------------------------------------------------- timed runs
p_ms=() p_rss=() p_codes="" p_gw=()
f_ms=() f_zip_ms=() f_curl_ms=() f_zip_rss=() f_curl_rss=() f_zip_codes="" f_curl_codes="" f_http="" f_gw=()
for ((r = 1; r <= RUNS; r++)); do
  log "run $r/$RUNS: portico deploy"
  portico_run "portico-$r"
  p_ms+=("$P_MS") p_rss+=("$P_RSS") p_gw+=("$P_GW")
  p_codes=$(add_code "$p_codes" "$P_RC")
  log "  exit $P_RC, $P_MS ms, peak RSS $(fmt_mib "$P_RSS") MiB (gateway POST: $P_GW ms)"
  log "run $r/$RUNS: floor (zip -r, curl -F)"
  floor_run "floor-$r"
  f_ms+=("$F_MS") f_zip_ms+=("$F_ZIP_MS") f_curl_ms+=("$F_CURL_MS") f_gw+=("$F_GW")
  f_zip_rss+=("$F_ZIP_RSS") f_curl_rss+=("$F_CURL_RSS")
  f_zip_codes=$(add_code "$f_zip_codes" "$F_ZIP_RC")
  f_curl_codes=$(add_code "$f_curl_codes" "$F_CURL_RC")
  f_http=$(add_code "$f_http" "$F_HTTP")
  log "  zip $F_ZIP_MS ms + curl $F_CURL_MS ms = $F_MS ms, HTTP $F_HTTP (gateway POST: $F_GW ms)"
done

# ---------------------------------------------------------------- gateway memory and stop
gw_hwm=$(awk '$1 == "VmHWM:" { print $2; exit }' "/proc/$GW_PID/status" 2>/dev/null || true)
gw_alive=yes
kill -0 "$GW_PID" 2>/dev/null || gw_alive="no (it died during the run)"
stop_gateway
if (( GW_KILLED )); then
  gw_stop="still running 5 s after SIGTERM (killed)"
else
  gw_stop="stopped by SIGTERM"
fi

# ---------------------------------------------------------------- report
p_med=$(median "${p_ms[@]}")
f_med=$(median "${f_ms[@]}")
p_peak=$(max_of "${p_rss[@]}" "$w_p_rss")
p_ok=0; [[ "$p_codes" == 0 && "$w_p_rc" == 0 ]] && p_ok=1
f_ok=0; [[ "$f_zip_codes" == 0 && "$f_curl_codes" == 0 && "$f_http" == 200 ]] && f_ok=1
ratio="n/a"  # a failed run's time means nothing
if (( p_ok && f_ok )); then
  ratio=$(awk -v p="$p_med" -v f="$f_med" 'BEGIN { if (f > 0) printf "%.2f", p / f; else print "?" }')
  ratio_met=$(awk -v r="$ratio" -v t="$TARGET_RATIO" 'BEGIN { print (r + 0 <= t + 0) ? "met" : "MISSED" }')
else
  ratio_met="n/a, a run failed"
fi
ratio_x=x; [[ "$ratio" == n/a ]] && ratio_x=""
if (( p_ok )); then
  rss_met=$(awk -v k="$p_peak" -v t="$TARGET_RSS_MIB" 'BEGIN { print (k / 1024 <= t + 0) ? "met" : "MISSED" }')
else
  rss_met="n/a, portico failed"
fi

portico_version=$(portico_version)
compress=$(awk -v z="$floor_archive" -v b="$proj_bytes" 'BEGIN { if (b > 0 && z != "") printf "%.0f%%", z * 100 / b; else print "?" }')
echo "portico deploy vs zip -r + curl -F (the floor), $DOCS_MB MiB of documentation, loopback"
echo "  date:     $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "  host:     $(host_summary)"
echo "  portico:  $PORTICO ${portico_version:+($portico_version)}"
echo "  gateway:  $BASE (portico gateway, HTTPS, --max-upload $MAX_UPLOAD, CA: $CA)"
echo "  project:  portico init --oas (OpenAPI 3.0.1, x-wso2-basePath /docsbench, 2-URL failover x-wso2-production-endpoints)"
echo "            plus Docs/: $DOCS_MB files x 1 MiB of base64 text of /dev/urandom (random-ish text: deflate keeps ~76% of it,"
echo "            so it does not compress to nothing); $proj_files files, $(fmt_size "$proj_bytes"); the floor's zip is $compress of that"
echo "  tools:    $(zip -v 2>/dev/null | awk 'NR == 2 { print "zip", $4; exit }'), $(curl --version | head -n 1 | cut -d' ' -f1-2)"
echo "  runs:     $RUNS timed runs per side after one untimed warm-up each, alternating portico/floor; wall = bash \$EPOCHREALTIME"
echo "            around timeout + /usr/bin/time + the command; peak RSS = /usr/bin/time %M (max over the runs)"
echo
table "scenario|runs|median ms|min-max ms|peak RSS MiB|archive|ratio to floor|target|exit status" \
  "portico deploy (validate, zip, upload, GET /apis)|$RUNS|$p_med|$(range "${p_ms[@]}")|$(fmt_mib "$p_peak") (target <= $TARGET_RSS_MIB: $rss_met)|$(fmt_size "$portico_archive")|${ratio}${ratio_x}|<= ${TARGET_RATIO}x $ratio_met|exit $p_codes" \
  "floor: zip -r + curl -F|$RUNS|$f_med|$(range "${f_ms[@]}")|zip $(fmt_mib "$(max_of "${f_zip_rss[@]}")"), curl $(fmt_mib "$(max_of "${f_curl_rss[@]}")")|$(fmt_size "$floor_archive")|1.00x|-|zip exit $f_zip_codes, curl exit $f_curl_codes, HTTP $f_http" \
  "  floor part: zip -q -r -X|$RUNS|$(median "${f_zip_ms[@]}")|$(range "${f_zip_ms[@]}")|$(fmt_mib "$(max_of "${f_zip_rss[@]}")")|-|-|-|exit $f_zip_codes" \
  "  floor part: curl -F (upload)|$RUNS|$(median "${f_curl_ms[@]}")|$(range "${f_curl_ms[@]}")|$(fmt_mib "$(max_of "${f_curl_rss[@]}")")|-|-|-|exit $f_curl_codes, HTTP $f_http"
echo
echo "targets: portico <= ${TARGET_RATIO}x the floor's median wall time ($ratio_met), portico peak RSS <= $TARGET_RSS_MIB MiB ($rss_met)"
# streamed: portico's peak RSS above its own floor (`portico validate` on the same
# project) is well under the archive size, i.e. the archive is not held in memory
if [[ -n "$w_p_rss" && -n "$portico_archive" ]] && (( w_p_rc == 0 )); then
  extra_kb=$((w_p_rss - ${validate_rss:-0}))
  detail="peak RSS $(fmt_mib "$w_p_rss") MiB, $(fmt_mib "$extra_kb") MiB above portico validate's $(fmt_mib "$validate_rss") MiB, for a $(fmt_size "$portico_archive") archive"
  if (( extra_kb * 1024 * 2 < portico_archive )); then
    stream="yes: $detail (the archive is not held in memory)"
  else
    stream="NO: $detail (the archive or the docs are held in memory)"
  fi
  (( DOCS_MB >= 32 )) || stream+="; weak check with BENCH_DOCS_MB=$DOCS_MB (use >= 32)"
else
  stream="unknown (the warm-up deploy failed: exit $w_p_rc)"
fi
echo "streamed (one run, portico deploy --keep-archive): $stream"
echo "portico validate on the project alone (one run, included in deploy): $validate_ms ms, exit $validate_rc, peak RSS $(fmt_mib "$validate_rss") MiB"
echo "gateway-side POST /apis time (from its log, median): portico's uploads $(median "${p_gw[@]}") ms, the floor's $(median "${f_gw[@]}") ms"
echo "gateway: peak RSS $(fmt_mib "$gw_hwm") MiB (VmHWM, not a target); alive at the end: $gw_alive; $gw_stop"
echo "figures are printed, never asserted; the floor's parts are medians of their own, so they need not add up to its median"
if (( ! p_ok || ! f_ok )); then
  echo
  echo "failures (output of the last failing run of each side):"
  if (( ! p_ok )); then
    note=""; [[ ",$p_codes,$w_p_rc," == *",124,"* ]] && note=" (exit 124: killed after BENCH_MAX_TIME=${MAX_TIME}s)"
    echo "- portico deploy, run $P_FAILED$note:"
    cat "logs/$P_FAILED.out" "logs/$P_FAILED.err" | head -n 40 | sed 's/^/    /'
  fi
  if (( ! f_ok )); then
    echo "- floor: zip exits $f_zip_codes, curl exits $f_curl_codes, HTTP $f_http; last answer:"
    head -c 2000 logs/curl-body 2>/dev/null | sed 's/^/    /'; echo
  fi
  if [[ -s gateway.err ]]; then
    echo "- gateway stderr (last 10 lines):"
    tail -n 10 gateway.err | sed 's/^/    /'
  fi
fi
