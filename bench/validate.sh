#!/usr/bin/env bash
# bench/validate.sh - time `portico validate` against `swagger-cli validate`.
#
# Usage:
#   bench/validate.sh              # prepare inputs (first run only) and benchmark
#   bench/validate.sh --prepare    # only fetch/generate the inputs and tools, no timing
#   bench/validate.sh --help
#
# Runnable from any directory. Environment:
#   PORTICO               portico binary        (default: <repo>/build/portico)
#   PORTICO_BENCH_CACHE   cache folder          (default: $HOME/.cache/portico-bench)
#   BENCH_RUNS            timed runs per tool and input (default: 5)
#   OCTOKIT_OPENAPI_VERSION  version of the npm package @octokit/openapi (default: 23.0.2)
#   SWAGGER_CLI_VERSION   version of @apidevtools/swagger-cli (default: 4.0.4)
#   BENCH_TIMER=time      measure with /usr/bin/time instead of the python3 timer
#
# Needs: node and npm (the npm registry must be reachable on the first run), and
# python3 for millisecond timing (falls back to /usr/bin/time, 10 ms resolution;
# on Debian: apt-get install python3   or   apt-get install time).
#
# Inputs, made in the cache folder only when missing (delete a file to remake it):
#   github.json           GitHub's REST API description (@octokit/openapi,
#                         generated/api.github.com.json, ~13 MB)
#   github.yaml           the same document as YAML (js-yaml)
#   github-failover.json  github.json plus x-wso2-production-endpoints (failover) and
#   github-failover.yaml  x-wso2-basePath at the root, and the endpoints block on
#                         every second path item
#   small.yaml            a generated ~20 KB petstore-like OpenAPI 3.0 document with
#                         failover blocks
#
# Output: one table with median wall time (ms) and peak RSS (MiB; from one extra run
# under /usr/bin/time, whose own floor is ~1 MB) of each tool per input, the ratio portico/swagger-cli and its target
# (JSON <= 0.2x, YAML <= 0.67x), then portico's median on small.yaml (target < 10 ms).
# The figures are only printed, never asserted: the script exits 0 whatever they are.
# portico exit 0 (valid) and 1 (error findings) both count as successful runs;
# swagger-cli failing on a file does not stop the script, it is reported in the table.

set -euo pipefail

# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
CACHE=${PORTICO_BENCH_CACHE:-$HOME/.cache/portico-bench}
RUNS=${BENCH_RUNS:-5}
OCTOKIT_OPENAPI_VERSION=${OCTOKIT_OPENAPI_VERSION:-23.0.2}
SWAGGER_CLI_VERSION=${SWAGGER_CLI_VERSION:-4.0.4}
JS_YAML_VERSION=4.1.0

PREPARE_ONLY=0
case "${1:-}" in
  --prepare) PREPARE_ONLY=1 ;;
  *) bench_args "$@" ;;
esac

require_positive RUNS
require_tools "nodejs npm" node
require_tools npm npm

(( PREPARE_ONLY )) || require_portico

mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
NODE_PREFIX="$CACHE/node"
export BENCH_NODE_MODULES="$NODE_PREFIX/node_modules"
SWAGGER_CLI="$BENCH_NODE_MODULES/.bin/swagger-cli"
LOGS="$CACHE/logs"
mkdir -p "$LOGS"

# ---------------------------------------------------------------- preparation
prep_start=$SECONDS

# npm tools: swagger-cli (the baseline) and js-yaml (for the YAML copies).
if [[ ! -x "$SWAGGER_CLI" || ! -f "$BENCH_NODE_MODULES/js-yaml/package.json" ]]; then
  log "installing @apidevtools/swagger-cli@$SWAGGER_CLI_VERSION and js-yaml@$JS_YAML_VERSION into $NODE_PREFIX"
  mkdir -p "$NODE_PREFIX"
  npm install --prefix "$NODE_PREFIX" --no-audit --no-fund --loglevel=error \
    "@apidevtools/swagger-cli@$SWAGGER_CLI_VERSION" "js-yaml@$JS_YAML_VERSION" >&2
fi
[[ -x "$SWAGGER_CLI" ]] || die "swagger-cli was not installed at $SWAGGER_CLI"

# github.json from the npm package @octokit/openapi.
if [[ ! -s "$CACHE/github.json" ]]; then
  log "fetching @octokit/openapi@$OCTOKIT_OPENAPI_VERSION with npm pack"
  tgz_dir="$CACHE/npm-pack"
  mkdir -p "$tgz_dir"
  tgz=$(cd "$tgz_dir" && npm pack --silent "@octokit/openapi@$OCTOKIT_OPENAPI_VERSION" | tail -n 1)
  [[ -s "$tgz_dir/$tgz" ]] || die "npm pack did not produce a tarball in $tgz_dir"
  tar -xzf "$tgz_dir/$tgz" -O package/generated/api.github.com.json > "$CACHE/github.json.tmp"
  mv "$CACHE/github.json.tmp" "$CACHE/github.json"
  rm -f "$tgz_dir/$tgz"
  rmdir "$tgz_dir" 2>/dev/null || true
fi

# node helpers; argv: [node, ...args]
JS_TO_YAML='
const fs = require("fs");
const yaml = require(process.env.BENCH_NODE_MODULES + "/js-yaml");
const [src, dst] = process.argv.slice(1);
const doc = JSON.parse(fs.readFileSync(src, "utf8"));
fs.writeFileSync(dst, yaml.dump(doc, { noRefs: true, lineWidth: -1 }));
'
# shellcheck disable=SC2016 # JavaScript template literals, not shell
JS_FAILOVER='
const fs = require("fs");
const [src, dst] = process.argv.slice(1);
const text = fs.readFileSync(src, "utf8");
const doc = JSON.parse(text);
const endpoints = () => ({
  urls: ["http://primary.example.com/v3", "http://backup.example.com/v3"],
  type: "failover",
});
doc["x-wso2-production-endpoints"] = endpoints();
doc["x-wso2-basePath"] = "/github";
let i = 0, tagged = 0;
for (const p of Object.keys(doc.paths || {})) {
  if (i++ % 2 === 1) { doc.paths[p]["x-wso2-production-endpoints"] = endpoints(); tagged++; }
}
// keep the layout of the original: indented if it was, compact otherwise
const indented = /^\{\s*\n\s+"/.test(text);
fs.writeFileSync(dst, JSON.stringify(doc, null, indented ? 2 : 0) + "\n");
console.error(`[bench]   failover block on ${tagged} of ${i} path items`);
'
# shellcheck disable=SC2016
JS_SMALL='
const fs = require("fs");
const yaml = require(process.env.BENCH_NODE_MODULES + "/js-yaml");
const [dst, target] = [process.argv[1], Number(process.argv[2])];
const endpoints = () => ({
  urls: ["http://primary.example.com/v3", "http://backup.example.com/v3"],
  type: "failover",
});
const names = ["pet", "owner", "store", "order", "vet", "visit", "toy", "food",
  "supplier", "invoice", "clinic", "appointment", "breed", "vaccine", "groomer",
  "kennel", "walker", "review", "coupon", "shelter"];
const cap = (s) => s[0].toUpperCase() + s.slice(1);
const doc = {
  openapi: "3.0.3",
  info: { title: "Petstore-benchmark", version: "1.0.0",
    description: "Generated by bench/validate.sh: a petstore-like API with WSO2 failover endpoints.",
    license: { name: "Apache 2.0", url: "https://www.apache.org/licenses/LICENSE-2.0.html" } },
  servers: [{ url: "https://petstore.example.com/v3" }],
  "x-wso2-production-endpoints": endpoints(),
  "x-wso2-basePath": "/petstore",
  tags: [],
  paths: {},
  components: {
    schemas: {
      Error: { type: "object", required: ["code", "message"],
        properties: { code: { type: "integer", format: "int32" }, message: { type: "string" } } },
    },
    parameters: {
      limit: { name: "limit", in: "query", required: false, description: "Maximum number of items to return",
        schema: { type: "integer", format: "int32", minimum: 1, maximum: 100, default: 20 } },
      offset: { name: "offset", in: "query", required: false, description: "Number of items to skip",
        schema: { type: "integer", format: "int32", minimum: 0, default: 0 } },
    },
    responses: {
      NotFound: { description: "Not found",
        content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
      Default: { description: "Unexpected error",
        content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
    },
    securitySchemes: {
      api_key: { type: "apiKey", name: "api_key", in: "header" },
    },
  },
  security: [{ api_key: [] }],
};
const ref = (n) => ({ $ref: `#/components/schemas/${n}` });
const json = (schema) => ({ "application/json": { schema } });
let pathIndex = 0;
const addPath = (p, item) => {
  if (pathIndex++ % 2 === 1) item["x-wso2-production-endpoints"] = endpoints();
  doc.paths[p] = item;
};
for (const n of names) {
  if (yaml.dump(doc, { lineWidth: -1 }).length >= target) break;
  const N = cap(n), id = `${n}Id`;
  doc.tags.push({ name: n, description: `Operations on ${n}s` });
  doc.components.schemas[N] = { type: "object", required: ["id", "name"], properties: {
    id: { type: "integer", format: "int64", readOnly: true },
    name: { type: "string", minLength: 1, maxLength: 128, example: `my ${n}` },
    status: { type: "string", enum: ["available", "pending", "sold"] },
    tags: { type: "array", items: { type: "string" } },
    createdAt: { type: "string", format: "date-time", readOnly: true } } };
  doc.components.schemas[`${N}List`] = { type: "array", items: ref(N) };
  const idParam = { name: id, in: "path", required: true, description: `ID of the ${n}`,
    schema: { type: "integer", format: "int64" } };
  addPath(`/${n}s`, {
    get: { tags: [n], summary: `List ${n}s`, operationId: `list${N}s`,
      parameters: [{ $ref: "#/components/parameters/limit" }, { $ref: "#/components/parameters/offset" }],
      responses: { 200: { description: `A page of ${n}s`, content: json(ref(`${N}List`)) },
        default: { $ref: "#/components/responses/Default" } } },
    post: { tags: [n], summary: `Create a ${n}`, operationId: `create${N}`,
      requestBody: { required: true, content: json(ref(N)) },
      responses: { 201: { description: "Created", content: json(ref(N)) },
        default: { $ref: "#/components/responses/Default" } } },
  });
  addPath(`/${n}s/{${id}}`, {
    parameters: [idParam],
    get: { tags: [n], summary: `Get a ${n} by ID`, operationId: `get${N}`,
      responses: { 200: { description: `The ${n}`, content: json(ref(N)) },
        404: { $ref: "#/components/responses/NotFound" } } },
    put: { tags: [n], summary: `Replace a ${n}`, operationId: `replace${N}`,
      requestBody: { required: true, content: json(ref(N)) },
      responses: { 200: { description: "Replaced", content: json(ref(N)) },
        404: { $ref: "#/components/responses/NotFound" } } },
    delete: { tags: [n], summary: `Delete a ${n}`, operationId: `delete${N}`,
      responses: { 204: { description: "Deleted" }, 404: { $ref: "#/components/responses/NotFound" } } },
  });
}
fs.writeFileSync(dst, yaml.dump(doc, { noRefs: true, lineWidth: -1 }));
'

make_input() { # make_input DST COMMAND... : run COMMAND with DST.tmp as its last argument, then rename
  local dst=$1; shift
  [[ -s "$dst" ]] && return 0
  log "making $(basename "$dst")"
  "$@" "$dst.tmp"
  mv "$dst.tmp" "$dst"
}
make_input "$CACHE/github.yaml"          node -e "$JS_TO_YAML" "$CACHE/github.json"
make_input "$CACHE/github-failover.json" node -e "$JS_FAILOVER" "$CACHE/github.json"
make_input "$CACHE/github-failover.yaml" node -e "$JS_TO_YAML" "$CACHE/github-failover.json"
if [[ ! -s "$CACHE/small.yaml" ]]; then
  log "making small.yaml"
  node -e "$JS_SMALL" "$CACHE/small.yaml.tmp" 20000
  mv "$CACHE/small.yaml.tmp" "$CACHE/small.yaml"
fi

INPUTS=(small.yaml github.json github.yaml github-failover.json github-failover.yaml)
prep_secs=$((SECONDS - prep_start))
log "inputs ready in $CACHE (preparation took ${prep_secs}s)"
if (( PREPARE_ONLY )); then
  ls -l "${INPUTS[@]/#/$CACHE/}" >&2
  exit 0
fi

# ---------------------------------------------------------------- timing

# Wall time: python3 forks and execs the command itself (ms resolution, ~no overhead),
# RUNS times, stdin /dev/null, stdout+stderr to a log file; prints
# "median_ms max_rss_kb exit_codes" (distinct exit codes, comma-separated, in order seen).
# Its max RSS is not used when /usr/bin/time exists: a forked child's peak RSS starts
# at the parent's size (~10 MB for python), so peak RSS is taken from one extra run
# under /usr/bin/time (a small C program, ~1 MB floor) instead.
PY_TIMER='
import os, sys, time, statistics
runs, logfile, argv = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
walls, rss, codes = [], 0, []
for _ in range(runs):
    with open(logfile, "wb") as out, open(os.devnull, "rb") as inp:
        t0 = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            try:
                os.dup2(inp.fileno(), 0); os.dup2(out.fileno(), 1); os.dup2(out.fileno(), 2)
                os.execvp(argv[0], argv)
            finally:
                os._exit(127)
        _, status, ru = os.wait4(pid, 0)
        walls.append((time.perf_counter() - t0) * 1000.0)
    rss = max(rss, ru.ru_maxrss)
    code = os.waitstatus_to_exitcode(status)
    if code not in codes: codes.append(code)
print("%.1f %d %s" % (statistics.median(walls), rss, ",".join(map(str, codes))))
'
if command -v python3 >/dev/null && [[ "${BENCH_TIMER:-}" != time ]]; then
  TIMER="python"
  if [[ -x /usr/bin/time ]]; then
    TIMER_NOTE="wall = median of $RUNS runs (python3 fork/exec timer); peak RSS = one extra run under /usr/bin/time"
  else
    TIMER_NOTE="wall = median of $RUNS runs (python3 timer); peak RSS from the python timer, which counts its own ~10 MB (apt-get install time for exact RSS)"
  fi
elif [[ -x /usr/bin/time ]]; then
  TIMER="time"
  TIMER_NOTE="wall = median of $RUNS runs, peak RSS = max (/usr/bin/time: wall has only 10 ms resolution; install python3 for ms)"
else
  die "need python3 or /usr/bin/time to measure (Debian: apt-get install python3, or apt-get install time)"
fi

time_cmd() { # time_cmd LOGFILE COMMAND... -> "median_ms max_rss_kb codes"
  local logfile=$1; shift
  local ms rss codes c w m i walls=()
  if [[ $TIMER == python ]]; then
    read -r ms rss codes < <(python3 -c "$PY_TIMER" "$RUNS" "$logfile" "$@")
    [[ -n "${codes:-}" ]] || die "timer failed on: $*"
    if [[ -x /usr/bin/time ]]; then
      set +e
      /usr/bin/time -f '%M' -o "$logfile.time" "$@" </dev/null >/dev/null 2>&1
      c=$?
      set -e
      rss=$(tail -n 1 "$logfile.time")
      codes=$(add_code "$codes" "$c")
      rm -f "$logfile.time"
    fi
    echo "$ms $rss $codes"
    return
  fi
  rss=0 codes=""
  for ((i = 0; i < RUNS; i++)); do
    set +e
    /usr/bin/time -f '%e %M' -o "$logfile.time" "$@" </dev/null >"$logfile" 2>&1
    c=$?
    set -e
    read -r w m < <(tail -n 1 "$logfile.time")
    walls+=("$(awk -v s="$w" 'BEGIN { printf "%.1f", s * 1000 }')")
    (( m > rss )) && rss=$m
    codes=$(add_code "$codes" "$c")
  done
  rm -f "$logfile.time"
  ms=$(median "${walls[@]}")
  echo "$ms $rss $codes"
}

portico_version=$(portico_version)
swagger_version=$("$SWAGGER_CLI" --version 2>/dev/null | head -n 1 || true)
echo "portico validate vs swagger-cli validate"
echo "  date:        $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "  host:        $(host_summary)"
echo "  portico:     $PORTICO ${portico_version:+($portico_version)}"
echo "  swagger-cli: ${swagger_version:-?} (@apidevtools/swagger-cli, node $(node --version))"
echo "  inputs:      $CACHE (@octokit/openapi@$OCTOKIT_OPENAPI_VERSION)"
echo "  runs:        $TIMER_NOTE"
echo

fmt_size() { awk -v b="$1" 'BEGIN { if (b >= 1048576) printf "%.1f MiB", b / 1048576; else printf "%.1f KiB", b / 1024 }'; }

rows=()
notes=()
small_ms=""
for f in "${INPUTS[@]}"; do
  path="$CACHE/$f"
  cat "$path" >/dev/null # warm the page cache
  log "timing $f ($RUNS runs each)"
  read -r p_ms p_rss p_codes < <(time_cmd "$LOGS/portico-$f.log" "$PORTICO" validate "$path")
  read -r s_ms s_rss s_codes < <(time_cmd "$LOGS/swagger-cli-$f.log" "$SWAGGER_CLI" validate "$path")
  ratio=$(awk -v p="$p_ms" -v s="$s_ms" 'BEGIN { if (s > 0) printf "%.3f", p / s; else print "n/a" }')
  case "$f" in *.json) target=0.2 ;; *) target=0.67 ;; esac
  bad_p=$(tr ',' '\n' <<<"$p_codes" | grep -vxE '0|1' | paste -sd, - || true)
  if [[ -n "$bad_p" ]]; then
    met="n/a"  # portico did not run successfully: its time means nothing
  else
    met=$(awk -v r="$ratio" -v t="$target" 'BEGIN { if (r == "n/a") print "?"; else if (r + 0 <= t + 0) print "met"; else print "MISSED" }')
  fi
  note=""
  if [[ -n "$bad_p" ]]; then
    note+="portico exit $p_codes (failed, see $LOGS/portico-$f.log); "
  else
    note+="portico exit $p_codes; "
  fi
  if [[ "$s_codes" != "0" ]]; then
    note+="swagger-cli exit $s_codes (rejected/failed, timed anyway; $LOGS/swagger-cli-$f.log)"
    notes+=("$f: swagger-cli: $(grep -m 1 -v '^\s*$' "$LOGS/swagger-cli-$f.log" | cut -c1-200 || true)")
  else
    note+="swagger-cli exit 0"
  fi
  [[ -n "$bad_p" ]] && notes+=("$f: portico: $(grep -m 1 -v '^\s*$' "$LOGS/portico-$f.log" | cut -c1-200 || true)")
  [[ "$f" == small.yaml ]] && small_ms=$p_ms
  rows+=("$f|$(fmt_size "$(stat -c %s "$path")")|$p_ms|$(fmt_mib "$p_rss")|$s_ms|$(fmt_mib "$s_rss")|${ratio}x|<= ${target}x $met|$note")
done

table "input|size|portico ms|portico MiB|swagger-cli ms|swagger-cli MiB|ratio p/s|target|exit status" "${rows[@]}"
echo
small_met=$(awk -v m="$small_ms" 'BEGIN { print (m + 0 < 10) ? "met" : "MISSED" }')
[[ "${rows[0]}" == *"(failed"* ]] && small_met="n/a, portico failed"
echo "small.yaml ($(fmt_size "$(stat -c %s "$CACHE/small.yaml")")): portico median ${small_ms} ms (target < 10 ms: $small_met)"
echo "targets: ratio portico/swagger-cli <= 0.2x on JSON, <= 0.67x on YAML (reported, never asserted)"
if ((${#notes[@]})); then
  echo
  echo "notes (first line of the last run's output):"
  printf '  %s\n' "${notes[@]}"
fi
