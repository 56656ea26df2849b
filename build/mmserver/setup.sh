#!/usr/bin/env bash
# Prepares a loopback-only Mattermost server for the plugin's end-to-end tests. Nothing is started
# here (start.sh does that). The steps:
#   1. install postgresql, postgresql-client, curl, wrk and python3 from Debian when missing;
#   2. build bin/mattermost and bin/mmctl with the pinned module in server.go.mod / server.go.sum;
#   3. copy the files the server reads at run time (i18n/, templates/, fonts/) out of the module;
#   4. create a private PostgreSQL cluster that listens on 127.0.0.1:$MM_PG_PORT only.
# Running it again is cheap: each step is skipped when its result is already there.
#   MMS_REBUILD=1  rebuild the binaries even when they are up to date
#   MMS_RESET=1    delete the database, config, uploaded plugins and logs first (binaries are kept)
# Installing packages needs root (or sudo). The Go module and build caches make a rebuild take
# seconds; the first build on an empty cache takes minutes.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/common.sh"

T_ALL=$(date +%s)
command -v go >/dev/null || { mms_log "go not found in PATH (on Debian, add /usr/local/go/bin)"; exit 1; }

# --- 1. packages -------------------------------------------------------------------------------
missing=()
[ -n "$(pg_bindir)" ] || missing+=(postgresql)
command -v psql >/dev/null || missing+=(postgresql-client)
command -v curl >/dev/null || missing+=(curl)
command -v wrk >/dev/null || missing+=(wrk)
command -v python3 >/dev/null || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
	sudo=()
	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null || { mms_log "missing packages: ${missing[*]}; install them as root"; exit 1; }
		sudo=(sudo)
	fi
	mms_log "installing ${missing[*]} (apt-get)"
	"${sudo[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
PGBIN=$(pg_bindir)
# Debian's postgresql package creates and starts its own cluster on port 5432. It is not used or
# touched here: our cluster has its own data directory and port.

# --- is a server from this MMS_HOME running? ------------------------------------------------------
running=0
if pid_is_ours "$MM_PIDFILE" "$MMS_BIN/mattermost" || pid_is_ours "$PG_PIDFILE" "$PGBIN/postgres"; then
	running=1
fi

# --- 2. build ------------------------------------------------------------------------------------
mkdir -p "$MMS_BIN" "$MMS_HOME/build"
chmod 755 "$MMS_HOME"
stamp="$(cat "$HERE/server.go.mod" "$HERE/server.go.sum" | sha256sum | cut -c1-16) $(go env GOVERSION)"
if [ "${MMS_REBUILD:-0}" = 1 ] || [ ! -x "$MMS_BIN/mattermost" ] || [ ! -x "$MMS_BIN/mmctl" ] ||
	[ "$(cat "$MMS_BIN/.stamp" 2>/dev/null)" != "$stamp" ]; then
	if [ "$running" = 1 ]; then
		# Replacing the binary under a running server would also defeat stop.sh's executable check.
		mms_log "the binaries need a rebuild but a server from $MMS_HOME is running; run $HERE/stop.sh first"
		exit 1
	fi
	cp "$HERE/server.go.mod" "$MMS_HOME/build/go.mod"
	cp "$HERE/server.go.sum" "$MMS_HOME/build/go.sum"
	mms_log "building mattermost and mmctl (about 2.5 min and 2 GB of Go caches when the caches are empty)"
	T0=$(date +%s)
	# No build tags, so this is a Team Edition build. GOWORK=off keeps any go.work above
	# MMS_HOME out of the build.
	(
		cd "$MMS_HOME/build"
		export GOWORK=off GOFLAGS=''
		go build -mod=readonly -trimpath -o "$MMS_BIN/mattermost.new" github.com/mattermost/mattermost/server/v8/cmd/mattermost
		go build -mod=readonly -trimpath -o "$MMS_BIN/mmctl.new" github.com/mattermost/mattermost/server/v8/cmd/mmctl
	)
	mv "$MMS_BIN/mattermost.new" "$MMS_BIN/mattermost"
	mv "$MMS_BIN/mmctl.new" "$MMS_BIN/mmctl"
	echo "$stamp" >"$MMS_BIN/.stamp"
	mms_log "build took $(($(date +%s) - T0))s"
else
	mms_log "binaries are up to date in $MMS_BIN"
fi

# --- MMS_RESET: delete all state except the binaries ---------------------------------------------
if [ "${MMS_RESET:-0}" = 1 ]; then
	if [ "$running" = 1 ]; then
		mms_log "MMS_RESET=1 but a server from $MMS_HOME is running; run $HERE/stop.sh first"
		exit 1
	fi
	mms_log "MMS_RESET=1: deleting $MMS_RUN and $MMS_PG"
	rm -rf "$MMS_RUN" "$MMS_PG" "$MMS_HOME/env.sh"
fi

# --- 3. run-time files ---------------------------------------------------------------------------
# A -trimpath binary looks for these relative to its working directory and exits without them.
mkdir -p "$MMS_RUN"/{config,data,logs,plugins,client/plugins}
module_dir=""
for dir in i18n templates fonts; do
	if [ ! -d "$MMS_RUN/$dir" ]; then
		if [ -z "$module_dir" ]; then
			module_dir=$(cd "$MMS_HOME/build" && GOWORK=off GOFLAGS='' go list -mod=readonly -m -f '{{.Dir}}' github.com/mattermost/mattermost/server/v8)
		fi
		cp -r "$module_dir/$dir" "$MMS_RUN/$dir"
		chmod -R u+w "$MMS_RUN/$dir"
	fi
done

# --- 4. private PostgreSQL cluster ---------------------------------------------------------------
if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
	mms_log "creating a PostgreSQL cluster in $PGDATA_DIR"
	mkdir -p "$MMS_PG"
	[ "$(id -u)" = 0 ] && chown postgres:postgres "$MMS_PG"
	chmod 700 "$MMS_PG"
	as_pg_owner "$PGBIN/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$MMS_PG/initdb.log"
	# Trust authentication is acceptable only because the cluster listens on 127.0.0.1 and on a
	# socket in its own directory. fsync and synchronous_commit are off because this is a
	# throwaway test database that need not survive a machine crash. The port is not set here:
	# start.sh passes MM_PG_PORT on each start.
	as_pg_owner tee -a "$PGDATA_DIR/postgresql.conf" >/dev/null <<EOF

# --- mattermost-apps-e2e test cluster ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$MMS_PG'
max_connections = 200
shared_buffers = 128MB
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
fi

mms_log "done in $(($(date +%s) - T_ALL))s; binaries in $MMS_BIN, run directory $MMS_RUN, database in $PGDATA_DIR"
mms_log "next: $HERE/start.sh"
