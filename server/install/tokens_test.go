package install

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pkg/errors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/pluginapi"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/store"
)

// countingKV counts the reads of the plugin KV store.
type countingKV struct {
	*pluginapi.MemoryStore
	gets atomic.Int64
}

func (kv *countingKV) Get(key string, out any) error {
	kv.gets.Add(1)
	return kv.MemoryStore.Get(key, out)
}

func TestBotAccessTokenCreatesSession(t *testing.T) {
	env := newTestEnv(t)
	m := env.manifest()
	m.OnInstall = nil
	app := env.install(t, m)

	token, err := env.service.BotAccessToken(t.Context(), app)
	require.NoError(t, err)

	session := env.mm.sessionByToken(token)
	require.NotNil(t, session)
	assert.Equal(t, app.BotUserID, session.UserId)
	assert.Equal(t, model.SystemUserRoleId, session.Roles, "a session without roles has no permissions")
	assert.Equal(t, "hello", session.Props[model.SessionPropMattermostAppID])
	assert.Equal(t, model.SessionPropIsBotValue, session.Props[model.SessionPropIsBot])
	assert.Equal(t, env.clock.Now().Add(30*time.Minute).UnixMilli(), session.ExpiresAt)

	stored := env.storedSessions(t, "hello")
	require.Len(t, stored, 1)
	assert.Equal(t, session.Id, stored[0].SessionID)
	assert.Equal(t, token, stored[0].Token)
	assert.Equal(t, app.BotUserID, stored[0].UserID)
	assert.Equal(t, session.ExpiresAt, stored[0].ExpiresAt)
	assert.NotContains(t, env.log.text(), token)
}

func TestBotAccessTokenWithoutBot(t *testing.T) {
	env := newTestEnv(t)

	_, err := env.service.BotAccessToken(t.Context(), &apps.App{Manifest: apps.Manifest{AppID: "hello"}})

	require.Error(t, err)
	assert.Contains(t, err.Error(), "app hello has no bot")
}

func TestBotAccessTokenCachedWithoutDatabase(t *testing.T) {
	env := newTestEnv(t)
	kv := &countingKV{MemoryStore: &pluginapi.MemoryStore{}}
	service := env.newService(store.New(kv))
	bot := env.mm.addBot("hello", apps.PluginID, true)
	app := &apps.App{Manifest: apps.Manifest{AppID: "hello"}, BotUserID: bot.UserId}
	first, err := service.BotAccessToken(t.Context(), app)
	require.NoError(t, err)
	gets, getSessions := kv.gets.Load(), env.mm.getSessionCalls.Load()

	env.clock.Advance(appTokenLifetime/2 - time.Second)
	for range 100 {
		token, err := service.BotAccessToken(t.Context(), app)
		require.NoError(t, err)
		require.Equal(t, first, token)
	}

	assert.Equal(t, gets, kv.gets.Load(), "a fresh cached token must not read the KV store")
	assert.Equal(t, getSessions, env.mm.getSessionCalls.Load(), "a fresh cached token must not read sessions")
	assert.EqualValues(t, 1, env.mm.createSessionCalls.Load())
	assert.Zero(t, env.mm.extendCalls.Load())
}

func TestBotAccessTokenRenewal(t *testing.T) {
	tests := []struct {
		name        string
		advance     time.Duration
		revoke      bool // an admin revoked the session behind the plugin's back
		wantSame    bool
		wantExtends int64
	}{
		{"more than half left", appTokenLifetime/2 - time.Minute, false, true, 0},
		{"less than half left", appTokenLifetime/2 + time.Minute, false, true, 1},
		{"expired", appTokenLifetime + time.Minute, false, false, 0},
		{"revoked, less than half left", appTokenLifetime/2 + time.Minute, true, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			bot := env.mm.addBot("hello", apps.PluginID, true)
			app := &apps.App{Manifest: apps.Manifest{AppID: "hello"}, BotUserID: bot.UserId}
			first, err := env.service.BotAccessToken(t.Context(), app)
			require.NoError(t, err)
			firstSession := env.mm.sessionByToken(first)
			if tt.revoke {
				env.mm.removeSession(firstSession.Id)
			}

			env.clock.Advance(tt.advance)
			token, err := env.service.BotAccessToken(t.Context(), app)
			require.NoError(t, err)

			assert.Equal(t, tt.wantSame, token == first)
			assert.Equal(t, tt.wantExtends, env.mm.extendCalls.Load())
			session := env.mm.sessionByToken(token)
			require.NotNil(t, session, "the token handed out must be a live session")
			assert.Greater(t, session.ExpiresAt-env.clock.Now().UnixMilli(), appTokenRenewBelow.Milliseconds(),
				"a token handed out must have more than half its lifetime left")
			stored := env.storedSessions(t, "hello")
			require.Len(t, stored, 1)
			assert.Equal(t, session.Id, stored[0].SessionID)
			assert.Equal(t, session.ExpiresAt, stored[0].ExpiresAt)
		})
	}
}

func TestBotAccessTokenSharedBetweenNodes(t *testing.T) {
	env := newTestEnv(t)
	otherNode := env.newService(env.store)
	bot := env.mm.addBot("hello", apps.PluginID, true)
	app := &apps.App{Manifest: apps.Manifest{AppID: "hello"}, BotUserID: bot.UserId}
	first, err := env.service.BotAccessToken(t.Context(), app)
	require.NoError(t, err)

	second, err := otherNode.BotAccessToken(t.Context(), app)
	require.NoError(t, err)

	assert.Equal(t, first, second, "the other node must use the stored session")
	assert.EqualValues(t, 1, env.mm.createSessionCalls.Load())
}

func TestBotAccessTokenStoredSessionGone(t *testing.T) {
	env := newTestEnv(t)
	otherNode := env.newService(env.store)
	bot := env.mm.addBot("hello", apps.PluginID, true)
	app := &apps.App{Manifest: apps.Manifest{AppID: "hello"}, BotUserID: bot.UserId}
	first, err := env.service.BotAccessToken(t.Context(), app)
	require.NoError(t, err)
	env.mm.removeSession(env.mm.sessionByToken(first).Id)

	second, err := otherNode.BotAccessToken(t.Context(), app)
	require.NoError(t, err)

	assert.NotEqual(t, first, second)
	assert.NotNil(t, env.mm.sessionByToken(second))
	assert.EqualValues(t, 2, env.mm.createSessionCalls.Load())
}

func TestBotAccessTokenConcurrentFirstCalls(t *testing.T) {
	env := newTestEnv(t)
	env.mm.createSessionDelay = 20 * time.Millisecond
	bot := env.mm.addBot("hello", apps.PluginID, true)
	app := &apps.App{Manifest: apps.Manifest{AppID: "hello"}, BotUserID: bot.UserId}

	const callers = 100
	tokens := make([]string, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			tokens[i], errs[i] = env.service.BotAccessToken(t.Context(), app)
		})
	}
	wg.Wait()

	for i := range callers {
		require.NoError(t, errs[i])
		assert.Equal(t, tokens[0], tokens[i])
	}
	assert.EqualValues(t, 1, env.mm.createSessionCalls.Load(), "concurrent first calls must create one session")
	assert.Equal(t, 1, env.mm.sessionCount())
}

func TestBotAccessTokenStoreFailureRevokesSession(t *testing.T) {
	env := newTestEnv(t)
	env.store.fail("SaveSession", errors.New("database is down"))
	bot := env.mm.addBot("hello", apps.PluginID, true)
	app := &apps.App{Manifest: apps.Manifest{AppID: "hello"}, BotUserID: bot.UserId}

	_, err := env.service.BotAccessToken(t.Context(), app)

	require.Error(t, err)
	assert.Contains(t, err.Error(), "database is down")
	assert.Zero(t, env.mm.sessionCount(), "a session the store does not list must be revoked")
}

func TestBotAccessTokenWaitRespectsContext(t *testing.T) {
	env := newTestEnv(t)
	bot := env.mm.addBot("hello", apps.PluginID, true)
	app := &apps.App{Manifest: apps.Manifest{AppID: "hello"}, BotUserID: bot.UserId}
	entry := env.service.tokens.entry("hello", bot.UserId)
	entry.lock <- struct{}{} // another call is creating the token
	t.Cleanup(func() { <-entry.lock })
	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	_, err := env.service.BotAccessToken(ctx, app)

	require.Error(t, err)
	assert.Contains(t, err.Error(), "timed out waiting for the token of app hello")
}

func TestInvalidateTokens(t *testing.T) {
	env := newTestEnv(t)
	otherNode := env.newService(env.store)
	bot := env.mm.addBot("hello", apps.PluginID, true)
	app := &apps.App{Manifest: apps.Manifest{AppID: "hello"}, BotUserID: bot.UserId}
	first, err := otherNode.BotAccessToken(t.Context(), app)
	require.NoError(t, err)

	// This node revokes the App's tokens, as Disable does; the other node hears of the change.
	require.NoError(t, env.service.revokeAppTokens("hello"))
	otherNode.InvalidateTokens("hello")
	second, err := otherNode.BotAccessToken(t.Context(), app)
	require.NoError(t, err)

	assert.NotEqual(t, first, second, "the revoked token must not be served from the cache")
	assert.NotNil(t, env.mm.sessionByToken(second))
}

func TestAppOfSession(t *testing.T) {
	env := newTestEnv(t)
	bot := env.mm.addBot("hello", apps.PluginID, true)
	app := &apps.App{Manifest: apps.Manifest{AppID: "hello"}, BotUserID: bot.UserId}
	token, err := env.service.BotAccessToken(t.Context(), app)
	require.NoError(t, err)
	appSession := env.mm.sessionByToken(token)
	plain, err := env.mm.CreateSession(&model.Session{UserId: env.admin.Id, Roles: env.admin.Roles})
	require.NoError(t, err)
	expired, err := env.mm.CreateSession(&model.Session{
		UserId:    bot.UserId,
		ExpiresAt: env.clock.Now().Add(-time.Minute).UnixMilli(),
		Props:     model.StringMap{model.SessionPropMattermostAppID: "hello"},
	})
	require.NoError(t, err)

	tests := []struct {
		name      string
		sessionID string
		wantApp   apps.AppID
		wantUser  string
	}{
		{"app token", appSession.Id, "hello", bot.UserId},
		{"ordinary session", plain.Id, "", ""},
		{"expired app token", expired.Id, "", ""},
		{"unknown session", model.NewId(), "", ""},
		{"no session", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			appID, userID, err := env.service.AppOfSession(tt.sessionID)

			if tt.wantApp == "" {
				require.Error(t, err)
				assert.ErrorIs(t, err, apps.ErrUnauthorized)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantApp, appID)
			assert.Equal(t, tt.wantUser, userID)
		})
	}
}
