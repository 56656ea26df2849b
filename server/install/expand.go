package install

import (
	"context"
	"fmt"

	"github.com/pkg/errors"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

// CallContext holds the ids a call is made for. All of them are optional.
type CallContext struct {
	ActingUserID string
	ChannelID    string
	TeamID       string
}

// NewCallRequest builds the request of a call to the App. Its context has what every call carries
// (App id, site URL, App path, bot user id, a bot token when the App has act_as_bot, developer
// mode), the ids in cc, and the fields that the call's expand requests. It fails when a required
// field cannot be expanded, and then the call must not be sent.
func (s *Service) NewCallRequest(ctx context.Context, app *apps.App, call apps.Call, cc CallContext) (*apps.CallRequest, error) {
	settings := s.settings()
	callContext := apps.Context{
		AppID:             app.AppID,
		MattermostSiteURL: settings.SiteURL,
		AppPath:           apps.AppPath(app.AppID),
		BotUserID:         app.BotUserID,
		DeveloperMode:     settings.DeveloperMode,
		ActingUserID:      cc.ActingUserID,
		ChannelID:         cc.ChannelID,
		TeamID:            cc.TeamID,
	}

	if app.GrantedPermissions.Contains(apps.PermissionActAsBot) {
		token, err := s.BotAccessToken(ctx, app)
		if err != nil {
			return nil, errors.Wrapf(err, "failed to get the bot token for a call to %s of app %s", call.Path, app.AppID)
		}
		callContext.BotAccessToken = token
	}

	if err := s.ExpandContext(ctx, app, call.Expand, &callContext); err != nil {
		return nil, err
	}
	return &apps.CallRequest{Call: call, Context: callContext}, nil
}

// ExpandContext adds the fields that expand requests to callContext, using the ids already in it.
// A field that cannot be expanded (its id is missing, it is not found, or the App or user may not
// see it) is left empty, unless its level starts with "+". Then ExpandContext returns an error
// that names the field and the reason.
func (s *Service) ExpandContext(ctx context.Context, app *apps.App, expand *apps.Expand, callContext *apps.Context) error {
	if expand == nil {
		return nil
	}
	e := &expander{service: s, ctx: ctx, app: app, out: callContext}
	fields := []struct {
		name   string
		level  apps.ExpandLevel
		expand func(level apps.ExpandLevel) error
	}{
		{"app", expand.App, e.expandApp},
		{"acting_user", expand.ActingUser, e.expandActingUser},
		{"acting_user_access_token", expand.ActingUserAccessToken, e.expandActingUserAccessToken},
		{"channel", expand.Channel, e.expandChannel},
		{"team", expand.Team, e.expandTeam},
		{"locale", expand.Locale, e.expandLocale},
	}

	for _, field := range fields {
		level, required, err := apps.ParseExpandLevel(field.level)
		if err != nil {
			return newUserError(fmt.Sprintf("invalid expand.%s of app %s: %s", field.name, app.AppID, err.Error()), apps.ErrInvalidInput, err)
		}
		if level == apps.ExpandDefault {
			continue
		}
		err = field.expand(level)
		if err == nil {
			continue
		}
		if required {
			return errors.Wrapf(err, "failed to expand the required field %s for app %s", field.name, app.AppID)
		}
		s.logOptionalExpandFailure(app.AppID, field.name, err)
	}
	return nil
}

// logOptionalExpandFailure logs an optional field left empty. A missing id, object or permission
// is normal and logged at Debug. Anything else is a fault of Mattermost or the plugin, logged at
// Error.
func (s *Service) logOptionalExpandFailure(appID apps.AppID, field string, err error) {
	if errors.Is(err, apps.ErrInvalidInput) || errors.Is(err, apps.ErrNotFound) || errors.Is(err, apps.ErrForbidden) {
		s.log.Debug("Left an optional context field empty", "app_id", appID, "field", field, "error", err.Error())
		return
	}
	s.log.Error("Failed to expand an optional context field", "app_id", appID, "field", field, "error", err.Error())
}

// expander expands the fields of one call's context. It loads the acting user once.
type expander struct {
	service    *Service
	ctx        context.Context
	app        *apps.App
	out        *apps.Context
	actingUser *model.User
}

func (e *expander) expandApp(level apps.ExpandLevel) error {
	expanded := &apps.ExpandedApp{AppID: e.app.AppID}
	if levelAtLeast(level, apps.ExpandSummary) {
		expanded.Version = e.app.Version
		expanded.BotUserID = e.app.BotUserID
		expanded.BotUsername = e.app.BotUsername
		// The secret opens the App's webhook to anyone, so only a system admin's call carries it.
		if e.service.IsSystemAdmin(e.out.ActingUserID) {
			expanded.WebhookSecret = e.app.WebhookSecret
		}
	}
	if levelAtLeast(level, apps.ExpandAll) {
		expanded.DeployType = e.app.DeployType
	}
	e.out.App = expanded
	return nil
}

func (e *expander) expandActingUser(level apps.ExpandLevel) error {
	user, err := e.loadActingUser()
	if err != nil {
		return err
	}
	switch level {
	case apps.ExpandID:
		e.out.ActingUser = &model.User{Id: user.Id}
	case apps.ExpandSummary:
		e.out.ActingUser = &model.User{
			Id:        user.Id,
			Username:  user.Username,
			Email:     user.Email,
			FirstName: user.FirstName,
			LastName:  user.LastName,
			Nickname:  user.Nickname,
			Locale:    user.Locale,
			Timezone:  user.Timezone,
			Roles:     user.Roles,
			IsBot:     user.IsBot,
		}
	default:
		sanitized := *user
		// A non-empty option map makes Sanitize also clear the auth service, auth data and the
		// time of the last password change, on top of the password and MFA secret.
		sanitized.Sanitize(map[string]bool{"email": true, "fullname": true})
		e.out.ActingUser = &sanitized
	}
	return nil
}

// expandActingUserAccessToken gives the same token at every level, because a token has no partial
// form.
func (e *expander) expandActingUserAccessToken(apps.ExpandLevel) error {
	if !e.app.GrantedPermissions.Contains(apps.PermissionActAsUser) {
		return errors.Wrapf(apps.ErrForbidden, "app %s was not granted the act_as_user permission", e.app.AppID)
	}
	if e.out.ActingUserID == "" {
		return errors.Wrap(apps.ErrInvalidInput, "the call has no acting user")
	}
	token, err := e.service.accessToken(e.ctx, e.app.AppID, e.out.ActingUserID)
	if err != nil {
		return err
	}
	e.out.ActingUserAccessToken = token
	return nil
}

func (e *expander) expandChannel(level apps.ExpandLevel) error {
	if e.out.ChannelID == "" {
		return errors.Wrap(apps.ErrInvalidInput, "the call has no channel_id")
	}
	channel, err := e.service.mm.GetChannel(e.out.ChannelID)
	if err != nil {
		return errors.Wrapf(err, "failed to get channel %s", e.out.ChannelID)
	}
	viewer := e.viewerID()
	if viewer == "" || !e.service.mm.HasPermissionToChannel(viewer, channel.Id, model.PermissionReadChannelContent) {
		return errors.Wrapf(apps.ErrForbidden, "user %s may not read channel %s", viewer, channel.Id)
	}

	switch level {
	case apps.ExpandID:
		e.out.Channel = &model.Channel{Id: channel.Id}
	case apps.ExpandSummary:
		e.out.Channel = &model.Channel{
			Id:          channel.Id,
			TeamId:      channel.TeamId,
			Type:        channel.Type,
			Name:        channel.Name,
			DisplayName: channel.DisplayName,
			Header:      channel.Header,
			Purpose:     channel.Purpose,
		}
	default:
		copied := *channel
		e.out.Channel = &copied
	}
	return nil
}

func (e *expander) expandTeam(level apps.ExpandLevel) error {
	if e.out.TeamID == "" {
		return errors.Wrap(apps.ErrInvalidInput, "the call has no team_id")
	}
	team, err := e.service.mm.GetTeam(e.out.TeamID)
	if err != nil {
		return errors.Wrapf(err, "failed to get team %s", e.out.TeamID)
	}
	viewer := e.viewerID()
	if viewer == "" || !e.service.mm.HasPermissionToTeam(viewer, team.Id, model.PermissionViewTeam) {
		return errors.Wrapf(apps.ErrForbidden, "user %s may not view team %s", viewer, team.Id)
	}

	switch level {
	case apps.ExpandID:
		e.out.Team = &model.Team{Id: team.Id}
	case apps.ExpandSummary:
		e.out.Team = &model.Team{
			Id:          team.Id,
			Name:        team.Name,
			DisplayName: team.DisplayName,
			Description: team.Description,
			Type:        team.Type,
		}
	default:
		copied := *team
		// Sanitize removes the team's email and invite id.
		copied.Sanitize()
		e.out.Team = &copied
	}
	return nil
}

func (e *expander) expandLocale(apps.ExpandLevel) error {
	user, err := e.loadActingUser()
	if err != nil {
		return err
	}
	e.out.Locale = user.Locale
	return nil
}

func (e *expander) loadActingUser() (*model.User, error) {
	if e.actingUser != nil {
		return e.actingUser, nil
	}
	if e.out.ActingUserID == "" {
		return nil, errors.Wrap(apps.ErrInvalidInput, "the call has no acting user")
	}
	user, err := e.service.mm.GetUser(e.out.ActingUserID)
	if err != nil {
		return nil, errors.Wrapf(err, "failed to get acting user %s", e.out.ActingUserID)
	}
	e.actingUser = user
	return user, nil
}

// viewerID returns the user whose permissions decide whether the App may see a channel or team:
// the acting user, or the App's bot when no one acts.
func (e *expander) viewerID() string {
	if e.out.ActingUserID != "" {
		return e.out.ActingUserID
	}
	return e.app.BotUserID
}

// levelAtLeast orders the base levels id < summary < all.
func levelAtLeast(level, minimum apps.ExpandLevel) bool {
	rank := map[apps.ExpandLevel]int{apps.ExpandID: 1, apps.ExpandSummary: 2, apps.ExpandAll: 3}
	return rank[level] >= rank[minimum]
}
