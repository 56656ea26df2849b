package install

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin/plugintest"
	"github.com/mattermost/mattermost/server/public/pluginapi"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

func newPluginMattermost(t *testing.T) (Mattermost, *plugintest.API) {
	t.Helper()
	api := &plugintest.API{}
	t.Cleanup(func() { api.AssertExpectations(t) })
	return NewMattermost(pluginapi.NewClient(api, nil), api), api
}

func appError(status int) *model.AppError {
	return model.NewAppError("test", "test.error", nil, "", status)
}

func TestPluginMattermostNotFound(t *testing.T) {
	tests := []struct {
		name  string
		setup func(api *plugintest.API)
		call  func(mm Mattermost) error
	}{
		{"user", func(api *plugintest.API) {
			api.On("GetUser", "u1").Return(nil, appError(http.StatusNotFound))
		}, func(mm Mattermost) error { _, err := mm.GetUser("u1"); return err }},
		{"username", func(api *plugintest.API) {
			api.On("GetUserByUsername", "hello").Return(nil, appError(http.StatusNotFound))
		}, func(mm Mattermost) error { _, err := mm.GetUserByUsername("hello"); return err }},
		{"bot", func(api *plugintest.API) {
			api.On("GetBot", "b1", true).Return(nil, appError(http.StatusNotFound))
		}, func(mm Mattermost) error { _, err := mm.GetBot("b1"); return err }},
		{"channel", func(api *plugintest.API) {
			api.On("GetChannel", "c1").Return(nil, appError(http.StatusNotFound))
		}, func(mm Mattermost) error { _, err := mm.GetChannel("c1"); return err }},
		{"team", func(api *plugintest.API) {
			api.On("GetTeam", "t1").Return(nil, appError(http.StatusNotFound))
		}, func(mm Mattermost) error { _, err := mm.GetTeam("t1"); return err }},
		{"session answered 400", func(api *plugintest.API) {
			api.On("GetSession", "s1").Return(nil, appError(http.StatusBadRequest))
		}, func(mm Mattermost) error { _, err := mm.GetSession("s1"); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mm, api := newPluginMattermost(t)
			tt.setup(api)

			err := tt.call(mm)

			require.Error(t, err)
			assert.ErrorIs(t, err, apps.ErrNotFound)
		})
	}
}

func TestPluginMattermostServerError(t *testing.T) {
	mm, api := newPluginMattermost(t)
	api.On("GetUser", "u1").Return(nil, appError(http.StatusInternalServerError))
	api.On("GetSession", "s1").Return(nil, appError(http.StatusInternalServerError))

	_, err := mm.GetUser("u1")
	require.Error(t, err)
	assert.NotErrorIs(t, err, apps.ErrNotFound)

	_, err = mm.GetSession("s1")
	require.Error(t, err)
	assert.NotErrorIs(t, err, apps.ErrNotFound)
}

func TestPluginMattermostRevokeSession(t *testing.T) {
	mm, api := newPluginMattermost(t)
	api.On("RevokeSession", "gone").Return(appError(http.StatusBadRequest))
	api.On("RevokeSession", "live").Return(nil)
	api.On("RevokeSession", "broken").Return(appError(http.StatusInternalServerError))

	assert.NoError(t, mm.RevokeSession("gone"), "a session that no longer exists is already revoked")
	assert.NoError(t, mm.RevokeSession("live"))
	assert.Error(t, mm.RevokeSession("broken"))
}

func TestPluginMattermostSessions(t *testing.T) {
	mm, api := newPluginMattermost(t)
	request := &model.Session{UserId: "u1", Roles: model.SystemUserRoleId}
	api.On("CreateSession", request).Return(&model.Session{Id: "s1", Token: "t1", UserId: "u1"}, nil)
	api.On("ExtendSessionExpiry", "s1", int64(42)).Return(nil)
	api.On("ExtendSessionExpiry", "gone", int64(42)).Return(appError(http.StatusInternalServerError))

	created, err := mm.CreateSession(request)
	require.NoError(t, err)
	assert.Equal(t, "t1", created.Token)
	assert.NoError(t, mm.ExtendSessionExpiry("s1", 42))
	assert.Error(t, mm.ExtendSessionExpiry("gone", 42))
}

func TestPluginMattermostBots(t *testing.T) {
	mm, api := newPluginMattermost(t)
	api.On("CreateBot", mock.MatchedBy(func(bot *model.Bot) bool { return bot.Username == "hello" })).
		Return(&model.Bot{UserId: "b1", Username: "hello", OwnerId: apps.PluginID}, nil)
	api.On("UpdateBotActive", "b1", false).Return(&model.Bot{UserId: "b1"}, nil)
	api.On("UpdateBotActive", "gone", false).Return(nil, appError(http.StatusNotFound))
	api.On("HasPermissionTo", "admin", model.PermissionManageSystem).Return(true)

	bot, err := mm.CreateBot(&model.Bot{Username: "hello"})
	require.NoError(t, err)
	assert.Equal(t, "b1", bot.UserId)
	assert.Equal(t, apps.PluginID, bot.OwnerId)
	assert.NoError(t, mm.UpdateBotActive("b1", false))
	assert.ErrorIs(t, mm.UpdateBotActive("gone", false), apps.ErrNotFound)
	assert.True(t, mm.HasPermissionTo("admin", model.PermissionManageSystem))
}
