package install

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pkg/errors"

	"github.com/mattermost/mattermost/server/public/model"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/store"
)

// App tokens are Mattermost sessions that the plugin creates for an (App, user) pair and hands to
// the App in call contexts.
const (
	// appTokenLifetime is how long an App token stays valid after it was last handed out. It is
	// short so that a token leaked from an App's logs soon stops working, and it is renewed on use
	// so that an active App never holds an expired token.
	appTokenLifetime = 30 * time.Minute
	// appTokenRenewBelow is the remaining lifetime under which a token is renewed before it is
	// handed out. Every token handed out is therefore valid for at least 15 more minutes. That is
	// longer than the 10 minutes for which other cluster nodes may cache the session with its old
	// expiry (ServiceSettings.SessionCacheInMinutes, 10 by default in Mattermost 11.4).
	appTokenRenewBelow = appTokenLifetime / 2
)

// appToken is a session the plugin created for an App.
type appToken struct {
	sessionID string
	token     string
	userID    string
	expiresAt time.Time
}

// isFresh reports whether the token can be handed out without touching the database.
func (t *appToken) isFresh(now time.Time) bool {
	return t != nil && t.expiresAt.Sub(now) > appTokenRenewBelow
}

// tokenEntry caches the token of one (App, user) pair. Readers load current without locking. The
// call that creates or renews the token holds lock, so concurrent first calls create one session.
type tokenEntry struct {
	lock    chan struct{}
	current atomic.Pointer[appToken]
}

// tokenCache holds the App tokens of this node, by App id and then by user id.
type tokenCache struct {
	mu      sync.Mutex
	entries map[apps.AppID]map[string]*tokenEntry
}

func newTokenCache() *tokenCache {
	return &tokenCache{entries: map[apps.AppID]map[string]*tokenEntry{}}
}

func (c *tokenCache) entry(appID apps.AppID, userID string) *tokenEntry {
	c.mu.Lock()
	defer c.mu.Unlock()

	byUser, ok := c.entries[appID]
	if !ok {
		byUser = map[string]*tokenEntry{}
		c.entries[appID] = byUser
	}
	entry, ok := byUser[userID]
	if !ok {
		entry = &tokenEntry{lock: make(chan struct{}, 1)}
		byUser[userID] = entry
	}
	return entry
}

func (c *tokenCache) dropApp(appID apps.AppID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, appID)
}

func (c *tokenCache) drop(appID apps.AppID, userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries[appID], userID)
}

// BotAccessToken returns a valid App token for the App's bot, creating or renewing the session
// when needed. While the cached token has more than half its lifetime left, it makes no database
// call, so it is cheap enough for every webhook.
func (s *Service) BotAccessToken(ctx context.Context, app *apps.App) (string, error) {
	if app.BotUserID == "" {
		return "", errors.Errorf("app %s has no bot", app.AppID)
	}
	return s.accessToken(ctx, app.AppID, app.BotUserID)
}

// accessToken returns the token of the (App, user) pair from the cache, renewing or creating it
// when it has less than half its lifetime left.
func (s *Service) accessToken(ctx context.Context, appID apps.AppID, userID string) (string, error) {
	entry := s.tokens.entry(appID, userID)
	if cached := entry.current.Load(); cached.isFresh(s.now()) {
		return cached.token, nil
	}

	select {
	case entry.lock <- struct{}{}:
	case <-ctx.Done():
		return "", errors.Wrapf(ctx.Err(), "timed out waiting for the token of app %s", appID)
	}
	defer func() { <-entry.lock }()

	// Another call may have refreshed the token while this one waited for the lock.
	cached := entry.current.Load()
	if cached.isFresh(s.now()) {
		return cached.token, nil
	}

	refreshed, err := s.refreshToken(appID, userID, cached)
	if err != nil {
		return "", err
	}
	entry.current.Store(refreshed)
	return refreshed.token, nil
}

// refreshToken renews the cached session, or else adopts the stored session that another cluster
// node may have created, or else creates a new one.
func (s *Service) refreshToken(appID apps.AppID, userID string, cached *appToken) (*appToken, error) {
	failedSessionID := ""
	if cached != nil && s.now().Before(cached.expiresAt) {
		if renewed := s.renewToken(appID, cached); renewed != nil {
			return renewed, nil
		}
		failedSessionID = cached.sessionID
	}

	stored, err := s.storedToken(appID, userID, failedSessionID)
	if err != nil {
		return nil, err
	}
	if stored.isFresh(s.now()) {
		return stored, nil
	}
	if stored != nil {
		if renewed := s.renewToken(appID, stored); renewed != nil {
			return renewed, nil
		}
	}

	return s.createToken(appID, userID)
}

// renewToken extends the session to a full lifetime. It returns nil when the session cannot be
// extended, for example because an admin revoked it.
func (s *Service) renewToken(appID apps.AppID, token *appToken) *appToken {
	expiresAt := s.now().Add(appTokenLifetime)
	if err := s.mm.ExtendSessionExpiry(token.sessionID, expiresAt.UnixMilli()); err != nil {
		s.log.Debug("Failed to renew an app token, creating a new one", "app_id", appID, "user_id", token.userID, "error", err.Error())
		return nil
	}

	renewed := *token
	renewed.expiresAt = expiresAt
	if err := s.saveToken(appID, &renewed); err != nil {
		// The stored record still names the same session, so disable and uninstall still revoke it.
		s.log.Warn("Failed to store the new expiry of an app token", "app_id", appID, "user_id", token.userID, "error", err.Error())
	}
	return &renewed
}

// storedToken returns the stored session of the (App, user) pair when Mattermost still has it
// unexpired, and nil otherwise. It skips the session whose renewal just failed.
func (s *Service) storedToken(appID apps.AppID, userID, skipSessionID string) (*appToken, error) {
	record, err := s.store.GetSession(appID, userID)
	if errors.Is(err, apps.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, errors.Wrapf(err, "failed to load the token of app %s", appID)
	}
	if record.SessionID == skipSessionID {
		return nil, nil
	}

	// Check with Mattermost, because an admin may have revoked the session.
	session, err := s.mm.GetSession(record.SessionID)
	if errors.Is(err, apps.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, errors.Wrapf(err, "failed to check the token of app %s", appID)
	}
	if session.UserId != userID || session.Props[model.SessionPropMattermostAppID] != string(appID) || s.isExpired(session) {
		return nil, nil
	}
	return &appToken{
		sessionID: record.SessionID,
		token:     record.Token,
		userID:    userID,
		expiresAt: time.UnixMilli(session.ExpiresAt),
	}, nil
}

// createToken creates a session for the user, marked with the App's id, and stores it.
func (s *Service) createToken(appID apps.AppID, userID string) (*appToken, error) {
	user, err := s.mm.GetUser(userID)
	if err != nil {
		return nil, errors.Wrapf(err, "failed to get user %s for a token of app %s", userID, appID)
	}

	props := model.StringMap{model.SessionPropMattermostAppID: string(appID)}
	if user.IsBot {
		props[model.SessionPropIsBot] = model.SessionPropIsBotValue
	}
	expiresAt := s.now().Add(appTokenLifetime)
	// Mattermost does not fill in the roles of a session created through the plugin API, and a
	// session without roles has no permissions.
	session, err := s.mm.CreateSession(&model.Session{
		UserId:    userID,
		Roles:     user.Roles,
		ExpiresAt: expiresAt.UnixMilli(),
		Props:     props,
	})
	if err != nil {
		return nil, errors.Wrapf(err, "failed to create a token of app %s for user %s", appID, userID)
	}

	token := &appToken{sessionID: session.Id, token: session.Token, userID: userID, expiresAt: expiresAt}
	if err = s.saveToken(appID, token); err != nil {
		// A token missing from the store would survive disable and uninstall, so do not use it.
		s.revokeSession(appID, token.sessionID, userID)
		return nil, err
	}
	return token, nil
}

func (s *Service) saveToken(appID apps.AppID, token *appToken) error {
	err := s.store.SaveSession(appID, &store.Session{
		SessionID: token.sessionID,
		Token:     token.token,
		UserID:    token.userID,
		ExpiresAt: token.expiresAt.UnixMilli(),
	})
	return errors.Wrapf(err, "failed to store a token of app %s", appID)
}

func (s *Service) revokeSession(appID apps.AppID, sessionID, userID string) {
	if err := s.mm.RevokeSession(sessionID); err != nil {
		s.log.Error("Failed to revoke an app token", "app_id", appID, "user_id", userID, "error", err.Error())
	}
}

// revokeAppTokens revokes and deletes every stored token of the App and empties this node's cache
// of them.
//
// NOTE: a token that a call on this or another node is creating at the same moment may be stored
// after the list was read. It stays valid until it expires (appTokenLifetime), but calls to a
// disabled or uninstalled App never hand it out.
func (s *Service) revokeAppTokens(appID apps.AppID) error {
	return s.revokeAppTokensExcept(appID, nil)
}

// revokeAppTokensExcept is revokeAppTokens that keeps the sessions whose ids are in keepSessionIDs.
func (s *Service) revokeAppTokensExcept(appID apps.AppID, keepSessionIDs map[string]bool) error {
	sessions, err := s.store.ListSessions(appID)
	if err != nil {
		return errors.Wrapf(err, "failed to list the tokens of app %s", appID)
	}

	var firstErr error
	for _, session := range sessions {
		if keepSessionIDs[session.SessionID] {
			continue
		}
		s.tokens.drop(appID, session.UserID)
		if err = s.mm.RevokeSession(session.SessionID); err != nil {
			firstErr = firstError(firstErr, errors.Wrapf(err, "failed to revoke a token of app %s", appID))
			continue
		}
		if err = s.store.DeleteSession(appID, session.UserID); err != nil {
			firstErr = firstError(firstErr, errors.Wrapf(err, "failed to delete a token of app %s", appID))
		}
	}
	if keepSessionIDs == nil {
		s.tokens.dropApp(appID)
	}
	return firstErr
}

// isExpired is model.Session.IsExpired with the service's clock. An ExpiresAt of 0 means that the
// session never expires.
func (s *Service) isExpired(session *model.Session) bool {
	return session.ExpiresAt > 0 && session.ExpiresAt <= s.nowMillis()
}

func firstError(current, next error) error {
	if current != nil {
		return current
	}
	return next
}

// InvalidateTokens drops this node's cached tokens of the App. Call it when another cluster node
// reports that the App changed, because that node may have revoked them.
func (s *Service) InvalidateTokens(appID apps.AppID) {
	s.tokens.dropApp(appID)
}

// AppOfSession returns the App that a Mattermost session belongs to, using the session prop
// model.SessionPropMattermostAppID that the plugin sets when it creates an App token. It returns
// the App id and the session's user id, or an error wrapping apps.ErrUnauthorized when the session
// does not exist, has expired or is not an App token.
func (s *Service) AppOfSession(sessionID string) (apps.AppID, string, error) {
	if sessionID == "" {
		return "", "", errors.Wrap(apps.ErrUnauthorized, "no session")
	}
	session, err := s.mm.GetSession(sessionID)
	if errors.Is(err, apps.ErrNotFound) {
		return "", "", errors.Wrap(apps.ErrUnauthorized, "session not found")
	}
	if err != nil {
		return "", "", errors.Wrap(err, "failed to get the session")
	}
	if s.isExpired(session) {
		return "", "", errors.Wrap(apps.ErrUnauthorized, "the session has expired")
	}
	appID := session.Props[model.SessionPropMattermostAppID]
	if appID == "" {
		return "", "", errors.Wrap(apps.ErrUnauthorized, "the session is not an app token")
	}
	return apps.AppID(appID), session.UserId, nil
}
