package store

import (
	"slices"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/pkg/errors"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

// Session is a Mattermost session that the plugin created for an App to act as a user, usually
// the App's bot. Token is a secret.
type Session struct {
	SessionID string `json:"session_id"`
	Token     string `json:"token"`
	UserID    string `json:"user_id"`
	ExpiresAt int64  `json:"expires_at"` // milliseconds since the Unix epoch
}

// GetSession returns the App's session for the user, or an error wrapping apps.ErrNotFound.
func (s *Store) GetSession(appID apps.AppID, userID string) (*Session, error) {
	if appID.Validate() != nil || !model.IsValidId(userID) {
		return nil, errors.Wrapf(apps.ErrNotFound, "session of app %q for user %q", appID, userID)
	}

	session, err := s.readSession(sessionKey(appID, userID))
	if err != nil {
		return nil, errors.Wrapf(err, "failed to read session of app %s for user %s", appID, userID)
	}
	if session == nil {
		return nil, errors.Wrapf(apps.ErrNotFound, "session of app %s for user %s", appID, userID)
	}
	return session, nil
}

// SaveSession stores the App's session for session.UserID, replacing an earlier one.
func (s *Store) SaveSession(appID apps.AppID, session *Session) error {
	if err := appID.Validate(); err != nil {
		return errors.Wrapf(apps.ErrInvalidInput, "failed to save session: %s", err)
	}
	if session == nil || !model.IsValidId(session.UserID) {
		return errors.Wrapf(apps.ErrInvalidInput, "failed to save session of app %s: the session or its user id is missing or invalid", appID)
	}

	if _, err := s.kv.Set(sessionKey(appID, session.UserID), session); err != nil {
		return errors.Wrapf(err, "failed to save session of app %s for user %s", appID, session.UserID)
	}
	return nil
}

// DeleteSession deletes the App's session record for the user. It does not revoke the Mattermost
// session. Deleting a missing record is not an error.
func (s *Store) DeleteSession(appID apps.AppID, userID string) error {
	if appID.Validate() != nil || !model.IsValidId(userID) {
		return errors.Wrapf(apps.ErrInvalidInput, "failed to delete session of app %q for user %q: invalid id", appID, userID)
	}

	if err := s.kv.Delete(sessionKey(appID, userID)); err != nil {
		return errors.Wrapf(err, "failed to delete session of app %s for user %s", appID, userID)
	}
	return nil
}

// ListSessions returns every session of the App, sorted by user id.
func (s *Store) ListSessions(appID apps.AppID) ([]*Session, error) {
	if err := appID.Validate(); err != nil {
		return nil, errors.Wrapf(apps.ErrInvalidInput, "failed to list sessions: %s", err)
	}

	keys, err := s.listKeysWithPrefix(sessionKeysOfApp(appID))
	if err != nil {
		return nil, errors.Wrapf(err, "failed to list sessions of app %s", appID)
	}

	sessions := make([]*Session, 0, len(keys))
	for _, key := range keys {
		session, err := s.readSession(key)
		if err != nil {
			return nil, errors.Wrapf(err, "failed to read session of app %s", appID)
		}
		// The session was deleted after the keys were listed.
		if session == nil {
			continue
		}
		sessions = append(sessions, session)
	}

	slices.SortFunc(sessions, func(a, b *Session) int {
		return strings.Compare(a.UserID, b.UserID)
	})
	return sessions, nil
}

// readSession returns nil and no error when the key is missing.
func (s *Store) readSession(key string) (*Session, error) {
	var session *Session
	if err := s.kv.Get(key, &session); err != nil {
		return nil, err
	}
	return session, nil
}
