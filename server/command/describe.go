package command

import (
	"fmt"
	"strings"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

// permissionMeanings describes in plain words what each permission lets an App do.
var permissionMeanings = map[apps.Permission]string{
	apps.PermissionActAsBot:                      "post and act as its own bot account",
	apps.PermissionActAsUser:                     "act as the users who use it, with their permissions",
	apps.PermissionRemoteWebhooks:                "receive webhooks from other services at its webhook URL",
	apps.PermissionRemoteOAuth2:                  "connect to other services with OAuth2 on behalf of users",
	apps.PermissionUserJoinedChannelNotification: "be notified when users join channels",
}

// describePermissions lists requested permissions with their meaning.
func describePermissions(permissions apps.Permissions) string {
	if len(permissions) == 0 {
		return "The App requests no permissions.\n"
	}
	var b strings.Builder
	b.WriteString("The App requests these permissions:\n")
	for _, permission := range permissions {
		meaning, ok := permissionMeanings[permission]
		if !ok {
			meaning = "unknown permission"
		}
		fmt.Fprintf(&b, "- %s: %s\n", code(string(permission)), meaning)
	}
	return b.String()
}

// describeWebhookAuth describes how webhook requests to the App are authenticated.
func describeWebhookAuth(m *apps.Manifest) string {
	if !m.RequestedPermissions.Contains(apps.PermissionRemoteWebhooks) {
		return "not used, because the App does not request `remote_webhooks`"
	}
	if m.RemoteWebhookAuthType.RequiresSecret() {
		return "`secret`: each webhook request must carry the App's secret in the `secret` query parameter"
	}
	return "`none`: anyone who knows the webhook URL can send webhooks to the App"
}

// joinPermissions formats granted permissions as a comma-separated list of code spans.
func joinPermissions(permissions apps.Permissions) string {
	if len(permissions) == 0 {
		return "none"
	}
	formatted := make([]string, len(permissions))
	for i, permission := range permissions {
		formatted[i] = code(string(permission))
	}
	return strings.Join(formatted, ", ")
}
