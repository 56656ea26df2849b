package install

import (
	"context"
	"net/http"
	"testing"

	"github.com/pkg/errors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

func TestUninstallDeletesEverything(t *testing.T) {
	env := newTestEnv(t)
	app := env.install(t, env.manifest())
	user := env.mm.addUser("alice", false)
	token, err := env.service.BotAccessToken(t.Context(), app)
	require.NoError(t, err)
	_, err = env.service.accessToken(t.Context(), "hello", user.Id)
	require.NoError(t, err)
	_, err = env.store.KVSet("hello", user.Id, "", "counter", []byte(`1`))
	require.NoError(t, err)
	env.app.respond("/uninstall", http.StatusOK, `{"type":"ok","text":"Bye"}`)

	message, err := env.service.Uninstall(t.Context(), env.admin.Id, "hello")

	require.NoError(t, err)
	assert.Equal(t, "Bye", message)
	calls := env.app.calls("/uninstall")
	require.Len(t, calls, 1)
	assert.Equal(t, env.admin.Id, calls[0].Context.ActingUserID)
	assert.Equal(t, token, calls[0].Context.BotAccessToken)

	_, err = env.store.GetApp("hello")
	assert.ErrorIs(t, err, apps.ErrNotFound, "the App record, and with it the secret, must be deleted")
	assert.NotZero(t, env.mm.bot(app.BotUserID).DeleteAt, "the bot must be deactivated")
	assert.Empty(t, env.storedSessions(t, "hello"))
	assert.Zero(t, env.mm.sessionCount(), "every App token must be revoked")
	value, err := env.store.KVGet("hello", user.Id, "", "counter")
	require.NoError(t, err)
	assert.Nil(t, value, "the App's KV data must be deleted")

	entry := env.log.find("info", "Uninstalled app")
	require.NotNil(t, entry)
	assert.Equal(t, apps.AppID("hello"), entry.fields["app_id"])
	assert.Equal(t, env.admin.Id, entry.fields["user_id"])
}

func TestUninstallWhenOnUninstallFails(t *testing.T) {
	tests := []struct {
		name   string
		answer func(env *testEnv)
	}{
		{"error answer", func(env *testEnv) {
			env.app.respond("/uninstall", http.StatusOK, `{"type":"error","text":"cleanup failed"}`)
		}},
		{"status 500", func(env *testEnv) {
			env.app.respond("/uninstall", http.StatusInternalServerError, `oops`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			app := env.install(t, env.manifest())
			tt.answer(env)

			message, err := env.service.Uninstall(t.Context(), env.admin.Id, "hello")

			require.NoError(t, err)
			assert.Contains(t, message, "App hello was uninstalled, but its on_uninstall call failed")
			_, err = env.store.GetApp("hello")
			assert.ErrorIs(t, err, apps.ErrNotFound)
			assert.NotZero(t, env.mm.bot(app.BotUserID).DeleteAt)
			assert.Zero(t, env.mm.sessionCount())
			entry := env.log.find("warn", "App lifecycle call failed")
			require.NotNil(t, entry)
			assert.Equal(t, "on_uninstall", entry.fields["call"])
		})
	}
}

func TestUninstallStopsOnStoreFailure(t *testing.T) {
	env := newTestEnv(t)
	env.install(t, env.manifest())
	env.store.fail("KVDeleteAll", errors.New("database is down"))

	_, err := env.service.Uninstall(t.Context(), env.admin.Id, "hello")

	require.Error(t, err)
	assert.Contains(t, err.Error(), "failed to delete the KV data of app hello")
	_, err = env.store.GetApp("hello")
	assert.NoError(t, err, "the record stays so that the admin can retry the uninstall")
}

func TestDisableKeepsSecretAndRevokesTokens(t *testing.T) {
	env := newTestEnv(t)
	app := env.install(t, env.manifest())
	token, err := env.service.BotAccessToken(t.Context(), app)
	require.NoError(t, err)
	env.app.respond("/disable", http.StatusOK, `{"type":"ok","text":"Paused"}`)

	message, err := env.service.Disable(t.Context(), env.admin.Id, "hello")

	require.NoError(t, err)
	assert.Equal(t, "Paused", message)
	stored, err := env.store.GetApp("hello")
	require.NoError(t, err)
	assert.True(t, stored.Disabled)
	assert.Equal(t, app.WebhookSecret, stored.WebhookSecret, "disable keeps the secret")
	assert.Zero(t, env.mm.bot(app.BotUserID).DeleteAt, "disable keeps the bot")

	calls := env.app.calls("/disable")
	require.Len(t, calls, 1)
	assert.Equal(t, env.admin.Id, calls[0].Context.ActingUserID)
	assert.Equal(t, token, calls[0].Context.BotAccessToken)
	assert.Nil(t, env.mm.sessionByToken(token), "the token must be revoked after on_disable")
	assert.Empty(t, env.storedSessions(t, "hello"))
	assert.Zero(t, env.mm.sessionCount())
	assert.NotNil(t, env.log.find("info", "Disabled app"))
}

func TestEnableAfterDisable(t *testing.T) {
	env := newTestEnv(t)
	app := env.install(t, env.manifest())
	_, err := env.service.Disable(t.Context(), env.admin.Id, "hello")
	require.NoError(t, err)

	message, err := env.service.Enable(t.Context(), env.admin.Id, "hello")

	require.NoError(t, err)
	assert.Empty(t, message)
	stored, err := env.store.GetApp("hello")
	require.NoError(t, err)
	assert.False(t, stored.Disabled)
	assert.Equal(t, app.WebhookSecret, stored.WebhookSecret)
	calls := env.app.calls("/enable")
	require.Len(t, calls, 1)
	session := env.mm.sessionByToken(calls[0].Context.BotAccessToken)
	require.NotNil(t, session, "on_enable gets a new live bot token")
	assert.NotNil(t, env.log.find("info", "Enabled app"))
}

func TestEnableAndDisableWhenLifecycleCallFails(t *testing.T) {
	tests := []struct {
		name         string
		path         string
		change       func(s *Service, ctx context.Context, userID string, id apps.AppID) (string, error)
		wantDisabled bool
		wantMessage  string
	}{
		{"disable", "/disable", (*Service).Disable, true, "App hello was disabled, but its on_disable call failed: not now"},
		{"enable", "/enable", (*Service).Enable, false, "App hello was enabled, but its on_enable call failed: not now"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			env.install(t, env.manifest())
			if !tt.wantDisabled {
				_, err := env.service.Disable(t.Context(), env.admin.Id, "hello")
				require.NoError(t, err)
			}
			env.app.respond(tt.path, http.StatusOK, `{"type":"error","text":"not now"}`)

			message, err := tt.change(env.service, t.Context(), env.admin.Id, "hello")

			require.NoError(t, err)
			assert.Equal(t, tt.wantMessage, message)
			stored, err := env.store.GetApp("hello")
			require.NoError(t, err)
			assert.Equal(t, tt.wantDisabled, stored.Disabled, "the state change stands")
			assert.NotNil(t, env.log.find("warn", "App lifecycle call failed"))
		})
	}
}

func TestEnableAndDisableAreIdempotent(t *testing.T) {
	env := newTestEnv(t)
	env.install(t, env.manifest())

	message, err := env.service.Enable(t.Context(), env.admin.Id, "hello")
	require.NoError(t, err)
	assert.Empty(t, message)
	assert.Empty(t, env.app.calls("/enable"))

	_, err = env.service.Disable(t.Context(), env.admin.Id, "hello")
	require.NoError(t, err)
	message, err = env.service.Disable(t.Context(), env.admin.Id, "hello")
	require.NoError(t, err)
	assert.Empty(t, message)
	assert.Len(t, env.app.calls("/disable"), 1)
}

func TestLifecycleRequiresSystemAdmin(t *testing.T) {
	env := newTestEnv(t)
	env.install(t, env.manifest())
	user := env.mm.addUser("alice", false)

	tests := []struct {
		name   string
		change func(s *Service, ctx context.Context, userID string, id apps.AppID) (string, error)
	}{
		{"uninstall", (*Service).Uninstall},
		{"enable", (*Service).Enable},
		{"disable", (*Service).Disable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.change(env.service, t.Context(), user.Id, "hello")

			require.Error(t, err)
			assert.ErrorIs(t, err, apps.ErrForbidden)
			stored, err := env.store.GetApp("hello")
			require.NoError(t, err)
			assert.False(t, stored.Disabled)
		})
	}
	assert.Empty(t, env.app.calls("/uninstall"))
	assert.Empty(t, env.app.calls("/disable"))
}

func TestLifecycleUnknownApp(t *testing.T) {
	env := newTestEnv(t)

	for name, change := range map[string]func(s *Service, ctx context.Context, userID string, id apps.AppID) (string, error){
		"uninstall": (*Service).Uninstall,
		"enable":    (*Service).Enable,
		"disable":   (*Service).Disable,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := change(env.service, t.Context(), env.admin.Id, "missing")

			require.Error(t, err)
			assert.ErrorIs(t, err, apps.ErrNotFound)
			assert.Contains(t, err.Error(), "app missing")
		})
	}
}

func TestIsSystemAdmin(t *testing.T) {
	env := newTestEnv(t)
	user := env.mm.addUser("alice", false)

	assert.True(t, env.service.IsSystemAdmin(env.admin.Id))
	assert.False(t, env.service.IsSystemAdmin(user.Id))
	assert.False(t, env.service.IsSystemAdmin(""))
}
