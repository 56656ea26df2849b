// Build module for the Mattermost server binaries (cmd/mattermost and
// cmd/mmctl) that the end-to-end tests run against. It is stored here under
// another name so that the repository holds no nested Go module. setup.sh
// copies it to $MMS_HOME/build/go.mod (and server.go.sum to go.sum) and builds
// with -mod=readonly.
//
// Do not run `go mod tidy` on it: tidy also resolves the imports behind the
// enterprise build tag, which point at a private repository.
//
// server/v8 at commit 9e1d4c2072c0 (2026-01-13) is Mattermost 11.4.0 (dev
// build, Team Edition). server/public is pinned to the master pseudo-version
// of the same day: upstream builds server/v8 against its in-repo public/
// through a go.work file, so the public version named in server/v8's own
// go.mod (v0.1.20) does not match it.
module mmserverbuild

go 1.24.11

// A dependency's replace directives are not inherited, so server/v8's replace
// for tablewriter is repeated here to get the dependency set upstream builds with.
replace github.com/olekukonko/tablewriter => github.com/olekukonko/tablewriter v0.0.5

require (
	github.com/mattermost/mattermost/server/public v0.1.22-0.20260113165922-8e4cadbc88ee // indirect
	github.com/mattermost/mattermost/server/v8 v8.0.0-20260113162330-9e1d4c2072c0 // indirect
)
