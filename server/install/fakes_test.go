package install

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pkg/errors"
	"github.com/stretchr/testify/require"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/mattermost/mattermost/server/public/pluginapi"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/config"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/store"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/upstream"
)

const testSiteURL = "http://mattermost.test"

// fakeMattermost is an in-memory Mattermost: users, bots, sessions, channels, teams, and who may
// read which channel or view which team. System admins may do everything.
type fakeMattermost struct {
	mu       sync.Mutex
	users    map[string]*model.User
	bots     map[string]*model.Bot
	sessions map[string]*model.Session
	channels map[string]*model.Channel
	teams    map[string]*model.Team
	admins   map[string]bool
	// members holds, per channel or team id, the users who may read or view it.
	members map[string]map[string]bool

	createSessionDelay time.Duration
	createSessionCalls atomic.Int64
	extendCalls        atomic.Int64
	getSessionCalls    atomic.Int64
}

func newFakeMattermost() *fakeMattermost {
	return &fakeMattermost{
		users:    map[string]*model.User{},
		bots:     map[string]*model.Bot{},
		sessions: map[string]*model.Session{},
		channels: map[string]*model.Channel{},
		teams:    map[string]*model.Team{},
		admins:   map[string]bool{},
		members:  map[string]map[string]bool{},
	}
}

func (f *fakeMattermost) addUser(username string, admin bool) *model.User {
	f.mu.Lock()
	defer f.mu.Unlock()
	roles := model.SystemUserRoleId
	if admin {
		roles += " " + model.SystemAdminRoleId
	}
	user := &model.User{
		Id:          model.NewId(),
		Username:    username,
		Email:       username + "@example.com",
		FirstName:   "First " + username,
		LastName:    "Last " + username,
		Nickname:    "nick-" + username,
		Locale:      "de",
		Roles:       roles,
		Password:    "hashed-password",
		MfaSecret:   "mfa-secret",
		AuthService: "gitlab",
		AuthData:    model.NewPointer("gitlab-id-" + username),
		Timezone:    model.StringMap{"useAutomaticTimezone": "true"},
	}
	f.users[user.Id] = user
	f.admins[user.Id] = admin
	return user
}

// addBot adds a bot with its user, owned by ownerID.
func (f *fakeMattermost) addBot(username, ownerID string, active bool) *model.Bot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.addBotLocked(&model.Bot{Username: username, DisplayName: "Old name", OwnerId: ownerID}, active)
}

func (f *fakeMattermost) addBotLocked(bot *model.Bot, active bool) *model.Bot {
	user := &model.User{Id: model.NewId(), Username: bot.Username, IsBot: true, Roles: model.SystemUserRoleId}
	created := *bot
	created.UserId = user.Id
	if !active {
		created.DeleteAt = 1
		user.DeleteAt = 1
	}
	f.users[user.Id] = user
	f.bots[user.Id] = &created
	copied := created
	return &copied
}

func (f *fakeMattermost) addChannel(members ...string) *model.Channel {
	f.mu.Lock()
	defer f.mu.Unlock()
	channel := &model.Channel{Id: model.NewId(), TeamId: model.NewId(), Name: "town-square", DisplayName: "Town Square", Type: model.ChannelTypeOpen, Header: "header", Purpose: "purpose", CreatorId: "creator"}
	f.channels[channel.Id] = channel
	f.members[channel.Id] = setOf(members)
	return channel
}

func (f *fakeMattermost) addTeam(members ...string) *model.Team {
	f.mu.Lock()
	defer f.mu.Unlock()
	team := &model.Team{Id: model.NewId(), Name: "team", DisplayName: "Team", Type: model.TeamOpen, Description: "a team", Email: "team@example.com", InviteId: "invite-secret"}
	f.teams[team.Id] = team
	f.members[team.Id] = setOf(members)
	return team
}

func setOf(values []string) map[string]bool {
	set := map[string]bool{}
	for _, value := range values {
		set[value] = true
	}
	return set
}

func (f *fakeMattermost) bot(userID string) *model.Bot {
	f.mu.Lock()
	defer f.mu.Unlock()
	bot, ok := f.bots[userID]
	if !ok {
		return nil
	}
	copied := *bot
	return &copied
}

func (f *fakeMattermost) botByUsername(username string) *model.Bot {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, bot := range f.bots {
		if bot.Username == username {
			copied := *bot
			return &copied
		}
	}
	return nil
}

func (f *fakeMattermost) session(id string) *model.Session {
	f.mu.Lock()
	defer f.mu.Unlock()
	session, ok := f.sessions[id]
	if !ok {
		return nil
	}
	copied := *session
	return &copied
}

func (f *fakeMattermost) sessionCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sessions)
}

func (f *fakeMattermost) sessionByToken(token string) *model.Session {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, session := range f.sessions {
		if session.Token == token {
			copied := *session
			return &copied
		}
	}
	return nil
}

// removeSession deletes a session behind the plugin's back, as an admin revoking it would.
func (f *fakeMattermost) removeSession(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.sessions, id)
}

func (f *fakeMattermost) GetUser(userID string) (*model.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	user, ok := f.users[userID]
	if !ok {
		return nil, errors.Wrapf(apps.ErrNotFound, "user %s", userID)
	}
	copied := *user
	return &copied, nil
}

func (f *fakeMattermost) GetUserByUsername(username string) (*model.User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, user := range f.users {
		if user.Username == username {
			copied := *user
			return &copied, nil
		}
	}
	return nil, errors.Wrapf(apps.ErrNotFound, "user @%s", username)
}

func (f *fakeMattermost) HasPermissionTo(userID string, permission *model.Permission) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.admins[userID]
}

func (f *fakeMattermost) HasPermissionToTeam(userID, teamID string, _ *model.Permission) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.admins[userID] || f.members[teamID][userID]
}

func (f *fakeMattermost) HasPermissionToChannel(userID, channelID string, _ *model.Permission) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.admins[userID] || f.members[channelID][userID]
}

func (f *fakeMattermost) GetBot(botUserID string) (*model.Bot, error) {
	bot := f.bot(botUserID)
	if bot == nil {
		return nil, errors.Wrapf(apps.ErrNotFound, "bot %s", botUserID)
	}
	return bot, nil
}

func (f *fakeMattermost) CreateBot(bot *model.Bot) (*model.Bot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, user := range f.users {
		if user.Username == bot.Username {
			return nil, errors.Errorf("username %s is taken", bot.Username)
		}
	}
	if bot.OwnerId == "" {
		bot.OwnerId = apps.PluginID
	}
	return f.addBotLocked(bot, true), nil
}

func (f *fakeMattermost) PatchBot(botUserID string, patch *model.BotPatch) (*model.Bot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	bot, ok := f.bots[botUserID]
	if !ok {
		return nil, errors.Wrapf(apps.ErrNotFound, "bot %s", botUserID)
	}
	bot.Patch(patch)
	copied := *bot
	return &copied, nil
}

func (f *fakeMattermost) UpdateBotActive(botUserID string, active bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	bot, ok := f.bots[botUserID]
	if !ok {
		return errors.Wrapf(apps.ErrNotFound, "bot %s", botUserID)
	}
	deleteAt := int64(0)
	if !active {
		deleteAt = model.GetMillis()
	}
	bot.DeleteAt = deleteAt
	f.users[botUserID].DeleteAt = deleteAt
	return nil
}

func (f *fakeMattermost) GetChannel(channelID string) (*model.Channel, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	channel, ok := f.channels[channelID]
	if !ok {
		return nil, errors.Wrapf(apps.ErrNotFound, "channel %s", channelID)
	}
	copied := *channel
	return &copied, nil
}

func (f *fakeMattermost) GetTeam(teamID string) (*model.Team, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	team, ok := f.teams[teamID]
	if !ok {
		return nil, errors.Wrapf(apps.ErrNotFound, "team %s", teamID)
	}
	copied := *team
	return &copied, nil
}

func (f *fakeMattermost) CreateSession(session *model.Session) (*model.Session, error) {
	f.createSessionCalls.Add(1)
	time.Sleep(f.createSessionDelay)

	f.mu.Lock()
	defer f.mu.Unlock()
	created := *session
	created.Id = model.NewId()
	created.Token = model.NewId()
	f.sessions[created.Id] = &created
	copied := created
	return &copied, nil
}

func (f *fakeMattermost) GetSession(sessionID string) (*model.Session, error) {
	f.getSessionCalls.Add(1)
	session := f.session(sessionID)
	if session == nil {
		return nil, errors.Wrapf(apps.ErrNotFound, "session %s", sessionID)
	}
	return session, nil
}

func (f *fakeMattermost) ExtendSessionExpiry(sessionID string, expiresAt int64) error {
	f.extendCalls.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	session, ok := f.sessions[sessionID]
	if !ok {
		return errors.Errorf("session %s not found", sessionID)
	}
	session.ExpiresAt = expiresAt
	return nil
}

func (f *fakeMattermost) RevokeSession(sessionID string) error {
	f.removeSession(sessionID)
	return nil
}

// fakeClock is a clock that moves only when a test advances it.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// logEntry is one recorded log call.
type logEntry struct {
	level   string
	message string
	fields  map[string]any
}

// recordingLogger records every log call.
type recordingLogger struct {
	mu      sync.Mutex
	entries []logEntry
}

func (l *recordingLogger) record(level, message string, keyValuePairs []any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fields := map[string]any{}
	for i := 0; i+1 < len(keyValuePairs); i += 2 {
		fields[fmt.Sprint(keyValuePairs[i])] = keyValuePairs[i+1]
	}
	l.entries = append(l.entries, logEntry{level: level, message: message, fields: fields})
}

func (l *recordingLogger) Debug(message string, keyValuePairs ...any) {
	l.record("debug", message, keyValuePairs)
}

func (l *recordingLogger) Info(message string, keyValuePairs ...any) {
	l.record("info", message, keyValuePairs)
}

func (l *recordingLogger) Warn(message string, keyValuePairs ...any) {
	l.record("warn", message, keyValuePairs)
}

func (l *recordingLogger) Error(message string, keyValuePairs ...any) {
	l.record("error", message, keyValuePairs)
}

// find returns the first entry with the level and message, or nil.
func (l *recordingLogger) find(level, message string) *logEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range l.entries {
		if l.entries[i].level == level && l.entries[i].message == message {
			entry := l.entries[i]
			return &entry
		}
	}
	return nil
}

// text returns every recorded message and value, to check that no secret was logged.
func (l *recordingLogger) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, entry := range l.entries {
		fmt.Fprintf(&b, "%s %s %v\n", entry.level, entry.message, entry.fields)
	}
	return b.String()
}

// testApp is an App served by httptest, with a handler per path. A path without a handler responds
// {"type":"ok"}. Every CallRequest is recorded.
type testApp struct {
	server *httptest.Server

	mu       sync.Mutex
	handlers map[string]http.HandlerFunc
	requests map[string][]apps.CallRequest
}

func newTestApp(t *testing.T) *testApp {
	t.Helper()
	app := &testApp{handlers: map[string]http.HandlerFunc{}, requests: map[string][]apps.CallRequest{}}
	app.server = httptest.NewServer(http.HandlerFunc(app.serve))
	t.Cleanup(app.server.Close)
	return app
}

func (a *testApp) serve(w http.ResponseWriter, r *http.Request) {
	var creq apps.CallRequest
	if r.URL.Path != "/ping" {
		_ = json.NewDecoder(r.Body).Decode(&creq)
	}
	a.mu.Lock()
	a.requests[r.URL.Path] = append(a.requests[r.URL.Path], creq)
	handler := a.handlers[r.URL.Path]
	a.mu.Unlock()

	if handler != nil {
		handler(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"type":"ok"}`))
}

func (a *testApp) handle(path string, handler http.HandlerFunc) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.handlers[path] = handler
}

// respond makes the App respond to path with the status and body.
func (a *testApp) respond(path string, status int, body string) {
	a.handle(path, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	})
}

// calls returns the CallRequests the App received at path.
func (a *testApp) calls(path string) []apps.CallRequest {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]apps.CallRequest(nil), a.requests[path]...)
}

// failingStore wraps the real store and fails the methods named in failures.
type failingStore struct {
	*store.Store
	mu       sync.Mutex
	failures map[string]error
}

func (s *failingStore) fail(method string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[method] = err
}

func (s *failingStore) failure(method string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failures[method]
}

func (s *failingStore) SaveSession(appID apps.AppID, session *store.Session) error {
	if err := s.failure("SaveSession"); err != nil {
		return err
	}
	return s.Store.SaveSession(appID, session)
}

func (s *failingStore) KVDeleteAll(appID apps.AppID) error {
	if err := s.failure("KVDeleteAll"); err != nil {
		return err
	}
	return s.Store.KVDeleteAll(appID)
}

// testEnv is a Service over the real store (on an in-memory KV store), the real upstream client,
// a fake Mattermost, a recording logger and a fake clock, with a system admin and an App server.
type testEnv struct {
	service  *Service
	mm       *fakeMattermost
	store    *failingStore
	log      *recordingLogger
	clock    *fakeClock
	app      *testApp
	admin    *model.User
	settings config.Settings
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	env := &testEnv{
		mm:       newFakeMattermost(),
		store:    &failingStore{Store: store.New(&pluginapi.MemoryStore{}), failures: map[string]error{}},
		log:      &recordingLogger{},
		clock:    &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)},
		app:      newTestApp(t),
		settings: config.Settings{SiteURL: testSiteURL, DeveloperMode: true},
	}
	env.admin = env.mm.addUser("admin", true)
	env.service = env.newService(env.store)
	return env
}

// newService returns another Service on the same Mattermost, store and clock, as another cluster
// node would have.
func (env *testEnv) newService(st Store) *Service {
	service := NewWithMattermost(env.mm, st, upstream.New(env.log), func() config.Settings { return env.settings }, env.log)
	service.now = env.clock.Now
	return service
}

// manifest returns a valid manifest of the App "hello" served by env.app.
func (env *testEnv) manifest() *apps.Manifest {
	return &apps.Manifest{
		AppID:                "hello",
		Version:              "1.0.0",
		DisplayName:          "Hello App",
		Description:          "Says hello",
		HomepageURL:          "https://example.com/hello",
		RequestedPermissions: apps.Permissions{apps.PermissionActAsBot, apps.PermissionRemoteWebhooks},
		RequestedLocations:   apps.Locations{apps.LocationCommand},
		HTTP:                 &apps.HTTP{RootURL: env.app.server.URL},
		OnInstall:            &apps.Call{Path: "/install", Expand: &apps.Expand{App: apps.ExpandAll}},
		OnUninstall:          &apps.Call{Path: "/uninstall"},
		OnEnable:             &apps.Call{Path: "/enable"},
		OnDisable:            &apps.Call{Path: "/disable"},
	}
}

// install installs the manifest as the admin and requires success.
func (env *testEnv) install(t *testing.T, m *apps.Manifest) *apps.App {
	t.Helper()
	app, _, err := env.service.Install(t.Context(), Request{Manifest: m, ActingUserID: env.admin.Id})
	require.NoError(t, err)
	return app
}

func (env *testEnv) storedSessions(t *testing.T, id apps.AppID) []*store.Session {
	t.Helper()
	sessions, err := env.store.ListSessions(id)
	require.NoError(t, err)
	return sessions
}
