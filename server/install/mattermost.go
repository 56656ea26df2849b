package install

import (
	"net/http"

	"github.com/pkg/errors"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin"
	"github.com/mattermost/mattermost/server/public/pluginapi"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

// Mattermost is the part of the Mattermost plugin API that the service uses. Lookups of a missing
// object return an error wrapping apps.ErrNotFound.
type Mattermost interface {
	GetUser(userID string) (*model.User, error)
	GetUserByUsername(username string) (*model.User, error)
	HasPermissionTo(userID string, permission *model.Permission) bool
	HasPermissionToTeam(userID, teamID string, permission *model.Permission) bool
	HasPermissionToChannel(userID, channelID string, permission *model.Permission) bool

	// GetBot returns the bot, deactivated or not.
	GetBot(botUserID string) (*model.Bot, error)
	// CreateBot creates a bot owned by this plugin.
	CreateBot(bot *model.Bot) (*model.Bot, error)
	PatchBot(botUserID string, patch *model.BotPatch) (*model.Bot, error)
	UpdateBotActive(botUserID string, active bool) error

	GetChannel(channelID string) (*model.Channel, error)
	GetTeam(teamID string) (*model.Team, error)

	CreateSession(session *model.Session) (*model.Session, error)
	GetSession(sessionID string) (*model.Session, error)
	ExtendSessionExpiry(sessionID string, expiresAt int64) error
	// RevokeSession revokes a session. Revoking a session that no longer exists is not an error.
	RevokeSession(sessionID string) error
}

// NewMattermost returns the production Mattermost over the plugin API. client serves users, bots,
// channels and teams, and api serves sessions.
func NewMattermost(client *pluginapi.Client, api plugin.API) Mattermost {
	return &pluginMattermost{client: client, api: api}
}

type pluginMattermost struct {
	client *pluginapi.Client
	api    plugin.API
}

func (m *pluginMattermost) GetUser(userID string) (*model.User, error) {
	user, err := m.client.User.Get(userID)
	return user, normalizeNotFound(err, "user "+userID)
}

func (m *pluginMattermost) GetUserByUsername(username string) (*model.User, error) {
	user, err := m.client.User.GetByUsername(username)
	return user, normalizeNotFound(err, "user @"+username)
}

func (m *pluginMattermost) HasPermissionTo(userID string, permission *model.Permission) bool {
	return m.client.User.HasPermissionTo(userID, permission)
}

func (m *pluginMattermost) HasPermissionToTeam(userID, teamID string, permission *model.Permission) bool {
	return m.client.User.HasPermissionToTeam(userID, teamID, permission)
}

func (m *pluginMattermost) HasPermissionToChannel(userID, channelID string, permission *model.Permission) bool {
	return m.client.User.HasPermissionToChannel(userID, channelID, permission)
}

func (m *pluginMattermost) GetBot(botUserID string) (*model.Bot, error) {
	bot, err := m.client.Bot.Get(botUserID, true)
	return bot, normalizeNotFound(err, "bot "+botUserID)
}

func (m *pluginMattermost) CreateBot(bot *model.Bot) (*model.Bot, error) {
	created := *bot
	if err := m.client.Bot.Create(&created); err != nil {
		return nil, err
	}
	return &created, nil
}

func (m *pluginMattermost) PatchBot(botUserID string, patch *model.BotPatch) (*model.Bot, error) {
	bot, err := m.client.Bot.Patch(botUserID, patch)
	return bot, normalizeNotFound(err, "bot "+botUserID)
}

func (m *pluginMattermost) UpdateBotActive(botUserID string, active bool) error {
	_, err := m.client.Bot.UpdateActive(botUserID, active)
	return normalizeNotFound(err, "bot "+botUserID)
}

func (m *pluginMattermost) GetChannel(channelID string) (*model.Channel, error) {
	channel, err := m.client.Channel.Get(channelID)
	return channel, normalizeNotFound(err, "channel "+channelID)
}

func (m *pluginMattermost) GetTeam(teamID string) (*model.Team, error) {
	team, err := m.client.Team.Get(teamID)
	return team, normalizeNotFound(err, "team "+teamID)
}

func (m *pluginMattermost) CreateSession(session *model.Session) (*model.Session, error) {
	created, appErr := m.api.CreateSession(session)
	if appErr != nil {
		return nil, appErr
	}
	return created, nil
}

// GetSession maps the server's error for a missing session, which has status 400 rather than 404
// in Mattermost 11.4, to apps.ErrNotFound.
func (m *pluginMattermost) GetSession(sessionID string) (*model.Session, error) {
	session, appErr := m.api.GetSession(sessionID)
	if appErr != nil {
		return nil, sessionError(appErr, sessionID)
	}
	return session, nil
}

func (m *pluginMattermost) ExtendSessionExpiry(sessionID string, expiresAt int64) error {
	if appErr := m.api.ExtendSessionExpiry(sessionID, expiresAt); appErr != nil {
		return appErr
	}
	return nil
}

func (m *pluginMattermost) RevokeSession(sessionID string) error {
	appErr := m.api.RevokeSession(sessionID)
	if appErr == nil {
		return nil
	}
	err := sessionError(appErr, sessionID)
	if errors.Is(err, apps.ErrNotFound) {
		return nil
	}
	return err
}

// sessionError maps the status codes that the server uses for a missing session (400 from the
// session lookup, or 404) to apps.ErrNotFound.
func sessionError(appErr *model.AppError, sessionID string) error {
	if appErr.StatusCode == http.StatusBadRequest || appErr.StatusCode == http.StatusNotFound {
		return errors.Wrapf(apps.ErrNotFound, "session %s: %s", sessionID, appErr.Error())
	}
	return appErr
}

func normalizeNotFound(err error, object string) error {
	if errors.Is(err, pluginapi.ErrNotFound) {
		return errors.Wrap(apps.ErrNotFound, object)
	}
	return err
}
