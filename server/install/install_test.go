package install

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/pkg/errors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

func TestInstallRejectsNonAdmin(t *testing.T) {
	env := newTestEnv(t)
	user := env.mm.addUser("alice", false)

	for name, userID := range map[string]string{"regular user": user.Id, "no user": ""} {
		t.Run(name, func(t *testing.T) {
			_, _, err := env.service.Install(t.Context(), Request{Manifest: env.manifest(), ActingUserID: userID})

			require.Error(t, err)
			assert.ErrorIs(t, err, apps.ErrForbidden)
			assert.Contains(t, err.Error(), "system admin")
			assert.Empty(t, env.app.calls("/ping"), "the App must not be pinged")
			_, err = env.store.GetApp("hello")
			assert.ErrorIs(t, err, apps.ErrNotFound)
		})
	}
}

func TestInstallRejectsInvalidManifest(t *testing.T) {
	env := newTestEnv(t)

	tests := []struct {
		name        string
		edit        func(m *apps.Manifest) *apps.Manifest
		wantMessage string
	}{
		{"missing manifest", func(*apps.Manifest) *apps.Manifest { return nil }, "the manifest is missing"},
		{"missing display name", func(m *apps.Manifest) *apps.Manifest { m.DisplayName = " "; return m }, "display_name is missing"},
		{"jwt auth type", func(m *apps.Manifest) *apps.Manifest { m.RemoteWebhookAuthType = "jwt"; return m }, `invalid remote_webhook_auth_type "jwt"`},
		{"webhooks without bot", func(m *apps.Manifest) *apps.Manifest {
			m.RequestedPermissions = apps.Permissions{apps.PermissionRemoteWebhooks}
			return m
		}, "remote_webhooks requires act_as_bot"},
		{"app id with slash", func(m *apps.Manifest) *apps.Manifest { m.AppID = "a/b"; return m }, `invalid app_id "a/b"`},
		{"use_jwt without secret", func(m *apps.Manifest) *apps.Manifest { m.HTTP.UseJWT = true; return m }, "no JWT secret was given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := env.service.Install(t.Context(), Request{Manifest: tt.edit(env.manifest()), ActingUserID: env.admin.Id})

			require.Error(t, err)
			assert.ErrorIs(t, err, apps.ErrInvalidInput)
			assert.Contains(t, err.Error(), tt.wantMessage)
			assert.Nil(t, env.mm.botByUsername("hello"), "no bot may be created")
		})
	}
}

func TestInstallPing(t *testing.T) {
	closed := newTestApp(t)
	closedURL := closed.server.URL
	closed.server.Close()

	tests := []struct {
		name    string
		status  int // the ping's status; 0 for an unreachable App
		wantErr bool
	}{
		{"ping 200 accepted", http.StatusOK, false},
		{"ping 404 accepted", http.StatusNotFound, false},
		{"ping 500 rejected", http.StatusInternalServerError, true},
		{"unreachable rejected", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			m := env.manifest()
			if tt.status == 0 {
				m.HTTP.RootURL = closedURL
			} else {
				env.app.respond("/ping", tt.status, "")
			}

			_, _, err := env.service.Install(t.Context(), Request{Manifest: m, ActingUserID: env.admin.Id})

			if !tt.wantErr {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, apps.ErrInvalidInput)
			assert.Contains(t, err.Error(), m.HTTP.RootURL+"/ping")
			assert.Contains(t, err.Error(), "check that the App is running")
			assert.Contains(t, err.Error(), "can reach "+m.HTTP.RootURL)
			assert.Nil(t, env.mm.botByUsername("hello"), "no bot may be created")
			_, err = env.store.GetApp("hello")
			assert.ErrorIs(t, err, apps.ErrNotFound)
		})
	}
}

func TestInstallBotUsername(t *testing.T) {
	tests := []struct {
		name         string
		appID        apps.AppID
		setup        func(env *testEnv)
		wantUsername string
	}{
		{"free username", "hello", func(*testEnv) {}, "hello"},
		{"upper-case app id", "HelloApp", func(*testEnv) {}, "helloapp"},
		{"app id starting with a digit", "1password", func(*testEnv) {}, "app-1password"},
		{"app id that is a reserved username", "all", func(*testEnv) {}, "app-all"},
		{"person has the username", "hello", func(env *testEnv) { env.mm.addUser("hello", false) }, "hello-app"},
		{"deactivated person has the username", "hello", func(env *testEnv) {
			user := env.mm.addUser("hello", false)
			user.DeleteAt = 1
		}, "hello-app"},
		{"bot of another plugin has the username", "hello", func(env *testEnv) {
			env.mm.addBot("hello", "com.example.other", true)
		}, "hello-app"},
		{"bot of this plugin used by another app", "Hello", func(env *testEnv) {
			bot := env.mm.addBot("hello", apps.PluginID, true)
			require.NoError(t, env.store.SaveApp(&apps.App{Manifest: apps.Manifest{AppID: "hello"}, BotUserID: bot.UserId}))
		}, "hello-app"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			tt.setup(env)
			m := env.manifest()
			m.AppID = tt.appID

			app := env.install(t, m)

			assert.Equal(t, tt.wantUsername, app.BotUsername)
			bot := env.mm.bot(app.BotUserID)
			require.NotNil(t, bot)
			assert.Equal(t, tt.wantUsername, bot.Username)
			assert.Equal(t, apps.PluginID, bot.OwnerId)
			assert.Zero(t, bot.DeleteAt)
			assert.Equal(t, "Hello App", bot.DisplayName)
			assert.Equal(t, "Says hello", bot.Description)
		})
	}
}

func TestInstallUsernameDoubleClash(t *testing.T) {
	env := newTestEnv(t)
	env.mm.addUser("hello", false)
	env.mm.addBot("hello-app", "com.example.other", true)

	_, _, err := env.service.Install(t.Context(), Request{Manifest: env.manifest(), ActingUserID: env.admin.Id})

	require.Error(t, err)
	assert.ErrorIs(t, err, apps.ErrConflict)
	assert.Contains(t, err.Error(), "@hello ")
	assert.Contains(t, err.Error(), "@hello-app")
	assert.Contains(t, err.Error(), "rename")
	_, err = env.store.GetApp("hello")
	assert.ErrorIs(t, err, apps.ErrNotFound)
}

func TestInstallReactivatesOwnBot(t *testing.T) {
	env := newTestEnv(t)
	old := env.mm.addBot("hello", apps.PluginID, false)

	app := env.install(t, env.manifest())

	assert.Equal(t, old.UserId, app.BotUserID, "the existing bot must be reused")
	bot := env.mm.bot(old.UserId)
	assert.Zero(t, bot.DeleteAt, "the bot must be active again")
	assert.Equal(t, "Hello App", bot.DisplayName)
	assert.Equal(t, "Says hello", bot.Description)
}

func TestInstallTruncatesLongDisplayName(t *testing.T) {
	env := newTestEnv(t)
	m := env.manifest()
	m.DisplayName = strings.Repeat("ä", model.BotDisplayNameMaxRunes+10)

	app := env.install(t, m)

	assert.Equal(t, strings.Repeat("ä", model.BotDisplayNameMaxRunes), env.mm.bot(app.BotUserID).DisplayName)
}

func TestInstallStoresGrantsAndRecord(t *testing.T) {
	env := newTestEnv(t)
	m := env.manifest()
	m.HTTP.UseJWT = true

	app, _, err := env.service.Install(t.Context(), Request{Manifest: m, ActingUserID: env.admin.Id, JWTSecret: "jwt-secret"})
	require.NoError(t, err)

	stored, err := env.store.GetApp("hello")
	require.NoError(t, err)
	assert.Equal(t, app, stored)
	assert.Equal(t, m.RequestedPermissions, stored.GrantedPermissions)
	assert.Equal(t, m.RequestedLocations, stored.GrantedLocations)
	assert.Equal(t, apps.DeployHTTP, stored.DeployType)
	assert.Equal(t, "jwt-secret", stored.JWTSecret)
	assert.Equal(t, env.admin.Id, stored.InstalledBy)
	assert.Equal(t, env.clock.Now().UnixMilli(), stored.InstalledAt)
	assert.False(t, stored.Disabled)
	assert.Equal(t, "hello", stored.BotUsername)
}

func TestInstallWebhookSecret(t *testing.T) {
	tests := []struct {
		name        string
		authType    apps.WebhookAuthType
		permissions apps.Permissions
		wantSecret  bool
	}{
		{"auth type secret", apps.WebhookAuthSecret, apps.Permissions{apps.PermissionActAsBot, apps.PermissionRemoteWebhooks}, true},
		{"empty auth type means secret", apps.WebhookAuthDefault, apps.Permissions{apps.PermissionActAsBot, apps.PermissionRemoteWebhooks}, true},
		{"auth type none", apps.WebhookAuthNone, apps.Permissions{apps.PermissionActAsBot, apps.PermissionRemoteWebhooks}, false},
		{"without remote_webhooks", apps.WebhookAuthSecret, apps.Permissions{apps.PermissionActAsBot}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			m := env.manifest()
			m.RemoteWebhookAuthType = tt.authType
			m.RequestedPermissions = tt.permissions

			app := env.install(t, m)

			if !tt.wantSecret {
				assert.Empty(t, app.WebhookSecret)
				return
			}
			assert.Len(t, app.WebhookSecret, 24)
			assert.Regexp(t, `^[A-Za-z0-9_-]{24}$`, app.WebhookSecret)
		})
	}
}

func TestInstallAgainKeepsSecrets(t *testing.T) {
	tests := []struct {
		name    string
		version apps.AppVersion
	}{
		{"same version", "1.0.0"},
		{"upgrade", "2.0.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			m := env.manifest()
			m.HTTP.UseJWT = true
			first, _, err := env.service.Install(t.Context(), Request{Manifest: m, ActingUserID: env.admin.Id, JWTSecret: "jwt-1"})
			require.NoError(t, err)
			require.NotEmpty(t, first.WebhookSecret)

			upgraded := env.manifest()
			upgraded.HTTP.UseJWT = true
			upgraded.Version = tt.version
			upgraded.DisplayName = "Hello App 2"
			second, _, err := env.service.Install(t.Context(), Request{Manifest: upgraded, ActingUserID: env.admin.Id})
			require.NoError(t, err)

			assert.Equal(t, first.WebhookSecret, second.WebhookSecret)
			assert.Equal(t, "jwt-1", second.JWTSecret, "the JWT secret is kept when the request has none")
			assert.Equal(t, tt.version, second.Version)
			assert.Equal(t, first.BotUserID, second.BotUserID)
			assert.Equal(t, "Hello App 2", env.mm.bot(second.BotUserID).DisplayName)

			third, _, err := env.service.Install(t.Context(), Request{Manifest: upgraded, ActingUserID: env.admin.Id, JWTSecret: "jwt-2"})
			require.NoError(t, err)
			assert.Equal(t, first.WebhookSecret, third.WebhookSecret)
			assert.Equal(t, "jwt-2", third.JWTSecret, "a new JWT secret replaces the old one")
		})
	}
}

func TestInstallAfterAuthNoneCreatesSecret(t *testing.T) {
	env := newTestEnv(t)
	m := env.manifest()
	m.RemoteWebhookAuthType = apps.WebhookAuthNone
	first := env.install(t, m)
	require.Empty(t, first.WebhookSecret)

	second := env.install(t, env.manifest())

	assert.Len(t, second.WebhookSecret, 24)
}

func TestInstallReenablesDisabledApp(t *testing.T) {
	env := newTestEnv(t)
	first := env.install(t, env.manifest())
	_, err := env.service.Disable(t.Context(), env.admin.Id, "hello")
	require.NoError(t, err)

	second := env.install(t, env.manifest())

	assert.False(t, second.Disabled)
	assert.Equal(t, first.WebhookSecret, second.WebhookSecret, "disable and reinstall keep the secret")
}

func TestInstallOnInstallContext(t *testing.T) {
	env := newTestEnv(t)
	channel := env.mm.addChannel()
	team := env.mm.addTeam()
	env.app.respond("/install", http.StatusOK, `{"type":"ok","text":"Thanks for installing!"}`)

	app, text, err := env.service.Install(t.Context(), Request{
		Manifest:     env.manifest(),
		ActingUserID: env.admin.Id,
		ChannelID:    channel.Id,
		TeamID:       team.Id,
	})
	require.NoError(t, err)

	assert.Equal(t, "Thanks for installing!", text)
	calls := env.app.calls("/install")
	require.Len(t, calls, 1)
	got := calls[0].Context
	assert.Equal(t, apps.AppID("hello"), got.AppID)
	assert.Equal(t, testSiteURL, got.MattermostSiteURL)
	assert.Equal(t, "/plugins/com.mattermost.apps/apps/hello", got.AppPath)
	assert.Equal(t, app.BotUserID, got.BotUserID)
	assert.True(t, got.DeveloperMode)
	assert.Equal(t, env.admin.Id, got.ActingUserID)
	assert.Equal(t, channel.Id, got.ChannelID)
	assert.Equal(t, team.Id, got.TeamID)

	require.NotEmpty(t, got.BotAccessToken)
	session := env.mm.sessionByToken(got.BotAccessToken)
	require.NotNil(t, session, "the bot token must be a live session")
	assert.Equal(t, app.BotUserID, session.UserId)

	require.NotNil(t, got.App)
	assert.Equal(t, app.WebhookSecret, got.App.WebhookSecret, "on_install runs as an admin, so it gets the secret")
	assert.Equal(t, apps.DeployHTTP, got.App.DeployType)
}

func TestInstallWithoutOnInstall(t *testing.T) {
	env := newTestEnv(t)
	m := env.manifest()
	m.OnInstall = nil

	_, text, err := env.service.Install(t.Context(), Request{Manifest: m, ActingUserID: env.admin.Id})

	require.NoError(t, err)
	assert.Empty(t, text)
	assert.Empty(t, env.app.calls("/install"))
}

func TestInstallRollsBackFailedOnInstall(t *testing.T) {
	tests := []struct {
		name        string
		answer      func(env *testEnv)
		wantMessage string
	}{
		{"error answer", func(env *testEnv) {
			env.app.respond("/install", http.StatusOK, `{"type":"error","text":"license key missing"}`)
		}, "app hello failed to install: license key missing"},
		{"error answer without text", func(env *testEnv) {
			env.app.respond("/install", http.StatusOK, `{"type":"error"}`)
		}, "app hello failed to install: the App returned an error with no text"},
		{"status 500", func(env *testEnv) {
			env.app.respond("/install", http.StatusInternalServerError, `oops`)
		}, "app hello failed to install: "},
		{"not a call response", func(env *testEnv) {
			env.app.respond("/install", http.StatusOK, `<html>`)
		}, "app hello failed to install: "},
		{"connection closed", func(env *testEnv) {
			env.app.handle("/install", func(w http.ResponseWriter, _ *http.Request) {
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					_ = conn.Close()
				}
			})
		}, "app hello failed to install: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			tt.answer(env)

			_, _, err := env.service.Install(t.Context(), Request{Manifest: env.manifest(), ActingUserID: env.admin.Id})

			require.Error(t, err)
			assert.ErrorIs(t, err, apps.ErrInvalidInput)
			assert.Contains(t, err.Error(), tt.wantMessage)
			_, err = env.store.GetApp("hello")
			assert.ErrorIs(t, err, apps.ErrNotFound, "the App record must be deleted")
			bot := env.mm.botByUsername("hello")
			require.NotNil(t, bot)
			assert.NotZero(t, bot.DeleteAt, "the bot created by the install must be deactivated")
			assert.Empty(t, env.storedSessions(t, "hello"), "no stored token may remain")
			assert.Zero(t, env.mm.sessionCount(), "every session created by the install must be revoked")
		})
	}
}

func TestInstallRollbackRestoresPreviousInstall(t *testing.T) {
	env := newTestEnv(t)
	first := env.install(t, env.manifest())
	token, err := env.service.BotAccessToken(t.Context(), first)
	require.NoError(t, err)
	env.app.respond("/install", http.StatusOK, `{"type":"error","text":"cannot upgrade"}`)

	upgrade := env.manifest()
	upgrade.Version = "2.0.0"
	upgrade.DisplayName = "Hello App 2"
	_, _, err = env.service.Install(t.Context(), Request{Manifest: upgrade, ActingUserID: env.admin.Id})

	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot upgrade")
	stored, err := env.store.GetApp("hello")
	require.NoError(t, err)
	assert.Equal(t, first, stored, "the previous record must be restored")
	bot := env.mm.bot(first.BotUserID)
	assert.Zero(t, bot.DeleteAt, "the bot of the previous install stays active")
	assert.Equal(t, "Hello App", bot.DisplayName, "the bot's display name must be restored")
	again, err := env.service.BotAccessToken(t.Context(), stored)
	require.NoError(t, err)
	assert.Equal(t, token, again, "the previous install's token stays valid")
	assert.NotNil(t, env.mm.sessionByToken(token))
}

func TestInstallRollsBackReactivatedBot(t *testing.T) {
	env := newTestEnv(t)
	old := env.mm.addBot("hello", apps.PluginID, false)
	env.app.respond("/install", http.StatusOK, `{"type":"error","text":"no"}`)

	_, _, err := env.service.Install(t.Context(), Request{Manifest: env.manifest(), ActingUserID: env.admin.Id})

	require.Error(t, err)
	assert.NotZero(t, env.mm.bot(old.UserId).DeleteAt, "the reactivated bot must be deactivated again")
}

func TestInstallRequiredExpansionFails(t *testing.T) {
	env := newTestEnv(t)
	m := env.manifest()
	m.OnInstall.Expand = &apps.Expand{Channel: "+summary"}

	_, _, err := env.service.Install(t.Context(), Request{Manifest: m, ActingUserID: env.admin.Id})

	require.Error(t, err)
	assert.Contains(t, err.Error(), "app hello failed to install")
	assert.Contains(t, err.Error(), "required field channel")
	assert.Contains(t, err.Error(), "no channel_id")
	assert.Empty(t, env.app.calls("/install"), "the call must not be sent")
	_, err = env.store.GetApp("hello")
	assert.ErrorIs(t, err, apps.ErrNotFound)
	assert.Zero(t, env.mm.sessionCount())
}

func TestInstallLogs(t *testing.T) {
	env := newTestEnv(t)

	app := env.install(t, env.manifest())

	entry := env.log.find("info", "Installed app")
	require.NotNil(t, entry)
	assert.Equal(t, apps.AppID("hello"), entry.fields["app_id"])
	assert.Equal(t, env.admin.Id, entry.fields["user_id"])
	assert.Equal(t, apps.AppVersion("1.0.0"), entry.fields["version"])
	assert.NotContains(t, env.log.text(), app.WebhookSecret)
}

func TestInstallSecretGenerationFailure(t *testing.T) {
	env := newTestEnv(t)
	env.service.random = failingReader{}

	_, _, err := env.service.Install(t.Context(), Request{Manifest: env.manifest(), ActingUserID: env.admin.Id})

	require.Error(t, err)
	assert.Contains(t, err.Error(), "failed to generate a webhook secret")
	_, err = env.store.GetApp("hello")
	assert.ErrorIs(t, err, apps.ErrNotFound)
	assert.NotZero(t, env.mm.botByUsername("hello").DeleteAt, "the new bot must be deactivated")
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) {
	return 0, errors.New("entropy source failed")
}

// TestInstallPingTimeout checks that an App that accepts the connection but never responds to the
// ping fails the install instead of blocking it.
func TestInstallPingTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the ping timeout")
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var accepted []net.Conn
	t.Cleanup(func() {
		_ = listener.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, conn := range accepted {
			_ = conn.Close()
		}
	})
	go func() {
		for {
			conn, acceptErr := listener.Accept()
			if acceptErr != nil {
				return
			}
			mu.Lock()
			accepted = append(accepted, conn)
			mu.Unlock()
		}
	}()
	env := newTestEnv(t)
	m := env.manifest()
	m.HTTP.RootURL = "http://" + listener.Addr().String()

	_, _, err = env.service.Install(t.Context(), Request{Manifest: m, ActingUserID: env.admin.Id})

	require.Error(t, err)
	assert.Contains(t, err.Error(), m.HTTP.RootURL+"/ping")
}
