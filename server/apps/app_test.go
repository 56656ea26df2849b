package apps

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppAcceptsWebhooks(t *testing.T) {
	tests := map[string]struct {
		granted  Permissions
		expected bool
	}{
		"webhooks and bot": {Permissions{PermissionRemoteWebhooks, PermissionActAsBot}, true},
		"webhooks only":    {Permissions{PermissionRemoteWebhooks}, false},
		"bot only":         {Permissions{PermissionActAsBot}, false},
		"none":             {nil, false},
		"other permission": {Permissions{PermissionActAsUser}, false},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			app := &App{
				Manifest:           Manifest{RequestedPermissions: Permissions{PermissionRemoteWebhooks, PermissionActAsBot}},
				GrantedPermissions: test.granted,
			}

			assert.Equal(t, test.expected, app.AcceptsWebhooks())
		})
	}
}

func TestAppSanitized(t *testing.T) {
	app := &App{
		Manifest:      Manifest{AppID: "hello-world", DisplayName: "Hello"},
		BotUserID:     "bot",
		WebhookSecret: "webhook-secret",
		JWTSecret:     "jwt-secret",
	}

	sanitized := app.Sanitized()

	assert.Empty(t, sanitized.WebhookSecret)
	assert.Empty(t, sanitized.JWTSecret)
	assert.Equal(t, AppID("hello-world"), sanitized.AppID)
	assert.Equal(t, "bot", sanitized.BotUserID)
	assert.Equal(t, "webhook-secret", app.WebhookSecret, "the original keeps its secrets")
	assert.Equal(t, "jwt-secret", app.JWTSecret)
}

func TestAppJSON(t *testing.T) {
	manifest, err := DecodeManifest([]byte(fullManifest))
	require.NoError(t, err)
	app := &App{
		Manifest:           *manifest,
		DeployType:         DeployHTTP,
		Disabled:           true,
		GrantedPermissions: Permissions{PermissionActAsBot, PermissionRemoteWebhooks},
		GrantedLocations:   Locations{LocationCommand},
		BotUserID:          "bot-id",
		BotUsername:        "full_app-1.0",
		WebhookSecret:      "webhook-secret",
		JWTSecret:          "jwt-secret",
		InstalledBy:        "admin-id",
		InstalledAt:        1700000000000,
	}

	encoded, err := json.Marshal(app)
	require.NoError(t, err)

	var fields map[string]any
	require.NoError(t, json.Unmarshal(encoded, &fields))
	// The manifest fields sit at the top level, and the JWT secret is "secret", as in the
	// original plugin's App record.
	assert.Equal(t, "Full_App-1.0", fields["app_id"])
	assert.Equal(t, "http", fields["deploy_type"])
	assert.Equal(t, "jwt-secret", fields["secret"])
	assert.Equal(t, "webhook-secret", fields["webhook_secret"])

	var decoded App
	require.NoError(t, json.Unmarshal(encoded, &decoded))
	assert.Equal(t, app, &decoded)
}
