// Package install installs, uninstalls, enables and disables Apps. It owns the App's bot account,
// its webhook secret, the App tokens (Mattermost sessions the plugin creates for an App), the
// expansion of call contexts, and the lifecycle calls on_install, on_uninstall, on_enable and
// on_disable.
package install

import (
	"context"
	"crypto/rand"
	"io"
	"sync"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/plugin"
	"github.com/mattermost/mattermost/server/public/pluginapi"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/config"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/store"
)

// Timeouts of the calls the service makes to an App.
const (
	// pingTimeout bounds POST <root_url>/ping at install. An App that is running responds at once.
	pingTimeout = 5 * time.Second
	// lifecycleCallTimeout bounds on_install, on_uninstall, on_enable and on_disable. These calls
	// may set up state on the App's side, so they get more time than a ping.
	lifecycleCallTimeout = 30 * time.Second
)

// Store is the part of *store.Store that the service uses.
type Store interface {
	GetApp(id apps.AppID) (*apps.App, error)
	ListApps() ([]*apps.App, error)
	SaveApp(app *apps.App) error
	DeleteApp(id apps.AppID) error

	GetSession(appID apps.AppID, userID string) (*store.Session, error)
	SaveSession(appID apps.AppID, session *store.Session) error
	DeleteSession(appID apps.AppID, userID string) error
	ListSessions(appID apps.AppID) ([]*store.Session, error)

	KVDeleteAll(appID apps.AppID) error
}

// Upstream is the part of *upstream.Client that the service uses.
type Upstream interface {
	Call(ctx context.Context, app *apps.App, creq *apps.CallRequest, actingUserID string) (*apps.CallResponse, error)
	Ping(ctx context.Context, rootURL string) error
}

// Logger is the plugin logger, which *pluginapi.LogService implements.
type Logger interface {
	Debug(message string, keyValuePairs ...any)
	Info(message string, keyValuePairs ...any)
	Warn(message string, keyValuePairs ...any)
	Error(message string, keyValuePairs ...any)
}

// Service installs and manages Apps. It is safe for concurrent use.
type Service struct {
	mm       Mattermost
	store    Store
	upstream Upstream
	settings func() config.Settings
	log      Logger

	// now and random are replaced in tests.
	now    func() time.Time
	random io.Reader

	tokens *tokenCache

	// appLocksMu guards appLocks, which serialize install, uninstall, enable and disable of one
	// App on this node.
	appLocksMu sync.Mutex
	appLocks   map[apps.AppID]chan struct{}
}

// New returns a Service that talks to Mattermost through the plugin API. pluginAPI serves the
// session calls, whose errors carry status codes that the pluginapi wrappers do not keep.
func New(client *pluginapi.Client, pluginAPI plugin.API, st Store, up Upstream, settings func() config.Settings, log Logger) *Service {
	return NewWithMattermost(NewMattermost(client, pluginAPI), st, up, settings, log)
}

// NewWithMattermost returns a Service that uses mm for users, bots, sessions, channels and teams.
func NewWithMattermost(mm Mattermost, st Store, up Upstream, settings func() config.Settings, log Logger) *Service {
	return &Service{
		mm:       mm,
		store:    st,
		upstream: up,
		settings: settings,
		log:      log,
		now:      time.Now,
		random:   rand.Reader,
		tokens:   newTokenCache(),
		appLocks: map[apps.AppID]chan struct{}{},
	}
}

// IsSystemAdmin reports whether the user has the manage_system permission.
func (s *Service) IsSystemAdmin(userID string) bool {
	return userID != "" && s.mm.HasPermissionTo(userID, model.PermissionManageSystem)
}

func (s *Service) requireSystemAdmin(userID string) error {
	if !s.IsSystemAdmin(userID) {
		return newUserError("only system admins can install and manage apps", apps.ErrForbidden, nil)
	}
	return nil
}

// lockApp serializes lifecycle operations on one App on this node. It returns the unlock function,
// or the context's error when ctx ends first.
func (s *Service) lockApp(ctx context.Context, id apps.AppID) (func(), error) {
	s.appLocksMu.Lock()
	lock, ok := s.appLocks[id]
	if !ok {
		lock = make(chan struct{}, 1)
		s.appLocks[id] = lock
	}
	s.appLocksMu.Unlock()

	select {
	case lock <- struct{}{}:
		return func() { <-lock }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *Service) nowMillis() int64 {
	return s.now().UnixMilli()
}
