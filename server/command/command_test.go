package command

import (
	"context"
	"testing"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/pkg/errors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/config"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/store"
)

const (
	adminID     = "admin-id"
	userID      = "user-id"
	manifestURL = "http://127.0.0.1:4000/manifest.json"
	siteURL     = "https://mm.example.com"
)

type testEnv struct {
	installer *fakeInstaller
	store     *fakeStore
	fetcher   *fakeFetcher
	log       *fakeLogger
	handler   *Handler
}

func helloManifest() *apps.Manifest {
	return &apps.Manifest{
		AppID:                 "hello.world_1",
		Version:               "0.1.0",
		DisplayName:           "Hello, world!",
		Description:           "Greets people",
		HomepageURL:           "https://example.com/hello",
		RequestedPermissions:  apps.Permissions{apps.PermissionActAsBot, apps.PermissionActAsUser, apps.PermissionRemoteWebhooks, apps.PermissionRemoteOAuth2, apps.PermissionUserJoinedChannelNotification},
		RemoteWebhookAuthType: apps.WebhookAuthSecret,
		HTTP:                  &apps.HTTP{RootURL: "http://127.0.0.1:4000"},
	}
}

func newTestEnv() *testEnv {
	env := &testEnv{
		installer: &fakeInstaller{admins: map[string]bool{adminID: true}},
		store:     newFakeStore(),
		fetcher:   &fakeFetcher{manifests: map[string]*apps.Manifest{manifestURL: helloManifest()}},
		log:       &fakeLogger{},
	}
	settings := func() config.Settings { return config.Settings{SiteURL: siteURL} }
	env.handler = New(env.installer, env.store, env.fetcher, settings, env.log)
	return env
}

// execute runs a command as the user in channel "channel-1" of team "team-1" and returns the
// response text after checking that the response is ephemeral.
func (e *testEnv) execute(t *testing.T, user, command string) string {
	t.Helper()
	return e.executeIn(t, user, "channel-1", "team-1", command)
}

func (e *testEnv) executeIn(t *testing.T, user, channelID, teamID, command string) string {
	t.Helper()
	resp := e.handler.Execute(context.Background(), &model.CommandArgs{
		UserId:    user,
		ChannelId: channelID,
		TeamId:    teamID,
		Command:   command,
	})
	require.NotNil(t, resp)
	assert.Equal(t, model.CommandResponseTypeEphemeral, resp.ResponseType)
	return resp.Text
}

func TestCommandRegistration(t *testing.T) {
	env := newTestEnv()

	command := env.handler.Command()

	assert.Equal(t, "apps", command.Trigger)
	assert.True(t, command.AutoComplete)
	assert.NotEmpty(t, command.DisplayName)
	assert.NotEmpty(t, command.Description)
	require.NotNil(t, command.AutocompleteData)
	require.NoError(t, command.AutocompleteData.IsValid())
	var triggers []string
	for _, sub := range command.AutocompleteData.SubCommands {
		triggers = append(triggers, sub.Trigger)
	}
	assert.ElementsMatch(t, []string{"install", "uninstall", "enable", "disable", "info", "list", "help"}, triggers)
	installData := command.AutocompleteData.SubCommands[0]
	require.Equal(t, "install", installData.Trigger)
	require.Len(t, installData.SubCommands, 2)
	assert.Equal(t, "http", installData.SubCommands[0].Trigger)
	assert.Equal(t, "confirm", installData.SubCommands[1].Trigger)
}

func TestHelp(t *testing.T) {
	tests := []struct {
		name    string
		command string
		unknown bool
	}{
		{name: "bare trigger", command: "/apps"},
		{name: "help", command: "/apps help"},
		{name: "help upper case", command: "/apps HELP"},
		{name: "spaces", command: "  /apps   help  "},
		{name: "unknown subcommand", command: "/apps frobnicate now", unknown: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv()

			text := env.execute(t, userID, tc.command)

			assert.Contains(t, text, "/apps install http <manifest_url>")
			assert.Contains(t, text, "/apps info <app_id>")
			if tc.unknown {
				assert.Contains(t, text, "Unknown subcommand `frobnicate`")
			} else {
				assert.NotContains(t, text, "Unknown subcommand")
			}
		})
	}
}

func TestAdminOnlySubcommands(t *testing.T) {
	for _, command := range []string{
		"/apps install http " + manifestURL,
		"/apps install confirm hello.world_1",
		"/apps install",
		"/apps uninstall hello.world_1",
		"/apps enable hello.world_1",
		"/apps disable hello.world_1",
	} {
		t.Run(command, func(t *testing.T) {
			env := newTestEnv()
			env.store.pending[pendingKey(userID, "hello.world_1")] = &store.PendingInstall{Manifest: *helloManifest()}

			text := env.execute(t, userID, command)

			assert.Regexp(t, `^Only system admins can (install|uninstall|enable|disable) Apps\.$`, text)
			assert.Empty(t, env.fetcher.fetched)
			assert.Empty(t, env.installer.installReqs)
			assert.Empty(t, env.installer.lifecycleCalls)
			assert.Len(t, env.store.pending, 1, "the pending install is kept")
		})
	}
}

func TestLifecycleSubcommands(t *testing.T) {
	for _, verb := range []string{"uninstall", "enable", "disable"} {
		t.Run(verb, func(t *testing.T) {
			tests := []struct {
				name     string
				command  string
				opErr    error
				appText  string
				expected []string
				called   bool
			}{
				{name: "success", command: "/apps " + verb + " hello", called: true, expected: []string{"App `hello`."}},
				{name: "success with app text", command: "/apps  " + verb + "   hello ", appText: "bye\nsee you", called: true, expected: []string{"App `hello`.", "> bye\n> see you"}},
				{name: "missing app id", command: "/apps " + verb, expected: []string{"Usage: `/apps " + verb + " <app_id>`."}},
				{name: "extra argument", command: "/apps " + verb + " hello now", expected: []string{"Usage: `/apps " + verb + " <app_id>`."}},
				{
					name:     "failure",
					command:  "/apps " + verb + " hello",
					opErr:    errors.Wrapf(apps.ErrNotFound, "app %s", "hello"),
					called:   true,
					expected: []string{"Failed to " + verb + " App `hello`: app hello: not found"},
				},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					env := newTestEnv()
					env.installer.lifecycleErr = tc.opErr
					env.installer.lifecycleText = tc.appText

					text := env.execute(t, adminID, tc.command)

					for _, part := range tc.expected {
						assert.Contains(t, text, part)
					}
					if tc.called {
						assert.Equal(t, []string{verb + " " + adminID + " hello"}, env.installer.lifecycleCalls)
					} else {
						assert.Empty(t, env.installer.lifecycleCalls)
					}
				})
			}
		})
	}
}

func TestLifecycleSuccessWording(t *testing.T) {
	tests := map[string]string{
		"/apps uninstall hello": "Uninstalled App `hello`.",
		"/apps enable hello":    "Enabled App `hello`.",
		"/apps disable hello":   "Disabled App `hello`.",
	}
	for command, expected := range tests {
		t.Run(command, func(t *testing.T) {
			env := newTestEnv()

			assert.Equal(t, expected, env.execute(t, adminID, command))
		})
	}
}

func TestList(t *testing.T) {
	env := newTestEnv()
	env.store.apps["b-app"] = &apps.App{Manifest: apps.Manifest{AppID: "b-app", Version: "2.0"}, Disabled: true, BotUsername: "b-app"}
	env.store.apps["a.app"] = &apps.App{Manifest: apps.Manifest{AppID: "a.app", Version: "1.0"}, BotUsername: "a.app"}

	text := env.execute(t, userID, "/apps list")

	assert.Equal(t, "| App ID | Version | Status | Bot |\n"+
		"|:--|:--|:--|:--|\n"+
		"| `a.app` | 1.0 | enabled | @a.app |\n"+
		"| `b-app` | 2.0 | disabled | @b-app |\n", text)
}

func TestListEmpty(t *testing.T) {
	env := newTestEnv()

	text := env.execute(t, adminID, "/apps list")

	assert.Equal(t, "No Apps are installed. Install one with `/apps install http <manifest_url>`.", text)
}

func TestListStoreFailure(t *testing.T) {
	env := newTestEnv()
	env.store.err = errors.New("kv list failed")

	text := env.execute(t, adminID, "/apps list")

	assert.Equal(t, "Failed to list the installed Apps: kv list failed", text)
	assert.Equal(t, []string{"failed to list apps"}, env.log.errors)
}
