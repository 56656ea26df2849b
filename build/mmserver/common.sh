# shellcheck shell=bash disable=SC2034
# Settings and helpers shared by the scripts in this directory and by build/e2e.sh and build/demo.sh.
# Each setting below can be overridden from the environment.

# All state lives under MMS_HOME: the build module, the binaries, the server's run directory and
# env.sh. It defaults to the user's cache directory so that the binaries survive between runs.
MMS_HOME=${MMS_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/mattermost-apps-e2e}
MM_PORT=${MM_PORT:-8065}                   # Mattermost HTTP, bound to 127.0.0.1 only
MM_PG_PORT=${MM_PG_PORT:-25432}            # private PostgreSQL cluster on 127.0.0.1; below the kernel's ephemeral port range (32768-60999), so no outgoing connection can hold it
# Mattermost 11.x forces a plugin with id com.mattermost.apps to disabled unless this feature
# flag is on. Feature flags can only be set through MM_FEATUREFLAGS_* environment variables.
MM_APPS_ENABLED=${MM_APPS_ENABLED:-true}
MM_ADMIN_USER=${MM_ADMIN_USER:-admin}
MM_ADMIN_PASSWORD=${MM_ADMIN_PASSWORD:-Admin-Passw0rd!}
MM_ADMIN_EMAIL=${MM_ADMIN_EMAIL:-admin@example.com}
MM_TEAM_NAME=${MM_TEAM_NAME:-e2e}
MM_START_TIMEOUT=${MM_START_TIMEOUT:-120}  # seconds to wait for the first successful ping

MM_HOST=127.0.0.1
MM_URL="http://${MM_HOST}:${MM_PORT}"
MMS_BIN="$MMS_HOME/bin"
MMS_RUN="$MMS_HOME/run"                    # the server's working directory
MM_CONFIG="$MMS_RUN/config/config.json"
MM_LOG_DIR="$MMS_RUN/logs"                 # the server's own log file: mattermost.log
MM_STDOUT_LOG="$MMS_RUN/server.log"        # the server's stdout and stderr
MM_LOCAL_SOCKET="$MMS_RUN/mattermost_local.socket"
MM_PIDFILE="$MMS_RUN/mattermost.pid"
PG_PIDFILE="$MMS_RUN/postgres.pid"
# The sample App that build/demo.sh runs; stop.sh stops it too.
DEMO_APP_BIN="$MMS_BIN/webhook-app"
DEMO_APP_PIDFILE="$MMS_RUN/webhook-app.pid"
DEMO_APP_LOG="$MMS_RUN/webhook-app.log"
MM_DSN="postgres://mmuser:mostest@127.0.0.1:${MM_PG_PORT}/mattermost?sslmode=disable&connect_timeout=10"

# is_world_traversable DIR: true when every existing directory on the path to DIR has the
# "others execute" bit, so that another user (here: postgres) can reach DIR.
is_world_traversable() {
	local dir=$1 mode
	while [ "$dir" != / ] && [ -n "$dir" ]; do
		if [ -d "$dir" ]; then
			mode=$(stat -c %A "$dir")
			case "${mode:9:1}" in x | t) ;; *) return 1 ;; esac
		fi
		dir=$(dirname "$dir")
	done
}

# The PostgreSQL cluster lives in MMS_HOME/pg. As root, the server processes run as the postgres
# user, which cannot enter a home directory such as /root (mode 700). In that case the cluster
# goes to a directory under /var/tmp that is named after MMS_HOME.
if [ -z "${MMS_PG:-}" ]; then
	MMS_PG="$MMS_HOME/pg"
	if [ "$(id -u)" = 0 ] && ! is_world_traversable "$MMS_HOME"; then
		MMS_PG="/var/tmp/mattermost-apps-e2e-pg-$(printf '%s' "$MMS_HOME" | cksum | cut -d' ' -f1)"
	fi
fi
PGDATA_DIR="$MMS_PG/data"

# pg_bindir prints the bin directory of the newest installed PostgreSQL server, or nothing.
pg_bindir() {
	local dir
	dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	[ -n "$dir" ] && echo "$dir"
}

# as_pg_owner CMD...: runs CMD as the owner of the cluster (postgres when we are root, because
# PostgreSQL refuses to run as root). It runs from / so that the postgres user never needs
# access to the caller's working directory.
as_pg_owner() {
	if [ "$(id -u)" = 0 ]; then
		(cd / && runuser -u postgres -- "$@")
	else
		(cd / && "$@")
	fi
}

pg_psql() { psql -h 127.0.0.1 -p "$MM_PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }

# pid_is_ours PIDFILE EXE: true when PIDFILE names a live process whose executable is EXE.
pid_is_ours() {
	local pid exe
	[ -f "$1" ] || return 1
	pid=$(cat "$1")
	[ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
	exe=$(readlink -f "/proc/$pid/exe" 2>/dev/null || true)
	[ "$exe" = "$(readlink -f "$2")" ]
}

# child_pids PID: prints the pids of PID's child processes. It reads /proc because procps (ps,
# pgrep) is not installed on every machine.
child_pids() {
	local parent=$1 stat_file fields ppid
	for stat_file in /proc/[0-9]*/stat; do
		fields=$(cat "$stat_file" 2>/dev/null) || continue
		# The command name in parentheses may contain spaces, so the fields are split after its
		# closing parenthesis. They start with the state and the parent pid.
		fields=${fields##*) }
		read -r _ ppid _ <<<"$fields"
		if [ "$ppid" = "$parent" ]; then
			stat_file=${stat_file#/proc/}
			echo "${stat_file%/stat}"
		fi
	done
}

# json_field PATH: reads JSON on stdin and prints the value at PATH (keys separated by dots,
# for example "id" or "props.from_bot"). Exits non-zero when the value is missing.
json_field() {
	python3 -c '
import json, sys
value = json.load(sys.stdin)
for key in sys.argv[1].split("."):
    value = value[key]
print(value if not isinstance(value, (dict, list)) else json.dumps(value))
' "$1"
}

mms_log() { echo "[$(basename "$0") $(date +%T)] $*"; }

# elapsed T0: seconds since T0 (taken with `date +%s%N`), with two decimals.
elapsed() {
	local ns=$(($(date +%s%N) - $1))
	printf '%d.%02d' $((ns / 1000000000)) $(((ns / 10000000) % 100))
}

# json_object KEY VALUE...: prints a JSON object of string values, escaped properly.
json_object() {
	python3 -c 'import json, sys; a = sys.argv[1:]; print(json.dumps(dict(zip(a[::2], a[1::2]))))' "$@"
}
