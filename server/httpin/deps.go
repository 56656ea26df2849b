package httpin

import (
	"context"
	"net/http"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/install"
)

// Installer is the part of the install service that the REST API uses. *install.Service
// implements it.
type Installer interface {
	Install(ctx context.Context, req install.Request) (*apps.App, string, error)
	Uninstall(ctx context.Context, actingUserID string, id apps.AppID) (string, error)
	Enable(ctx context.Context, actingUserID string, id apps.AppID) (string, error)
	Disable(ctx context.Context, actingUserID string, id apps.AppID) (string, error)
	// IsSystemAdmin reports whether the user has the manage_system permission.
	IsSystemAdmin(userID string) bool
	// AppOfSession returns the App and the user that an App token's session belongs to, or an
	// error wrapping apps.ErrUnauthorized when the session is not an App token.
	AppOfSession(sessionID string) (apps.AppID, string, error)
}

// Store is the part of the plugin store that the REST API uses. *store.Store implements it.
type Store interface {
	GetApp(id apps.AppID) (*apps.App, error)
	SaveListing(m *apps.Manifest) error
	GetListing(id apps.AppID) (*apps.Manifest, error)

	KVSet(appID apps.AppID, userID, prefix, key string, value []byte) (changed bool, err error)
	KVGet(appID apps.AppID, userID, prefix, key string) ([]byte, error)
	KVDelete(appID apps.AppID, userID, prefix, key string) error
}

// WebhookHandler delivers one webhook request. *webhook.Service implements it.
type WebhookHandler interface {
	// Handle serves a request to /apps/{app_id}/webhook[/{sub_path}]. subPath is the text after
	// "/webhook/" as it appears in the decoded URL path, without its leading slash: empty for
	// /webhook and /webhook/, "a/b/" for /webhook/a/b/, "/a" for /webhook//a.
	Handle(w http.ResponseWriter, r *http.Request, appID apps.AppID, subPath string)
}

// Logger is the plugin API logger; *pluginapi.LogService implements it.
type Logger interface {
	Debug(message string, keyValuePairs ...any)
	Info(message string, keyValuePairs ...any)
	Warn(message string, keyValuePairs ...any)
	Error(message string, keyValuePairs ...any)
}
