// Package apps holds the wire types that the plugin exchanges with Apps and with admins: the App
// manifest, calls and their requests and responses, the call context, and the installed App record.
// The JSON forms stay compatible with manifests and Apps written for the original Apps plugin.
package apps

import (
	"strings"
)

// AppID identifies an App. Valid IDs are 3 to 32 bytes of letters, digits, '-', '_' and '.'.
type AppID string

// AppVersion is an App's version as declared in its manifest.
type AppVersion string

// DeployType is the way the plugin reaches an App. Only HTTP Apps are supported.
type DeployType string

// DeployHTTP is the deploy type of an App served over HTTP.
const DeployHTTP DeployType = "http"

// PluginID is the Mattermost plugin id. Webhook URLs that Apps already publish contain it.
const PluginID = "com.mattermost.apps"

// AppPath returns the path of an App's routes below the Mattermost site URL.
func AppPath(appID AppID) string {
	return "/plugins/" + PluginID + "/apps/" + string(appID)
}

// WebhookURL returns the public webhook URL of an App, without a sub path or a secret.
func WebhookURL(siteURL string, appID AppID) string {
	return strings.TrimRight(siteURL, "/") + AppPath(appID) + "/webhook"
}
