#!/usr/bin/env bash
# Stops what start.sh and build/demo.sh started, and nothing else: the demo's sample App named in
# $MMS_HOME/run/webhook-app.pid, the Mattermost server named in $MMS_HOME/run/mattermost.pid (and
# any plugin process of it that outlives it), then the private PostgreSQL cluster named in
# $MMS_HOME/run/postgres.pid (with pg_ctl on its own data directory).
# A pid is signalled only when /proc/<pid>/exe is the expected executable. The database, the
# config and the uploaded plugins are kept, so start.sh brings back the same state.
# MMS_STOP_DEMO_APP=0 leaves the sample App running (build/e2e.sh's restart command sets it).
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/common.sh"
PGBIN=$(pg_bindir)
status=0

# --- the demo's sample App -----------------------------------------------------------------------
if [ "${MMS_STOP_DEMO_APP:-1}" = 1 ] && pid_is_ours "$DEMO_APP_PIDFILE" "$DEMO_APP_BIN"; then
	pid=$(cat "$DEMO_APP_PIDFILE")
	kill -TERM "$pid"
	for _ in $(seq 1 50); do
		[ -d "/proc/$pid" ] || break
		sleep 0.1
	done
	mms_log "sample App (pid $pid) stopped"
	rm -f "$DEMO_APP_PIDFILE"
fi

# --- Mattermost ----------------------------------------------------------------------------------
if pid_is_ours "$MM_PIDFILE" "$MMS_BIN/mattermost"; then
	T0=$(date +%s%N)
	pid=$(cat "$MM_PIDFILE")
	# Plugin processes are children of the server, started from executables under $MMS_RUN/plugins.
	children=$(child_pids "$pid")
	kill -TERM "$pid"
	# NOTE: within about 15 seconds of its start, Mattermost 11.4 takes up to 15 seconds to stop:
	# its job watcher first sleeps a random part of its 15-second polling interval and does not
	# notice the stop request until that sleep ends (channels/jobs/jobs_watcher.go).
	for _ in $(seq 1 300); do
		[ -d "/proc/$pid" ] || break
		sleep 0.1
	done
	if [ -d "/proc/$pid" ]; then
		mms_log "mattermost (pid $pid) still running 30s after SIGTERM; sending SIGKILL"
		kill -KILL "$pid"
		sleep 0.5
	fi
	for child in $children; do
		exe=$(readlink -f "/proc/$child/exe" 2>/dev/null || true)
		case "$exe" in "$MMS_RUN"/plugins/*)
			mms_log "plugin process $child ($exe) outlived the server; sending SIGTERM"
			kill -TERM "$child"
			;;
		esac
	done
	mms_log "mattermost (pid $pid) stopped in $(elapsed "$T0")s"
else
	mms_log "mattermost is not running (no live pid in $MM_PIDFILE)"
fi
rm -f "$MM_PIDFILE"

# --- PostgreSQL ----------------------------------------------------------------------------------
if [ -n "$PGBIN" ] && pid_is_ours "$PG_PIDFILE" "$PGBIN/postgres" &&
	[ "$(head -1 "$PGDATA_DIR/postmaster.pid" 2>/dev/null)" = "$(cat "$PG_PIDFILE")" ]; then
	pid=$(cat "$PG_PIDFILE")
	if as_pg_owner "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null; then
		mms_log "postgres (pid $pid) stopped"
	else
		mms_log "pg_ctl stop failed for $PGDATA_DIR; see $MMS_PG/postgres.log"
		status=1
	fi
else
	mms_log "postgres is not running (no live pid in $PG_PIDFILE)"
fi
[ "$status" = 0 ] && rm -f "$PG_PIDFILE"
exit "$status"
