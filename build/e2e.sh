#!/usr/bin/env bash
# build/e2e.sh [BUNDLE.tar.gz]
# Runs the end-to-end tests in test/e2e against a real Mattermost server on 127.0.0.1 (make e2e).
# It prepares and starts the server with build/mmserver, installs the plugin bundle (default: the
# newest dist/com.mattermost.apps-*.tar.gz), and runs `go test -tags e2e ./test/e2e/...` with:
#   MM_URL, MM_ADMIN_TOKEN, MM_ADMIN_USER_ID, MM_TEAM_ID, MM_CHANNEL_ID, MMS_HOME  from env.sh
#   MM_PLUGIN_BUNDLE  absolute path of the installed bundle
#   E2E_RESTART_CMD   a shell command (for sh -c) that restarts the server and keeps its data
# E2E_GO_TEST_FLAGS adds go test flags, for example "-v -run TestServerPing".
# On exit the server is stopped, unless E2E_KEEP=1 or it was already running before this script.
# The exit status is go test's.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
MMS="$HERE/mmserver"
. "$MMS/common.sh"
# The restart command and the tests must see the same server as this script.
export MMS_HOME MM_PORT MM_PG_PORT
command -v go >/dev/null || PATH="/usr/local/go/bin:$PATH"

section() { printf '\n=== %s\n' "$*"; }

# --- plugin bundle -------------------------------------------------------------------------------
bundle=${1:-}
if [ -z "$bundle" ]; then
	bundle=$(ls -t "$ROOT"/dist/com.mattermost.apps-*.tar.gz 2>/dev/null | head -1 || true)
	if [ -z "$bundle" ]; then
		echo "e2e: no plugin bundle in $ROOT/dist (expected com.mattermost.apps-*.tar.gz); run make dist or pass a bundle" >&2
		exit 1
	fi
fi
if [ ! -f "$bundle" ]; then
	echo "e2e: plugin bundle $bundle not found" >&2
	exit 1
fi
bundle=$(cd "$(dirname "$bundle")" && pwd)/$(basename "$bundle")

# --- server --------------------------------------------------------------------------------------
section "setting up the Mattermost server ($MMS_HOME)"
"$MMS/setup.sh"

section "starting the Mattermost server"
already_running=0
if pid_is_ours "$MM_PIDFILE" "$MMS_BIN/mattermost"; then
	already_running=1
fi
stop_server() {
	if [ "${E2E_KEEP:-0}" = 1 ]; then
		echo "e2e: E2E_KEEP=1, so the server keeps running at $MM_URL; stop it with $MMS/stop.sh"
	elif [ "$already_running" = 1 ]; then
		echo "e2e: the server was running before the tests, so it keeps running; stop it with $MMS/stop.sh"
	else
		section "stopping the Mattermost server"
		"$MMS/stop.sh" || true
	fi
}
trap stop_server EXIT
"$MMS/start.sh"

section "installing $(basename "$bundle")"
"$MMS/install-plugin.sh" "$bundle" >/dev/null
. "$MMS_HOME/env.sh"

# --- tests ---------------------------------------------------------------------------------------
export MM_URL MM_ADMIN_TOKEN MM_ADMIN_USER_ID MM_TEAM_ID MM_CHANNEL_ID
export MM_PLUGIN_BUNDLE="$bundle"
E2E_RESTART_CMD="MMS_STOP_DEMO_APP=0 $(printf '%q' "$MMS/stop.sh") && $(printf '%q' "$MMS/start.sh")"
export E2E_RESTART_CMD

read -r -a extra_flags <<<"${E2E_GO_TEST_FLAGS:-}"
section "go test -race -count=1 -tags e2e -timeout 20m ${extra_flags[*]} ./test/e2e/..."
status=0
(cd "$ROOT" && go test -race -count=1 -tags e2e -timeout 20m "${extra_flags[@]}" ./test/e2e/...) || status=$?
if [ "$status" != 0 ]; then
	echo "e2e: tests failed (exit status $status). Server log: $MM_LOG_DIR/mattermost.log; server stdout and stderr: $MM_STDOUT_LOG"
fi
exit "$status"
