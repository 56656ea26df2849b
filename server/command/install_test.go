package command

import (
	"testing"

	"github.com/pkg/errors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/store"
)

func TestInstallHTTPSummary(t *testing.T) {
	env := newTestEnv()

	text := env.execute(t, adminID, "/apps install http "+manifestURL)

	for _, part := range []string{
		`Install App "Hello, world!"?`,
		"- App ID: `hello.world_1`",
		"- Version: `0.1.0`",
		"- Description: Greets people",
		"- Root URL: http://127.0.0.1:4000",
		"- Homepage: https://example.com/hello",
		"- Webhook authentication: `secret`",
		"- `act_as_bot`: post and act as its own bot account",
		"- `act_as_user`: act as the users who use it, with their permissions",
		"- `remote_webhooks`: receive webhooks from other services at its webhook URL",
		"- `remote_oauth2`: ",
		"- `user_joined_channel_notification`: ",
		"Run `/apps install confirm hello.world_1` within 15 minutes to grant these permissions and install the App.",
	} {
		assert.Contains(t, text, part)
	}
	assert.Equal(t, []string{manifestURL}, env.fetcher.fetched)

	pending, ok := env.store.pending[pendingKey(adminID, "hello.world_1")]
	require.True(t, ok)
	assert.Equal(t, *helloManifest(), pending.Manifest)
	assert.Equal(t, "channel-1", pending.ChannelID)
	assert.Equal(t, "team-1", pending.TeamID)
	assert.Empty(t, pending.JWTSecret)
	assert.Empty(t, env.installer.installReqs, "nothing is installed before the admin confirms")
	assert.NotContains(t, text, "already installed")
}

func TestInstallHTTPSummaryOfInstalledApp(t *testing.T) {
	env := newTestEnv()
	installed := helloManifest()
	installed.Version = "0.0.9"
	env.store.apps[installed.AppID] = &apps.App{Manifest: *installed, WebhookSecret: "kept-secret"}

	text := env.execute(t, adminID, "/apps install http "+manifestURL)

	assert.Contains(t, text, "App `hello.world_1` is already installed (version `0.0.9`). Confirming upgrades it in place")
	assert.Contains(t, text, "its webhook secret and its KV data are kept")
	assert.NotContains(t, text, "kept-secret")
}

func TestInstallHTTPWebhookAuthDescriptions(t *testing.T) {
	tests := []struct {
		name        string
		permissions apps.Permissions
		authType    apps.WebhookAuthType
		expected    string
	}{
		{name: "empty means secret", permissions: apps.Permissions{apps.PermissionActAsBot, apps.PermissionRemoteWebhooks}, expected: "- Webhook authentication: `secret`"},
		{name: "none", permissions: apps.Permissions{apps.PermissionActAsBot, apps.PermissionRemoteWebhooks}, authType: apps.WebhookAuthNone, expected: "- Webhook authentication: `none`: anyone who knows the webhook URL"},
		{name: "no webhooks", permissions: apps.Permissions{apps.PermissionActAsBot}, expected: "- Webhook authentication: not used"},
		{name: "no permissions", expected: "The App requests no permissions."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv()
			manifest := helloManifest()
			manifest.RequestedPermissions = tc.permissions
			manifest.RemoteWebhookAuthType = tc.authType
			env.fetcher.manifests[manifestURL] = manifest

			text := env.execute(t, adminID, "/apps install http "+manifestURL)

			assert.Contains(t, text, tc.expected)
		})
	}
}

func TestInstallHTTPArguments(t *testing.T) {
	tests := []struct {
		name      string
		command   string
		fetched   string
		jwtSecret string
		problem   string
	}{
		{name: "extra spaces", command: "  /apps   install   http    " + manifestURL + "   ", fetched: manifestURL},
		{name: "upper case type", command: "/apps install HTTP " + manifestURL, fetched: manifestURL},
		{name: "secret after url", command: "/apps install http " + manifestURL + " --app-secret s3cr3t", fetched: manifestURL, jwtSecret: "s3cr3t"},
		{name: "secret before url", command: "/apps install http --app-secret s3cr3t " + manifestURL, fetched: manifestURL, jwtSecret: "s3cr3t"},
		{name: "secret with equals", command: "/apps install http " + manifestURL + " --app-secret=s3cr3t", fetched: manifestURL, jwtSecret: "s3cr3t"},
		{name: "autolink brackets", command: "/apps install http <" + manifestURL + ">", fetched: manifestURL},
		{name: "missing url", command: "/apps install http", problem: "the manifest URL is missing"},
		{name: "only secret", command: "/apps install http --app-secret s3cr3t", problem: "the manifest URL is missing"},
		{name: "secret without value", command: "/apps install http " + manifestURL + " --app-secret", problem: "option --app-secret needs a value"},
		{name: "unknown option", command: "/apps install http " + manifestURL + " --force", problem: "unknown option `--force`"},
		{name: "two urls", command: "/apps install http " + manifestURL + " http://127.0.0.1:5000/m.json", problem: "unexpected argument `http://127.0.0.1:5000/m.json`"},
		{name: "missing type", command: "/apps install", problem: "Usage: `/apps install http <manifest_url>"},
		{name: "other type", command: "/apps install aws_lambda x", problem: "Unknown install type `aws_lambda`"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv()

			text := env.execute(t, adminID, tc.command)

			if tc.problem != "" {
				assert.Contains(t, text, tc.problem)
				assert.Contains(t, text, "Usage: `/apps install http <manifest_url> [--app-secret <jwt_secret>]`")
				assert.Empty(t, env.fetcher.fetched)
				assert.Empty(t, env.store.pending)
				return
			}
			assert.Equal(t, []string{tc.fetched}, env.fetcher.fetched)
			pending, ok := env.store.pending[pendingKey(adminID, "hello.world_1")]
			require.True(t, ok, "text: %s", text)
			assert.Equal(t, tc.jwtSecret, pending.JWTSecret)
			assert.NotContains(t, text, "s3cr3t", "the JWT secret is not echoed")
		})
	}
}

func TestInstallHTTPFetchFailure(t *testing.T) {
	env := newTestEnv()

	text := env.execute(t, adminID, "/apps install http http://127.0.0.1:1/manifest.json")

	assert.Equal(t, "Failed to fetch the App's manifest: failed to fetch manifest from http://127.0.0.1:1/manifest.json: connection refused; check that the App is running and the URL is right", text)
	assert.Empty(t, env.store.pending)
}

func TestInstallHTTPJWTNeedsSecret(t *testing.T) {
	env := newTestEnv()
	manifest := helloManifest()
	manifest.HTTP.UseJWT = true
	env.fetcher.manifests[manifestURL] = manifest

	text := env.execute(t, adminID, "/apps install http "+manifestURL)
	assert.Contains(t, text, "sets `http.use_jwt`")
	assert.Contains(t, text, "--app-secret <jwt_secret>")
	assert.Empty(t, env.store.pending)

	text = env.execute(t, adminID, "/apps install http "+manifestURL+" --app-secret s3cr3t")
	assert.Contains(t, text, "carry a JWT signed with the secret")
	assert.Len(t, env.store.pending, 1)
}

func TestInstallHTTPJWTReinstallKeepsSecret(t *testing.T) {
	env := newTestEnv()
	manifest := helloManifest()
	manifest.HTTP.UseJWT = true
	env.fetcher.manifests[manifestURL] = manifest
	env.store.apps[manifest.AppID] = &apps.App{Manifest: *manifest, JWTSecret: "old-secret"}

	text := env.execute(t, adminID, "/apps install http "+manifestURL)

	assert.Contains(t, text, "Run `/apps install confirm hello.world_1`")
	assert.NotContains(t, text, "old-secret")
	pending, ok := env.store.pending[pendingKey(adminID, "hello.world_1")]
	require.True(t, ok)
	assert.Empty(t, pending.JWTSecret, "the install service keeps the stored secret")
}

func TestInstallHTTPStoreFailure(t *testing.T) {
	env := newTestEnv()
	env.store.err = errors.New("kv set failed")

	text := env.execute(t, adminID, "/apps install http "+manifestURL)

	assert.Equal(t, "Failed to save the pending install of App `hello.world_1`: kv set failed", text)
	assert.Equal(t, []string{"failed to save pending install"}, env.log.errors)
}

func TestInstallConfirm(t *testing.T) {
	env := newTestEnv()
	env.execute(t, adminID, "/apps install http "+manifestURL+" --app-secret s3cr3t")
	installed := &apps.App{
		Manifest:           *helloManifest(),
		GrantedPermissions: helloManifest().RequestedPermissions,
		BotUsername:        "hello.world_1",
		WebhookSecret:      "webhook-secret",
	}
	env.installer.installApp = installed
	env.installer.installText = "Hello is ready.\nPost /hello to start."

	text := env.executeIn(t, adminID, "channel-2", "team-2", "/apps install confirm hello.world_1")

	assert.Equal(t, "Installed App `hello.world_1` (Hello, world!, version 0.1.0). Its bot account is @hello.world_1.\n"+
		"Run `/apps info hello.world_1` to see its webhook URL.\n\n"+
		"The App's message:\n"+
		"> Hello is ready.\n"+
		"> Post /hello to start.", text)
	assert.NotContains(t, text, "webhook-secret")
	require.Len(t, env.installer.installReqs, 1)
	req := env.installer.installReqs[0]
	assert.Equal(t, helloManifest(), req.Manifest)
	assert.Equal(t, "s3cr3t", req.JWTSecret)
	assert.Equal(t, adminID, req.ActingUserID)
	assert.Equal(t, "channel-2", req.ChannelID, "the confirm command's channel")
	assert.Equal(t, "team-2", req.TeamID)
	assert.Empty(t, env.store.pending, "the pending install is used once")
}

func TestInstallConfirmWithoutWebhooks(t *testing.T) {
	env := newTestEnv()
	env.execute(t, adminID, "/apps install http "+manifestURL)
	env.installer.installApp = &apps.App{Manifest: apps.Manifest{AppID: "hello.world_1", DisplayName: "Hello"}}

	text := env.execute(t, adminID, "/apps install confirm hello.world_1")

	assert.Equal(t, "Installed App `hello.world_1` (Hello).\nRun `/apps info hello.world_1` to see its details.", text)
}

func TestInstallConfirmProblems(t *testing.T) {
	tests := []struct {
		name       string
		command    string
		pendingFor string
		installErr error
		expected   string
	}{
		{
			name:     "expired or missing",
			command:  "/apps install confirm hello.world_1",
			expected: "There is no pending install of App `hello.world_1`: it expired after 15 minutes, was already confirmed, or was never started. Start again with `/apps install http <manifest_url>`.",
		},
		{
			name:       "pending install of another admin",
			command:    "/apps install confirm hello.world_1",
			pendingFor: "other-admin",
			expected:   "There is no pending install of App `hello.world_1`",
		},
		{name: "missing app id", command: "/apps install confirm", expected: "Usage: `/apps install confirm <app_id>`."},
		{name: "extra argument", command: "/apps install confirm hello.world_1 now", pendingFor: adminID, expected: "Usage: `/apps install confirm <app_id>`."},
		{
			name:       "install fails",
			command:    "/apps install confirm hello.world_1",
			pendingFor: adminID,
			installErr: errors.New("app hello.world_1 did not answer POST http://127.0.0.1:4000/ping: connection refused"),
			expected:   "Failed to install App `hello.world_1`: app hello.world_1 did not answer POST http://127.0.0.1:4000/ping: connection refused\n\nStart again with `/apps install http <manifest_url>` once the problem is fixed.",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv()
			if tc.pendingFor != "" {
				env.store.pending[pendingKey(tc.pendingFor, "hello.world_1")] = &store.PendingInstall{Manifest: *helloManifest()}
			}
			env.installer.installErr = tc.installErr

			text := env.execute(t, adminID, tc.command)

			assert.Contains(t, text, tc.expected)
			if tc.installErr == nil {
				assert.Empty(t, env.installer.installReqs)
			}
		})
	}
}

func TestInstallConfirmStoreFailure(t *testing.T) {
	env := newTestEnv()
	env.store.err = errors.New("kv get failed")

	text := env.execute(t, adminID, "/apps install confirm hello.world_1")

	assert.Equal(t, "Failed to read the pending install of App `hello.world_1`: kv get failed", text)
	assert.Equal(t, []string{"failed to read pending install"}, env.log.errors)
	assert.Empty(t, env.installer.installReqs)
}
