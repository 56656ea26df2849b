package command

import (
	"context"
	"sort"
	"sync"

	"github.com/pkg/errors"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/install"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/store"
)

type fakeInstaller struct {
	mu sync.Mutex

	admins map[string]bool

	installApp  *apps.App
	installText string
	installErr  error
	installReqs []install.Request

	lifecycleText  string
	lifecycleErr   error
	lifecycleCalls []string
}

func (f *fakeInstaller) Install(_ context.Context, req install.Request) (*apps.App, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.installReqs = append(f.installReqs, req)
	return f.installApp, f.installText, f.installErr
}

func (f *fakeInstaller) lifecycle(name, actingUserID string, id apps.AppID) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lifecycleCalls = append(f.lifecycleCalls, name+" "+actingUserID+" "+string(id))
	return f.lifecycleText, f.lifecycleErr
}

func (f *fakeInstaller) Uninstall(_ context.Context, actingUserID string, id apps.AppID) (string, error) {
	return f.lifecycle("uninstall", actingUserID, id)
}

func (f *fakeInstaller) Enable(_ context.Context, actingUserID string, id apps.AppID) (string, error) {
	return f.lifecycle("enable", actingUserID, id)
}

func (f *fakeInstaller) Disable(_ context.Context, actingUserID string, id apps.AppID) (string, error) {
	return f.lifecycle("disable", actingUserID, id)
}

func (f *fakeInstaller) IsSystemAdmin(userID string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.admins[userID]
}

// fakeStore keeps Apps and pending installs in maps. A pending install that is absent from the
// map is treated as expired, because the real store returns apps.ErrNotFound for both.
type fakeStore struct {
	mu sync.Mutex

	apps    map[apps.AppID]*apps.App
	pending map[string]*store.PendingInstall
	err     error
}

func newFakeStore() *fakeStore {
	return &fakeStore{apps: map[apps.AppID]*apps.App{}, pending: map[string]*store.PendingInstall{}}
}

func pendingKey(userID string, id apps.AppID) string {
	return userID + "|" + string(id)
}

func (f *fakeStore) GetApp(id apps.AppID) (*apps.App, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	app, ok := f.apps[id]
	if !ok {
		return nil, errors.Wrapf(apps.ErrNotFound, "app %s", id)
	}
	clone := *app
	return &clone, nil
}

func (f *fakeStore) ListApps() ([]*apps.App, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	var list []*apps.App
	for _, app := range f.apps {
		clone := *app
		list = append(list, &clone)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].AppID < list[j].AppID })
	return list, nil
}

func (f *fakeStore) SavePendingInstall(userID string, p *store.PendingInstall) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.pending[pendingKey(userID, p.Manifest.AppID)] = p
	return nil
}

func (f *fakeStore) TakePendingInstall(userID string, id apps.AppID) (*store.PendingInstall, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	p, ok := f.pending[pendingKey(userID, id)]
	if !ok {
		return nil, errors.Wrapf(apps.ErrNotFound, "pending install of app %s", id)
	}
	delete(f.pending, pendingKey(userID, id))
	return p, nil
}

// fakeFetcher returns manifests by URL. An unknown URL fails as an unreachable server would.
type fakeFetcher struct {
	manifests map[string]*apps.Manifest
	fetched   []string
}

func (f *fakeFetcher) FetchManifest(_ context.Context, manifestURL string) (*apps.Manifest, error) {
	f.fetched = append(f.fetched, manifestURL)
	m, ok := f.manifests[manifestURL]
	if !ok {
		return nil, errors.Errorf("failed to fetch manifest from %s: connection refused; check that the App is running and the URL is right", manifestURL)
	}
	clone := *m
	return &clone, nil
}

type fakeLogger struct {
	mu     sync.Mutex
	errors []string
}

func (l *fakeLogger) Debug(string, ...any) {}
func (l *fakeLogger) Info(string, ...any)  {}
func (l *fakeLogger) Warn(string, ...any)  {}

func (l *fakeLogger) Error(message string, _ ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errors = append(l.errors, message)
}
