package store

import (
	"testing"

	"github.com/mattermost/mattermost/server/public/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

func newTestSession(userID string) *Session {
	return &Session{SessionID: model.NewId(), Token: model.NewId(), UserID: userID, ExpiresAt: 1700000000000}
}

func TestSaveAndGetSession(t *testing.T) {
	store, _, _ := newTestStore(t)
	session := newTestSession(model.NewId())

	require.NoError(t, store.SaveSession("hello-world", session))

	got, err := store.GetSession("hello-world", session.UserID)
	require.NoError(t, err)
	assert.Equal(t, session, got)

	replacement := newTestSession(session.UserID)
	require.NoError(t, store.SaveSession("hello-world", replacement))
	got, err = store.GetSession("hello-world", session.UserID)
	require.NoError(t, err)
	assert.Equal(t, replacement, got)
}

func TestGetSessionNotFound(t *testing.T) {
	store, _, _ := newTestStore(t)
	userID := model.NewId()
	require.NoError(t, store.SaveSession("hello-world", newTestSession(userID)))

	tests := map[string]struct {
		appID  apps.AppID
		userID string
	}{
		"other user":      {"hello-world", model.NewId()},
		"other app":       {"hello-world2", userID},
		"invalid user id": {"hello-world", "user/1"},
		"invalid app id":  {"a/b", userID},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := store.GetSession(test.appID, test.userID)
			require.ErrorIs(t, err, apps.ErrNotFound)
		})
	}
}

func TestDeleteSession(t *testing.T) {
	store, _, _ := newTestStore(t)
	deleted, kept := newTestSession(model.NewId()), newTestSession(model.NewId())
	require.NoError(t, store.SaveSession("hello-world", deleted))
	require.NoError(t, store.SaveSession("hello-world", kept))

	require.NoError(t, store.DeleteSession("hello-world", deleted.UserID))

	_, err := store.GetSession("hello-world", deleted.UserID)
	require.ErrorIs(t, err, apps.ErrNotFound)
	_, err = store.GetSession("hello-world", kept.UserID)
	require.NoError(t, err)
	require.NoError(t, store.DeleteSession("hello-world", deleted.UserID), "deleting a missing session is not an error")
	require.ErrorIs(t, store.DeleteSession("hello-world", ""), apps.ErrInvalidInput)
}

func TestListSessions(t *testing.T) {
	store, _, _ := newTestStore(t)
	store.listPageSize = 2
	var expected []*Session
	for range 5 {
		session := newTestSession(model.NewId())
		require.NoError(t, store.SaveSession("app", session))
		expected = append(expected, session)
	}
	for _, neighbour := range []apps.AppID{"app_b", "app.b", "apps"} {
		require.NoError(t, store.SaveSession(neighbour, newTestSession(model.NewId())))
	}

	sessions, err := store.ListSessions("app")
	require.NoError(t, err)

	assert.ElementsMatch(t, expected, sessions)
	assert.IsIncreasing(t, userIDsOf(sessions))
}

func userIDsOf(sessions []*Session) []string {
	ids := make([]string, 0, len(sessions))
	for _, session := range sessions {
		ids = append(ids, session.UserID)
	}
	return ids
}

func TestListSessionsEmpty(t *testing.T) {
	store, _, _ := newTestStore(t)

	sessions, err := store.ListSessions("hello-world")
	require.NoError(t, err)
	assert.Empty(t, sessions)

	_, err = store.ListSessions("a/b")
	require.ErrorIs(t, err, apps.ErrInvalidInput)
}

func TestSaveSessionRejectsInvalid(t *testing.T) {
	tests := map[string]struct {
		appID   apps.AppID
		session *Session
	}{
		"missing session": {"hello-world", nil},
		"missing user id": {"hello-world", newTestSession("")},
		"invalid user id": {"hello-world", newTestSession("user/1")},
		"invalid app id":  {"ab", newTestSession(model.NewId())},
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			store, _, _ := newTestStore(t)

			err := store.SaveSession(test.appID, test.session)
			require.ErrorIs(t, err, apps.ErrInvalidInput)
		})
	}
}
