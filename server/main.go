// Command plugin is the server part of the Apps plugin: Mattermost starts it and talks to it over RPC.
package main

import (
	"github.com/mattermost/mattermost/server/public/plugin"
)

func main() {
	plugin.ClientMain(&Plugin{})
}
