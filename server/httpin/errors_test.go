package httpin

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/pkg/errors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mattermost/mattermost-plugin-apps-webhooks/server/apps"
)

func TestWriteError(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		status  int
		message string
	}{
		{name: "not found", err: errors.Wrapf(apps.ErrNotFound, "app %s", "x"), status: http.StatusNotFound, message: "app x: not found"},
		{name: "invalid input", err: errors.Wrap(apps.ErrInvalidInput, "bad key"), status: http.StatusBadRequest, message: "bad key: invalid input"},
		{name: "unauthorized", err: apps.ErrUnauthorized, status: http.StatusUnauthorized, message: "unauthorized"},
		{name: "forbidden", err: newError(apps.ErrForbidden, "only system admins can %s", "install apps"), status: http.StatusForbidden, message: "only system admins can install apps"},
		{name: "conflict", err: errors.Wrap(errors.Wrap(apps.ErrConflict, "username taken"), "failed to install app x"), status: http.StatusConflict, message: "failed to install app x: username taken: conflict"},
		{name: "too large", err: newError(apps.ErrTooLarge, "too big"), status: http.StatusRequestEntityTooLarge, message: "too big"},
		{name: "wrapped custom error", err: errors.Wrap(newError(apps.ErrNotFound, "no listing"), "failed"), status: http.StatusNotFound, message: "failed: no listing"},
		{name: "internal", err: errors.New("secret internals"), status: http.StatusInternalServerError, message: internalErrorMessage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			log := &fakeLogger{}
			r := httptest.NewRequest(http.MethodPost, "/api/v1/x?secret=s", nil)
			r.Header.Set(headerUserID, userID)
			w := httptest.NewRecorder()

			writeError(w, r, log, tc.err)

			assert.Equal(t, tc.status, w.Code)
			assert.Equal(t, tc.message, errorOf(t, w))
			if tc.status != http.StatusInternalServerError {
				assert.Empty(t, log.byLevel("error"))
				return
			}
			logged := log.byLevel("error")
			require.Len(t, logged, 1)
			assert.Equal(t, "/api/v1/x", logged[0].fields["path"], "the query string is not logged")
			assert.Equal(t, userID, logged[0].fields["user_id"])
			assert.Equal(t, "secret internals", logged[0].fields["error"])
		})
	}
}

func TestNewErrorMatchesOnlyItsSentinel(t *testing.T) {
	err := newError(apps.ErrForbidden, "only system admins can %s", "enable apps")

	assert.True(t, errors.Is(err, apps.ErrForbidden))
	assert.False(t, errors.Is(err, apps.ErrUnauthorized))
	assert.Equal(t, "only system admins can enable apps", err.Error())
}
