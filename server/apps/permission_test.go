package apps

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPermissionsValidate(t *testing.T) {
	tests := map[string]struct {
		permissions   Permissions
		expectedError string
	}{
		"none":                     {nil, ""},
		"bot only":                 {Permissions{PermissionActAsBot}, ""},
		"webhooks with bot":        {Permissions{PermissionRemoteWebhooks, PermissionActAsBot}, ""},
		"every permission":         {Permissions{"act_as_bot", "act_as_user", "remote_webhooks", "remote_oauth2", "user_joined_channel_notification"}, ""},
		"webhooks alone":           {Permissions{PermissionRemoteWebhooks}, "permission remote_webhooks requires act_as_bot: add act_as_bot to requested_permissions"},
		"webhooks with user":       {Permissions{PermissionRemoteWebhooks, PermissionActAsUser}, "requires act_as_bot"},
		"unknown":                  {Permissions{"act_as_admin"}, `unknown permission "act_as_admin"`},
		"empty name":               {Permissions{""}, `unknown permission ""`},
		"capitals":                 {Permissions{"ACT_AS_BOT"}, `unknown permission "ACT_AS_BOT"`},
		"unknown lists valid ones": {Permissions{"x"}, `valid permissions are "act_as_bot", "act_as_user", "remote_webhooks", "remote_oauth2", "user_joined_channel_notification"`},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			err := test.permissions.Validate()

			if test.expectedError == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), test.expectedError)
		})
	}
}

func TestPermissionsContains(t *testing.T) {
	permissions := Permissions{PermissionActAsBot, PermissionRemoteWebhooks}

	assert.True(t, permissions.Contains(PermissionActAsBot))
	assert.True(t, permissions.Contains(PermissionRemoteWebhooks))
	assert.False(t, permissions.Contains(PermissionActAsUser))
	assert.False(t, Permissions(nil).Contains(PermissionActAsBot))
}

func TestLocationsValidate(t *testing.T) {
	tests := map[string]struct {
		locations     Locations
		expectedError string
	}{
		"none":            {nil, ""},
		"every location":  {Locations{"/post_menu", "/channel_header", "/command", "/in_post"}, ""},
		"without slash":   {Locations{"command"}, `unknown location "command"`},
		"sub location":    {Locations{"/command/hello"}, `unknown location "/command/hello"`},
		"lists valid one": {Locations{"/app_bar"}, `valid locations are "/post_menu", "/channel_header", "/command", "/in_post"`},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			err := test.locations.Validate()

			if test.expectedError == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), test.expectedError)
		})
	}
}

func TestWebhookAuthType(t *testing.T) {
	tests := map[WebhookAuthType]struct {
		valid          bool
		requiresSecret bool
	}{
		"":       {true, true},
		"secret": {true, true},
		"none":   {true, false},
		"jwt":    {false, true},
		"NONE":   {false, true},
		"basic":  {false, true},
	}
	for authType, test := range tests {
		t.Run(string(authType), func(t *testing.T) {
			err := authType.Validate()

			if test.valid {
				assert.NoError(t, err)
			} else {
				require.Error(t, err)
				assert.Contains(t, err.Error(), `valid values are "none", "secret", or empty for "secret"`)
			}
			assert.Equal(t, test.requiresSecret, authType.RequiresSecret())
		})
	}
}
