#!/usr/bin/env bash
# build/demo.sh [BUNDLE.tar.gz]
# Shows the plugin's main job on this machine (make demo), with everything on 127.0.0.1:
#   1. prepares and starts Mattermost and PostgreSQL with build/mmserver;
#   2. builds the sample App from examples/webhook-app and starts it on $DEMO_APP_ADDR;
#   3. installs the plugin bundle (default: the newest dist/com.mattermost.apps-*.tar.gz);
#   4. installs the App as the admin with /apps install, then reads its webhook URL with /apps info;
#   5. sends a GitHub-style push webhook to that URL and prints the sender's HTTP status;
#   6. waits up to 10 seconds for the post that the App's bot makes, and prints it.
# Everything keeps running afterwards; build/mmserver/stop.sh (make stop) stops the server, the
# database and the App. Exits non-zero, with the reason, when a step fails.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
MMS="$HERE/mmserver"
. "$MMS/common.sh"
export MMS_HOME MM_PORT MM_PG_PORT
command -v go >/dev/null || PATH="/usr/local/go/bin:$PATH"

APP_ID=webhook-app
APP_ADDR=${DEMO_APP_ADDR:-127.0.0.1:8081}
APP_MANIFEST_URL="http://$APP_ADDR/manifest.json"
APP_BIN=$DEMO_APP_BIN
APP_PIDFILE=$DEMO_APP_PIDFILE
APP_LOG=$DEMO_APP_LOG

step() { printf '\n=== %s\n' "$*"; }
logs_hint() {
	echo "logs: Mattermost and the plugin: $MM_LOG_DIR/mattermost.log (stdout and stderr: $MM_STDOUT_LOG);" \
		"sample App: $APP_LOG"
}
fail() {
	echo "demo: FAILED: $*" >&2
	logs_hint >&2
	echo "stop everything with: $MMS/stop.sh (make stop)" >&2
	exit 1
}

# --- 1. Mattermost -------------------------------------------------------------------------------
step "1. preparing and starting Mattermost on $MM_URL (first run: about 3 minutes for the server build)"
"$MMS/setup.sh" || fail "setup.sh failed (output above)"
"$MMS/start.sh" || fail "start.sh failed (output above)"
. "$MMS_HOME/env.sh"
echo "note: Mattermost runs with MM_FEATUREFLAGS_APPSENABLED=$MM_APPS_ENABLED. Without true, the server keeps" \
	"a plugin with id com.mattermost.apps disabled and every /plugins/com.mattermost.apps/... route answers 404."

# --- 2. the sample App ---------------------------------------------------------------------------
step "2. building and starting the sample App on $APP_ADDR"
[ -d "$ROOT/examples/webhook-app" ] || fail "$ROOT/examples/webhook-app not found: the sample App is missing from this checkout"
# A previous demo's App is stopped first, so that the new build serves the demo.
if pid_is_ours "$APP_PIDFILE" "$APP_BIN"; then
	kill -TERM "$(cat "$APP_PIDFILE")"
	for _ in $(seq 1 50); do pid_is_ours "$APP_PIDFILE" "$APP_BIN" || break; sleep 0.1; done
fi
rm -f "$APP_PIDFILE"
if curl -s -o /dev/null --max-time 2 "$APP_MANIFEST_URL"; then
	fail "another process already listens on $APP_ADDR; stop it or set DEMO_APP_ADDR"
fi
(cd "$ROOT" && go build -o "$APP_BIN" ./examples/webhook-app) || fail "go build ./examples/webhook-app failed"
nohup "$APP_BIN" -addr "$APP_ADDR" >>"$APP_LOG" 2>&1 </dev/null &
echo $! >"$APP_PIDFILE"
deadline=$(($(date +%s) + 10))
until curl -sf -o /dev/null --max-time 2 "$APP_MANIFEST_URL"; do
	if ! pid_is_ours "$APP_PIDFILE" "$APP_BIN"; then
		tail -5 "$APP_LOG" >&2
		fail "the sample App exited during start-up (last lines of $APP_LOG above)"
	fi
	[ "$(date +%s)" -lt "$deadline" ] || fail "the sample App does not serve $APP_MANIFEST_URL after 10s"
	sleep 0.2
done
echo "sample App running (pid $(cat "$APP_PIDFILE")), manifest at $APP_MANIFEST_URL"

# --- 3. the plugin -------------------------------------------------------------------------------
step "3. installing the plugin"
bundle=${1:-}
if [ -z "$bundle" ]; then
	bundle=$(ls -t "$ROOT"/dist/com.mattermost.apps-*.tar.gz 2>/dev/null | head -1 || true)
	[ -n "$bundle" ] || fail "no plugin bundle in $ROOT/dist; run make dist (make demo does) or pass a bundle"
fi
[ -f "$bundle" ] || fail "plugin bundle $bundle not found"
"$MMS/install-plugin.sh" "$bundle" >/dev/null || fail "installing $bundle failed (output above)"
echo "installed $(basename "$bundle")"

# --- 4. install the App --------------------------------------------------------------------------
# run_command COMMAND: runs a slash command as the admin in town-square of team $MM_TEAM_NAME and
# prints the text of the response.
run_command() {
	local body response code
	body=$(json_object channel_id "$MM_CHANNEL_ID" command "$1")
	response="$MMS_HOME/.demo-command.json"
	code=$(curl -s --max-time 30 -o "$response" -w '%{http_code}' -X POST "$MM_URL/api/v4/commands/execute" \
		-H "Authorization: Bearer $MM_ADMIN_TOKEN" -H 'Content-Type: application/json' -d "$body") || code=000
	if [ "$code" != 200 ]; then
		fail "$1 failed: HTTP $code $(cat "$response" 2>/dev/null)"
	fi
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("text") or "")' "$response"
}

step "4. installing the App: /apps install http $APP_MANIFEST_URL"
install_text=$(run_command "/apps install http $APP_MANIFEST_URL")
echo "$install_text"
step "   confirming: /apps install confirm $APP_ID"
confirm_text=$(run_command "/apps install confirm $APP_ID")
echo "$confirm_text"

step "   reading the webhook URL: /apps info $APP_ID"
info_text=$(run_command "/apps info $APP_ID")
webhook_url=$(printf '%s' "$info_text" | python3 -c '
import re, sys
pattern = re.escape(sys.argv[1] + "/plugins/com.mattermost.apps/apps/" + sys.argv[2] + "/webhook") + r"[^ )`\s]*"
match = re.search(pattern, sys.stdin.read())
print(match.group(0) if match else "")' "$MM_URL" "$APP_ID")
[ -n "$webhook_url" ] || fail "no webhook URL in the output of /apps info $APP_ID: $info_text"
# Show the secret's first 4 characters only.
masked_url=$(printf '%s' "$webhook_url" | sed -E 's/(secret=[^&]{0,4})[^&]*/\1****/')
echo "webhook URL: $masked_url"

# --- 5. send a webhook ---------------------------------------------------------------------------
# The sub path /github goes before the query: .../webhook/github?secret=...
github_url=$(printf '%s' "$webhook_url" | python3 -c '
import sys
url = sys.stdin.read()
base, sep, query = url.partition("?")
print(base.rstrip("/") + "/github" + sep + query)')
delivery_id=$(python3 -c 'import uuid; print(uuid.uuid4())')
payload=$(cat <<'EOF'
{
  "ref": "refs/heads/main",
  "before": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
  "after": "59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5",
  "created": false,
  "deleted": false,
  "forced": false,
  "compare": "https://github.com/octo-org/hello-world/compare/6113728f27ae...59b20b8d5c6f",
  "repository": {
    "id": 1296269,
    "name": "hello-world",
    "full_name": "octo-org/hello-world",
    "html_url": "https://github.com/octo-org/hello-world",
    "default_branch": "main"
  },
  "pusher": { "name": "octocat", "email": "octocat@example.com" },
  "sender": { "login": "octocat", "id": 583231 },
  "commits": [
    {
      "id": "59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5",
      "message": "Fix the broken link in the README",
      "timestamp": "2026-01-15T10:21:09+01:00",
      "url": "https://github.com/octo-org/hello-world/commit/59b20b8d5c6ff8d09518454d4dd8b7b30f095ab5",
      "author": { "name": "Mona Lisa Octocat", "email": "mona@example.com", "username": "octocat" },
      "added": [],
      "removed": [],
      "modified": ["README.md"]
    }
  ]
}
EOF
)

step "5. sending a GitHub push webhook (X-GitHub-Delivery: $delivery_id)"
echo "POST $(printf '%s' "$masked_url" | sed -E 's#/webhook([?]|$)#/webhook/github\1#')"
sent_at_ms=$(($(date +%s%N) / 1000000))
sender_response="$MMS_HOME/.demo-webhook-response"
status=$(curl -s --max-time 60 -o "$sender_response" -w '%{http_code}' -X POST "$github_url" \
	-H 'Content-Type: application/json' -H 'X-GitHub-Event: push' -H "X-GitHub-Delivery: $delivery_id" \
	-H 'User-Agent: GitHub-Hookshot/demo' --data-binary "$payload") || status=000
echo "sender got HTTP $status"
case "$status" in
2??) ;;
*) fail "the webhook was not delivered: HTTP $status $(head -c 300 "$sender_response" 2>/dev/null)" ;;
esac

# --- 6. the App's post ---------------------------------------------------------------------------
step "6. waiting for the App's post in town-square"
bot_id=$(curl -s --max-time 10 -H "Authorization: Bearer $MM_ADMIN_TOKEN" "$MM_URL/api/v4/users/username/$APP_ID" |
	json_field id 2>/dev/null) || fail "the App's bot user @$APP_ID was not found"
message=""
deadline=$(($(date +%s) + 10))
while [ -z "$message" ]; do
	message=$(curl -s --max-time 5 -H "Authorization: Bearer $MM_ADMIN_TOKEN" \
		"$MM_URL/api/v4/channels/$MM_CHANNEL_ID/posts?per_page=5" | python3 -c '
import json, sys
posts = json.load(sys.stdin)
for post_id in posts.get("order") or []:
    post = posts["posts"][post_id]
    if post["user_id"] == sys.argv[1] and post["create_at"] >= int(sys.argv[2]):
        print(post["message"])
        break' "$bot_id" "$sent_at_ms" || true)
	if [ -z "$message" ]; then
		[ "$(date +%s)" -lt "$deadline" ] || fail "no post from @$APP_ID in town-square within 10s of the webhook"
		sleep 0.5
	fi
done
echo "@$APP_ID: $message"

step "done"
echo "Mattermost: $MM_URL (user $MM_ADMIN_USER, password in $MMS_HOME/env.sh), team $MM_TEAM_NAME, channel town-square"
echo "stop everything: make stop (or $MMS/stop.sh, which also stops the sample App, pid $(cat "$APP_PIDFILE"))"
logs_hint
