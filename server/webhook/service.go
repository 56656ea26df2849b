// Package webhook delivers one third-party webhook request to an App. It finds the App,
// authenticates the sender, reads the body under the size cap, streams the CallRequest to the App
// and responds to the sender with the outcome.
//
// The CallRequest's context carries app_id, mattermost_site_url, app_path, bot_user_id,
// bot_access_token and developer_mode (when on). Of the expand fields of on_remote_webhook, only
// "app" is expanded, without webhook_secret: a webhook has no acting user, channel or team, so
// acting_user, acting_user_access_token, channel, team and locale are left out, even when their
// level starts with "+".
package webhook

import (
	"context"
	"net/http"
	"time"

	"github.com/pkg/errors"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/config"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/upstream"
)

// Apps finds installed Apps. *store.Store implements it.
type Apps interface {
	// GetApp returns the App or an error wrapping apps.ErrNotFound.
	GetApp(id apps.AppID) (*apps.App, error)
}

// Tokens creates the bot session tokens that calls carry. *install.Service implements it.
type Tokens interface {
	BotAccessToken(ctx context.Context, app *apps.App) (string, error)
}

// Logger is the part of the plugin API logger the service uses. *pluginapi.LogService implements it.
type Logger interface {
	Debug(message string, keyValuePairs ...any)
	Info(message string, keyValuePairs ...any)
	Warn(message string, keyValuePairs ...any)
	Error(message string, keyValuePairs ...any)
}

// Service delivers webhook requests to Apps. It holds no lock and starts no goroutine, so
// concurrent requests only share the App store, the token source and the upstream client.
type Service struct {
	apps     Apps
	tokens   Tokens
	client   *upstream.Client
	settings func() config.Settings
	log      Logger
	bodies   bodyBudget
}

// New creates a Service. settings is called once per request, so changes saved in the System
// Console apply to the next request.
func New(appStore Apps, tokens Tokens, client *upstream.Client, settings func() config.Settings, log Logger) *Service {
	return &Service{
		apps:     appStore,
		tokens:   tokens,
		client:   client,
		settings: settings,
		log:      log,
	}
}

// Handle handles one request to /apps/{app_id}/webhook[/{sub_path}]. subPath is the part of the
// unescaped URL path after "/webhook", and may be empty or end in "/". The steps run in the order
// below, so that rejected traffic costs little and never reaches the App.
func (s *Service) Handle(w http.ResponseWriter, r *http.Request, appID apps.AppID, subPath string) {
	// The method is checked before the App lookup because it costs nothing, and the response is
	// the same whether the App exists or not.
	if !isAllowedMethod(r.Method) {
		w.Header().Set("Allow", allowHeader)
		s.reject(w, r, appID, http.StatusMethodNotAllowed, msgMethodNotAllowed)
		return
	}

	app, status := s.findApp(appID)
	if status != http.StatusOK {
		s.reject(w, r, appID, status, messageOf(status))
		return
	}

	rawQuery := originalRawQuery(r)
	if !isAuthenticated(app, rawQuery) {
		s.reject(w, r, appID, http.StatusUnauthorized, msgUnauthorized)
		return
	}

	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}

	settings := effectiveSettings(s.settings())
	budget := inFlightBodiesPerCap * settings.MaxBodyBytes
	body, reserved, err := readBody(r, settings.MaxBodyBytes, func(n int64) bool { return s.bodies.reserve(n, budget) })
	defer s.bodies.release(reserved)
	if err != nil {
		status := http.StatusBadRequest
		switch {
		case errors.Is(err, errBodyTooLarge):
			status = http.StatusRequestEntityTooLarge
		case errors.Is(err, errBusy):
			status = http.StatusServiceUnavailable
			w.Header().Set("Retry-After", retryAfterSeconds)
		}
		s.reject(w, r, appID, status, messageOf(status))
		return
	}

	s.deliver(w, r, app, subPath, rawQuery, body, settings)
}

// findApp returns the App and http.StatusOK, or nil and the status that rejects the request.
func (s *Service) findApp(appID apps.AppID) (*apps.App, int) {
	app, err := s.apps.GetApp(appID)
	switch {
	case errors.Is(err, apps.ErrNotFound):
		return nil, http.StatusNotFound
	case err != nil:
		s.log.Error("Failed to load the app of a webhook", "app_id", string(appID), "error", err.Error())
		return nil, http.StatusInternalServerError
	case app == nil || app.Disabled:
		// The same response as for an unknown App, so a sender cannot tell them apart.
		return nil, http.StatusNotFound
	case !app.AcceptsWebhooks():
		return nil, http.StatusForbidden
	}
	return app, http.StatusOK
}

// deliver calls the App and responds to the sender with the outcome.
func (s *Service) deliver(w http.ResponseWriter, r *http.Request, app *apps.App, subPath, rawQuery string, body []byte, settings config.Settings) {
	token, err := s.tokens.BotAccessToken(r.Context(), app)
	if err != nil {
		s.log.Error("Failed to get the bot access token for a webhook", "app_id", string(app.AppID), "error", err.Error())
		writeError(w, http.StatusInternalServerError, msgInternalError)
		return
	}

	request, err := encodeCallRequest(callInput{
		app:      app,
		subPath:  subPath,
		method:   r.Method,
		headers:  senderHeaders(r),
		body:     body,
		rawQuery: rawQuery,
		botToken: token,
		settings: settings,
	})
	if err != nil {
		s.log.Error("Failed to encode a webhook call", "app_id", string(app.AppID), "error", err.Error())
		writeError(w, http.StatusInternalServerError, msgInternalError)
		return
	}

	// The delivery timeout starts here, when the plugin starts sending to the App.
	ctx, cancel := context.WithTimeout(r.Context(), settings.DeliveryTimeout)
	defer cancel()
	start := time.Now()
	resp, err := s.client.Post(ctx, app, request.path, app.BotUserID, request.newReader(), request.length)

	status := s.respond(w, resp, err)
	s.logDelivery(r, app, request.subPath, status, time.Since(start), resp, err, settings.DeveloperMode)
}

// effectiveSettings replaces unset limits by their defaults, so that a zero Settings can neither
// reject every body nor time out every delivery at once.
func effectiveSettings(settings config.Settings) config.Settings {
	defaults := config.Default()
	if settings.MaxBodyBytes <= 0 {
		settings.MaxBodyBytes = defaults.MaxBodyBytes
	}
	if settings.DeliveryTimeout <= 0 {
		settings.DeliveryTimeout = defaults.DeliveryTimeout
	}
	return settings
}
