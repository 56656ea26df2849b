package install

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

func TestExpandApp(t *testing.T) {
	env := newTestEnv(t)
	app := env.install(t, env.manifest())
	user := env.mm.addUser("alice", false)

	tests := []struct {
		name        string
		level       apps.ExpandLevel
		actingUser  string
		wantVersion bool
		wantDeploy  bool
		wantSecret  bool
	}{
		{"id", apps.ExpandID, env.admin.Id, false, false, false},
		{"summary as admin", apps.ExpandSummary, env.admin.Id, true, false, true},
		{"all as admin", apps.ExpandAll, env.admin.Id, true, true, true},
		{"summary as user", apps.ExpandSummary, user.Id, true, false, false},
		{"all as user", apps.ExpandAll, user.Id, true, true, false},
		{"all without acting user", apps.ExpandAll, "", true, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := apps.Context{ActingUserID: tt.actingUser}

			err := env.service.ExpandContext(t.Context(), app, &apps.Expand{App: tt.level}, &got)

			require.NoError(t, err)
			require.NotNil(t, got.App)
			assert.Equal(t, apps.AppID("hello"), got.App.AppID)
			if tt.wantVersion {
				assert.Equal(t, apps.AppVersion("1.0.0"), got.App.Version)
				assert.Equal(t, app.BotUserID, got.App.BotUserID)
				assert.Equal(t, "hello", got.App.BotUsername)
			} else {
				assert.Empty(t, got.App.Version)
				assert.Empty(t, got.App.BotUserID)
			}
			if tt.wantDeploy {
				assert.Equal(t, apps.DeployHTTP, got.App.DeployType)
			} else {
				assert.Empty(t, got.App.DeployType)
			}
			if tt.wantSecret {
				assert.Equal(t, app.WebhookSecret, got.App.WebhookSecret)
			} else {
				assert.Empty(t, got.App.WebhookSecret)
			}
		})
	}
}

func TestExpandActingUser(t *testing.T) {
	env := newTestEnv(t)
	app := env.install(t, env.manifest())
	user := env.mm.addUser("alice", false)

	t.Run("id", func(t *testing.T) {
		got := apps.Context{ActingUserID: user.Id}
		require.NoError(t, env.service.ExpandContext(t.Context(), app, &apps.Expand{ActingUser: apps.ExpandID}, &got))
		assert.Equal(t, &model.User{Id: user.Id}, got.ActingUser)
	})

	t.Run("summary", func(t *testing.T) {
		got := apps.Context{ActingUserID: user.Id}
		require.NoError(t, env.service.ExpandContext(t.Context(), app, &apps.Expand{ActingUser: apps.ExpandSummary}, &got))
		require.NotNil(t, got.ActingUser)
		assert.Equal(t, user.Id, got.ActingUser.Id)
		assert.Equal(t, "alice", got.ActingUser.Username)
		assert.Equal(t, "alice@example.com", got.ActingUser.Email)
		assert.Equal(t, "First alice", got.ActingUser.FirstName)
		assert.Equal(t, "Last alice", got.ActingUser.LastName)
		assert.Equal(t, "nick-alice", got.ActingUser.Nickname)
		assert.Equal(t, "de", got.ActingUser.Locale)
		assert.Equal(t, model.SystemUserRoleId, got.ActingUser.Roles)
		assert.Equal(t, user.Timezone, got.ActingUser.Timezone)
		assert.Empty(t, got.ActingUser.Password)
		assert.Nil(t, got.ActingUser.AuthData)
	})

	t.Run("all is sanitized", func(t *testing.T) {
		got := apps.Context{ActingUserID: user.Id}
		require.NoError(t, env.service.ExpandContext(t.Context(), app, &apps.Expand{ActingUser: apps.ExpandAll}, &got))
		require.NotNil(t, got.ActingUser)
		assert.Equal(t, "alice", got.ActingUser.Username)
		assert.Equal(t, "alice@example.com", got.ActingUser.Email)
		assert.Empty(t, got.ActingUser.Password)
		assert.Empty(t, got.ActingUser.MfaSecret)
		assert.Empty(t, got.ActingUser.AuthService)
		require.NotNil(t, got.ActingUser.AuthData)
		assert.Empty(t, *got.ActingUser.AuthData)
	})

	t.Run("required without acting user", func(t *testing.T) {
		got := apps.Context{}
		err := env.service.ExpandContext(t.Context(), app, &apps.Expand{ActingUser: "+id"}, &got)
		require.Error(t, err)
		assert.ErrorIs(t, err, apps.ErrInvalidInput)
		assert.Contains(t, err.Error(), "required field acting_user")
	})

	t.Run("optional without acting user", func(t *testing.T) {
		got := apps.Context{}
		require.NoError(t, env.service.ExpandContext(t.Context(), app, &apps.Expand{ActingUser: apps.ExpandSummary}, &got))
		assert.Nil(t, got.ActingUser)
	})
}

func TestExpandActingUserAccessToken(t *testing.T) {
	env := newTestEnv(t)
	user := env.mm.addUser("alice", false)
	withActAsUser := env.manifest()
	withActAsUser.RequestedPermissions = append(withActAsUser.RequestedPermissions, apps.PermissionActAsUser)
	app := env.install(t, withActAsUser)
	withoutActAsUser := *app
	withoutActAsUser.GrantedPermissions = apps.Permissions{apps.PermissionActAsBot}

	tests := []struct {
		name      string
		app       *apps.App
		level     apps.ExpandLevel
		wantToken bool
		wantErr   error
	}{
		{"granted, level all", app, apps.ExpandAll, true, nil},
		{"granted, level id", app, apps.ExpandID, true, nil},
		{"granted, required", app, "+all", true, nil},
		{"not granted, optional", &withoutActAsUser, apps.ExpandAll, false, nil},
		{"not granted, required", &withoutActAsUser, "+all", false, apps.ErrForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := apps.Context{ActingUserID: user.Id}

			err := env.service.ExpandContext(t.Context(), tt.app, &apps.Expand{ActingUserAccessToken: tt.level}, &got)

			if tt.wantErr != nil {
				require.Error(t, err)
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Contains(t, err.Error(), "act_as_user")
				return
			}
			require.NoError(t, err)
			if !tt.wantToken {
				assert.Empty(t, got.ActingUserAccessToken)
				return
			}
			session := env.mm.sessionByToken(got.ActingUserAccessToken)
			require.NotNil(t, session, "the token must be a live session")
			assert.Equal(t, user.Id, session.UserId)
			assert.Equal(t, model.SystemUserRoleId, session.Roles)
			assert.Equal(t, "hello", session.Props[model.SessionPropMattermostAppID])
			assert.Empty(t, session.Props[model.SessionPropIsBot], "a person's token is not a bot session")
		})
	}
}

func TestExpandChannelAndTeam(t *testing.T) {
	env := newTestEnv(t)
	app := env.install(t, env.manifest())
	member := env.mm.addUser("alice", false)
	outsider := env.mm.addUser("bob", false)
	channel := env.mm.addChannel(member.Id, app.BotUserID)
	team := env.mm.addTeam(member.Id)

	tests := []struct {
		name       string
		actingUser string
		channelID  string
		teamID     string
		level      apps.ExpandLevel
		wantErr    error
		wantErrMsg string
	}{
		{"member, id", member.Id, channel.Id, team.Id, apps.ExpandID, nil, ""},
		{"member, summary", member.Id, channel.Id, team.Id, apps.ExpandSummary, nil, ""},
		{"member, all", member.Id, channel.Id, team.Id, apps.ExpandAll, nil, ""},
		{"admin, all", env.admin.Id, channel.Id, team.Id, apps.ExpandAll, nil, ""},
		{"outsider, optional", outsider.Id, channel.Id, team.Id, apps.ExpandAll, nil, ""},
		{"outsider, required", outsider.Id, channel.Id, team.Id, "+all", apps.ErrForbidden, "may not"},
		{"missing ids, optional", member.Id, "", "", apps.ExpandSummary, nil, ""},
		{"missing ids, required", member.Id, "", "", "+summary", apps.ErrInvalidInput, "no channel_id"},
		{"unknown ids, optional", member.Id, model.NewId(), model.NewId(), apps.ExpandSummary, nil, ""},
		{"unknown ids, required", member.Id, model.NewId(), model.NewId(), "+summary", apps.ErrNotFound, "failed to get channel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := apps.Context{ActingUserID: tt.actingUser, ChannelID: tt.channelID, TeamID: tt.teamID}

			err := env.service.ExpandContext(t.Context(), app, &apps.Expand{Channel: tt.level, Team: tt.level}, &got)

			if tt.wantErr != nil {
				require.Error(t, err)
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Contains(t, err.Error(), "required field channel")
				assert.Contains(t, err.Error(), tt.wantErrMsg)
				return
			}
			require.NoError(t, err)
			canSee := tt.actingUser != outsider.Id && tt.channelID == channel.Id
			if !canSee {
				assert.Nil(t, got.Channel)
				assert.Nil(t, got.Team)
				return
			}
			require.NotNil(t, got.Channel)
			require.NotNil(t, got.Team)
			assert.Equal(t, channel.Id, got.Channel.Id)
			assert.Equal(t, team.Id, got.Team.Id)
			switch tt.level {
			case apps.ExpandID:
				assert.Empty(t, got.Channel.Name)
				assert.Empty(t, got.Team.Name)
			case apps.ExpandSummary:
				assert.Equal(t, "town-square", got.Channel.Name)
				assert.Equal(t, "header", got.Channel.Header)
				assert.Empty(t, got.Channel.CreatorId)
				assert.Equal(t, "team", got.Team.Name)
				assert.Empty(t, got.Team.Email)
			case apps.ExpandAll:
				assert.Equal(t, "creator", got.Channel.CreatorId)
				assert.Equal(t, "a team", got.Team.Description)
				assert.Empty(t, got.Team.Email, "team email is sanitized")
				assert.Empty(t, got.Team.InviteId, "team invite id is sanitized")
			}
		})
	}
}

func TestExpandChannelWithoutActingUserUsesBot(t *testing.T) {
	env := newTestEnv(t)
	app := env.install(t, env.manifest())
	botChannel := env.mm.addChannel(app.BotUserID)
	otherChannel := env.mm.addChannel()

	got := apps.Context{ChannelID: botChannel.Id}
	require.NoError(t, env.service.ExpandContext(t.Context(), app, &apps.Expand{Channel: "+id"}, &got))
	require.NotNil(t, got.Channel)
	assert.Equal(t, botChannel.Id, got.Channel.Id)

	got = apps.Context{ChannelID: otherChannel.Id}
	err := env.service.ExpandContext(t.Context(), app, &apps.Expand{Channel: "+id"}, &got)
	assert.ErrorIs(t, err, apps.ErrForbidden)
}

func TestExpandLocale(t *testing.T) {
	env := newTestEnv(t)
	app := env.install(t, env.manifest())
	user := env.mm.addUser("alice", false)

	got := apps.Context{ActingUserID: user.Id}
	require.NoError(t, env.service.ExpandContext(t.Context(), app, &apps.Expand{Locale: apps.ExpandAll}, &got))
	assert.Equal(t, "de", got.Locale)

	got = apps.Context{}
	err := env.service.ExpandContext(t.Context(), app, &apps.Expand{Locale: "+all"}, &got)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "required field locale")
}

func TestExpandInvalidLevel(t *testing.T) {
	env := newTestEnv(t)
	app := env.install(t, env.manifest())

	err := env.service.ExpandContext(t.Context(), app, &apps.Expand{Team: "everything"}, &apps.Context{})

	require.Error(t, err)
	assert.ErrorIs(t, err, apps.ErrInvalidInput)
	assert.Contains(t, err.Error(), "expand.team")
}

func TestNewCallRequest(t *testing.T) {
	env := newTestEnv(t)
	app := env.install(t, env.manifest())
	noBot := *app
	noBot.GrantedPermissions = nil
	call := apps.Call{Path: "/command", State: []byte(`{"step":2}`), Expand: &apps.Expand{App: apps.ExpandID}}

	t.Run("with act_as_bot", func(t *testing.T) {
		creq, err := env.service.NewCallRequest(t.Context(), app, call, CallContext{ActingUserID: env.admin.Id})
		require.NoError(t, err)
		assert.Equal(t, "/command", creq.Path)
		assert.JSONEq(t, `{"step":2}`, string(creq.State))
		assert.Equal(t, apps.AppID("hello"), creq.Context.AppID)
		assert.NotEmpty(t, creq.Context.BotAccessToken)
		require.NotNil(t, creq.Context.App)
		assert.Equal(t, apps.AppID("hello"), creq.Context.App.AppID)
	})

	t.Run("without act_as_bot", func(t *testing.T) {
		creq, err := env.service.NewCallRequest(t.Context(), &noBot, call, CallContext{})
		require.NoError(t, err)
		assert.Empty(t, creq.Context.BotAccessToken)
		assert.Equal(t, app.BotUserID, creq.Context.BotUserID)
	})
}
