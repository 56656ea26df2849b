package command

import (
	"context"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/install"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/store"
)

// Installer is the part of the install service that the command uses. *install.Service
// implements it.
type Installer interface {
	Install(ctx context.Context, req install.Request) (*apps.App, string, error)
	Uninstall(ctx context.Context, actingUserID string, id apps.AppID) (string, error)
	Enable(ctx context.Context, actingUserID string, id apps.AppID) (string, error)
	Disable(ctx context.Context, actingUserID string, id apps.AppID) (string, error)
	// IsSystemAdmin reports whether the user has the manage_system permission.
	IsSystemAdmin(userID string) bool
}

// Store is the part of the plugin store that the command uses. *store.Store implements it.
type Store interface {
	GetApp(id apps.AppID) (*apps.App, error)
	ListApps() ([]*apps.App, error)
	SavePendingInstall(userID string, p *store.PendingInstall) error
	// TakePendingInstall returns and deletes the pending install, or returns an error wrapping
	// apps.ErrNotFound when there is none or it expired.
	TakePendingInstall(userID string, id apps.AppID) (*store.PendingInstall, error)
}

// ManifestFetcher downloads and validates a manifest. *upstream.Client implements it.
type ManifestFetcher interface {
	FetchManifest(ctx context.Context, manifestURL string) (*apps.Manifest, error)
}

// Logger is the plugin API logger; *pluginapi.LogService implements it.
type Logger interface {
	Debug(message string, keyValuePairs ...any)
	Info(message string, keyValuePairs ...any)
	Warn(message string, keyValuePairs ...any)
	Error(message string, keyValuePairs ...any)
}
