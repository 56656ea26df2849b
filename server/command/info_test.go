package command

import (
	"testing"

	"github.com/pkg/errors"
	"github.com/stretchr/testify/assert"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

const webhookURL = siteURL + "/plugins/com.mattermost.apps/apps/hello.world_1/webhook"

func installedHello() *apps.App {
	return &apps.App{
		Manifest:           *helloManifest(),
		GrantedPermissions: apps.Permissions{apps.PermissionActAsBot, apps.PermissionRemoteWebhooks},
		BotUsername:        "hello.world_1",
		WebhookSecret:      "Zx9_secret-VALUE",
	}
}

func TestInfo(t *testing.T) {
	tests := []struct {
		name     string
		user     string
		change   func(app *apps.App)
		expected []string
		absent   []string
	}{
		{
			name: "admin sees the secret",
			user: adminID,
			expected: []string{
				`#### App "Hello, world!"`,
				"- App ID: `hello.world_1`",
				"- Version: `0.1.0`",
				"- Status: enabled",
				"- Bot account: @hello.world_1",
				"- Root URL: http://127.0.0.1:4000",
				"- Granted permissions: `act_as_bot`, `remote_webhooks`",
				"- Webhook authentication: `secret`",
				"- Webhook URL: `" + webhookURL + "?secret=Zx9_secret-VALUE`",
			},
		},
		{
			name:     "user does not see the secret",
			user:     userID,
			expected: []string{"- Webhook URL: `" + webhookURL + "`", "A system admin can see it with `/apps info hello.world_1`"},
			absent:   []string{"Zx9_secret-VALUE", "webhook?secret="},
		},
		{
			name:     "auth type none",
			user:     adminID,
			change:   func(app *apps.App) { app.RemoteWebhookAuthType = apps.WebhookAuthNone; app.WebhookSecret = "" },
			expected: []string{"- Webhook authentication: `none`", "- Webhook URL: `" + webhookURL + "`"},
			absent:   []string{"?secret="},
		},
		{
			name:     "admin and no secret stored",
			user:     adminID,
			change:   func(app *apps.App) { app.WebhookSecret = "" },
			expected: []string{"- Webhook URL: `" + webhookURL + "`"},
			absent:   []string{"?secret="},
		},
		{
			name:     "no webhook permission",
			user:     adminID,
			change:   func(app *apps.App) { app.GrantedPermissions = apps.Permissions{apps.PermissionActAsBot} },
			expected: []string{"- Webhooks: not accepted", "- Granted permissions: `act_as_bot`"},
			absent:   []string{"Webhook URL", "Zx9_secret-VALUE"},
		},
		{
			name:     "disabled",
			user:     adminID,
			change:   func(app *apps.App) { app.Disabled = true },
			expected: []string{"- Status: disabled", "The App is disabled, so webhooks to it are refused. Enable it with `/apps enable hello.world_1`."},
		},
		{
			name:     "no bot",
			user:     userID,
			change:   func(app *apps.App) { app.BotUsername = ""; app.GrantedPermissions = nil },
			expected: []string{"- Bot account: none", "- Granted permissions: none"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv()
			app := installedHello()
			if tc.change != nil {
				tc.change(app)
			}
			env.store.apps[app.AppID] = app

			text := env.execute(t, tc.user, "/apps info hello.world_1")

			for _, part := range tc.expected {
				assert.Contains(t, text, part)
			}
			for _, part := range tc.absent {
				assert.NotContains(t, text, part)
			}
		})
	}
}

func TestInfoProblems(t *testing.T) {
	tests := []struct {
		name     string
		command  string
		storeErr error
		expected string
	}{
		{name: "not installed", command: "/apps info other", expected: "App `other` is not installed. Run `/apps list` to see the installed Apps."},
		{name: "missing app id", command: "/apps info", expected: "Usage: `/apps info <app_id>`."},
		{name: "store failure", command: "/apps info other", storeErr: errors.New("kv get failed"), expected: "Failed to load App `other`: kv get failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv()
			env.store.err = tc.storeErr

			assert.Equal(t, tc.expected, env.execute(t, adminID, tc.command))
		})
	}
}

func TestCodeEscapesBackticks(t *testing.T) {
	env := newTestEnv()

	text := env.execute(t, adminID, "/apps info a`b")

	assert.Equal(t, "App `a'b` is not installed. Run `/apps list` to see the installed Apps.", text)
}
