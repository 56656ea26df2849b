package apps

import (
	"strings"

	"github.com/pkg/errors"
)

// Permission is a right an App requests in its manifest and an admin grants at install.
type Permission string

// The permissions an App can request.
const (
	PermissionActAsBot                      Permission = "act_as_bot"
	PermissionActAsUser                     Permission = "act_as_user"
	PermissionRemoteWebhooks                Permission = "remote_webhooks"
	PermissionRemoteOAuth2                  Permission = "remote_oauth2"
	PermissionUserJoinedChannelNotification Permission = "user_joined_channel_notification"
)

var knownPermissions = []Permission{
	PermissionActAsBot,
	PermissionActAsUser,
	PermissionRemoteWebhooks,
	PermissionRemoteOAuth2,
	PermissionUserJoinedChannelNotification,
}

// Permissions is a list of permissions.
type Permissions []Permission

// Contains reports whether p holds permission.
func (p Permissions) Contains(permission Permission) bool {
	for _, current := range p {
		if current == permission {
			return true
		}
	}
	return false
}

// Validate checks that every permission is known and that remote_webhooks comes with act_as_bot,
// because webhook calls run as the App's bot.
func (p Permissions) Validate() error {
	for _, permission := range p {
		if !isKnownPermission(permission) {
			return errors.Errorf("unknown permission %q: valid permissions are %s", permission, joinQuoted(knownPermissions))
		}
	}
	if p.Contains(PermissionRemoteWebhooks) && !p.Contains(PermissionActAsBot) {
		return errors.New("permission remote_webhooks requires act_as_bot: add act_as_bot to requested_permissions")
	}
	return nil
}

func isKnownPermission(permission Permission) bool {
	for _, known := range knownPermissions {
		if permission == known {
			return true
		}
	}
	return false
}

// Location is a place in the Mattermost UI where an App may add bindings. Locations are stored and
// shown to admins, but this plugin provides no App UI.
type Location string

// The locations an App can request.
const (
	LocationPostMenu      Location = "/post_menu"
	LocationChannelHeader Location = "/channel_header"
	LocationCommand       Location = "/command"
	LocationInPost        Location = "/in_post"
)

var knownLocations = []Location{LocationPostMenu, LocationChannelHeader, LocationCommand, LocationInPost}

// Locations is a list of locations.
type Locations []Location

// Validate checks that every location is known.
func (l Locations) Validate() error {
	for _, location := range l {
		known := false
		for _, candidate := range knownLocations {
			if location == candidate {
				known = true
			}
		}
		if !known {
			return errors.Errorf("unknown location %q: valid locations are %s", location, joinQuoted(knownLocations))
		}
	}
	return nil
}

// WebhookAuthType is the way webhook requests to an App are authenticated.
type WebhookAuthType string

// The webhook authentication types. An empty type means WebhookAuthSecret.
const (
	WebhookAuthDefault WebhookAuthType = ""
	WebhookAuthNone    WebhookAuthType = "none"
	WebhookAuthSecret  WebhookAuthType = "secret"
)

// Validate rejects any type other than none, secret or empty.
func (t WebhookAuthType) Validate() error {
	switch t {
	case WebhookAuthDefault, WebhookAuthNone, WebhookAuthSecret:
		return nil
	}
	return errors.Errorf(`invalid remote_webhook_auth_type %q: valid values are "none", "secret", or empty for "secret"`, string(t))
}

// RequiresSecret reports whether webhook requests must carry the App's secret.
func (t WebhookAuthType) RequiresSecret() bool {
	return t != WebhookAuthNone
}

func joinQuoted[T ~string](values []T) string {
	quoted := make([]string, len(values))
	for i, value := range values {
		quoted[i] = `"` + string(value) + `"`
	}
	return strings.Join(quoted, ", ")
}
