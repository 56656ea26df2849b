#!/usr/bin/env bash
# install-plugin.sh BUNDLE.tar.gz
# Uploads a plugin bundle to the server that start.sh started (POST /api/v4/plugins with
# force=true, so it replaces an installed version), enables it, and waits up to
# MMS_PLUGIN_TIMEOUT seconds (default 30) until GET /api/v4/plugins lists it as active.
# Prints the plugin id on success.
# MMS_VIA=tcp (default) uses the admin's bearer token from env.sh over 127.0.0.1;
# MMS_VIA=local uses the local-mode unix socket, which needs no authentication.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/common.sh"

if [ $# -ne 1 ] || [ ! -f "$1" ]; then
	echo "usage: $0 BUNDLE.tar.gz" >&2
	exit 2
fi
[ -f "$MMS_HOME/env.sh" ] || { mms_log "$MMS_HOME/env.sh not found; run $HERE/start.sh first"; exit 1; }
. "$MMS_HOME/env.sh"
bundle=$1
timeout_seconds=${MMS_PLUGIN_TIMEOUT:-30}

# The manifest is <id>/plugin.json inside the bundle (or plugin.json at its top).
plugin_id=$(python3 - "$bundle" <<'EOF'
import json, sys, tarfile
with tarfile.open(sys.argv[1]) as bundle:
    manifests = [m for m in bundle.getmembers()
                 if m.isfile() and m.name.lstrip("./").count("/") <= 1
                 and m.name.rsplit("/", 1)[-1] == "plugin.json"]
    if not manifests:
        sys.exit("no plugin.json at the top of " + sys.argv[1])
    manifests.sort(key=lambda m: m.name.lstrip("./").count("/"))
    print(json.load(bundle.extractfile(manifests[0]))["id"])
EOF
)

api() {
	if [ "${MMS_VIA:-tcp}" = local ]; then
		curl -s --unix-socket "$MM_LOCAL_SOCKET" "http://localhost/api/v4$1" "${@:2}"
	else
		curl -s -H "Authorization: Bearer $MM_ADMIN_TOKEN" "$MM_URL/api/v4$1" "${@:2}"
	fi
}

T0=$(date +%s%N)
response="$MMS_HOME/.install-plugin-response.json"
code=$(api /plugins -X POST -F "plugin=@$bundle" -F force=true -o "$response" -w '%{http_code}')
if [ "$code" != 201 ]; then
	mms_log "upload of $plugin_id failed: HTTP $code $(cat "$response")"
	exit 1
fi
code=$(api "/plugins/$plugin_id/enable" -X POST -o "$response" -w '%{http_code}')
if [ "$code" != 200 ]; then
	mms_log "enabling $plugin_id failed: HTTP $code $(cat "$response")"
	exit 1
fi

# GET /plugins lists running plugins under "active". Unlike /plugins/statuses, it also works in
# local mode.
is_active() {
	api /plugins | python3 -c '
import json, sys
plugins = json.load(sys.stdin)
sys.exit(0 if any(p["id"] == sys.argv[1] for p in plugins.get("active") or []) else 1)' "$plugin_id"
}
deadline=$(($(date +%s) + timeout_seconds))
while [ "$(date +%s)" -lt "$deadline" ]; do
	if is_active; then
		mms_log "$plugin_id is active ($(elapsed "$T0")s for upload, enable and start)" >&2
		echo "$plugin_id"
		exit 0
	fi
	sleep 0.2
done

mms_log "$plugin_id is not active ${timeout_seconds}s after it was enabled; see $MM_LOG_DIR/mattermost.log"
if [ "$plugin_id" = com.mattermost.apps ]; then
	mms_log "the server keeps com.mattermost.apps disabled unless it runs with MM_FEATUREFLAGS_APPSENABLED=true (MM_APPS_ENABLED in common.sh)"
fi
exit 1
