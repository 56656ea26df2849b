package store

import (
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/pluginapi"
	"github.com/stretchr/testify/require"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

// fakeClock is a clock that moves only when a test advances it.
type fakeClock struct {
	mutex sync.Mutex
	now   time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mutex.Lock()
	defer c.mutex.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mutex.Lock()
	defer c.mutex.Unlock()
	c.now = c.now.Add(d)
}

// spyKV wraps a KV store, counts reads, records the options of writes, and can fail or run a
// hook during a read.
type spyKV struct {
	KV
	gets      atomic.Int64
	mutex     sync.Mutex
	setOpts   []pluginapi.KVSetOptions
	failWith  error
	afterRead func(key string)
}

func (s *spyKV) Get(key string, out any) error {
	s.gets.Add(1)
	if s.failWith != nil {
		return s.failWith
	}
	err := s.KV.Get(key, out)
	if s.afterRead != nil {
		s.afterRead(key)
	}
	return err
}

func (s *spyKV) Set(key string, value any, options ...pluginapi.KVSetOption) (bool, error) {
	var opts pluginapi.KVSetOptions
	for _, option := range options {
		option(&opts)
	}
	s.mutex.Lock()
	s.setOpts = append(s.setOpts, opts)
	s.mutex.Unlock()

	if s.failWith != nil {
		return false, s.failWith
	}
	return s.KV.Set(key, value, options...)
}

func (s *spyKV) ListKeys(page, count int, options ...pluginapi.ListKeysOption) ([]string, error) {
	if s.failWith != nil {
		return nil, s.failWith
	}
	return s.KV.ListKeys(page, count, options...)
}

func (s *spyKV) Delete(key string) error {
	if s.failWith != nil {
		return s.failWith
	}
	return s.KV.Delete(key)
}

// newTestStore returns a Store on an empty MemoryStore, with a read counter and a fake clock.
func newTestStore(t *testing.T) (*Store, *spyKV, *fakeClock) {
	t.Helper()
	kv := &spyKV{KV: &pluginapi.MemoryStore{}}
	clock := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	store := New(kv)
	store.now = clock.Now
	return store, kv, clock
}

// newTestApp returns an App with every field set, so copies and round trips cover all of them.
func newTestApp(id apps.AppID) *apps.App {
	return &apps.App{
		Manifest: apps.Manifest{
			AppID:                 id,
			Version:               "v1.2.3",
			DisplayName:           "Test " + string(id),
			Description:           "An App for tests",
			HomepageURL:           "https://example.com/" + string(id),
			Icon:                  "icon.png",
			RequestedPermissions:  apps.Permissions{apps.PermissionActAsBot, apps.PermissionRemoteWebhooks},
			RequestedLocations:    apps.Locations{apps.LocationCommand},
			RemoteWebhookAuthType: apps.WebhookAuthSecret,
			HTTP:                  &apps.HTTP{RootURL: "http://127.0.0.1:4000", UseJWT: true},
			OnInstall:             newTestCall("/installed"),
			OnUninstall:           newTestCall("/uninstalled"),
			OnEnable:              newTestCall("/enabled"),
			OnDisable:             newTestCall("/disabled"),
			OnRemoteWebhook:       newTestCall("/hook"),
		},
		DeployType:         apps.DeployHTTP,
		GrantedPermissions: apps.Permissions{apps.PermissionActAsBot, apps.PermissionRemoteWebhooks},
		GrantedLocations:   apps.Locations{apps.LocationCommand},
		BotUserID:          "bot" + string(id),
		BotUsername:        string(id),
		WebhookSecret:      "webhook-secret",
		JWTSecret:          "jwt-secret",
		InstalledBy:        "admin",
		InstalledAt:        1700000000000,
	}
}

func newTestCall(path string) *apps.Call {
	return &apps.Call{
		Path:   path,
		Expand: &apps.Expand{App: apps.ExpandAll, ActingUser: "+summary"},
		State:  json.RawMessage(`{"n":1}`),
	}
}

// writeAppDirectly changes the App in the KV store the way another cluster node would: without
// going through this Store and its cache.
func writeAppDirectly(t *testing.T, kv KV, app *apps.App) {
	t.Helper()
	_, err := kv.Set(appKey(app.AppID), app)
	require.NoError(t, err)
}
