package httpin

import (
	"context"
	"io"
	"net/http"
	"sync"

	"github.com/pkg/errors"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/install"
)

// fakeInstaller records calls and returns configured results.
type fakeInstaller struct {
	mu sync.Mutex

	admins   map[string]bool
	sessions map[string]kvCaller
	// sessionErr, when set, is returned by AppOfSession for every session.
	sessionErr error

	installApp  *apps.App
	installText string
	installErr  error
	installReqs []install.Request

	lifecycleText  string
	lifecycleErr   error
	lifecycleCalls []string
}

func newFakeInstaller() *fakeInstaller {
	return &fakeInstaller{
		admins:   map[string]bool{"admin-id": true},
		sessions: map[string]kvCaller{},
	}
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

func (f *fakeInstaller) AppOfSession(sessionID string) (apps.AppID, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sessionErr != nil {
		return "", "", f.sessionErr
	}
	caller, ok := f.sessions[sessionID]
	if !ok {
		return "", "", errors.Wrapf(apps.ErrUnauthorized, "session %s is not an app token", sessionID)
	}
	return caller.appID, caller.userID, nil
}

// fakeStore keeps Apps, listings and KV values in maps.
type fakeStore struct {
	mu sync.Mutex

	apps     map[apps.AppID]*apps.App
	listings map[apps.AppID]*apps.Manifest
	kv       map[string][]byte
	// err, when set, is returned by every method.
	err error
}

func newFakeStore() *fakeStore {
	return &fakeStore{
		apps:     map[apps.AppID]*apps.App{},
		listings: map[apps.AppID]*apps.Manifest{},
		kv:       map[string][]byte{},
	}
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

func (f *fakeStore) SaveListing(m *apps.Manifest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.listings[m.AppID] = m
	return nil
}

func (f *fakeStore) GetListing(id apps.AppID) (*apps.Manifest, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	m, ok := f.listings[id]
	if !ok {
		return nil, errors.Wrapf(apps.ErrNotFound, "listing of app %s", id)
	}
	return m, nil
}

func kvKey(appID apps.AppID, userID, prefix, key string) string {
	return string(appID) + "|" + userID + "|" + prefix + "|" + key
}

func (f *fakeStore) KVSet(appID apps.AppID, userID, prefix, key string, value []byte) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return false, f.err
	}
	k := kvKey(appID, userID, prefix, key)
	changed := string(f.kv[k]) != string(value)
	f.kv[k] = value
	return changed, nil
}

func (f *fakeStore) KVGet(appID apps.AppID, userID, prefix, key string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	return f.kv[kvKey(appID, userID, prefix, key)], nil
}

func (f *fakeStore) KVDelete(appID apps.AppID, userID, prefix, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	delete(f.kv, kvKey(appID, userID, prefix, key))
	return nil
}

// webhookCall is one request the fake webhook handler received.
type webhookCall struct {
	method     string
	appID      apps.AppID
	subPath    string
	requestURI string
	body       string
}

// fakeWebhooks records each request and responds 202 with the body "delivered".
type fakeWebhooks struct {
	mu    sync.Mutex
	calls []webhookCall
}

func (f *fakeWebhooks) Handle(w http.ResponseWriter, r *http.Request, appID apps.AppID, subPath string) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.calls = append(f.calls, webhookCall{
		method:     r.Method,
		appID:      appID,
		subPath:    subPath,
		requestURI: r.RequestURI,
		body:       string(body),
	})
	f.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, "delivered")
}

func (f *fakeWebhooks) recorded() []webhookCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]webhookCall(nil), f.calls...)
}

// logEntry is one call to the fake logger.
type logEntry struct {
	level   string
	message string
	fields  map[string]any
}

type fakeLogger struct {
	mu      sync.Mutex
	entries []logEntry
}

func (l *fakeLogger) add(level, message string, keyValuePairs []any) {
	fields := map[string]any{}
	for i := 0; i+1 < len(keyValuePairs); i += 2 {
		fields[keyValuePairs[i].(string)] = keyValuePairs[i+1]
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, logEntry{level: level, message: message, fields: fields})
}

func (l *fakeLogger) Debug(message string, keyValuePairs ...any) {
	l.add("debug", message, keyValuePairs)
}
func (l *fakeLogger) Info(message string, keyValuePairs ...any) {
	l.add("info", message, keyValuePairs)
}
func (l *fakeLogger) Warn(message string, keyValuePairs ...any) {
	l.add("warn", message, keyValuePairs)
}
func (l *fakeLogger) Error(message string, keyValuePairs ...any) {
	l.add("error", message, keyValuePairs)
}

func (l *fakeLogger) byLevel(level string) []logEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []logEntry
	for _, entry := range l.entries {
		if entry.level == level {
			out = append(out, entry)
		}
	}
	return out
}
