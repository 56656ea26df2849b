#!/usr/bin/env bash
# build/bench.sh [BUNDLE.tar.gz]
# Measures the webhook route against the plugin's cheapest route on a real Mattermost server
# (make bench), with everything on 127.0.0.1:
#   1. prepares and starts Mattermost and PostgreSQL with build/mmserver, and installs the bundle
#      (default: the newest dist/com.mattermost.apps-*.tar.gz);
#   2. builds build/benchapp and starts it on 127.0.0.1:$BENCH_APP_PORT, then installs it as the
#      App bench-app over the REST API as the admin, and reads its webhook secret;
#   3. warms up each load for BENCH_WARMUP_SECONDS, then runs BENCH_ROUNDS rounds of four bounded
#      wrk loads, in this order in every round:
#        ping  POST /plugins/com.mattermost.apps/api/v1/ping (the plugin's cheapest route)
#        b1k, b64k, b1m  POST .../apps/bench-app/webhook/bench?secret=... with a JSON body of
#                        1 KiB, 64 KiB and 1 MiB
#   4. records, for every run, the peak RSS of the plugin process and of the server, and the CPU
#      time per request of the server, the plugin, the App, wrk and the whole machine;
#   5. measures the server's own GET /api/v4/system/ping once, for reference;
#   6. counts the database transactions per request of ping and b1k (BENCH_DB_PROBE=1);
#   7. runs the Go benchmarks of ./server/... (BENCH_GO=1);
#   8. prints Markdown tables: every run, the median over the rounds, and the ratio of each
#      webhook load's requests/s to the ping route's.
# Settings (environment variables):
#   BENCH_ROUNDS=2  BENCH_SECONDS=10  BENCH_CONNECTIONS=16  BENCH_THREADS=2  BENCH_WARMUP_SECONDS=2
#   BENCH_APP_PORT=8082  BENCH_DB_PROBE=1  BENCH_GO=1  BENCH_OUT=dist/bench/<UTC time>
#   MMS_HOME, MM_PORT, MM_PG_PORT as in build/mmserver/README.md.
# Raw wrk and go test output and the tables (results.md) are written to BENCH_OUT.
# The server is stopped at exit only when this script started it; the bench App always is.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
MMS="$HERE/mmserver"
. "$MMS/common.sh"
export MMS_HOME MM_PORT MM_PG_PORT
command -v go >/dev/null || PATH="/usr/local/go/bin:$PATH"

ROUNDS=${BENCH_ROUNDS:-2}
SECONDS_PER_RUN=${BENCH_SECONDS:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-16}
THREADS=${BENCH_THREADS:-2}
WARMUP_SECONDS=${BENCH_WARMUP_SECONDS:-2}
APP_PORT=${BENCH_APP_PORT:-8082}
OUT=${BENCH_OUT:-$ROOT/dist/bench/$(date -u +%Y%m%dT%H%M%SZ)}

PLUGIN_ID=com.mattermost.apps
APP_ID=bench-app
APP_ROOT_URL="http://127.0.0.1:$APP_PORT"
APP_BIN="$MMS_BIN/benchapp"
APP_PIDFILE="$MMS_RUN/benchapp.pid"
APP_LOG="$MMS_RUN/benchapp.log"
PLUGIN_URL="$MM_URL/plugins/$PLUGIN_ID"
# wrk gives up on a request after WRK_TIMEOUT and counts a timeout. It is longer than the plugin's
# default delivery timeout (10 s), so that a slow App shows as the plugin's 504, not as a wrk timeout.
WRK_TIMEOUT=15s
# Loads in the order of every round, and the body size of each webhook load in bytes.
LOADS=(ping b1k b64k b1m)
declare -A BODY_BYTES=([b1k]=1024 [b64k]=65536 [b1m]=1048576)

log() { echo "[bench $(date +%T)] $*"; }
fail() {
	echo "bench: FAILED: $*" >&2
	echo "logs: $MM_LOG_DIR/mattermost.log, $MM_STDOUT_LOG, $APP_LOG" >&2
	exit 1
}

# --- settings ------------------------------------------------------------------------------------
# require_int NAME VALUE MIN MAX: every load must stay bounded in time and connections.
require_int() {
	if ! [[ $2 =~ ^[0-9]+$ ]] || [ "$2" -lt "$3" ] || [ "$2" -gt "$4" ]; then
		fail "invalid $1=$2: use a whole number from $3 to $4"
	fi
}
require_int BENCH_ROUNDS "$ROUNDS" 1 20
require_int BENCH_SECONDS "$SECONDS_PER_RUN" 1 300
require_int BENCH_CONNECTIONS "$CONNECTIONS" 1 256
require_int BENCH_THREADS "$THREADS" 1 16
require_int BENCH_WARMUP_SECONDS "$WARMUP_SECONDS" 0 60
require_int BENCH_APP_PORT "$APP_PORT" 1024 65535
[ "$THREADS" -le "$CONNECTIONS" ] || fail "BENCH_THREADS=$THREADS is more than BENCH_CONNECTIONS=$CONNECTIONS; wrk needs a connection per thread"
# Load goes to the loopback address and nowhere else.
require_loopback() {
	case "$MM_URL" in
	http://127.0.0.1:[0-9]*) ;;
	*) fail "MM_URL=$MM_URL is not on 127.0.0.1; the bench only loads the loopback address" ;;
	esac
}
require_loopback
command -v wrk >/dev/null || fail "wrk not found; build/mmserver/setup.sh installs it"

bundle=${1:-}
if [ -z "$bundle" ]; then
	bundle=$(ls -t "$ROOT"/dist/$PLUGIN_ID-*.tar.gz 2>/dev/null | head -1 || true)
	[ -n "$bundle" ] || fail "no plugin bundle in $ROOT/dist; run make dist PLATFORMS=linux-amd64 or pass a bundle"
fi
[ -f "$bundle" ] || fail "plugin bundle $bundle not found"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# --- 1. Mattermost and the plugin ------------------------------------------------------------------
log "preparing and starting Mattermost on $MM_URL ($MMS_HOME)"
"$MMS/setup.sh" >"$OUT/setup.log" 2>&1 || { tail -20 "$OUT/setup.log" >&2; fail "setup.sh failed"; }
started_server=0
pid_is_ours "$MM_PIDFILE" "$MMS_BIN/mattermost" || started_server=1

stop_all() {
	if pid_is_ours "$APP_PIDFILE" "$APP_BIN"; then
		kill -TERM "$(cat "$APP_PIDFILE")"
		rm -f "$APP_PIDFILE"
	fi
	if [ "$started_server" = 1 ]; then
		log "stopping the server that this script started"
		"$MMS/stop.sh" >/dev/null || true
	else
		log "the server was running before, so it keeps running"
	fi
}
trap stop_all EXIT

"$MMS/start.sh" >"$OUT/start.log" 2>&1 || { tail -20 "$OUT/start.log" >&2; fail "start.sh failed"; }
. "$MMS_HOME/env.sh"
require_loopback
"$MMS/install-plugin.sh" "$bundle" >/dev/null 2>"$OUT/install-plugin.log" ||
	{ cat "$OUT/install-plugin.log" >&2; fail "installing $bundle failed"; }
log "installed $(basename "$bundle")"

server_pid=$(cat "$MM_PIDFILE")

# plugin_pid prints the pid of the plugin's process: a child of the server whose executable is
# under the server's plugins directory.
plugin_pid() {
	local child exe
	for child in $(child_pids "$server_pid"); do
		exe=$(readlink -f "/proc/$child/exe" 2>/dev/null || true)
		case "$exe" in "$MMS_RUN/plugins/$PLUGIN_ID/"*) echo "$child" && return 0 ;; esac
	done
	return 1
}
plugin=$(plugin_pid) || fail "no process of $PLUGIN_ID under server pid $server_pid"

# --- 2. the bench App ------------------------------------------------------------------------------
log "building build/benchapp and starting it on 127.0.0.1:$APP_PORT"
if pid_is_ours "$APP_PIDFILE" "$APP_BIN"; then
	kill -TERM "$(cat "$APP_PIDFILE")"
	sleep 0.5
fi
rm -f "$APP_PIDFILE"
if curl -s -o /dev/null --max-time 2 -X POST "$APP_ROOT_URL/ping"; then
	fail "another process already listens on 127.0.0.1:$APP_PORT; stop it or set BENCH_APP_PORT"
fi
(cd "$ROOT" && go build -o "$APP_BIN" ./build/benchapp) || fail "go build ./build/benchapp failed"
nohup "$APP_BIN" -port "$APP_PORT" >>"$APP_LOG" 2>&1 </dev/null &
echo $! >"$APP_PIDFILE"
app_pid=$!
deadline=$(($(date +%s) + 10))
until curl -sf -o /dev/null --max-time 2 -X POST "$APP_ROOT_URL/ping"; do
	pid_is_ours "$APP_PIDFILE" "$APP_BIN" || fail "the bench App exited during start-up; see $APP_LOG"
	[ "$(date +%s)" -lt "$deadline" ] || fail "the bench App did not respond to POST $APP_ROOT_URL/ping within 10s"
	sleep 0.2
done

# admin_post PATH BODY: POSTs JSON to the plugin's REST API as the admin and prints the response;
# fails on any status other than 200.
admin_post() {
	local response="$OUT/.response.json" code
	code=$(curl -s --max-time 30 -o "$response" -w '%{http_code}' -X POST "$PLUGIN_URL/api/v1$1" \
		-H "Authorization: Bearer $MM_ADMIN_TOKEN" -H 'Content-Type: application/json' -d "$2") || code=000
	[ "$code" = 200 ] || fail "POST $1 failed: HTTP $code $(head -c 300 "$response" 2>/dev/null)"
	cat "$response"
}

manifest=$(python3 -c '
import json, sys
print(json.dumps({
    "app_id": "bench-app",
    "display_name": "Bench App",
    "homepage_url": sys.argv[1],
    "http": {"root_url": sys.argv[1]},
    "requested_permissions": ["act_as_bot", "remote_webhooks"],
    "remote_webhook_auth_type": "secret",
}))' "$APP_ROOT_URL")
log "installing the App $APP_ID over the REST API"
admin_post /update-app-listing "$manifest" >/dev/null
admin_post /install-app "{\"app_id\":\"$APP_ID\",\"deploy_type\":\"http\"}" >/dev/null
secret=$(curl -sf --max-time 10 -H "Authorization: Bearer $MM_ADMIN_TOKEN" "$PLUGIN_URL/api/v1/apps/$APP_ID" |
	json_field webhook_secret) || fail "no webhook_secret in GET /api/v1/apps/$APP_ID"
WEBHOOK_URL="$PLUGIN_URL/apps/$APP_ID/webhook/bench?secret=$secret"
PING_URL="$PLUGIN_URL/api/v1/ping"

# --- request bodies and wrk scripts ------------------------------------------------------------------
# write_body FILE BYTES: valid JSON of exactly BYTES bytes, shaped like a webhook payload (an array
# of small objects with 19-digit ids) and padded with a string at the end.
write_body() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
path, size = sys.argv[1], int(sys.argv[2])
compact = (",", ":")
def render(items, pad):
    return json.dumps({"action": "bench", "items": items, "pad": pad}, separators=compact)
# Add items while they fit, counting each item's bytes and its comma instead of rendering the
# whole document each time.
items, length = [], len(render([], ""))
while True:
    n = len(items)
    item = {"id": 616581622363398142 + n, "name": "item-%05d" % n, "ok": n % 2 == 0}
    added = len(json.dumps(item, separators=compact)) + (1 if items else 0)
    if length + added > size:
        break
    items.append(item)
    length += added
doc = render(items, "x" * (size - length))
assert len(doc.encode()) == size, (len(doc), size)
json.loads(doc)
with open(path, "w") as f:
    f.write(doc)
EOF
}

# write_script FILE METHOD [BODY_FILE]: a wrk script that sends the body (or none), counts
# responses outside 200-299 per thread, and prints one machine-readable result line at the end.
write_script() {
	local body_line="wrk.body = nil"
	[ -n "${3:-}" ] && body_line="local f = assert(io.open(\"$3\", \"rb\")); wrk.body = f:read(\"*a\"); f:close()"
	cat >"$1" <<EOF
wrk.method = "$2"
wrk.headers["Content-Type"] = "application/json"
$body_line

local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non2xx = 0 end
function response(status, headers, body)
	if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
function done(summary, latency, requests)
	local non = 0
	for _, t in ipairs(threads) do non = non + t:get("non2xx") end
	local e = summary.errors
	io.write(string.format("BENCH_RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d socket_errors=%d non2xx=%d\n",
		summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
		e.connect + e.read + e.write + e.timeout, non))
end
EOF
}

declare -A URL SCRIPT
for load in "${LOADS[@]}"; do
	if [ "$load" = ping ]; then
		URL[$load]=$PING_URL
		write_script "$OUT/$load.lua" POST
	else
		write_body "$OUT/$load.json" "${BODY_BYTES[$load]}"
		URL[$load]=$WEBHOOK_URL
		write_script "$OUT/$load.lua" POST "$OUT/$load.json"
	fi
	SCRIPT[$load]="$OUT/$load.lua"
done
# The server's own cheapest route, without the plugin, for reference.
URL[server_ping]="$MM_URL/api/v4/system/ping"
write_script "$OUT/server_ping.lua" GET
SCRIPT[server_ping]="$OUT/server_ping.lua"
# Check each load once before any timing, so that a broken route fails fast.
for load in "${LOADS[@]}"; do
	body_arg=()
	[ "$load" = ping ] || body_arg=(--data-binary "@$OUT/$load.json")
	code=$(curl -s --max-time 15 -o "$OUT/.response" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		"${body_arg[@]}" "${URL[$load]}") || code=000
	[ "$code" = 200 ] || fail "$load: POST returned HTTP $code $(head -c 200 "$OUT/.response")"
done

# --- memory ------------------------------------------------------------------------------------------
# kib FIELD PID: a field of /proc/PID/status in KiB (VmRSS, VmHWM).
kib() { awk -v field="$1:" '$1 == field {print $2}' "/proc/$2/status"; }
# reset_peak PID: resets VmHWM to the current RSS (Linux 4.0 and later, own processes), so that
# each run reports its own peak. Without it, VmHWM is the peak since the process started.
per_run_peak=1
reset_peak() { echo 5 2>/dev/null >"/proc/$1/clear_refs" || per_run_peak=0; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

# --- CPU time ----------------------------------------------------------------------------------------
# cpu_ticks PID: user plus system CPU time of the process, all threads, in clock ticks. The fields
# are counted after the command name, which may contain spaces.
cpu_ticks() {
	local fields
	fields=$(cat "/proc/$1/stat")
	fields=${fields##*) }
	awk '{print $12 + $13}' <<<"$fields"
}
# busy_ticks: CPU time of the whole machine, all cores, that was not idle or waiting for I/O
# (time that the hypervisor stole is counted as busy).
busy_ticks() { awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
CLK_TCK=$(getconf CLK_TCK)
# children_ticks VAR: sets VAR to the CPU time of this shell's finished child processes (and of
# the children they waited for, such as wrk under timeout), in clock ticks. The builtin times
# must run in this shell, not in a command substitution, whose own process has no children yet.
children_ticks() {
	times >"$OUT/.times"
	printf -v "$1" '%s' "$(awk -v hz="$CLK_TCK" 'function sec(t, m) {
		split(t, m, "m"); sub("s", "", m[2]); return m[1] * 60 + m[2]
	} END {printf "%d", (sec($1) + sec($2)) * hz + 0.5}' "$OUT/.times")"
}

# --- 3. load ---------------------------------------------------------------------------------------------
# read_result FILE: sets requests, duration_us, p50_us, p99_us, socket_errors and non2xx from the
# result line of a wrk output file.
read_result() {
	local pair
	requests="" duration_us="" p50_us="" p99_us="" socket_errors="" non2xx=""
	for pair in $(sed -n 's/^BENCH_RESULT //p' "$1"); do
		[[ $pair =~ ^[a-z0-9_]+=[0-9]+$ ]] || fail "unexpected wrk result $pair in $1"
		declare -g "${pair%%=*}=${pair#*=}"
	done
	if [ -z "$requests" ] || [ -z "$duration_us" ] || [ -z "$p50_us" ] || [ -z "$p99_us" ] ||
		[ -z "$socket_errors" ] || [ -z "$non2xx" ]; then
		fail "incomplete wrk result in $1"
	fi
}

# run_wrk LOAD SECONDS OUTFILE: one bounded wrk run; timeout stops wrk if it hangs.
run_wrk() {
	timeout --kill-after=5 $(($2 + 30)) wrk -t"$THREADS" -c"$CONNECTIONS" -d"$2s" --timeout "$WRK_TIMEOUT" --latency \
		-s "${SCRIPT[$1]}" "${URL[$1]}" >"$3" 2>&1 || fail "wrk $1 failed or timed out; see $3"
	grep -q '^BENCH_RESULT ' "$3" || fail "wrk $1 printed no result; see $3"
}

log "load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg) (other processes on this machine skew the figures)"
plugin_rss_before=$(kib VmRSS "$plugin")
server_rss_before=$(kib VmRSS "$server_pid")
if [ "$WARMUP_SECONDS" -gt 0 ]; then
	for load in "${LOADS[@]}"; do
		log "warm-up: $load for ${WARMUP_SECONDS}s"
		run_wrk "$load" "$WARMUP_SECONDS" "$OUT/warmup-$load.txt"
	done
fi

runs="$OUT/runs.tsv"
printf 'round\tload\tbody_bytes\trequests\tduration_us\tp50_us\tp99_us\tsocket_errors\tnon2xx\tplugin_start_kib\tplugin_peak_kib\tserver_peak_kib\tserver_ticks\tplugin_ticks\tapp_ticks\twrk_ticks\tmachine_ticks\tclk_tck\n' >"$runs"
wrk_before=0 wrk_after=0
for round in $(seq 1 "$ROUNDS"); do
	for load in "${LOADS[@]}"; do
		plugin_start=$(kib VmRSS "$plugin")
		reset_peak "$plugin"
		reset_peak "$server_pid"
		children_ticks wrk_before
		ticks_before=("$(cpu_ticks "$server_pid")" "$(cpu_ticks "$plugin")" "$(cpu_ticks "$app_pid")" "$(busy_ticks)")
		out="$OUT/round$round-$load.txt"
		run_wrk "$load" "$SECONDS_PER_RUN" "$out"
		ticks_after=("$(cpu_ticks "$server_pid")" "$(cpu_ticks "$plugin")" "$(cpu_ticks "$app_pid")" "$(busy_ticks)")
		children_ticks wrk_after
		[ "$(plugin_pid)" = "$plugin" ] || fail "the plugin process $plugin restarted or exited during $load; see $MM_LOG_DIR/mattermost.log"
		read_result "$out"
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$load" "${BODY_BYTES[$load]:-0}" \
			"$requests" "$duration_us" "$p50_us" "$p99_us" "$socket_errors" "$non2xx" \
			"$plugin_start" "$(kib VmHWM "$plugin")" "$(kib VmHWM "$server_pid")" \
			$((ticks_after[0] - ticks_before[0])) $((ticks_after[1] - ticks_before[1])) \
			$((ticks_after[2] - ticks_before[2])) $((wrk_after - wrk_before)) $((ticks_after[3] - ticks_before[3])) "$CLK_TCK" >>"$runs"
		log "round $round $load: $(awk -v r="$requests" -v d="$duration_us" 'BEGIN {printf "%.0f", r * 1e6 / d}') req/s," \
			"p50 $((p50_us / 1000)) ms, p99 $((p99_us / 1000)) ms, socket errors $socket_errors, non-2xx $non2xx"
	done
done
# --- 5. the server alone ---------------------------------------------------------------------------------
log "reference: the server's own GET /api/v4/system/ping for ${SECONDS_PER_RUN}s"
run_wrk server_ping "$SECONDS_PER_RUN" "$OUT/server-ping.txt"
read_result "$OUT/server-ping.txt"
server_ping_line="GET /api/v4/system/ping (the server alone, no plugin), same wrk settings, once after the rounds:"
server_ping_line+=" $(awk -v r="$requests" -v d="$duration_us" 'BEGIN {printf "%.0f", r * 1e6 / d}') req/s,"
server_ping_line+=" p50 $(awk -v u="$p50_us" 'BEGIN {printf "%.1f", u / 1000}') ms, p99 $(awk -v u="$p99_us" 'BEGIN {printf "%.1f", u / 1000}') ms,"
server_ping_line+=" socket errors $socket_errors, non-2xx $non2xx."
plugin_rss_after=$(kib VmRSS "$plugin")
server_rss_after=$(kib VmRSS "$server_pid")
plugin_hwm_life=$(kib VmHWM "$plugin")
server_hwm_life=$(kib VmHWM "$server_pid")

# --- 6. database transactions per request -------------------------------------------------------------
# PostgreSQL flushes a backend's statistics up to 10 s after the backend goes idle, so each window
# waits 11 s before it reads the counters. The same window without requests shows how many
# transactions the server makes on its own, for example for its jobs. Because that number varies
# from window to window, the report gives an upper bound that counts every transaction in the
# window against the requests.
PROBE_REQUESTS=500
db_xacts() { pg_psql -c "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'mattermost'"; }
# probe_window LOAD|idle: prints the transactions of one window in which LOAD is sent
# PROBE_REQUESTS times in a row over one connection (curl URL globbing).
probe_window() {
	local before after body_arg=()
	sleep 11
	before=$(db_xacts)
	if [ "$1" != idle ]; then
		[ "$1" = ping ] || body_arg=(--data-binary "@$OUT/$1.json")
		# With URL globbing, -o would apply to the first URL only, so the bodies go to the file too
		# and the status codes are picked out by their marker.
		curl -s --max-time 120 -w '\nBENCH_STATUS %{http_code}\n' -X POST -H 'Content-Type: application/json' \
			"${body_arg[@]}" "${URL[$1]}&probe=[1-$PROBE_REQUESTS]" >"$OUT/probe-$1.txt" ||
			fail "the database probe of $1 failed"
		[ "$(grep -c '^BENCH_STATUS 200$' "$OUT/probe-$1.txt")" = "$PROBE_REQUESTS" ] ||
			fail "the database probe of $1 got responses other than 200; see $OUT/probe-$1.txt"
	fi
	sleep 11
	after=$(db_xacts)
	echo $((after - before))
}
db_rows=""
if [ "${BENCH_DB_PROBE:-1}" = 1 ]; then
	log "counting database transactions per request ($PROBE_REQUESTS requests each, about 70 s)"
	URL[ping]="$PING_URL?x=1" # so that the probe can append &probe=N like on the webhook URL
	idle=$(probe_window idle)
	for load in ping b1k; do
		xacts=$(probe_window "$load")
		db_rows+="| $load | $PROBE_REQUESTS | $xacts | $idle | $(awk -v x="$xacts" -v n="$PROBE_REQUESTS" 'BEGIN {printf "%.3f", x / n}') |"$'\n'
	done
	URL[ping]=$PING_URL
fi

# --- 7. Go benchmarks ------------------------------------------------------------------------------------
if [ "${BENCH_GO:-1}" = 1 ]; then
	log "go test -run '^\$' -bench . -benchmem ./server/..."
	(cd "$ROOT" && go test -run '^$' -bench . -benchmem ./server/...) >"$OUT/go-bench.txt" 2>&1 ||
		log "go test -bench failed; see $OUT/go-bench.txt"
fi

# --- 8. report -------------------------------------------------------------------------------------------
mm_version=$(curl -s --max-time 10 "$MM_URL/api/v4/config/client?format=old" | json_field Version 2>/dev/null || echo unknown)
{
	echo "## Bench run $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(free -h | awk '/^Mem:/ {print $2}') RAM;" \
		"$(go env GOVERSION); Mattermost $mm_version; plugin bundle $(basename "$bundle"); checkout at commit $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)."
	echo
	echo "Medians are over the rounds (with 2 rounds, the mean of the two). A run's peak RSS includes"
	echo "what the process still kept from the run before. The plugin's RSS at the start of each run shows how much."
	echo
	echo "Load: \`wrk -t$THREADS -c$CONNECTIONS -d${SECONDS_PER_RUN}s --timeout $WRK_TIMEOUT --latency -s <load>.lua <url>\`," \
		"loads ping, b1k, b64k, b1m in turn, rounds: $ROUNDS, after a ${WARMUP_SECONDS}s warm-up of each load."
	echo
	python3 - "$runs" "$per_run_peak" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
peak = "peak RSS in the run" if sys.argv[2] == "1" else "peak RSS since start"
ms = lambda us: "%.1f" % (float(us) / 1000)
mib = lambda kib: "%.0f" % (int(kib) / 1024)
for r in rows:
    requests, seconds = int(r["requests"]), int(r["duration_us"]) / 1e6
    r["rps"] = requests / seconds
    # CPU time per request in microseconds, and the share of all cores that was busy.
    tick_us = 1e6 / int(r["clk_tck"])
    for name in ("server", "plugin", "app", "wrk", "machine"):
        r[name + "_cpu"] = int(r[name + "_ticks"]) * tick_us / max(requests, 1)
    known = sum(int(r[name + "_ticks"]) for name in ("server", "plugin", "app", "wrk"))
    # CPU that neither the measured processes nor wrk used: PostgreSQL, the kernel's own threads,
    # and anything else running on the machine, in percent of one core.
    r["other"] = 100 * (int(r["machine_ticks"]) - known) / int(r["clk_tck"]) / seconds

print("| round | load | body bytes | req/s | p50 ms | p99 ms | socket errors | non-2xx | plugin RSS at start MiB | plugin %s MiB | server %s MiB |" % (peak, peak))
print("|---|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    print("| %s | %s | %s | %.0f | %s | %s | %s | %s | %s | %s | %s |" % (r["round"], r["load"], r["body_bytes"], r["rps"],
          ms(r["p50_us"]), ms(r["p99_us"]), r["socket_errors"], r["non2xx"], mib(r["plugin_start_kib"]),
          mib(r["plugin_peak_kib"]), mib(r["server_peak_kib"])))
print()

loads = list(dict.fromkeys(r["load"] for r in rows))
median = lambda rs, key: statistics.median(float(r[key]) for r in rs)
summary = {}
for load in loads:
    rs = [r for r in rows if r["load"] == load]
    summary[load] = {key: median(rs, key) for key in
                     ("rps", "p50_us", "p99_us", "server_cpu", "plugin_cpu", "app_cpu", "wrk_cpu", "machine_cpu", "other")}
    summary[load].update(
        errors=sum(int(r["socket_errors"]) + int(r["non2xx"]) for r in rs),
        plugin_peak=max(int(r["plugin_peak_kib"]) for r in rs),
        server_peak=max(int(r["server_peak_kib"]) for r in rs),
        bytes=rs[0]["body_bytes"])

print("| load | body bytes | median req/s | ratio to ping | median p50 ms | median p99 ms | errors, all rounds | plugin max peak RSS MiB | server max peak RSS MiB |")
print("|---|---|---|---|---|---|---|---|---|")
for load in loads:
    m = summary[load]
    ratio = "%.2f" % (m["rps"] / summary["ping"]["rps"]) if "ping" in summary else "-"
    print("| %s | %s | %.0f | %s | %s | %s | %d | %s | %s |" % (load, m["bytes"], m["rps"], ratio, ms(m["p50_us"]),
          ms(m["p99_us"]), m["errors"], mib(m["plugin_peak"]), mib(m["server_peak"])))
print()

print("| load | server CPU µs/req | plugin CPU µs/req | App CPU µs/req | wrk CPU µs/req | whole machine CPU µs/req | other CPU, % of a core |")
print("|---|---|---|---|---|---|---|")
for load in loads:
    m = summary[load]
    print("| %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f |" % (load, m["server_cpu"], m["plugin_cpu"], m["app_cpu"], m["wrk_cpu"],
          m["machine_cpu"], m["other"]))
noisy = [r for r in rows if r["other"] > 15]
if noisy:
    print()
    print("WARNING: other processes used more than 15%% of a core during %d of %d runs (up to %.0f%%), so these figures are low." %
          (len(noisy), len(rows), max(r["other"] for r in noisy)))
EOF
	echo
	echo "$server_ping_line"
	echo
	echo "| process | RSS before MiB | RSS after MiB | VmHWM at the end MiB |"
	echo "|---|---|---|---|"
	echo "| plugin (pid $plugin) | $(mib "$plugin_rss_before") | $(mib "$plugin_rss_after") | $(mib "$plugin_hwm_life") |"
	echo "| server (pid $server_pid) | $(mib "$server_rss_before") | $(mib "$server_rss_after") | $(mib "$server_hwm_life") |"
	if [ "$per_run_peak" = 0 ]; then
		echo
		echo "Resetting VmHWM through /proc/<pid>/clear_refs failed, so the peaks are since the process started."
	fi
	if [ -n "$db_rows" ]; then
		echo
		echo "| load | requests | database transactions in the window | same window without requests | at most, per request |"
		echo "|---|---|---|---|---|"
		printf '%s' "$db_rows"
	fi
	if [ -f "$OUT/go-bench.txt" ]; then
		echo
		echo '```'
		grep -E '^(Benchmark|goos|goarch|cpu|pkg|ok|FAIL|---)' "$OUT/go-bench.txt" || echo "(no benchmarks found)"
		echo '```'
	fi
} >"$OUT/results.md"
echo
cat "$OUT/results.md"
echo
log "raw output and results.md in $OUT"
