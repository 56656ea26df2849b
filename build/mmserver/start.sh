#!/usr/bin/env bash
# Starts the private PostgreSQL cluster and the Mattermost server on 127.0.0.1, waits until
# /api/v4/system/ping responds, makes sure that the system admin, the team "$MM_TEAM_NAME" and the
# admin's membership in it exist, and writes $MMS_HOME/env.sh for tests and scripts to source.
# Each part that is already running is left as it is, so running it twice is harmless.
# Pid files for stop.sh: $MMS_HOME/run/mattermost.pid and $MMS_HOME/run/postgres.pid.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/common.sh"

if [ ! -x "$MMS_BIN/mattermost" ] || [ ! -d "$MMS_RUN/i18n" ] || [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
	mms_log "nothing to start in $MMS_HOME; run $HERE/setup.sh first"
	exit 1
fi
PGBIN=$(pg_bindir)

# --- PostgreSQL ----------------------------------------------------------------------------------
if pid_is_ours "$PG_PIDFILE" "$PGBIN/postgres"; then
	mms_log "postgres is already running (pid $(cat "$PG_PIDFILE"))"
else
	T0=$(date +%s%N)
	if ! as_pg_owner "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$MMS_PG/postgres.log" -o "-p $MM_PG_PORT" -w -t 60 start >/dev/null; then
		mms_log "postgres failed to start on 127.0.0.1:$MM_PG_PORT (is the port taken? set MM_PG_PORT); last lines of $MMS_PG/postgres.log:"
		tail -5 "$MMS_PG/postgres.log" >&2
		exit 1
	fi
	head -1 "$PGDATA_DIR/postmaster.pid" >"$PG_PIDFILE"
	mms_log "postgres started on 127.0.0.1:$MM_PG_PORT (pid $(cat "$PG_PIDFILE"), $(elapsed "$T0")s)"
fi
if [ "$(pg_psql -c "SELECT 1 FROM pg_roles WHERE rolname = 'mmuser'")" != 1 ]; then
	pg_psql -c "CREATE ROLE mmuser LOGIN PASSWORD 'mostest'"
fi
if [ "$(pg_psql -c "SELECT 1 FROM pg_database WHERE datname = 'mattermost'")" != 1 ]; then
	pg_psql -c "CREATE DATABASE mattermost OWNER mmuser"
fi

# --- config.json ---------------------------------------------------------------------------------
# write_config merges the settings the tests rely on into config.json and keeps everything else,
# such as the plugin states the server stores there. A missing file is created, and the server
# fills in defaults for the other settings and writes the whole file back on start.
write_config() {
	MM_URL=$MM_URL MM_HOST=$MM_HOST MM_PORT=$MM_PORT MM_LOCAL_SOCKET=$MM_LOCAL_SOCKET MM_DSN=$MM_DSN \
		MM_LOG_DIR=$MM_LOG_DIR MMS_RUN=$MMS_RUN python3 - "$MM_CONFIG" <<'EOF'
import json, os, sys

path = sys.argv[1]
env = os.environ
config = {}
if os.path.exists(path):
    with open(path) as f:
        config = json.load(f)

required = {
    "ServiceSettings": {
        "SiteURL": env["MM_URL"],
        "ListenAddress": env["MM_HOST"] + ":" + env["MM_PORT"],
        "EnableLocalMode": True,
        "LocalModeSocketLocation": env["MM_LOCAL_SOCKET"],
        "EnableBotAccountCreation": True,
        "EnableUserAccessTokens": True,
        "EnableSecurityFixAlert": False,
        "EnableLinkPreviews": False,
        "EnableDeveloper": False,
    },
    "SqlSettings": {"DriverName": "postgres", "DataSource": env["MM_DSN"]},
    "LogSettings": {
        "EnableConsole": True, "ConsoleLevel": "INFO", "ConsoleJson": False,
        "EnableFile": True, "FileLevel": "DEBUG", "FileLocation": env["MM_LOG_DIR"],
        "EnableDiagnostics": False, "EnableSentry": False,
    },
    "FileSettings": {"Directory": env["MMS_RUN"] + "/data/"},
    "PluginSettings": {
        "Enable": True,
        "EnableUploads": True,
        "EnableHealthCheck": True,
        "Directory": env["MMS_RUN"] + "/plugins",
        "ClientDirectory": env["MMS_RUN"] + "/client/plugins",
        "EnableMarketplace": False,
        "EnableRemoteMarketplace": False,
        "AutomaticPrepackagedPlugins": False,
        "RequirePluginSignature": False,
    },
    "AnnouncementSettings": {"AdminNoticesEnabled": False, "UserNoticesEnabled": False},
    "EmailSettings": {"SendEmailNotifications": False, "RequireEmailVerification": False},
    "TeamSettings": {"EnableOpenServer": True},
    "MetricsSettings": {"Enable": False, "ListenAddress": env["MM_HOST"] + ":8067"},
    "RateLimitSettings": {"Enable": False},
}
for section, values in required.items():
    config.setdefault(section, {}).update(values)

with open(path + ".tmp", "w") as f:
    json.dump(config, f, indent=2)
os.replace(path + ".tmp", path)
EOF
}

# --- Mattermost ----------------------------------------------------------------------------------
if pid_is_ours "$MM_PIDFILE" "$MMS_BIN/mattermost"; then
	mms_log "mattermost is already running (pid $(cat "$MM_PIDFILE"))"
else
	if curl -s -o /dev/null --max-time 2 "$MM_URL/api/v4/system/ping"; then
		mms_log "another process already answers on $MM_URL; stop it or set MM_PORT"
		exit 1
	fi
	write_config
	# Keep the stdout log from growing without bound across runs (the file log rotates itself).
	if [ -f "$MM_STDOUT_LOG" ] && [ "$(stat -c %s "$MM_STDOUT_LOG")" -gt $((20 * 1024 * 1024)) ]; then
		mv "$MM_STDOUT_LOG" "$MM_STDOUT_LOG.1"
	fi

	T0=$(date +%s%N)
	# The server looks for i18n/, templates/ and fonts/ relative to its working directory.
	cd "$MMS_RUN"
	MM_FEATUREFLAGS_APPSENABLED="$MM_APPS_ENABLED" \
		nohup "$MMS_BIN/mattermost" server --config "$MM_CONFIG" >>"$MM_STDOUT_LOG" 2>&1 </dev/null &
	echo $! >"$MM_PIDFILE"
	cd - >/dev/null

	deadline=$(($(date +%s) + MM_START_TIMEOUT))
	until curl -sf -o /dev/null --max-time 2 "$MM_URL/api/v4/system/ping"; do
		if ! pid_is_ours "$MM_PIDFILE" "$MMS_BIN/mattermost"; then
			mms_log "mattermost exited during start-up; last lines of $MM_STDOUT_LOG:"
			tail -20 "$MM_STDOUT_LOG" >&2
			exit 1
		fi
		if [ "$(date +%s)" -ge "$deadline" ]; then
			mms_log "no answer from $MM_URL/api/v4/system/ping after ${MM_START_TIMEOUT}s; see $MM_STDOUT_LOG (the server is still running: use stop.sh)"
			exit 1
		fi
		sleep 0.2
	done
	rss=$(awk '/VmRSS/ {print $2 " " $3}' "/proc/$(cat "$MM_PIDFILE")/status")
	mms_log "mattermost is up at $MM_URL (pid $(cat "$MM_PIDFILE"), $(elapsed "$T0")s, RSS $rss, MM_FEATUREFLAGS_APPSENABLED=$MM_APPS_ENABLED)"
fi

# --- system admin and session token ----------------------------------------------------------------
# Local mode (a unix socket that needs no authentication) creates the first user. Everything
# after that goes over TCP with the admin's bearer token, as the tests do.
local_api() { curl -s --unix-socket "$MM_LOCAL_SOCKET" "http://localhost/api/v4$1" "${@:2}"; }
admin_api() { curl -s -H "Authorization: Bearer $token" "$MM_URL/api/v4$1" "${@:2}"; }

if [ "$(local_api "/users/username/$MM_ADMIN_USER" -o /dev/null -w '%{http_code}')" = 404 ]; then
	local_api /users -X POST -H 'Content-Type: application/json' -o /dev/null \
		-d "$(json_object email "$MM_ADMIN_EMAIL" username "$MM_ADMIN_USER" password "$MM_ADMIN_PASSWORD")"
fi
admin_id=$(local_api "/users/username/$MM_ADMIN_USER" | json_field id)
local_api "/users/$admin_id/roles" -X PUT -H 'Content-Type: application/json' -o /dev/null \
	-d '{"roles": "system_admin system_user"}'

# Reuse the token of the previous start while it is valid, so that a restart does not
# invalidate a token that a running test holds.
token=""
if [ -f "$MMS_HOME/env.sh" ]; then
	token=$(sed -n 's/^export MM_ADMIN_TOKEN=//p' "$MMS_HOME/env.sh")
	if [ -z "$token" ] || [ "$(admin_api /users/me -o /dev/null -w '%{http_code}')" != 200 ]; then
		token=""
	fi
fi
if [ -z "$token" ]; then
	token=$(curl -s -D - -o /dev/null -X POST "$MM_URL/api/v4/users/login" -H 'Content-Type: application/json' \
		-d "$(json_object login_id "$MM_ADMIN_USER" password "$MM_ADMIN_PASSWORD")" |
		awk 'tolower($1) == "token:" {print $2}' | tr -d '\r')
	[ -n "$token" ] || { mms_log "login as $MM_ADMIN_USER failed; see $MM_LOG_DIR/mattermost.log"; exit 1; }
fi

# --- team and channel ------------------------------------------------------------------------------
if [ "$(admin_api "/teams/name/$MM_TEAM_NAME" -o /dev/null -w '%{http_code}')" = 404 ]; then
	admin_api /teams -X POST -H 'Content-Type: application/json' -o /dev/null \
		-d "$(json_object name "$MM_TEAM_NAME" display_name "E2E tests" type O)"
fi
team_id=$(admin_api "/teams/name/$MM_TEAM_NAME" | json_field id)
# Adding an existing member again succeeds, so these two calls are safe on every start.
code=$(admin_api "/teams/$team_id/members" -X POST -H 'Content-Type: application/json' -o /dev/null -w '%{http_code}' \
	-d "$(json_object team_id "$team_id" user_id "$admin_id")")
[ "$code" = 201 ] || { mms_log "adding $MM_ADMIN_USER to team $MM_TEAM_NAME failed: HTTP $code"; exit 1; }
# Every new team gets a public channel named town-square.
channel_id=$(admin_api "/teams/$team_id/channels/name/town-square" | json_field id)
code=$(admin_api "/channels/$channel_id/members" -X POST -H 'Content-Type: application/json' -o /dev/null -w '%{http_code}' \
	-d "$(json_object user_id "$admin_id")")
[ "$code" = 201 ] || { mms_log "adding $MM_ADMIN_USER to town-square failed: HTTP $code"; exit 1; }

# --- plugins enabled before a restart --------------------------------------------------------------
# The server starts the installed plugins that config.json marks as enabled in the background, so
# the first ping can come before they are active. Wait up to 30 seconds for them, so that a test
# that restarts the server finds its plugin running again. A plugin that does not start only gets
# a warning here. (PluginStates also lists prepackaged plugins that are not installed; those are
# skipped because GET /plugins does not list them.)
starting_plugins() {
	admin_api /plugins | python3 -c '
import json, sys
states = json.load(open(sys.argv[1])).get("PluginSettings", {}).get("PluginStates") or {}
inactive = json.load(sys.stdin).get("inactive") or []
print(" ".join(p["id"] for p in inactive if (states.get(p["id"]) or {}).get("Enable")))' "$MM_CONFIG"
}
deadline=$(($(date +%s) + 30))
while :; do
	starting=$(starting_plugins || echo "(GET /api/v4/plugins failed)")
	if [ -z "$starting" ] || [ "$(date +%s)" -ge "$deadline" ]; then
		break
	fi
	sleep 0.2
done
if [ -n "$starting" ]; then
	mms_log "warning: enabled plugins not active after 30s: $starting; see $MM_LOG_DIR/mattermost.log"
fi

# --- env.sh ----------------------------------------------------------------------------------------
# The file contains the admin's password and token, so only its owner may read it.
umask 077
{
	echo "# Written by $HERE/start.sh; source it."
	for name in MMS_HOME MM_URL MM_ADMIN_USER MM_ADMIN_PASSWORD MM_TEAM_NAME MM_LOCAL_SOCKET; do
		printf 'export %s=%q\n' "$name" "${!name}"
	done
	printf 'export MM_ADMIN_USER_ID=%q\n' "$admin_id"
	printf 'export MM_ADMIN_TOKEN=%q\n' "$token"
	printf 'export MM_TEAM_ID=%q\n' "$team_id"
	printf 'export MM_CHANNEL_ID=%q\n' "$channel_id"
	printf 'export MM_SERVER_LOG=%q\n' "$MM_LOG_DIR/mattermost.log"
	printf 'export MMCTL_LOCAL_SOCKET_PATH=%q  # for: mmctl --local ...\n' "$MM_LOCAL_SOCKET"
	printf 'export PATH=%q:"$PATH"\n' "$MMS_BIN"
} >"$MMS_HOME/env.sh.tmp"
mv "$MMS_HOME/env.sh.tmp" "$MMS_HOME/env.sh"
mms_log "admin $MM_ADMIN_USER is a member of team $MM_TEAM_NAME; source $MMS_HOME/env.sh for MM_URL, MM_ADMIN_TOKEN, MM_TEAM_ID, MM_CHANNEL_ID"
