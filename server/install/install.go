package install

import (
	"context"
	"fmt"
	"strings"

	"github.com/pkg/errors"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

// Request is an admin's request to install an App.
type Request struct {
	Manifest     *apps.Manifest
	JWTSecret    string // optional, for Apps that set http.use_jwt
	ActingUserID string // the installing system admin
	ChannelID    string // optional: the channel where the install command ran
	TeamID       string // optional: the team of that channel
}

// Install validates the manifest, pings the App, creates or reactivates the bot, keeps or creates
// the webhook secret, stores the App, and then calls on_install. The admin confirmed the requested
// permissions and locations before, so they are all granted. When on_install fails, Install rolls
// everything back and the error contains the App's error text. It returns the stored App and the
// App's text from on_install, which may be empty.
//
// Installing an App that is already installed upgrades it in place. The webhook secret, the bot
// and the JWT secret (unless the request has a new one) are kept, and the App ends up enabled.
func (s *Service) Install(ctx context.Context, req Request) (*apps.App, string, error) {
	if err := s.requireSystemAdmin(req.ActingUserID); err != nil {
		return nil, "", err
	}
	if err := validateManifest(req.Manifest); err != nil {
		return nil, "", err
	}
	m := req.Manifest

	unlock, err := s.lockApp(ctx, m.AppID)
	if err != nil {
		return nil, "", errors.Wrapf(err, "failed to install app %s", m.AppID)
	}
	defer unlock()

	previous, err := s.previousInstall(m.AppID)
	if err != nil {
		return nil, "", err
	}
	jwtSecret, err := jwtSecretFor(m, req.JWTSecret, previous)
	if err != nil {
		return nil, "", err
	}

	if err = s.ping(ctx, m); err != nil {
		return nil, "", err
	}

	keepSessionIDs, err := s.sessionsToKeep(previous)
	if err != nil {
		return nil, "", err
	}

	bot, err := s.ensureBot(m, previous)
	if err != nil {
		return nil, "", err
	}

	app, err := s.saveInstalledApp(req, jwtSecret, previous, bot)
	if err != nil {
		return nil, "", err
	}

	text, err := s.callOnInstall(ctx, app, req)
	if err != nil {
		s.rollbackInstall(app, previous, bot, keepSessionIDs)
		return nil, "", err
	}

	s.log.Info("Installed app", "app_id", app.AppID, "user_id", req.ActingUserID, "version", app.Version)
	result := *app
	return &result, text, nil
}

// validateManifest returns the broken rule as an apps.ErrInvalidInput error whose message the admin
// can read as it is.
func validateManifest(m *apps.Manifest) error {
	if m == nil {
		return newUserError("the manifest is missing", apps.ErrInvalidInput, nil)
	}
	if err := m.Validate(); err != nil {
		return newUserError(err.Error(), apps.ErrInvalidInput, err)
	}
	return nil
}

// previousInstall returns the stored record of the App, or nil when the App is not installed.
func (s *Service) previousInstall(id apps.AppID) (*apps.App, error) {
	previous, err := s.store.GetApp(id)
	if errors.Is(err, apps.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, errors.Wrapf(err, "failed to check whether app %s is installed", id)
	}
	return previous, nil
}

// jwtSecretFor returns the secret that signs calls to the App: the one in the request, else the one
// of the previous install. An App that sets http.use_jwt must have one.
func jwtSecretFor(m *apps.Manifest, requested string, previous *apps.App) (string, error) {
	secret := requested
	if secret == "" && previous != nil {
		secret = previous.JWTSecret
	}
	if m.HTTP.UseJWT && secret == "" {
		message := fmt.Sprintf("app %s sets http.use_jwt but no JWT secret was given: install it again with the App's secret (/apps install http <manifest_url> --app-secret <secret>)", m.AppID)
		return "", newUserError(message, apps.ErrInvalidInput, nil)
	}
	return secret, nil
}

// ping checks that the App runs and that Mattermost can reach it, before anything is created.
func (s *Service) ping(ctx context.Context, m *apps.Manifest) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()

	err := s.upstream.Ping(ctx, m.HTTP.RootURL)
	if err == nil {
		return nil
	}
	rootURL := strings.TrimRight(m.HTTP.RootURL, "/")
	message := fmt.Sprintf("app %s failed the ping at %s/ping: check that the App is running and that the Mattermost server can reach %s (%s)",
		m.AppID, rootURL, rootURL, err.Error())
	return newUserError(message, apps.ErrInvalidInput, err)
}

// saveInstalledApp builds the App record and stores it. On failure it undoes the bot change.
func (s *Service) saveInstalledApp(req Request, jwtSecret string, previous *apps.App, bot *botChange) (*apps.App, error) {
	app := &apps.App{
		Manifest:           *req.Manifest,
		DeployType:         apps.DeployHTTP,
		GrantedPermissions: append(apps.Permissions(nil), req.Manifest.RequestedPermissions...),
		GrantedLocations:   append(apps.Locations(nil), req.Manifest.RequestedLocations...),
		BotUserID:          bot.bot.UserId,
		BotUsername:        bot.bot.Username,
		JWTSecret:          jwtSecret,
		InstalledBy:        req.ActingUserID,
		InstalledAt:        s.nowMillis(),
	}

	secret, err := s.webhookSecretFor(app, previous)
	if err != nil {
		s.undoBotChange(app.AppID, bot)
		return nil, errors.Wrapf(err, "failed to install app %s", app.AppID)
	}
	app.WebhookSecret = secret

	if err = s.store.SaveApp(app); err != nil {
		s.undoBotChange(app.AppID, bot)
		return nil, errors.Wrapf(err, "failed to store app %s", app.AppID)
	}
	return app, nil
}

// callOnInstall calls on_install as the installing admin, in the channel and team of the request.
func (s *Service) callOnInstall(ctx context.Context, app *apps.App, req Request) (string, error) {
	if app.OnInstall == nil {
		return "", nil
	}
	text, err := s.callLifecycle(ctx, app, app.OnInstall, CallContext{
		ActingUserID: req.ActingUserID,
		ChannelID:    req.ChannelID,
		TeamID:       req.TeamID,
	})
	if err != nil {
		message := fmt.Sprintf("app %s failed to install: %s", app.AppID, err.Error())
		return "", newUserError(message, installFailureSentinel(err), err)
	}
	return text, nil
}

// installFailureSentinel keeps the sentinel of a failed required expansion (the channel is not
// found, the admin may not read it, ...). Any other failure of on_install is reported as invalid
// input, so that the REST API shows the App's error text to the admin instead of a generic 500.
func installFailureSentinel(err error) error {
	for _, sentinel := range []error{apps.ErrNotFound, apps.ErrForbidden, apps.ErrInvalidInput} {
		if errors.Is(err, sentinel) {
			return sentinel
		}
	}
	return apps.ErrInvalidInput
}

// sessionsToKeep lists the App tokens that a failed install must not revoke: those of the previous
// install, which stays in use. Without one, the result is empty and a failed install revokes all.
func (s *Service) sessionsToKeep(previous *apps.App) (map[string]bool, error) {
	sessionIDs := map[string]bool{}
	if previous == nil {
		return sessionIDs, nil
	}
	sessions, err := s.store.ListSessions(previous.AppID)
	if err != nil {
		return nil, errors.Wrapf(err, "failed to list the tokens of app %s", previous.AppID)
	}
	for _, session := range sessions {
		sessionIDs[session.SessionID] = true
	}
	return sessionIDs, nil
}

// rollbackInstall restores the state from before a failed install: the previous App record (or
// none), the bot, and the App tokens. Failures are logged, because the install is already failing.
func (s *Service) rollbackInstall(app, previous *apps.App, bot *botChange, keepSessionIDs map[string]bool) {
	var err error
	if previous != nil {
		err = s.store.SaveApp(previous)
	} else {
		err = s.store.DeleteApp(app.AppID)
	}
	if err != nil {
		s.log.Error("Failed to restore the app record after a failed install", "app_id", app.AppID, "error", err.Error())
	}

	s.undoBotChange(app.AppID, bot)

	if err = s.revokeAppTokensExcept(app.AppID, keepSessionIDs); err != nil {
		s.log.Error("Failed to revoke the tokens of a failed install", "app_id", app.AppID, "error", err.Error())
	}
}
